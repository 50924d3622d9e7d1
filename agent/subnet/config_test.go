package subnet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadYAMLAndValidate(t *testing.T) {
	type cfg struct {
		Chain `yaml:",inline"`
		Extra string `yaml:"extra"`
	}
	dir := t.TempDir()
	cases := []struct {
		name, yaml string
		wantErr    string // substring; empty means success
	}{
		{"full", "home: /h\nkey: bob\nnetuid: 3\nextra: x\n", ""},
		{"unknown field", "home: /h\nkey: bob\nnetuid: 3\ntypo: 1\n", "typo"},
		{"no key", "home: /h\nnetuid: 3\n", "key is required"},
		{"no netuid", "home: /h\nkey: bob\n", "netuid is required"},
		{"no home", "key: bob\nnetuid: 3\n", "home is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".yaml")
			if err := os.WriteFile(p, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			var c cfg
			err := LoadYAML(p, &c)
			if err == nil {
				err = c.Validate()
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Node != "tcp://127.0.0.1:26657" || c.KeyringBackend != "test" || c.Netuid != 3 || c.Extra != "x" {
					t.Fatalf("decoded %+v", c)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.wantErr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("unexpected file")
	}
	var c cfg
	if err := LoadYAML(filepath.Join(dir, "missing.yaml"), &c); err == nil {
		t.Fatal("loading a missing file succeeded")
	}
}
