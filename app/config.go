package app

import (
	serverconfig "github.com/cosmos/cosmos-sdk/server/config"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

const (
	// Name is the application name reported over ABCI.
	Name = "hypha"

	// AccountAddressPrefix is the bech32 human-readable part of account addresses.
	AccountAddressPrefix = "hypha"

	// BondDenom is the base staking, fee and payment denomination (10^6 uhyp = 1 HYP).
	BondDenom = "uhyp"

	// DisplayDenom is the human-facing denomination.
	DisplayDenom = "HYP"

	// DisplayExponent is the power of ten between BondDenom and DisplayDenom.
	DisplayExponent = 6
)

func init() {
	// The SDK keeps address prefixes and the default bond denom in process-wide
	// globals; every entry point (node, CLI, tests) links this package, so setting
	// them here keeps them consistent everywhere.
	SetAddressPrefixes(sdk.GetConfig())
	sdk.DefaultBondDenom = BondDenom
}

// SetAddressPrefixes configures the bech32 prefixes for accounts, validators and
// consensus nodes on cfg. It is a no-op on a sealed config that already carries them.
func SetAddressPrefixes(cfg *sdk.Config) {
	if cfg.GetBech32AccountAddrPrefix() == AccountAddressPrefix {
		return
	}
	cfg.SetBech32PrefixForAccount(AccountAddressPrefix, AccountAddressPrefix+sdk.PrefixPublic)
	cfg.SetBech32PrefixForValidator(AccountAddressPrefix+sdk.PrefixValidator+sdk.PrefixOperator,
		AccountAddressPrefix+sdk.PrefixValidator+sdk.PrefixOperator+sdk.PrefixPublic)
	cfg.SetBech32PrefixForConsensusNode(AccountAddressPrefix+sdk.PrefixValidator+sdk.PrefixConsensus,
		AccountAddressPrefix+sdk.PrefixValidator+sdk.PrefixConsensus+sdk.PrefixPublic)
}

// Config is a node's app.toml: the SDK's settings plus Hypha's [hypha] section.
type Config struct {
	serverconfig.Config `mapstructure:",squash"`

	Hypha NodeConfig `mapstructure:"hypha"`
}

// NodeConfig holds Hypha's node-local settings (app.toml section [hypha]).
type NodeConfig struct {
	// InvariantCheckPeriod is how many blocks pass between two runtime
	// invariant checks (the first block after start is always checked);
	// 0 turns the checks off. See InvariantRegistry.
	InvariantCheckPeriod uint64 `mapstructure:"invariant-check-period"`
}

// ConfigTemplate is the app.toml template: the SDK's with the [hypha] section.
const ConfigTemplate = serverconfig.DefaultConfigTemplate + `
###############################################################################
###                               Hypha                                     ###
###############################################################################

[hypha]

# Check the registered invariants (market escrow and bonds, subnet module
# account, bank total supply) in the first block after start and then every
# this many blocks. A broken invariant halts the node: the block is not
# committed. 0 turns the checks off. The checks only read state, so nodes may
# use different values.
invariant-check-period = {{ .Hypha.InvariantCheckPeriod }}
`

// DefaultConfig returns the node's app.toml defaults: DefaultServerConfig and
// an invariant check every DefaultInvariantCheckPeriod blocks.
func DefaultConfig() *Config {
	return &Config{Config: *DefaultServerConfig(), Hypha: NodeConfig{InvariantCheckPeriod: DefaultInvariantCheckPeriod}}
}

// DefaultServerConfig returns the SDK part of the node's app.toml defaults: the
// SDK's, with a zero minimum gas price in uhyp. `hyphad start` refuses to run
// with zero gas prices unless --allow-zero-gas-prices is given (the devnet
// passes it), so operators of real nodes must set minimum-gas-prices.
func DefaultServerConfig() *serverconfig.Config {
	cfg := serverconfig.DefaultConfig()
	cfg.MinGasPrices = "0" + BondDenom
	return cfg
}
