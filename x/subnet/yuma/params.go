package yuma

import (
	"errors"
	"fmt"
)

// Errors returned by validation. They are wrapped with context; test with
// errors.Is.
var (
	// ErrInvalidParams reports a parameter outside its documented range.
	ErrInvalidParams = errors.New("yuma: invalid params")
	// ErrInvalidN reports a uid count outside [0, MaxN].
	ErrInvalidN = errors.New("yuma: invalid number of uids")
	// ErrLength reports a per-uid slice whose length is not N.
	ErrLength = errors.New("yuma: length mismatch")
	// ErrUID reports a uid (in a row entry or as owner) outside [0, N).
	ErrUID = errors.New("yuma: uid out of range")
	// ErrUnsorted reports a sparse row whose uids are not strictly increasing.
	ErrUnsorted = errors.New("yuma: row uids not strictly increasing")
	// ErrBondRange reports a bond above One.
	ErrBondRange = errors.New("yuma: bond out of range")
	// ErrStakeOverflow reports stakes whose total does not fit in a uint64.
	ErrStakeOverflow = errors.New("yuma: total stake overflows uint64")
	// ErrShares reports emission shares that are out of range.
	ErrShares = errors.New("yuma: invalid emission shares")
)

// Version selects the bond and dividend rules of an epoch.
type Version uint8

const (
	// Yuma3 is the default: bonds are per-validator proportions in [0, 1]
	// bought with weight, capped at 1, and dividends are bonds times
	// incentive times the validator's stake.
	Yuma3 Version = iota
	// Yuma2 is the compatibility mode of the original Yuma: bonds are
	// stake-weighted, column-normalized shares of each miner and dividends
	// are bonds times incentive.
	Yuma2
)

// String returns "yuma3" or "yuma2".
func (v Version) String() string {
	switch v {
	case Yuma3:
		return "yuma3"
	case Yuma2:
		return "yuma2"
	}
	return fmt.Sprintf("Version(%d)", uint8(v))
}

// Params are the consensus hyperparameters of a subnet. All proportions are
// Fixed values in [0, One].
type Params struct {
	// Version selects Yuma 3 (the zero value) or Yuma 2.
	Version Version
	// Kappa is the stake majority that must support a consensus weight
	// (subtensor stores u16 32767, i.e. about 1/2).
	Kappa Fixed
	// BondPenalty interpolates the weights that buy bonds between the raw
	// weights (0) and the weights clipped at consensus (One).
	BondPenalty Fixed
	// BondsMovingAverage is the EMA memory; the fixed EMA rate is
	// alpha = One - BondsMovingAverage.
	BondsMovingAverage Fixed
	// LiquidAlpha makes the Yuma 3 EMA rate a per-bond sigmoid between
	// AlphaLow and AlphaHigh. Yuma 2 always uses the fixed rate.
	LiquidAlpha bool
	// AlphaLow and AlphaHigh bound the liquid EMA rate; AlphaLow <= AlphaHigh.
	AlphaLow, AlphaHigh Fixed
	// AlphaSigmoidSteepness is subtensor's raw integer: the slope of the
	// sigmoid is AlphaSigmoidSteepness/100.
	AlphaSigmoidSteepness int32
	// MaxValidators is the number of validator permits (top-k by stake).
	MaxValidators int
}

// DefaultParams returns the defaults: Yuma 3, kappa 32767/65535, full bond
// penalty, bonds moving average 0.9 (alpha 0.1), liquid alpha off with
// bounds 0.7 and 0.9 and steepness 1000, and 64 validators.
func DefaultParams() Params {
	return Params{
		Version:               Yuma3,
		Kappa:                 Ratio(32767, 65535),
		BondPenalty:           One,
		BondsMovingAverage:    Ratio(9, 10),
		LiquidAlpha:           false,
		AlphaLow:              Ratio(45875, 65535),
		AlphaHigh:             Ratio(58982, 65535),
		AlphaSigmoidSteepness: 1000,
		MaxValidators:         64,
	}
}

// Validate reports whether every parameter is in range.
func (p Params) Validate() error {
	if p.Version != Yuma3 && p.Version != Yuma2 {
		return fmt.Errorf("%w: unknown version %d", ErrInvalidParams, p.Version)
	}
	for _, f := range []struct {
		name string
		v    Fixed
	}{
		{"kappa", p.Kappa},
		{"bond_penalty", p.BondPenalty},
		{"bonds_moving_average", p.BondsMovingAverage},
		{"alpha_low", p.AlphaLow},
		{"alpha_high", p.AlphaHigh},
	} {
		if f.v > One {
			return fmt.Errorf("%w: %s = %v exceeds 1", ErrInvalidParams, f.name, f.v)
		}
	}
	if p.LiquidAlpha && p.AlphaLow > p.AlphaHigh {
		return fmt.Errorf("%w: alpha_low %v exceeds alpha_high %v", ErrInvalidParams, p.AlphaLow, p.AlphaHigh)
	}
	if p.MaxValidators < 0 {
		return fmt.Errorf("%w: max_validators %d is negative", ErrInvalidParams, p.MaxValidators)
	}
	return nil
}
