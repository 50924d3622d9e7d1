// Package blobtest holds what the blob packages' tests share: deterministic
// content of a given size and a store in a temporary directory.
package blobtest

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/hypha-network/hypha/blob"
)

// Sizes are the blob sizes every round-trip test covers: empty, one byte,
// around one chunk, and several chunks with a short last one.
var Sizes = []int{0, 1, blob.ChunkSize - 1, blob.ChunkSize, blob.ChunkSize + 1, 3*blob.ChunkSize + 12345}

// Bytes returns n pseudo-random bytes fixed by seed.
func Bytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for k := 0; k < 8; k++ {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// WriteFile writes data to a new file in a temporary directory of t and
// returns its path.
func WriteFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Files returns the regular files under dir (relative paths), for tests
// that check nothing was left behind.
func Files(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}
