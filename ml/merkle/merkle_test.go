package merkle

import (
	"crypto/sha256"
	"fmt"
	"testing"
)

func TestRootKnownValues(t *testing.T) {
	if Root(nil) != sha256.Sum256(nil) {
		t.Error("empty root")
	}
	a, b, c := []byte("a"), []byte("b"), []byte("c")
	if Root([][]byte{a}) != LeafHash(a) {
		t.Error("single leaf root")
	}
	want := NodeHash(NodeHash(LeafHash(a), LeafHash(b)), LeafHash(c))
	if Root([][]byte{a, b, c}) != want {
		t.Error("three-leaf root does not split at 2")
	}
	if LeafHash(a) == sha256.Sum256(a) {
		t.Error("leaf hash is not domain separated")
	}
}

func TestProofs(t *testing.T) {
	for n := 1; n <= 17; n++ {
		var hs []Hash
		for i := 0; i < n; i++ {
			hs = append(hs, LeafHash([]byte(fmt.Sprint(i))))
		}
		root := RootOfHashes(hs)
		for i := 0; i < n; i++ {
			p, err := Proof(hs, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := Verify(root, hs[i], i, n, p); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			if err := Verify(root, hs[(i+1)%n], i, n, p); n > 1 && err == nil {
				t.Fatalf("n=%d i=%d: wrong leaf verified", n, i)
			}
		}
	}
	if _, err := Proof(nil, 0); err == nil {
		t.Error("proof of empty tree")
	}
}
