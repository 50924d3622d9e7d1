package graph

import (
	"errors"
	"testing"

	"github.com/hypha-network/hypha/ml/merkle"
)

// TestProveValues opens one element, a row and a column of a matrix
// against its tensor root, and rejects tampered proofs.
func TestProveValues(t *testing.T) {
	const rows, cols = 37, 70
	v := make([]float32, rows*cols)
	for i := range v {
		v[i] = float32(i) * 0.5
	}
	root := HashValues(v)
	row := make([]int, cols)
	for c := range row {
		row[c] = 5*cols + c
	}
	col := make([]int, rows)
	for r := range col {
		col[r] = r*cols + 3
	}
	for name, elems := range map[string][]int{"element": {1234}, "row": row, "column": col} {
		p, err := ProveValues(v, elems)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Verify(root)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, e := range elems {
			if x, ok := got.Get(e); !ok || x != v[e] {
				t.Fatalf("%s: element %d = %v %v", name, e, x, ok)
			}
		}
		p.Data[0][0] ^= 1
		if _, err := p.Verify(root); !errors.Is(err, merkle.ErrProof) {
			t.Fatalf("%s: tampered chunk accepted", name)
		}
	}
	// One element of n values costs ⌈log2(chunks)⌉ hashes.
	p, _ := ProveValues(v, []int{1234})
	if want := 7; len(p.Path) != want { // 2590 values = 81 chunks
		t.Fatalf("one element: %d hashes, want %d", len(p.Path), want)
	}
}

// TestHashValuesIsChunkRoot pins the trace hash to the chunked tree.
func TestHashValuesIsChunkRoot(t *testing.T) {
	v := []float32{1, 2, 3}
	if HashValues(v) != merkle.ChunkRoot(ValueBytes(v)) {
		t.Fatal("HashValues is not the chunk root of the canonical bytes")
	}
	if HashValues(nil) != merkle.Root(nil) {
		t.Fatal("empty tensor root")
	}
}
