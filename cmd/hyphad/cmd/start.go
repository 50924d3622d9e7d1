package cmd

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/server"
	sdk "github.com/cosmos/cosmos-sdk/types"
	genutiltypes "github.com/cosmos/cosmos-sdk/x/genutil/types"

	"github.com/hypha-network/hypha/app"
)

// FlagAllowZeroGasPrices lets `hyphad start` run with zero minimum gas prices.
const FlagAllowZeroGasPrices = "allow-zero-gas-prices"

// ErrZeroGasPrices means the node was about to start with zero minimum gas prices.
var ErrZeroGasPrices = errors.New("zero minimum gas prices")

// CheckMinGasPrices returns ErrZeroGasPrices, naming the app.toml setting and
// the opt-out flag, when prices (app.toml minimum-gas-prices) is empty or all
// zero and allow is false. A node that charges nothing for gas lets anyone fill
// its mempool and blocks for free.
func CheckMinGasPrices(prices string, allow bool) error {
	coins, err := sdk.ParseDecCoins(prices)
	if err != nil {
		return fmt.Errorf("app.toml %s = %q: %w", server.FlagMinGasPrices, prices, err)
	}
	if allow || !coins.IsZero() {
		return nil
	}
	return fmt.Errorf("%w: app.toml %s is %q: set it (for example %s = \"0.025%s\" in HOME/config/app.toml, "+
		"or --%s 0.025%s), or pass --%s to run a node that accepts transactions without fees "+
		"(for local testing only; `hyphad devnet` does this)",
		ErrZeroGasPrices, server.FlagMinGasPrices, prices, server.FlagMinGasPrices, app.BondDenom,
		server.FlagMinGasPrices, app.BondDenom, FlagAllowZeroGasPrices)
}

// addStartFlags adds Hypha's flags to a start command (StartCmdOptions.AddFlags).
func addStartFlags(cmd *cobra.Command) {
	cmd.Flags().Bool(FlagAllowZeroGasPrices, false,
		"Start even though minimum-gas-prices is empty or zero (local testing only: fees are what keep spam out)")
}

// guardStart makes start refuse zero minimum gas prices unless --allow-zero-gas-prices.
func guardStart(start *cobra.Command) {
	run := start.RunE
	start.RunE = func(cmd *cobra.Command, args []string) error {
		allow, _ := cmd.Flags().GetBool(FlagAllowZeroGasPrices)
		prices := server.GetServerContextFromCmd(cmd).Viper.GetString(server.FlagMinGasPrices)
		if err := CheckMinGasPrices(prices, allow); err != nil {
			return err
		}
		return run(cmd, args)
	}
}

// withConsensusDefaults makes `hyphad init` write Hypha's consensus params
// (app.DefaultConsensusParams: the block gas limit) into the new genesis.
func withConsensusDefaults(initCmd *cobra.Command) *cobra.Command {
	run := initCmd.RunE
	initCmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := run(cmd, args); err != nil {
			return err
		}
		path := server.GetServerContextFromCmd(cmd).Config.GenesisFile()
		return SetGenesisConsensusDefaults(path)
	}
	return initCmd
}

// SetGenesisConsensusDefaults sets the block gas limit of the genesis file at
// path to app.BlockMaxGas (CometBFT's default is -1, unlimited).
func SetGenesisConsensusDefaults(path string) error {
	gen, err := genutiltypes.AppGenesisFromFile(path)
	if err != nil {
		return fmt.Errorf("read genesis: %w", err)
	}
	if gen.Consensus == nil || gen.Consensus.Params == nil {
		gen.Consensus = &genutiltypes.ConsensusGenesis{Params: app.DefaultConsensusParams()}
	}
	gen.Consensus.Params.Block.MaxGas = app.BlockMaxGas
	if err := gen.ValidateAndComplete(); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	return gen.SaveAs(path)
}

// findCommand returns root's direct subcommand called name, or nil.
func findCommand(root *cobra.Command, name string) *cobra.Command {
	for _, c := range root.Commands() {
		if c.Name() == name {
			return c
		}
	}
	return nil
}
