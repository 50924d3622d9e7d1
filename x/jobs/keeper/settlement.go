package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/jobs/types"
)

// settle pays out a job whose challenge window closed undisputed: each
// auditor whose reveal agreed gets audit_fee, the solver gets price and its
// bond back, and the submitter gets the rest of the escrow (the fees of
// segments that went unaudited or whose auditor missed its deadline). All
// amounts are integers in the params denom; nothing is rounded.
func (k Keeper) settle(ctx context.Context, j types.Job) error {
	fees := sdkmath.ZeroInt()
	var paid []string
	err := k.Assignments.Walk(ctx, collections.NewPrefixedPairRange[string, uint64](j.Id),
		func(_ collections.Pair[string, uint64], a types.Assignment) (bool, error) {
			if a.Status == types.AssignmentRevealed && a.Agrees {
				paid = append(paid, a.Auditor)
			}
			return false, nil
		})
	if err != nil {
		return err
	}
	for _, addr := range paid {
		if err := k.pay(ctx, addr, j.Terms.AuditFee); err != nil {
			return err
		}
		fees = fees.Add(j.Terms.AuditFee.Amount)
	}
	refund := j.Escrow.Amount.Sub(j.Terms.Price.Amount).Sub(fees)
	if refund.IsNegative() {
		return errorsmod.Wrapf(types.ErrInvalidAmount, "job %s: escrow %s cannot pay price and %d fees", j.Id, j.Escrow, len(paid))
	}
	solverGets := j.Terms.Price.Add(j.SolverBond)
	if err := k.pay(ctx, j.Solver, solverGets); err != nil {
		return err
	}
	refundCoin := sdk.NewCoin(j.Escrow.Denom, refund)
	if err := k.pay(ctx, j.Submitter, refundCoin); err != nil {
		return err
	}
	zero := sdk.NewCoin(j.Escrow.Denom, sdkmath.ZeroInt())
	j.Status, j.Escrow, j.SolverBond, j.SettledHeight = types.JobSettled, zero, zero, height(ctx)
	if err := k.Jobs.Set(ctx, j.Id, j); err != nil {
		return err
	}
	emit(ctx, types.EventJobSettled, types.AttrJobID, j.Id, types.AttrSolver, j.Solver,
		types.AttrSolverPaid, solverGets.String(), types.AttrAuditorsPaid, sdk.NewCoin(zero.Denom, fees).String(),
		types.AttrRefund, refundCoin.String())
	return nil
}

// expire refunds an open job nobody claimed by its claim deadline.
func (k Keeper) expire(ctx context.Context, j types.Job) error {
	if err := k.pay(ctx, j.Submitter, j.Escrow); err != nil {
		return err
	}
	refund := j.Escrow
	j.Status, j.Escrow, j.SettledHeight = types.JobExpired, sdk.NewCoin(refund.Denom, sdkmath.ZeroInt()), height(ctx)
	if err := k.Jobs.Set(ctx, j.Id, j); err != nil {
		return err
	}
	emit(ctx, types.EventJobExpired, types.AttrJobID, j.Id, types.AttrRefund, refund.String())
	return nil
}

// fail ends a claimed job whose solver missed its solve deadline: the whole
// solver bond goes to the submitter as compensation for the delay, the escrow
// is refunded, and the job is Failed (the submitter may submit it again under
// a new id by changing, say, the seed).
func (k Keeper) fail(ctx context.Context, j types.Job) error {
	if err := k.pay(ctx, j.Submitter, j.Escrow.Add(j.SolverBond)); err != nil {
		return err
	}
	refund, slashed := j.Escrow, j.SolverBond
	zero := sdk.NewCoin(refund.Denom, sdkmath.ZeroInt())
	j.Status, j.Escrow, j.SolverBond, j.SettledHeight = types.JobFailed, zero, zero, height(ctx)
	if err := k.Jobs.Set(ctx, j.Id, j); err != nil {
		return err
	}
	emit(ctx, types.EventJobFailed, types.AttrJobID, j.Id, types.AttrSolver, j.Solver,
		types.AttrBond, slashed.String(), types.AttrRefund, refund.String())
	return nil
}
