package types

import (
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultDenom is the payment denomination (10^6 uhyp = 1 HYP).
const DefaultDenom = "uhyp"

// Default parameter values; docs/jobs-module.md explains each.
var (
	DefaultMinPrice               = sdkmath.NewInt(1_000_000)   // 1 HYP
	DefaultMinSolverBond          = sdkmath.NewInt(1_000_000)   // 1 HYP
	DefaultMinAuditFee            = sdkmath.NewInt(100_000)     // 0.1 HYP
	DefaultMaxSpecBytes           = uint32(16 << 10)            // 16 KiB
	DefaultMaxSegments            = uint64(4096)                // T/k
	DefaultMinAudits              = uint32(1)                   //
	DefaultMaxAudits              = uint32(64)                  //
	DefaultMaxClaimBlocks         = int64(100_800)              // about a week of 6 s blocks
	DefaultMaxSolveBlocks         = int64(201_600)              // about two weeks
	DefaultBeaconDelay            = int64(3)                    //
	DefaultAuditCommitBlocks      = int64(100)                  //
	DefaultAuditRevealBlocks      = int64(100)                  //
	DefaultChallengeBlocks        = int64(200)                  //
	DefaultMinAuditorBond         = sdkmath.NewInt(100_000_000) // 100 HYP
	DefaultAuditorUnbondingBlocks = int64(1000)                 //
	DefaultAuditorSlashFraction   = sdkmath.LegacyNewDecWithPrec(10, 2)
	DefaultMinChallengeBond       = sdkmath.NewInt(10_000_000) // 10 HYP
	DefaultDisputeArity           = uint32(8)                  // b: 3 binary levels per round
	DefaultDisputeBudget          = uint64(600)                // blocks per side, about an hour at 6 s
	DefaultDisputeMinResponse     = uint64(20)                 // blocks to answer any completed round
	DefaultDisputeCostBps         = uint32(500)                // 5% of the loser's bond to the community pool
	DefaultRefereeGas             = uint64(2_000_000)          // the recompute of one element (<1 ms measured)

	maxDisputeBudget = uint64(10_000_000)
	maxRefereeGas    = uint64(100_000_000)

	maxBlocksParam   = int64(100_000_000)
	maxSpecBytesMax  = uint32(1 << 20)
	maxSegmentsMax   = uint64(1 << 20)
	maxAuditsUpBound = uint32(1024)
)

// DefaultParams returns the default jobs parameters.
func DefaultParams() Params {
	c := func(a sdkmath.Int) sdk.Coin { return sdk.NewCoin(DefaultDenom, a) }
	return Params{
		Denom:                  DefaultDenom,
		MinPrice:               c(DefaultMinPrice),
		MinSolverBond:          c(DefaultMinSolverBond),
		MinAuditFee:            c(DefaultMinAuditFee),
		MaxSpecBytes:           DefaultMaxSpecBytes,
		MaxSegments:            DefaultMaxSegments,
		MinAudits:              DefaultMinAudits,
		MaxAudits:              DefaultMaxAudits,
		MaxClaimBlocks:         DefaultMaxClaimBlocks,
		MaxSolveBlocks:         DefaultMaxSolveBlocks,
		BeaconDelay:            DefaultBeaconDelay,
		AuditCommitBlocks:      DefaultAuditCommitBlocks,
		AuditRevealBlocks:      DefaultAuditRevealBlocks,
		ChallengeBlocks:        DefaultChallengeBlocks,
		MinAuditorBond:         c(DefaultMinAuditorBond),
		AuditorUnbondingBlocks: DefaultAuditorUnbondingBlocks,
		AuditorSlashFraction:   DefaultAuditorSlashFraction,
		MinChallengeBond:       c(DefaultMinChallengeBond),
		DisputeArity:           DefaultDisputeArity,
		DisputeBudget:          DefaultDisputeBudget,
		DisputeMinResponse:     DefaultDisputeMinResponse,
		DisputeCostBps:         DefaultDisputeCostBps,
		RefereeGas:             DefaultRefereeGas,
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
	}{{"min_price", p.MinPrice}, {"min_solver_bond", p.MinSolverBond}, {"min_audit_fee", p.MinAuditFee},
		{"min_auditor_bond", p.MinAuditorBond}, {"min_challenge_bond", p.MinChallengeBond}} {
		if nc.c.Denom != p.Denom || nc.c.Amount.IsNil() || nc.c.Amount.IsNegative() {
			return errorsmod.Wrapf(ErrInvalidParams, "%s must be a non-negative amount of %s, got %s", nc.name, p.Denom, nc.c)
		}
	}
	if p.MaxSpecBytes < 64 || p.MaxSpecBytes > maxSpecBytesMax {
		return errorsmod.Wrapf(ErrInvalidParams, "max_spec_bytes must be in [64, %d]", maxSpecBytesMax)
	}
	if p.MaxSegments < 1 || p.MaxSegments > maxSegmentsMax {
		return errorsmod.Wrapf(ErrInvalidParams, "max_segments must be in [1, %d]", maxSegmentsMax)
	}
	if p.MinAudits < 1 || p.MaxAudits < p.MinAudits || p.MaxAudits > maxAuditsUpBound {
		return errorsmod.Wrapf(ErrInvalidParams, "need 1 <= min_audits <= max_audits <= %d", maxAuditsUpBound)
	}
	if p.BeaconDelay < 1 || p.BeaconDelay > MaxBeaconDelay {
		return errorsmod.Wrapf(ErrInvalidParams, "beacon_delay must be in [1, %d]", MaxBeaconDelay)
	}
	for _, nb := range []struct {
		name string
		v    int64
	}{{"max_claim_blocks", p.MaxClaimBlocks}, {"max_solve_blocks", p.MaxSolveBlocks},
		{"audit_commit_blocks", p.AuditCommitBlocks}, {"audit_reveal_blocks", p.AuditRevealBlocks},
		{"challenge_blocks", p.ChallengeBlocks}, {"auditor_unbonding_blocks", p.AuditorUnbondingBlocks}} {
		if nb.v < 1 || nb.v > maxBlocksParam {
			return errorsmod.Wrapf(ErrInvalidParams, "%s must be in [1, %d], got %d", nb.name, maxBlocksParam, nb.v)
		}
	}
	f := p.AuditorSlashFraction
	if f.IsNil() || f.IsNegative() || f.GT(sdkmath.LegacyOneDec()) {
		return errorsmod.Wrap(ErrInvalidParams, "auditor_slash_fraction must be in [0, 1]")
	}
	a := p.DisputeArity
	if a < 2 || a > 64 || a&(a-1) != 0 {
		return errorsmod.Wrapf(ErrInvalidParams, "dispute_arity must be a power of two in [2, 64], got %d", a)
	}
	if p.DisputeBudget < 1 || p.DisputeBudget > maxDisputeBudget {
		return errorsmod.Wrapf(ErrInvalidParams, "dispute_budget must be in [1, %d], got %d", maxDisputeBudget, p.DisputeBudget)
	}
	if p.DisputeMinResponse < 1 || p.DisputeMinResponse > p.DisputeBudget {
		return errorsmod.Wrapf(ErrInvalidParams, "dispute_min_response must be in [1, dispute_budget %d], got %d", p.DisputeBudget, p.DisputeMinResponse)
	}
	if p.DisputeCostBps > 10_000 {
		return errorsmod.Wrapf(ErrInvalidParams, "dispute_cost_bps must be in [0, 10000], got %d", p.DisputeCostBps)
	}
	if p.RefereeGas > maxRefereeGas {
		return errorsmod.Wrapf(ErrInvalidParams, "referee_gas must be at most %d, got %d", maxRefereeGas, p.RefereeGas)
	}
	return nil
}
