// Package cmd assembles the hyphad command tree: node, client, devnet and agents.
package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"cosmossdk.io/log"
	cmtcfg "github.com/cometbft/cometbft/config"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/config"
	"github.com/cosmos/cosmos-sdk/client/debug"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/keys"
	"github.com/cosmos/cosmos-sdk/client/pruning"
	"github.com/cosmos/cosmos-sdk/client/rpc"
	"github.com/cosmos/cosmos-sdk/client/snapshot"
	"github.com/cosmos/cosmos-sdk/server"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authcmd "github.com/cosmos/cosmos-sdk/x/auth/client/cli"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	genutilcli "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"

	agentcmd "github.com/hypha-network/hypha/agent/cmd"
	"github.com/hypha-network/hypha/app"
	"github.com/hypha-network/hypha/blob/blobcli"
	"github.com/hypha-network/hypha/index/indexcli"
	"github.com/hypha-network/hypha/ml/mlcli"
	"github.com/hypha-network/hypha/web/explorercli"
	jobscli "github.com/hypha-network/hypha/x/jobs/client/cli"
	yumasim "github.com/hypha-network/hypha/x/subnet/yuma/sim"
	"github.com/hypha-network/hypha/zk/zkcli"
)

// NewRootCmd returns the hyphad root command with every subcommand attached.
func NewRootCmd() *cobra.Command {
	publishVersion(BuildVersion())
	// A throwaway app instance provides the codecs and module basics the CLI needs.
	tempHome, err := os.MkdirTemp("", "hyphad-cli")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tempHome)
	tempApp := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.NewAppOptionsWithFlagHome(tempHome))
	enc := tempApp.EncodingConfig()

	initClientCtx := client.Context{}.
		WithCodec(enc.Codec).
		WithInterfaceRegistry(enc.InterfaceRegistry).
		WithTxConfig(enc.TxConfig).
		WithLegacyAmino(enc.Amino).
		WithInput(os.Stdin).
		WithAccountRetriever(authtypes.AccountRetriever{}).
		WithHomeDir(app.DefaultNodeHome).
		WithViper("HYPHAD")

	rootCmd := &cobra.Command{
		Use:           "hyphad",
		Short:         "Hypha: an open network for AI work (node, client and agents)",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			cmd.SetOut(cmd.OutOrStdout())
			cmd.SetErr(cmd.ErrOrStderr())
			clientCtx, err := readClientContext(cmd, initClientCtx)
			if err != nil {
				return err
			}
			if err := client.SetCmdClientContextHandler(clientCtx, cmd); err != nil {
				return err
			}
			appTemplate, appConfig := AppConfig()
			return server.InterceptConfigsPreRunHandler(cmd, appTemplate, appConfig, CometConfig())
		},
	}

	sdk.GetConfig().Seal()
	basics := tempApp.BasicModuleManager
	rootCmd.AddCommand(
		withConsensusDefaults(genutilcli.InitCmd(basics, app.DefaultNodeHome)),
		debug.Cmd(),
		pruning.Cmd(newApp, app.DefaultNodeHome),
		snapshot.Cmd(newApp),
		newDevnetCmd(initClientCtx, enc, basics),
		offline(mlcli.NewCommand()),
		offline(subnetCommand()),
		offline(zkcli.NewCommand()),
		blobcli.NewCommand(app.DefaultNodeHome),
	)
	rootCmd.AddCommand(agentcmd.Commands()...)
	rootCmd.AddCommand(offline(indexcli.IndexCommand()), offline(indexcli.SQLCommand()))
	rootCmd.AddCommand(jobscli.JobCommand()) // `hyphad job submit|status|list|…`, the jobs lifecycle in one place
	rootCmd.AddCommand(offline(explorercli.Command()))
	server.AddCommandsWithStartCmdOptions(rootCmd, app.DefaultNodeHome, newApp, appExport,
		server.StartCmdOptions{AddFlags: addStartFlags})
	guardStart(findCommand(rootCmd, "start"))
	replaceCommand(rootCmd, versionCommand())
	rootCmd.AddCommand(
		server.StatusCommand(),
		genutilcli.Commands(enc.TxConfig, basics, app.DefaultNodeHome),
		queryCommand(),
		txCommand(),
		keys.Commands(),
	)

	autoCliOpts := tempApp.AutoCliOpts()
	autoCliOpts.ClientCtx = initClientCtx
	if err := autoCliOpts.EnhanceRootCommand(rootCmd); err != nil {
		panic(err)
	}
	for _, c := range rootCmd.Commands() {
		if c.Name() == "tx" || c.Name() == "job" {
			simulateByDefault(c)
		}
	}
	unifyOutputFlags(rootCmd)
	return rootCmd
}

// simulateByDefault makes --gas default to "auto" in every transaction
// command under cmd: the transaction is simulated first, so one the chain
// would refuse (an unknown denom, too little balance) fails with the chain's
// error before it is signed, instead of being broadcast, reported as
// "code: 0", and failing in the block.
func simulateByDefault(cmd *cobra.Command) {
	// The SDK registers --gas with an empty default that means 200000.
	if f := cmd.Flags().Lookup(flags.FlagGas); f != nil && f.DefValue == "" {
		f.DefValue = flags.GasFlagAuto
		_ = f.Value.Set(flags.GasFlagAuto)
		f.Usage = strings.Replace(f.Usage, fmt.Sprintf(" (default %d)", flags.DefaultGasLimit), "", 1)
		// Execution can use a little more gas than the simulation did.
		if a := cmd.Flags().Lookup(flags.FlagGasAdjustment); a != nil {
			a.DefValue = "1.5"
			_ = a.Value.Set("1.5")
		}
	}
	for _, c := range cmd.Commands() {
		simulateByDefault(c)
	}
}

// replaceCommand swaps root's subcommand of the same name for cmd.
func replaceCommand(root, cmd *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Name() == cmd.Name() {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(cmd)
}

// readClientContext applies the persistent flags and the home's client.toml to ctx.
func readClientContext(cmd *cobra.Command, ctx client.Context) (client.Context, error) {
	ctx = ctx.WithCmdContext(cmd.Context())
	ctx, err := client.ReadPersistentCommandFlags(ctx, cmd.Flags())
	if err != nil {
		return ctx, err
	}
	return config.ReadFromClientConfig(ctx)
}

// offline marks a command group that needs no node home or client config, so the
// root's config interception (which writes default config files) is skipped.
func offline(cmd *cobra.Command) *cobra.Command {
	cmd.PersistentPreRunE = func(*cobra.Command, []string) error { return nil }
	return cmd
}

// subnetCommand groups the off-chain subnet tools.
func subnetCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "subnet",
		Short: "Subnet tools: the Yuma consensus simulator",
		RunE:  client.ValidateCmd,
	}
	cmd.AddCommand(yumasim.NewSimCommand())
	return cmd
}

func queryCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "query",
		Aliases:                    []string{"q"},
		Short:                      "Querying subcommands",
		DisableFlagParsing:         false,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		rpc.WaitTxCmd(),
		rpc.ValidatorCommand(),
		server.QueryBlockCmd(),
		server.QueryBlocksCmd(),
		server.QueryBlockResultsCmd(),
		authcmd.QueryTxsByEventsCmd(),
		authcmd.QueryTxCmd(),
	)
	return cmd
}

func txCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:                        "tx",
		Short:                      "Transactions subcommands",
		DisableFlagParsing:         false,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(
		authcmd.GetSignCommand(),
		authcmd.GetSignBatchCommand(),
		authcmd.GetMultiSignCommand(),
		authcmd.GetMultiSignBatchCmd(),
		authcmd.GetValidateSignaturesCommand(),
		authcmd.GetBroadcastCommand(),
		authcmd.GetEncodeCommand(),
		authcmd.GetDecodeCommand(),
		authcmd.GetSimulateCmd(),
	)
	return cmd
}

// AppConfig returns the app.toml template and defaults (see app.DefaultConfig).
func AppConfig() (string, any) {
	return app.ConfigTemplate, app.DefaultConfig()
}

// CometConfig returns the CometBFT defaults for a Hypha node, with Hypha's
// mempool limits (app.SetMempoolLimits).
func CometConfig() *cmtcfg.Config {
	cfg := cmtcfg.DefaultConfig()
	app.SetMempoolLimits(cfg)
	return cfg
}

func newApp(logger log.Logger, db dbm.DB, traceStore io.Writer, appOpts servertypes.AppOptions) servertypes.Application {
	return app.New(logger, db, traceStore, true, appOpts, server.DefaultBaseappOptions(appOpts)...)
}

func appExport(
	logger log.Logger, db dbm.DB, traceStore io.Writer, height int64, forZeroHeight bool,
	jailAllowedAddrs []string, appOpts servertypes.AppOptions, modulesToExport []string,
) (servertypes.ExportedApp, error) {
	viperAppOpts, ok := appOpts.(*viper.Viper)
	if !ok {
		return servertypes.ExportedApp{}, errors.New("appOpts is not a viper.Viper")
	}
	// Exporting reads state only: never let it run upgrades or mutate the latest version.
	viperAppOpts.Set(server.FlagInvCheckPeriod, 1)
	hyphaApp := app.New(logger, db, traceStore, height == -1, viperAppOpts)
	if height != -1 {
		if err := hyphaApp.LoadHeight(height); err != nil {
			return servertypes.ExportedApp{}, err
		}
	}
	return hyphaApp.ExportAppStateAndValidators(forZeroHeight, jailAllowedAddrs, modulesToExport)
}
