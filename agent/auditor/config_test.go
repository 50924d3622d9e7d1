package auditor_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypha-network/hypha/agent/auditor"
)

// TestLoadConfig loads the example configs and refuses bad ones with a
// message that names the field.
func TestLoadConfig(t *testing.T) {
	for _, f := range []string{"auditor1.yaml", "auditor2.yaml"} {
		c, err := auditor.LoadConfig(filepath.Join("..", "..", "examples", "agents", f))
		if err != nil {
			t.Fatal(err)
		}
		if len(c.BlobSources) != 1 || c.Bond != "100000000uhyp" {
			t.Fatalf("%s: %+v", f, c)
		}
	}
	for body, want := range map[string]string{
		"chain: {home: /x, key: k}\nstate_dir: s\nblob_sources: [u]\nbogus: 1\n":   "bogus",
		"chain: {home: /x, key: k}\nblob_sources: [u]\n":                           "state_dir is required",
		"chain: {home: /x, key: k}\nstate_dir: s\n":                                "blob_sources is required",
		"chain: {home: /x, key: k}\nstate_dir: s\nblob_sources: [u]\nbond: lots\n": "bond",
	} {
		p := filepath.Join(t.TempDir(), "a.yaml")
		os.WriteFile(p, []byte(body), 0o644)
		if _, err := auditor.LoadConfig(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", body, err, want)
		}
	}
}
