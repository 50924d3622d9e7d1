package jobsagent_test

import (
	"path/filepath"
	"testing"

	"github.com/hypha-network/hypha/agent/jobsagent"
	"github.com/hypha-network/hypha/ml/merkle"
)

// TestStartProofVerifies checks every leaf's proof against the RFC 6962 root
// the chain keeps, for counts that are and are not powers of two.
func TestStartProofVerifies(t *testing.T) {
	for n := 1; n <= 9; n++ {
		var cs [][]byte
		for i := 0; i < n; i++ {
			h := merkle.LeafHash([]byte{byte(i), byte(n)})
			cs = append(cs, h[:])
		}
		root := merkle.Root(cs)
		for s := 0; s < n; s++ {
			leaf, proof, err := jobsagent.StartProof(cs, uint64(s))
			if err != nil {
				t.Fatal(err)
			}
			path := make([]merkle.Hash, len(proof))
			for i := range proof {
				copy(path[i][:], proof[i])
			}
			if err := merkle.Verify(root, merkle.LeafHash(leaf), s, n, path); err != nil {
				t.Fatalf("n=%d s=%d: %v", n, s, err)
			}
		}
		if _, _, err := jobsagent.StartProof(cs, uint64(n)); err == nil {
			t.Fatalf("n=%d: proof past the end accepted", n)
		}
	}
}

// TestDBSurvivesReopen: what was Put is there after closing and reopening.
func TestDBSurvivesReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	db, err := jobsagent.OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct{ Salt []byte }
	if err := db.Put("a", rec{Salt: []byte{1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = jobsagent.OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var r rec
	if ok, err := db.Get("a", &r); !ok || err != nil || string(r.Salt) != "\x01\x02\x03" {
		t.Fatalf("got %v %v %v", r, ok, err)
	}
	if ok, _ := db.Get("missing", &r); ok {
		t.Fatal("missing key found")
	}
}
