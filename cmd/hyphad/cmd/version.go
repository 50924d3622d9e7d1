package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	cmtversion "github.com/cometbft/cometbft/version"
	sdkversion "github.com/cosmos/cosmos-sdk/version"
	"github.com/spf13/cobra"
)

// The -o/--output flag and its values, shared by the commands that print results.
const (
	flagOutput = "output"
	outputJSON = "json"
	outputText = "text"
)

// Version and Commit are set at link time by `make build`:
//
//	-X github.com/hypha-network/hypha/cmd/hyphad/cmd.Version=$(git describe --tags --always --dirty)
//	-X github.com/hypha-network/hypha/cmd/hyphad/cmd.Commit=$(git rev-parse HEAD)
//
// When they are empty (go build, go run, go install) the version comes from the
// binary's build info instead.
var (
	Version = ""
	Commit  = ""
)

// VersionInfo is what `hyphad version --long` and `-o json` print.
type VersionInfo struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"go"`
	CosmosSDK string `json:"cosmos_sdk"`
	CometBFT  string `json:"cometbft"`
}

// BuildVersion returns this binary's version information.
func BuildVersion() VersionInfo {
	bi, _ := debug.ReadBuildInfo()
	return resolveVersion(bi, Version, Commit)
}

// resolveVersion picks the version from, in order: the -X variable, the main
// module's version (which go build derives from the VCS tag or commit), and
// "devel" plus the VCS revision. bi may be nil.
func resolveVersion(bi *debug.BuildInfo, ldVersion, ldCommit string) VersionInfo {
	info := VersionInfo{
		Name: "hyphad", Version: ldVersion, Commit: ldCommit,
		GoVersion: runtime.Version(), CosmosSDK: "unknown",
		// CometBFT's own idea of its version, for when the build info has no deps.
		CometBFT: cmtversion.TMCoreSemVer,
	}
	if bi == nil {
		if info.Version == "" {
			info.Version = "devel"
		}
		return info
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	var revision string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if info.Commit == "" {
		info.Commit = revision
	}
	if info.Version == "" {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			info.Version = v
		} else {
			info.Version = "devel"
			if revision != "" {
				info.Version += "-" + shortRev(revision)
				if dirty {
					info.Version += "-dirty"
				}
			}
		}
	}
	for _, dep := range bi.Deps {
		v := dep.Version
		if dep.Replace != nil && dep.Replace.Version != "" {
			v = dep.Replace.Version
		}
		switch dep.Path {
		case "github.com/cosmos/cosmos-sdk":
			info.CosmosSDK = v
		case "github.com/cometbft/cometbft":
			info.CometBFT = v
		}
	}
	return info
}

func shortRev(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// publishVersion hands the version to the SDK's version package, which the node
// reports in its ABCI info and `hyphad status`.
func publishVersion(info VersionInfo) {
	sdkversion.Name = "hypha"
	sdkversion.AppName = info.Name
	sdkversion.Version = info.Version
	sdkversion.Commit = info.Commit
}

// versionCommand replaces the SDK's `version` command, which printed an empty
// line when the binary was built without its -X flags.
func versionCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print hyphad's version (--long or -o json: commit, Go, Cosmos SDK and CometBFT versions)",
		Args:  cobra.NoArgs,
		// Needs no home: skip the root's config interception.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, _ []string) error {
			long, _ := cmd.Flags().GetBool("long")
			output, _ := cmd.Flags().GetString(flagOutput)
			return printVersion(cmd.OutOrStdout(), BuildVersion(), long, output)
		},
	}
	cmd.Flags().Bool("long", false, "Print the commit and the Go, Cosmos SDK and CometBFT versions too")
	cmd.Flags().StringP(flagOutput, "o", outputText, "Output format (text|json)")
	return cmd
}

func printVersion(w io.Writer, info VersionInfo, long bool, output string) error {
	switch strings.ToLower(output) {
	case outputJSON:
		bz, err := json.Marshal(info)
		if err != nil {
			return fmt.Errorf("encode version: %w", err)
		}
		_, err = fmt.Fprintln(w, string(bz))
		return err
	case outputText, "":
	default:
		return fmt.Errorf("invalid --output %q: use text or json", output)
	}
	if !long {
		_, err := fmt.Fprintln(w, info.Version)
		return err
	}
	_, err := fmt.Fprintf(w, "name: %s\nversion: %s\ncommit: %s\ngo: %s\ncosmos-sdk: %s\ncometbft: %s\n",
		info.Name, info.Version, info.Commit, info.GoVersion, info.CosmosSDK, info.CometBFT)
	return err
}
