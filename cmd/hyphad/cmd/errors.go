package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	dkeyring "github.com/99designs/keyring"
	cmtcli "github.com/cometbft/cometbft/libs/cli"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/hypha-network/hypha/app"
)

// Execute runs the hyphad root command and prints a failure once, on stderr,
// through FormatError. It returns the process exit code.
func Execute(root *cobra.Command) int {
	// As svrcmd.Execute, but keeping the context: the client context the root's
	// pre-run stores in it tells FormatError which home and keyring were used.
	ctx := svrcmd.CreateExecuteContext(context.Background())
	root.PersistentFlags().String(flags.FlagLogLevel, zerolog.InfoLevel.String(), "The logging level (trace|debug|info|warn|error|fatal|panic|disabled or '*:<level>,<key>:<level>')")
	root.PersistentFlags().String(flags.FlagLogFormat, "plain", "The logging format (json|plain)")
	root.PersistentFlags().Bool(flags.FlagLogNoColor, false, "Disable colored logs")
	cmtcli.PrepareBaseCmd(root, "HYPHAD", app.DefaultNodeHome)
	ran, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	ec := ErrorContext{}
	if cctx, ok := ctx.Value(client.ClientContextKey).(*client.Context); ok && cctx != nil {
		ec.Home = cctx.HomeDir
		ec.KeyringDir = cctx.KeyringDir
		if cctx.Keyring != nil {
			ec.KeyringBackend = cctx.Keyring.Backend()
		}
	}
	if ran != nil {
		if f := ran.Flags().Lookup(flags.FlagFrom); f != nil {
			ec.From = f.Value.String()
		}
		if f := ran.Flags().Lookup(flags.FlagHome); f != nil && f.Changed {
			ec.Home = f.Value.String()
		}
	}
	fmt.Fprintln(os.Stderr, "Error:", FormatError(err, ec))
	return 1
}

// ErrorContext is what FormatError knows about the command that failed.
type ErrorContext struct {
	Home           string // the --home in effect
	KeyringDir     string // where the keyring lives (default: Home)
	KeyringBackend string // e.g. "test"
	From           string // the --from flag, if the command has one
}

var (
	// sourcePath matches the " [path/file.go:123]" that cosmossdk.io/errors adds.
	sourcePath = regexp.MustCompile(`\s*\[[^\]\s]+\.go:\d+\]`)
	// grpcPrefix matches the prefix a gRPC status error adds at each hop.
	grpcPrefix = regexp.MustCompile(`rpc error: code = \w+ desc = `)
	// simulateNoise matches what the SDK's tx service wraps around a message
	// that failed in simulation: a prefix and the gas used, then "unknown request".
	simulateNoise = regexp.MustCompile(`^failed to execute message; |\s*with gas used: '\d+'(: unknown request)?$`)
	// keyByName and keyByAddr find the key a keyring lookup failed on.
	keyByName = regexp.MustCompile(`([^\s:]+)\.info: key not found`)
	keyByAddr = regexp.MustCompile(`key with address (\S+) not found`)
)

// FormatError turns err into the one message the user reads: without source
// paths or repeated "rpc error" prefixes, and, for a key missing from the
// keyring, with where hyphad looked and how to fix it.
func FormatError(err error, ec ErrorContext) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if errors.Is(err, sdkerrors.ErrKeyNotFound) || errors.Is(err, dkeyring.ErrKeyNotFound) || strings.Contains(msg, ".info: key not found") {
		return keyNotFound(msg, ec)
	}
	msg = sourcePath.ReplaceAllString(msg, "")
	msg = grpcPrefix.ReplaceAllString(msg, "")
	msg = simulateNoise.ReplaceAllString(msg, "")
	return msg
}

func keyNotFound(msg string, ec ErrorContext) string {
	name := ec.From
	if m := keyByName.FindStringSubmatch(msg); m != nil {
		name = m[1]
	} else if m := keyByAddr.FindStringSubmatch(msg); m != nil {
		name = m[1]
	}
	dir := ec.KeyringDir
	if dir == "" {
		dir = ec.Home
	}
	home := ec.Home
	if home == "" {
		home = dir
	}
	backend := ec.KeyringBackend
	if backend == "" {
		backend = "unknown"
	}
	where := dir
	if abs, err := filepath.Abs(dir); err == nil && dir != "" {
		where = abs
	}
	return fmt.Sprintf("key %q not found in %s (backend %s); list keys with `hyphad keys list --home %s` or pass --home",
		name, where, backend, home)
}
