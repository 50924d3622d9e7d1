package blob

import (
	"crypto/sha256"
	"testing"
)

// benchSize is the blob the hashing benchmarks hash: 64 chunks.
const benchSize = 64 << 20

// BenchmarkSHA256 is the baseline: plain SHA-256 over the same bytes on one
// core. The id costs this plus one 65-byte node hash per chunk.
func BenchmarkSHA256(b *testing.B) {
	data := randBytes(benchSize, 1)
	b.SetBytes(benchSize)
	for b.Loop() {
		sha256.Sum256(data)
	}
}

// BenchmarkIDOf measures id hashing throughput (one core) of a blob in memory.
func BenchmarkIDOf(b *testing.B) {
	data := randBytes(benchSize, 1)
	b.SetBytes(benchSize)
	for b.Loop() {
		IDOf(data)
	}
}

// BenchmarkHasher measures the streaming hasher as stores and uploads use
// it, fed in 32 KiB writes (io.Copy's buffer).
func BenchmarkHasher(b *testing.B) {
	data := randBytes(benchSize, 1)
	b.SetBytes(benchSize)
	for b.Loop() {
		h := NewHasher()
		for off := 0; off < len(data); off += 32 << 10 {
			h.Write(data[off : off+32<<10])
		}
		h.Manifest()
	}
}
