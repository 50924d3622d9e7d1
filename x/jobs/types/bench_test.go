package types_test

import (
	"crypto/sha256"
	"testing"

	"github.com/hypha-network/hypha/x/jobs/types"
)

// BenchmarkSampleSegments is the per-job EndBlock draw at the param bounds
// (max_segments 4096, max_audits 64).
func BenchmarkSampleSegments(b *testing.B) {
	beacon := sha256.Sum256([]byte("beacon"))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		types.SampleSegments(beacon[:], types.DefaultMaxSegments, types.DefaultMaxAudits)
	}
}

// BenchmarkAppendLeaf is one commitment posted: O(log n) hashes.
func BenchmarkAppendLeaf(b *testing.B) {
	c := sha256.Sum256([]byte("c"))
	var f [][]byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if i%4097 == 0 {
			f = nil
		}
		f = types.AppendLeaf(f, uint64(i%4097), c[:])
	}
}

// BenchmarkCanonicalSpec is the spec check of one MsgSubmitJob.
func BenchmarkCanonicalSpec(b *testing.B) {
	raw := digitsSpec(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := types.CanonicalSpec(raw, 1<<14); err != nil {
			b.Fatal(err)
		}
	}
}
