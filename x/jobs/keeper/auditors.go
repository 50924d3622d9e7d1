package keeper

import (
	"context"
	"strconv"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/jobs/types"
)

// BondAuditor bonds addr as an auditor (amount >= min_auditor_bond for a new
// one) or adds amount to an active auditor's bond.
func (k Keeper) BondAuditor(ctx context.Context, addr string, amount sdk.Coin) (types.Auditor, error) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return types.Auditor{}, err
	}
	if amount.Denom != p.Denom {
		return types.Auditor{}, errorsmod.Wrapf(types.ErrInvalidAmount, "bond must be in %s, got %s", p.Denom, amount)
	}
	a, err := k.Auditors.Get(ctx, addr)
	isNew := false
	switch {
	case err == nil && a.UnbondingHeight != 0:
		return a, errorsmod.Wrapf(types.ErrAuditorExists, "auditor %s is unbonding until %d: bond again after that", addr, a.UnbondingHeight)
	case err == nil:
	case isNotFound(err):
		isNew = true
		if amount.Amount.LT(p.MinAuditorBond.Amount) {
			return a, errorsmod.Wrapf(types.ErrBondTooLow, "bond %s below min_auditor_bond %s", amount, p.MinAuditorBond)
		}
		a = types.Auditor{Address: addr, Bond: sdk.NewCoin(p.Denom, sdkmath.ZeroInt())}
	default:
		return a, err
	}
	if err := k.collect(ctx, addr, amount); err != nil {
		return a, errorsmod.Wrapf(err, "lock auditor bond %s", amount)
	}
	a.Bond = a.Bond.Add(amount)
	if isNew {
		n, err := k.AuditorCount.Get(ctx)
		if err != nil && !isNotFound(err) {
			return a, err
		}
		a.Slot = n
		if err := k.AuditorSlots.Set(ctx, n, addr); err != nil {
			return a, err
		}
		if err := k.AuditorCount.Set(ctx, n+1); err != nil {
			return a, err
		}
	}
	if err := k.Auditors.Set(ctx, addr, a); err != nil {
		return a, err
	}
	emit(ctx, types.EventAuditorBonded, types.AttrAuditor, addr, types.AttrBond, a.Bond.String())
	return a, nil
}

// UnbondAuditor takes an auditor with no open assignment out of the selection
// table; its bond returns after auditor_unbonding_blocks.
func (k Keeper) UnbondAuditor(ctx context.Context, addr string) (int64, error) {
	a, err := k.Auditors.Get(ctx, addr)
	if err != nil {
		if isNotFound(err) {
			return 0, errorsmod.Wrapf(types.ErrAuditorNotFound, "%s is not a bonded auditor", addr)
		}
		return 0, err
	}
	if a.UnbondingHeight != 0 {
		return 0, errorsmod.Wrapf(types.ErrAlreadyDone, "auditor %s is already unbonding until %d", addr, a.UnbondingHeight)
	}
	if a.OpenAssignments > 0 {
		return 0, errorsmod.Wrapf(types.ErrAuditorBusy, "auditor %s has %d open assignments: reveal them first", addr, a.OpenAssignments)
	}
	p, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	if err := k.removeSlot(ctx, a); err != nil {
		return 0, err
	}
	a.UnbondingHeight = height(ctx) + p.AuditorUnbondingBlocks
	if err := k.Auditors.Set(ctx, addr, a); err != nil {
		return 0, err
	}
	if err := k.UnbondingQueue.Set(ctx, collections.Join(a.UnbondingHeight, addr)); err != nil {
		return 0, err
	}
	emit(ctx, types.EventAuditorUnbonding, types.AttrAuditor, addr, types.AttrHeight, strconv.FormatInt(a.UnbondingHeight, 10))
	return a.UnbondingHeight, nil
}

// removeSlot deletes a's slot by moving the last slot's auditor into it, so
// the table stays dense (O(1) writes).
func (k Keeper) removeSlot(ctx context.Context, a types.Auditor) error {
	n, err := k.AuditorCount.Get(ctx)
	if err != nil {
		return err
	}
	last := n - 1
	if a.Slot != last {
		moved, err := k.AuditorSlots.Get(ctx, last)
		if err != nil {
			return err
		}
		m, err := k.Auditors.Get(ctx, moved)
		if err != nil {
			return err
		}
		m.Slot = a.Slot
		if err := k.Auditors.Set(ctx, moved, m); err != nil {
			return err
		}
		if err := k.AuditorSlots.Set(ctx, a.Slot, moved); err != nil {
			return err
		}
	}
	if err := k.AuditorSlots.Remove(ctx, last); err != nil {
		return err
	}
	return k.AuditorCount.Set(ctx, last)
}

// completeUnbonding returns an unbonded auditor's bond and forgets it.
func (k Keeper) completeUnbonding(ctx context.Context, addr string) error {
	a, err := k.Auditors.Get(ctx, addr)
	if err != nil {
		if isNotFound(err) {
			return nil // stale entry
		}
		return err
	}
	if a.UnbondingHeight == 0 || a.UnbondingHeight > height(ctx) {
		return nil // stale entry
	}
	if err := k.pay(ctx, addr, a.Bond); err != nil {
		return err
	}
	if err := k.Auditors.Remove(ctx, addr); err != nil {
		return err
	}
	emit(ctx, types.EventAuditorUnbonded, types.AttrAuditor, addr, types.AttrAmount, a.Bond.String())
	return nil
}

// activeAuditor loads addr and checks it is bonded, not unbonding, with at
// least min_auditor_bond.
func (k Keeper) activeAuditor(ctx context.Context, addr string, p types.Params) (types.Auditor, error) {
	a, err := k.Auditors.Get(ctx, addr)
	if err != nil {
		if isNotFound(err) {
			return a, errorsmod.Wrapf(types.ErrAuditorNotFound, "%s is not a bonded auditor: `hyphad job auditor bond` first", addr)
		}
		return a, err
	}
	if a.UnbondingHeight != 0 || a.Bond.Amount.LT(p.MinAuditorBond.Amount) {
		return a, errorsmod.Wrapf(types.ErrBondTooLow, "auditor %s is unbonding or below min_auditor_bond", addr)
	}
	return a, nil
}

// slashAuditor moves auditor_slash_fraction of a's bond (rounded down) to the
// community pool.
func (k Keeper) slashAuditor(ctx context.Context, a *types.Auditor, p types.Params, jobID string, segment uint64) error {
	amt := p.AuditorSlashFraction.MulInt(a.Bond.Amount).TruncateInt()
	if amt.IsPositive() {
		coin := sdk.NewCoin(a.Bond.Denom, amt)
		if err := k.distr.FundCommunityPool(ctx, sdk.NewCoins(coin), k.ModuleAddress()); err != nil {
			return errorsmod.Wrapf(err, "slash auditor %s", a.Address)
		}
		a.Bond = a.Bond.Sub(coin)
	}
	emit(ctx, types.EventAuditorSlashed, types.AttrAuditor, a.Address, types.AttrJobID, jobID,
		types.AttrSegment, strconv.FormatUint(segment, 10), types.AttrAmount, sdk.NewCoin(a.Bond.Denom, amt).String(),
		types.AttrBond, a.Bond.String())
	return nil
}
