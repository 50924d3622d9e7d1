package app

import (
	"encoding/json"
	"fmt"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

// GenesisState is the app state at genesis, keyed by module name.
type GenesisState map[string]json.RawMessage

// DefaultGenesis returns every module's default genesis with HYP as the staking,
// deposit and display denomination.
func DefaultGenesis(cdc codec.JSONCodec, basics module.BasicManager) GenesisState {
	gen := GenesisState(basics.DefaultGenesis(cdc))

	var staking stakingtypes.GenesisState
	var gov govv1.GenesisState
	var bank banktypes.GenesisState
	for _, u := range []struct {
		module string
		msg    codec.ProtoMarshaler
		fn     func() error
	}{
		{stakingtypes.ModuleName, &staking, func() error { staking.Params.BondDenom = BondDenom; return nil }},
		{govtypes.ModuleName, &gov, func() error {
			// 10 HYP to open a proposal, 50 HYP for an expedited one.
			gov.Params.MinDeposit = sdk.NewCoins(sdk.NewCoin(BondDenom, sdkmath.NewInt(10_000_000)))
			gov.Params.ExpeditedMinDeposit = sdk.NewCoins(sdk.NewCoin(BondDenom, sdkmath.NewInt(50_000_000)))
			return nil
		}},
		{banktypes.ModuleName, &bank, func() error {
			bank.DenomMetadata = []banktypes.Metadata{DenomMetadata()}
			return nil
		}},
	} {
		if err := gen.Update(cdc, u.module, u.msg, u.fn); err != nil {
			panic(err) // the SDK's own defaults always decode
		}
	}
	return gen
}

// DenomMetadata describes HYP and its base unit uhyp for wallets and explorers.
func DenomMetadata() banktypes.Metadata {
	return banktypes.Metadata{
		Description: "The native token of the Hypha network.",
		DenomUnits: []*banktypes.DenomUnit{
			{Denom: BondDenom, Exponent: 0, Aliases: []string{"microhyp"}},
			{Denom: "mhyp", Exponent: 3, Aliases: []string{"millihyp"}},
			{Denom: DisplayDenom, Exponent: DisplayExponent},
		},
		Base:    BondDenom,
		Display: DisplayDenom,
		Name:    "Hypha",
		Symbol:  DisplayDenom,
	}
}

// Update decodes the genesis of one module into msg, applies fn and encodes it back.
func (g GenesisState) Update(cdc codec.JSONCodec, moduleName string, msg codec.ProtoMarshaler, fn func() error) error {
	raw, ok := g[moduleName]
	if !ok {
		return fmt.Errorf("genesis has no %q module state", moduleName)
	}
	if err := cdc.UnmarshalJSON(raw, msg); err != nil {
		return fmt.Errorf("decode %s genesis: %w", moduleName, err)
	}
	if err := fn(); err != nil {
		return fmt.Errorf("update %s genesis: %w", moduleName, err)
	}
	bz, err := cdc.MarshalJSON(msg)
	if err != nil {
		return fmt.Errorf("encode %s genesis: %w", moduleName, err)
	}
	g[moduleName] = bz
	return nil
}
