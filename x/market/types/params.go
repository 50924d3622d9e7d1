package types

import (
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultDenom is the payment denomination (10^6 uhyp = 1 HYP).
const DefaultDenom = "uhyp"

// Default parameter values; docs/market.md explains each.
var (
	DefaultMinProviderBond    = sdkmath.NewInt(1_000_000_000) // 1,000 HYP
	DefaultMinDeposit         = sdkmath.NewInt(5_000_000)     // 5 HYP
	DefaultBidDeposit         = sdkmath.NewInt(1_000_000)     // 1 HYP
	DefaultBidWindow          = int64(10)
	DefaultBidWindowMin       = int64(2)
	DefaultBidWindowMax       = int64(600)
	DefaultOrderTTL           = int64(14_400)
	DefaultMaxBidsPerOrder    = uint32(20)
	DefaultTakeRate           = sdkmath.LegacyNewDecWithPrec(2, 2) // 2%
	DefaultHeartbeatInterval  = int64(100)
	DefaultFaultSlashFraction = sdkmath.LegacyNewDecWithPrec(5, 2) // 5%
	DefaultUnbondingPeriod    = int64(100_800)
	// DefaultMinThirdPartyDeposit: filling the 15 third-party depositor slots
	// locks at least 15 HYP, and a dust deposit is refused outright.
	DefaultMinThirdPartyDeposit = sdkmath.NewInt(1_000_000) // 1 HYP
	maxBidsPerOrderUpperBound   = uint32(1000)
	maxBlocksParam              = int64(100_000_000)
)

// DefaultParams returns the default market parameters.
func DefaultParams() Params {
	return Params{
		Denom:              DefaultDenom,
		MinProviderBond:    sdk.NewCoin(DefaultDenom, DefaultMinProviderBond),
		MinDeposit:         sdk.NewCoin(DefaultDenom, DefaultMinDeposit),
		BidDeposit:         sdk.NewCoin(DefaultDenom, DefaultBidDeposit),
		BidWindowDefault:   DefaultBidWindow,
		BidWindowMin:       DefaultBidWindowMin,
		BidWindowMax:       DefaultBidWindowMax,
		OrderTtl:           DefaultOrderTTL,
		MaxBidsPerOrder:    DefaultMaxBidsPerOrder,
		TakeRate:           DefaultTakeRate,
		HeartbeatInterval:  DefaultHeartbeatInterval,
		FaultSlashFraction: DefaultFaultSlashFraction,
		UnbondingPeriod:    DefaultUnbondingPeriod,

		MinThirdPartyDeposit: sdk.NewCoin(DefaultDenom, DefaultMinThirdPartyDeposit),
	}
}

// Validate checks every parameter and their mutual bounds.
func (p Params) Validate() error {
	if err := sdk.ValidateDenom(p.Denom); err != nil {
		return errorsmod.Wrapf(ErrInvalidParams, "denom: %v", err)
	}
	for _, nc := range []struct {
		name string
		c    sdk.Coin
	}{{"min_provider_bond", p.MinProviderBond}, {"min_deposit", p.MinDeposit}, {"bid_deposit", p.BidDeposit},
		{"min_third_party_deposit", p.MinThirdPartyDeposit}} {
		name, c := nc.name, nc.c
		if c.Denom != p.Denom || c.Amount.IsNil() || c.Amount.IsNegative() {
			return errorsmod.Wrapf(ErrInvalidParams, "%s must be a non-negative amount of %s, got %s", name, p.Denom, c)
		}
	}
	if p.BidWindowMin < 1 || p.BidWindowMax < p.BidWindowMin || p.BidWindowMax > maxBlocksParam {
		return errorsmod.Wrapf(ErrInvalidParams, "need 1 <= bid_window_min <= bid_window_max <= %d", maxBlocksParam)
	}
	if p.BidWindowDefault < p.BidWindowMin || p.BidWindowDefault > p.BidWindowMax {
		return errorsmod.Wrap(ErrInvalidParams, "bid_window_default outside [bid_window_min, bid_window_max]")
	}
	if p.OrderTtl <= p.BidWindowMax || p.OrderTtl > maxBlocksParam {
		return errorsmod.Wrapf(ErrInvalidParams, "need bid_window_max < order_ttl <= %d", maxBlocksParam)
	}
	if p.MaxBidsPerOrder < 1 || p.MaxBidsPerOrder > maxBidsPerOrderUpperBound {
		return errorsmod.Wrapf(ErrInvalidParams, "max_bids_per_order must be in [1, %d]", maxBidsPerOrderUpperBound)
	}
	if err := validFraction(p.TakeRate, false); err != nil {
		return errorsmod.Wrapf(ErrInvalidParams, "take_rate: %v", err)
	}
	if err := validFraction(p.FaultSlashFraction, true); err != nil {
		return errorsmod.Wrapf(ErrInvalidParams, "fault_slash_fraction: %v", err)
	}
	if p.HeartbeatInterval < 1 || p.HeartbeatInterval > maxBlocksParam {
		return errorsmod.Wrapf(ErrInvalidParams, "heartbeat_interval must be in [1, %d]", maxBlocksParam)
	}
	if p.UnbondingPeriod < 0 || p.UnbondingPeriod > maxBlocksParam {
		return errorsmod.Wrapf(ErrInvalidParams, "unbonding_period must be in [0, %d]", maxBlocksParam)
	}
	return nil
}

// validFraction accepts [0, 1) or, with inclusiveOne, [0, 1].
func validFraction(d sdkmath.LegacyDec, inclusiveOne bool) error {
	if d.IsNil() || d.IsNegative() {
		return errorsmod.Wrap(ErrInvalidParams, "must be non-negative")
	}
	if d.GT(sdkmath.LegacyOneDec()) || (!inclusiveOne && d.Equal(sdkmath.LegacyOneDec())) {
		return errorsmod.Wrap(ErrInvalidParams, "too large")
	}
	return nil
}
