package blob

import (
	"fmt"

	"github.com/hypha-network/hypha/ml/merkle"
)

// ChunkSize is the size of every chunk but the last: 1 MiB.
const ChunkSize = 1 << 20

// MaxSize bounds a blob's size (1 PiB) so chunk counts and offsets never
// overflow an int on any platform that runs Hypha, and so a manifest claiming
// an absurd size is refused before anything is allocated for it.
const MaxSize = int64(1) << 50

// ChunkCount returns how many chunks a blob of size bytes has: none for the
// empty blob, else ceil(size / ChunkSize).
func ChunkCount(size int64) int {
	if size <= 0 {
		return 0
	}
	return int((size + ChunkSize - 1) / ChunkSize)
}

// ChunkOffset returns the offset of chunk i in the blob.
func ChunkOffset(i int) int64 { return int64(i) * ChunkSize }

// ChunkLen returns the length of chunk i of a blob of size bytes (0 if i is
// out of range).
func ChunkLen(size int64, i int) int {
	if i < 0 || i >= ChunkCount(size) {
		return 0
	}
	if rest := size - ChunkOffset(i); rest < ChunkSize {
		return int(rest)
	}
	return ChunkSize
}

// LeafHash returns the Merkle leaf hash of one chunk's bytes.
func LeafHash(chunk []byte) merkle.Hash { return merkle.LeafHash(chunk) }

// IDOf returns the id of data held in memory.
func IDOf(data []byte) ID {
	m := ManifestOf(data)
	return m.ID
}

// ManifestOf returns the manifest of data held in memory.
func ManifestOf(data []byte) Manifest {
	n := ChunkCount(int64(len(data)))
	leaves := make([]merkle.Hash, n)
	for i := range leaves {
		off := ChunkOffset(i)
		leaves[i] = merkle.LeafHash(data[off : off+int64(ChunkLen(int64(len(data)), i))])
	}
	return Manifest{ID: ID(merkle.RootOfHashes(leaves)), Size: int64(len(data)), Leaves: leaves}
}

// Hasher computes a blob's manifest from a stream: write the blob's bytes in
// any pieces, then call Manifest. It buffers at most one chunk.
type Hasher struct {
	buf    []byte
	size   int64
	leaves []merkle.Hash
}

// NewHasher returns an empty Hasher.
func NewHasher() *Hasher { return &Hasher{buf: make([]byte, 0, ChunkSize)} }

// Write adds p to the blob; it never fails.
func (h *Hasher) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(h.buf) == 0 && len(p) >= ChunkSize {
			// A whole chunk in the caller's buffer: hash it in place.
			h.leaves = append(h.leaves, merkle.LeafHash(p[:ChunkSize]))
			p = p[ChunkSize:]
			h.size += ChunkSize
			continue
		}
		k := min(ChunkSize-len(h.buf), len(p))
		h.buf = append(h.buf, p[:k]...)
		p = p[k:]
		if len(h.buf) == ChunkSize {
			h.leaves = append(h.leaves, merkle.LeafHash(h.buf))
			h.size += ChunkSize
			h.buf = h.buf[:0]
		}
	}
	return n, nil
}

// Size returns the bytes written so far.
func (h *Hasher) Size() int64 { return h.size + int64(len(h.buf)) }

// Manifest returns the manifest of the bytes written so far; h stays usable.
func (h *Hasher) Manifest() Manifest {
	leaves := append([]merkle.Hash(nil), h.leaves...)
	if len(h.buf) > 0 {
		leaves = append(leaves, merkle.LeafHash(h.buf))
	}
	return Manifest{ID: ID(merkle.RootOfHashes(leaves)), Size: h.Size(), Leaves: leaves}
}

// checkChunk validates index i against a blob of n chunks.
func checkChunk(i, n int) error {
	if i < 0 || i >= n {
		return fmt.Errorf("%w: chunk %d of a blob with %d chunks (valid: 0..%d)", ErrChunkRange, i, n, n-1)
	}
	return nil
}
