package cmd

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/spf13/cobra"
)

var (
	rootOnce sync.Once
	root     *cobra.Command
)

// testRoot builds the real command tree once per test binary (it creates an app).

func testRoot(t *testing.T) *cobra.Command {
	t.Helper()
	rootOnce.Do(func() { root = NewRootCmd() })
	return root
}

func find(t *testing.T, args ...string) *cobra.Command {
	t.Helper()
	c, _, err := testRoot(t).Find(args)
	if err != nil || c.Name() != args[len(args)-1] {
		t.Fatalf("command %v not found: %v", args, err)
	}
	return c
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
