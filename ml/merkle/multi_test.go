package merkle

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func leafHashes(n int) []Hash {
	hs := make([]Hash, n)
	for i := range hs {
		hs[i] = LeafHash([]byte(fmt.Sprint("leaf", i)))
	}
	return hs
}

func TestPiecesFold(t *testing.T) {
	for n := 1; n <= 40; n++ {
		hs := leafHashes(n)
		root := RootOfHashes(hs)
		for r := 1; r <= 4; r++ {
			ps := Pieces(Span{0, n}, r)
			if len(ps) > 1<<r {
				t.Fatalf("n=%d r=%d: %d pieces", n, r, len(ps))
			}
			roots := make([]Hash, len(ps))
			for i, p := range ps {
				roots[i] = SpanRoot(hs, p)
			}
			got, err := Fold(Span{0, n}, r, roots)
			if err != nil || got != root {
				t.Fatalf("n=%d r=%d: fold %v", n, r, err)
			}
			if _, err := Fold(Span{0, n}, r, roots[:len(roots)-1]); n > 1 && err == nil {
				t.Fatalf("n=%d r=%d: short fold accepted", n, r)
			}
		}
	}
}

func TestMultiProof(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 70; n++ {
		hs := leafHashes(n)
		root := RootOfHashes(hs)
		for trial := 0; trial < 10; trial++ {
			var idx []int
			for i := 0; i < n; i++ {
				if rnd.IntN(4) == 0 {
					idx = append(idx, i)
				}
			}
			if len(idx) == 0 {
				idx = []int{rnd.IntN(n)}
			}
			proof, err := MultiProof(hs, idx)
			if err != nil {
				t.Fatal(err)
			}
			leaves := make([]Hash, len(idx))
			for k, i := range idx {
				leaves[k] = hs[i]
			}
			if err := VerifyMulti(root, n, idx, leaves, proof); err != nil {
				t.Fatalf("n=%d idx=%v: %v", n, idx, err)
			}
			leaves[0][0] ^= 1
			if VerifyMulti(root, n, idx, leaves, proof) == nil {
				t.Fatalf("n=%d: tampered leaf accepted", n)
			}
			leaves[0][0] ^= 1
			if len(proof) > 0 && VerifyMulti(root, n, idx, leaves, proof[1:]) == nil {
				t.Fatalf("n=%d: short proof accepted", n)
			}
			if VerifyMulti(root, n, idx, leaves, append(proof, Hash{})) == nil {
				t.Fatalf("n=%d: long proof accepted", n)
			}
		}
	}
	// A single leaf's multiproof is its audit path, log n hashes.
	hs := leafHashes(1 << 10)
	p, _ := MultiProof(hs, []int{513})
	if len(p) != 10 {
		t.Fatalf("one leaf of 1024: %d hashes, want 10", len(p))
	}
}

func TestChunkRoot(t *testing.T) {
	b := make([]byte, 3*ChunkBytes+5)
	for i := range b {
		b[i] = byte(i)
	}
	if ChunkCount(len(b)) != 4 || ChunkLen(len(b), 3) != 5 {
		t.Fatal("chunk count/len")
	}
	if ChunkRoot(b) != Root([][]byte{b[:128], b[128:256], b[256:384], b[384:]}) {
		t.Fatal("chunk root is not the Merkle root of the chunks")
	}
}
