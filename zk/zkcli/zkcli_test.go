package zkcli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := NewCommand()
	var out, errw bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errw)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// TestCeremonyCLI runs the documented ceremony end to end on a small model.
func TestCeremonyCLI(t *testing.T) {
	dir := t.TempDir()
	model, tr := filepath.Join(dir, "m.qmlp"), filepath.Join(dir, "m.zkc")
	steps := [][]string{
		{"model", "--random", "16,8,4", "--seed", "3", "--out", model},
		{"setup", "--model", model, "--mode", "public", "--transcript", tr},
		{"contribute", "--model", model, "--mode", "public", "--transcript", tr, "--name", "alice"},
		{"contribute", "--model", model, "--mode", "public", "--transcript", tr, "--name", "owner", "--phase", "2", "--beacon", "block 100"},
		{"contribute", "--model", model, "--mode", "public", "--transcript", tr, "--name", "alice", "--phase", "2"},
		{"verify-setup", "--model", model, "--mode", "public", "--transcript", tr, "--beacon", "block 200"},
	}
	wants := []string{"model hash", "phase 1 contribution #1", "phase 1 contribution #2", "phase 2 contribution #1", "phase 2 contribution #2", "key id"}
	var last string
	for i, s := range steps {
		out, err := run(t, s...)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		if !strings.Contains(out, wants[i]) {
			t.Fatalf("%v printed %q, want %q", s, out, wants[i])
		}
		last = out
	}
	// Verifying again (already sealed) gives the same key id.
	again, err := run(t, "verify-setup", "--model", model, "--mode", "public", "--transcript", tr)
	if err != nil {
		t.Fatal(err)
	}
	id := func(s string) string { return s[strings.Index(s, "key id"):][:71] }
	if id(again) != id(last) {
		t.Fatalf("key id changed: %s vs %s", id(again), id(last))
	}
	// Errors say what to do and change nothing.
	if _, err := run(t, "setup", "--model", model, "--transcript", tr); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("setup over an existing transcript: %v", err)
	}
	if _, err := run(t, "contribute", "--model", model, "--mode", "private", "--transcript", tr, "--name", "x"); err == nil || !strings.Contains(err.Error(), "not of this model") {
		t.Fatalf("contribute with another mode: %v", err)
	}
	if _, err := run(t, "setup", "--model", filepath.Join(dir, "none"), "--transcript", filepath.Join(dir, "n.zkc")); err == nil {
		t.Fatal("missing model accepted")
	}
}
