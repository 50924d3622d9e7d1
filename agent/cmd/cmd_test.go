package cmd

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestRunConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	chain := "home: " + dir + "\nkey: bob\nnetuid: 1\n"
	cases := []struct {
		name    string
		cmd     func() *cobra.Command
		args    []string
		wantErr string
	}{
		{"miner without --config", MinerCommand, []string{"run"}, "--config is required"},
		{"miner without model", MinerCommand, []string{"run", "--config", write("m.yaml", chain)}, "model is required"},
		{"miner unknown field", MinerCommand, []string{"run", "--config", write("m2.yaml", chain+"modle: x\n")}, "modle"},
		{"miner missing model dir", MinerCommand, []string{"run", "--config", write("m3.yaml", chain+"model: "+dir+"/none\n")}, "train one with"},
		{"validator without data", ValidatorCommand, []string{"run", "--config", write("v.yaml", chain)}, "data is required"},
		{"validator unknown task", ValidatorCommand, []string{"run", "--config", write("v2.yaml", chain+"data: x\ntask: poetry\n")}, "unknown task"},
		{"gateway without netuid", GatewayCommand, []string{"run", "--config", write("g.yaml", "home: /h\nkey: k\n")}, "netuid is required"},
		{"missing file", GatewayCommand, []string{"run", "--config", filepath.Join(dir, "nope.yaml")}, "no such file"},
		{"provider unknown field", ProviderCommand, []string{"run", "--config", write("p.yaml", "chian: {}\n")}, "chian"},
		{"solver without --config", SolverCommand, []string{"run"}, "--config is required"},
		{"solver without state_dir", SolverCommand, []string{"run", "--config", write("s.yaml", "chain: {home: /h, key: k}\n")}, "state_dir is required"},
		{"auditor without blob_sources", AuditorCommand, []string{"run", "--config", write("a.yaml", "chain: {home: /h, key: k}\nstate_dir: s\n")}, "blob_sources is required"},
		{"provider missing file", ProviderCommand, []string{"run", "--config", filepath.Join(dir, "nope.yaml")}, "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cmd()
			c.SetArgs(tc.args)
			c.SetOut(io.Discard)
			c.SetErr(io.Discard)
			err := c.Execute()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.wantErr)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	var names []string
	for _, c := range Commands() {
		names = append(names, c.Name())
		if c.Name() == "deploy" || c.Name() == "lease" {
			continue
		}
		run, _, err := c.Find([]string{"run"})
		if err != nil || run.Name() != "run" || run.Flags().Lookup("config") == nil {
			t.Errorf("%s has no run --config: %v", c.Name(), err)
		}
	}
	if got := strings.Join(names, " "); got != "provider deploy lease miner validator gateway solver auditor" {
		t.Fatalf("commands %q", got)
	}
}

func TestHomeOverride(t *testing.T) {
	p := filepath.Join(t.TempDir(), "g.yaml")
	if err := os.WriteFile(p, []byte("key: k\nnetuid: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Without --home the config has none; with it, the error moves past home
	// to the keyring of the given (empty) home.
	c := GatewayCommand()
	c.PersistentFlags().String("home", "", "")
	c.SetArgs([]string{"run", "--config", p})
	c.SetOut(io.Discard)
	c.SetErr(io.Discard)
	if err := c.Execute(); err == nil || !strings.Contains(err.Error(), "home is required") {
		t.Fatalf("without --home: %v", err)
	}
	c = GatewayCommand()
	c.PersistentFlags().String("home", "", "")
	c.SetArgs([]string{"run", "--config", p, "--home", t.TempDir()})
	c.SetOut(io.Discard)
	c.SetErr(io.Discard)
	if err := c.Execute(); err == nil || strings.Contains(err.Error(), "home is required") {
		t.Fatalf("with --home: %v", err)
	}
}
