package cmd

import (
	"bytes"
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/hypha-network/hypha", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "github.com/cosmos/cosmos-sdk", Version: "v0.53.8"},
			{Path: "github.com/cometbft/cometbft", Version: "v0.38.23"},
		},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "8fbf0fd812d6db60599e5d763afa164a953e6dfa"}, {Key: "vcs.modified", Value: "true"}},
	}
	got := resolveVersion(bi, "", "")
	want := VersionInfo{Name: "hyphad", Version: "devel-8fbf0fd812d6-dirty", Commit: "8fbf0fd812d6db60599e5d763afa164a953e6dfa",
		GoVersion: "go1.26.8", CosmosSDK: "v0.53.8", CometBFT: "v0.38.23"}
	if got != want {
		t.Fatalf("from VCS info:\n got %+v\nwant %+v", got, want)
	}
	bi.Main.Version = "v0.2.0"
	if got := resolveVersion(bi, "", ""); got.Version != "v0.2.0" {
		t.Fatalf("module version: got %q, want v0.2.0", got.Version)
	}
	if got := resolveVersion(bi, "v0.3.0-4-gabc", "abc"); got.Version != "v0.3.0-4-gabc" || got.Commit != "abc" {
		t.Fatalf("ldflags: got %+v", got)
	}
	if got := resolveVersion(nil, "", ""); got.Version != "devel" {
		t.Fatalf("no build info: got %q, want devel", got.Version)
	}
}

func TestVersionCommandPrintsVersion(t *testing.T) {
	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		c := versionCommand()
		c.SetOut(&out)
		c.SetArgs(args)
		if err := c.Execute(); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	want := BuildVersion()
	if got := strings.TrimSpace(run()); got == "" || got != want.Version {
		t.Fatalf("version printed %q, want %q", got, want.Version)
	}
	long := run("--long")
	// A test binary's build info lists no dependencies, so only the keys are
	// checked here; TestResolveVersion checks the values.
	for _, s := range []string{"version: " + want.Version, "commit:", "go: " + want.GoVersion, "cosmos-sdk:", "cometbft:"} {
		if !strings.Contains(long, s) {
			t.Fatalf("--long output lacks %q:\n%s", s, long)
		}
	}
	var info VersionInfo
	if err := json.Unmarshal([]byte(run("-o", "json")), &info); err != nil || info != want {
		t.Fatalf("-o json = %+v, %v; want %+v", info, err, want)
	}
	// The tree's version command is this one, not the SDK's empty one.
	if c := find(t, "version"); c.Flags().Lookup("long") == nil || !strings.Contains(c.Short, "Cosmos SDK") {
		t.Fatal("hyphad version is not the Hypha version command")
	}
}
