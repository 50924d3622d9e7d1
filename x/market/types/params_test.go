package types_test

import (
	"errors"
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/market/types"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func TestDefaultParamsValid(t *testing.T) {
	if err := types.DefaultParams().Validate(); err != nil {
		t.Fatal(err)
	}
	if err := types.DefaultGenesis().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(p *types.Params){
		func(p *types.Params) { p.TakeRate = sdkmath.LegacyOneDec() },
		func(p *types.Params) { p.TakeRate = sdkmath.LegacyNewDec(-1) },
		func(p *types.Params) { p.FaultSlashFraction = sdkmath.LegacyNewDec(2) },
		func(p *types.Params) { p.BidWindowMin = 0 },
		func(p *types.Params) { p.BidWindowDefault = p.BidWindowMax + 1 },
		func(p *types.Params) { p.OrderTtl = p.BidWindowMax },
		func(p *types.Params) { p.MaxBidsPerOrder = 0 },
		func(p *types.Params) { p.HeartbeatInterval = 0 },
		func(p *types.Params) { p.MinDeposit.Denom = "uatom" },
		func(p *types.Params) { p.UnbondingPeriod = -1 },
		func(p *types.Params) { p.MinThirdPartyDeposit.Denom = "uatom" },
		func(p *types.Params) { p.MinThirdPartyDeposit.Amount = sdkmath.NewInt(-1) },
		func(p *types.Params) { p.MinThirdPartyDeposit = sdk.Coin{} }, // unset (nil amount)
	}
	for i, mut := range bad {
		p := types.DefaultParams()
		mut(&p)
		if err := p.Validate(); !errors.Is(err, types.ErrInvalidParams) {
			t.Errorf("case %d: %v", i, err)
		}
	}
}
