package solver_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypha-network/hypha/agent/solver"
)

// TestLoadConfig loads the example config and refuses bad ones with a
// message that names the field.
func TestLoadConfig(t *testing.T) {
	c, err := solver.LoadConfig(filepath.Join("..", "..", "examples", "agents", "solver.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:7081" || c.MaxBond != 10_000_000 || !strings.HasSuffix(c.BlobDir, filepath.Join("solver-state", "blobs")) {
		t.Fatalf("config %+v", c)
	}
	for body, want := range map[string]string{
		"chain: {home: /x, key: k}\nstate_dir: s\nbogus: 1\n":     "bogus",
		"chain: {home: /x, key: k}\n":                             "state_dir is required",
		"chain: {home: /x}\nstate_dir: s\n":                       "key is required",
		"chain: {home: /x, key: k}\nstate_dir: s\nmax_bond: -1\n": "negative",
	} {
		p := filepath.Join(t.TempDir(), "s.yaml")
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := solver.LoadConfig(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", body, err, want)
		}
	}
}
