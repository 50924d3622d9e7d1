package cmd

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestDevnetHelpShowsItsDefaultHome(t *testing.T) {
	c := find(t, "devnet")
	f := c.Flags().Lookup("home")
	if f == nil || f.DefValue != DefaultDevnetHome || !strings.HasSuffix(DefaultDevnetHome, ".hypha-devnet") {
		t.Fatalf("devnet --home default = %v, want %s", f, DefaultDevnetHome)
	}
	if !strings.Contains(c.Long, "~/.hypha-devnet") || strings.Contains(c.UsageString(), `".hypha"`) {
		t.Fatal("devnet help does not name ~/.hypha-devnet as its home")
	}
}

func TestResetHintNamesTheHome(t *testing.T) {
	if h := resetHint("/data/my devnet"); !strings.Contains(h, "hyphad devnet --reset --home /data/my devnet") {
		t.Fatalf("hint %q does not carry --home", h)
	}
}

func TestResetConfirmation(t *testing.T) {
	home := t.TempDir() + "/home"
	for _, tc := range []struct {
		answer string
		ok     bool
	}{{"yes\n", true}, {home + "\n", true}, {"  yes  \n", true}, {"y\n", false}, {"\n", false}, {"", false}, {"/other\n", false}} {
		var out bytes.Buffer
		err := promptReset(strings.NewReader(tc.answer), &out, home)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrResetNotConfirmed)) {
			t.Fatalf("answer %q: err = %v, want ok=%v", tc.answer, err, tc.ok)
		}
		if !strings.Contains(out.String(), home) {
			t.Fatalf("prompt %q does not name the home", out.String())
		}
	}
	// Not a terminal: --yes is required (the home must hold something to lose).
	writeFile(t, home+"/config/genesis.json", `{"chain_id":"hypha-devnet-1"}`)
	c := &cobra.Command{}
	c.SetIn(strings.NewReader("yes\n"))
	if err := confirmReset(c, home, false); !errors.Is(err, ErrResetNotConfirmed) || !strings.Contains(err.Error(), "--yes") {
		t.Fatalf("non-terminal without --yes: %v", err)
	}
	if err := confirmReset(c, home, true); err != nil {
		t.Fatalf("with --yes: %v", err)
	}
}
