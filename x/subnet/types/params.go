package types

import (
	errorsmod "cosmossdk.io/errors"

	"github.com/hypha-network/hypha/x/subnet/yuma"
)

const (
	// bpsDenominator is 100% in basis points.
	bpsDenominator = 10_000
	// u16Max is the denominator of subtensor-style u16 proportions.
	u16Max = 65535
	// millionth is the denominator of bonds_moving_average.
	millionth = 1_000_000
)

// DefaultParams returns the module defaults: 1 HYP per block, a 21,000,000 HYP
// cap, 32 subnets, a 100 HYP minimum subnet lock that doubles per creation and
// decays over 14,400 blocks, at most 50% of a block's emission to one subnet,
// an 18% / 41% / 41% owner / miner / validator split, and 4 epochs per block.
func DefaultParams() Params {
	return Params{
		BlockEmission:         1_000_000,
		SupplyCap:             21_000_000_000_000,
		MaxSubnets:            32,
		SubnetLockMin:         100_000_000,
		SubnetLockDecayBlocks: 14_400,
		SubnetEmissionCapBps:  5_000,
		OwnerCutBps:           1_800,
		MinerCutBps:           4_100,
		MaxEpochsPerBlock:     4,
		Bounds: HyperparamBounds{
			MinTempo:              5,
			MaxTempo:              10_000,
			MaxUids:               MaxUIDs,
			MaxImmunityPeriod:     100_000,
			MaxCommitRevealPeriod: 10,
			MaxRegistrationBurn:   1_000_000_000_000,
		},
		DefaultHyperparams: DefaultHyperparams(),
	}
}

// DefaultHyperparams are a new subnet's settings unless its creator picks others:
// tempo 360, kappa 0.5, immunity 4096 blocks, 256 uids, 64 validators,
// commit-reveal over one tempo, bonds moving average 0.9, Yuma 3, and a 1 HYP
// registration price that rises 50% per registration and decays over 1000 blocks.
func DefaultHyperparams() Hyperparams {
	return Hyperparams{
		Tempo:                 360,
		Kappa:                 32767,
		ImmunityPeriod:        4096,
		MaxUids:               MaxUIDs,
		MaxValidators:         64,
		WeightsRateLimit:      100,
		CommitReveal:          true,
		CommitRevealPeriod:    1,
		ActivityCutoff:        5000,
		BondsMovingAverage:    900_000,
		BondPenalty:           u16Max,
		LiquidAlpha:           false,
		AlphaLow:              45875,
		AlphaHigh:             58982,
		AlphaSigmoidSteepness: 1000,
		YumaVersion:           "yuma3",
		MinBurn:               1_000_000,
		MaxBurn:               100_000_000_000,
		BurnIncreaseBps:       5_000,
		BurnDecayBlocks:       1_000,
	}
}

// Validate checks the parameters.
func (p Params) Validate() error {
	switch {
	case p.SupplyCap == 0:
		return errorsmod.Wrap(ErrInvalidParams, "supply_cap must be positive")
	case p.BlockEmission > p.SupplyCap:
		return errorsmod.Wrap(ErrInvalidParams, "block_emission exceeds supply_cap")
	case p.MaxSubnets == 0 || p.MaxSubnets > 1024:
		return errorsmod.Wrapf(ErrInvalidParams, "max_subnets %d not in 1..1024", p.MaxSubnets)
	case p.SubnetLockDecayBlocks == 0:
		return errorsmod.Wrap(ErrInvalidParams, "subnet_lock_decay_blocks must be positive")
	case p.SubnetEmissionCapBps == 0 || p.SubnetEmissionCapBps > bpsDenominator:
		return errorsmod.Wrapf(ErrInvalidParams, "subnet_emission_cap_bps %d not in 1..10000", p.SubnetEmissionCapBps)
	case uint64(p.OwnerCutBps)+uint64(p.MinerCutBps) > bpsDenominator:
		return errorsmod.Wrap(ErrInvalidParams, "owner_cut_bps + miner_cut_bps exceeds 10000")
	case p.MaxEpochsPerBlock == 0 || p.MaxEpochsPerBlock > 64:
		return errorsmod.Wrapf(ErrInvalidParams, "max_epochs_per_block %d not in 1..64", p.MaxEpochsPerBlock)
	}
	b := p.Bounds
	switch {
	case b.MinTempo == 0 || b.MinTempo > b.MaxTempo:
		return errorsmod.Wrapf(ErrInvalidParams, "tempo bounds [%d, %d]", b.MinTempo, b.MaxTempo)
	case b.MaxUids == 0 || b.MaxUids > MaxUIDs:
		return errorsmod.Wrapf(ErrInvalidParams, "bounds.max_uids %d not in 1..%d", b.MaxUids, MaxUIDs)
	case b.MaxCommitRevealPeriod == 0:
		return errorsmod.Wrap(ErrInvalidParams, "bounds.max_commit_reveal_period must be positive")
	}
	if err := p.DefaultHyperparams.Validate(b); err != nil {
		return errorsmod.Wrapf(ErrInvalidParams, "default_hyperparams: %v", err)
	}
	return nil
}

// Validate checks h against the governance bounds b.
func (h Hyperparams) Validate(b HyperparamBounds) error {
	fail := func(format string, args ...any) error {
		return errorsmod.Wrapf(ErrInvalidHyperparams, format, args...)
	}
	switch {
	case h.Tempo < b.MinTempo || h.Tempo > b.MaxTempo:
		return fail("tempo %d not in %d..%d", h.Tempo, b.MinTempo, b.MaxTempo)
	case h.Kappa > u16Max:
		return fail("kappa %d exceeds 65535", h.Kappa)
	case h.ImmunityPeriod > b.MaxImmunityPeriod:
		return fail("immunity_period %d exceeds %d", h.ImmunityPeriod, b.MaxImmunityPeriod)
	case h.MaxUids == 0 || h.MaxUids > b.MaxUids:
		return fail("max_uids %d not in 1..%d", h.MaxUids, b.MaxUids)
	case h.MaxValidators == 0 || h.MaxValidators > h.MaxUids:
		return fail("max_validators %d not in 1..max_uids", h.MaxValidators)
	case h.CommitReveal && (h.CommitRevealPeriod == 0 || h.CommitRevealPeriod > b.MaxCommitRevealPeriod):
		return fail("commit_reveal_period %d not in 1..%d", h.CommitRevealPeriod, b.MaxCommitRevealPeriod)
	case h.ActivityCutoff == 0:
		return fail("activity_cutoff must be positive")
	case h.BondsMovingAverage > millionth:
		return fail("bonds_moving_average %d exceeds 1000000", h.BondsMovingAverage)
	case h.BondPenalty > u16Max || h.AlphaLow > u16Max || h.AlphaHigh > u16Max:
		return fail("bond_penalty, alpha_low and alpha_high are u16 values")
	case h.LiquidAlpha && h.AlphaLow > h.AlphaHigh:
		return fail("alpha_low %d exceeds alpha_high %d", h.AlphaLow, h.AlphaHigh)
	case h.YumaVersion != "yuma3" && h.YumaVersion != "yuma2":
		return fail("yuma_version %q: want yuma3 or yuma2", h.YumaVersion)
	case h.MinBurn == 0 || h.MinBurn > h.MaxBurn || h.MaxBurn > b.MaxRegistrationBurn:
		return fail("burn bounds [%d, %d] not within 1..%d", h.MinBurn, h.MaxBurn, b.MaxRegistrationBurn)
	case h.BurnDecayBlocks == 0:
		return fail("burn_decay_blocks must be positive")
	case h.BurnIncreaseBps > 10*bpsDenominator:
		return fail("burn_increase_bps %d exceeds 100000", h.BurnIncreaseBps)
	}
	return nil
}

// YumaParams converts the hyperparameters to the Yuma library's parameters.
func (h Hyperparams) YumaParams() yuma.Params {
	version := yuma.Yuma3
	if h.YumaVersion == "yuma2" {
		version = yuma.Yuma2
	}
	return yuma.Params{
		Version:               version,
		Kappa:                 yuma.Ratio(uint64(h.Kappa), u16Max),
		BondPenalty:           yuma.Ratio(uint64(h.BondPenalty), u16Max),
		BondsMovingAverage:    yuma.Ratio(uint64(h.BondsMovingAverage), millionth),
		LiquidAlpha:           h.LiquidAlpha,
		AlphaLow:              yuma.Ratio(uint64(h.AlphaLow), u16Max),
		AlphaHigh:             yuma.Ratio(uint64(h.AlphaHigh), u16Max),
		AlphaSigmoidSteepness: h.AlphaSigmoidSteepness,
		MaxValidators:         int(h.MaxValidators),
	}
}

// BpsFixed converts basis points to a Yuma fixed-point proportion.
func BpsFixed(bps uint32) yuma.Fixed { return yuma.Ratio(uint64(bps), bpsDenominator) }
