package yuma

import "github.com/hypha-network/hypha/x/subnet/yuma/ref"

// The dense float64 reference implementation of the epoch lives in package
// ref (x/subnet/yuma/ref), so that bench/yuma can time it too. This file
// adapts it to this package's types for the property tests.

// refOutput mirrors Output in float64 with dense bonds.
type refOutput struct {
	nextPermit                                []bool
	consensus, incentive, dividends, valTrust []float64
	bonds                                     [][]float64
	// minNorm is the smallest non-zero total the epoch divided by (rank
	// total, dividend total, bond column sums): outputs normalized
	// by a total T carry a fixed-point error of about n*2^-62/T.
	minNorm float64
}

// fx converts a Fixed to float64.
func fx(f Fixed) float64 { return float64(f) / float64(One) }

// dense returns an n x n zero matrix.
func dense(n int) [][]float64 { return ref.Dense(n) }

// refEpoch runs one epoch of the float64 reference on dense matrices.
// oldBonds may be nil.
func refEpoch(p Params, in Input, oldBonds [][]float64) refOutput {
	rp := ref.Params{
		Yuma2:                 p.Version == Yuma2,
		Kappa:                 fx(p.Kappa),
		BondPenalty:           fx(p.BondPenalty),
		BondsMovingAverage:    fx(p.BondsMovingAverage),
		LiquidAlpha:           p.LiquidAlpha,
		AlphaLow:              fx(p.AlphaLow),
		AlphaHigh:             fx(p.AlphaHigh),
		AlphaSigmoidSteepness: p.AlphaSigmoidSteepness,
		MaxValidators:         p.MaxValidators,
	}
	ri := ref.Input{
		N:              in.N,
		Stake:          in.Stake,
		Permit:         in.Permit,
		LastUpdate:     in.LastUpdate,
		RegisteredAt:   in.RegisteredAt,
		Block:          in.Block,
		ActivityCutoff: in.ActivityCutoff,
		LastEpochBlock: in.LastEpochBlock,
		HasOwner:       in.HasOwner,
		OwnerUID:       in.OwnerUID,
	}
	if in.Weights != nil {
		ri.Weights = make([][]ref.Weight, len(in.Weights))
		for i, row := range in.Weights {
			for _, e := range row {
				ri.Weights[i] = append(ri.Weights[i], ref.Weight{UID: e.UID, Value: e.Value})
			}
		}
	}
	o := ref.Epoch(rp, ri, oldBonds)
	return refOutput{
		nextPermit: o.NextPermit,
		consensus:  o.Consensus,
		incentive:  o.Incentive,
		dividends:  o.Dividends,
		valTrust:   o.ValidatorTrust,
		bonds:      o.Bonds,
		minNorm:    o.MinNorm,
	}
}
