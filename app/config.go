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

// DefaultServerConfig returns the node's app.toml defaults: the SDK's, with a zero
// minimum gas price in uhyp so that a fresh node accepts transactions without
// further configuration. Operators of public nodes should raise it.
func DefaultServerConfig() *serverconfig.Config {
	cfg := serverconfig.DefaultConfig()
	cfg.MinGasPrices = "0" + BondDenom
	return cfg
}
