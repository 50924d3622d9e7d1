package keeper

import (
	"context"
	"fmt"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/jobs/types"
)

// RegisterInvariants registers the jobs module's invariants.
func RegisterInvariants(ir sdk.InvariantRegistry, k Keeper) {
	ir.RegisterRoute(types.ModuleName, "escrow-balance", EscrowInvariant(k))
}

// EscrowInvariant: the jobs module account holds exactly the sum of every
// job's escrow, solver bond and challenge bond plus every auditor's bond.
func EscrowInvariant(k Keeper) sdk.Invariant {
	return func(ctx sdk.Context) (string, bool) {
		msg, broken := k.CheckEscrow(ctx)
		return sdk.FormatInvariant(types.ModuleName, "escrow-balance", msg), broken
	}
}

// CheckEscrow compares the module balance with what it owes; it walks every
// job and auditor (invariants may, EndBlock never does).
func (k Keeper) CheckEscrow(ctx context.Context) (string, bool) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return err.Error(), true
	}
	want := sdkmath.ZeroInt()
	add := func(c sdk.Coin) {
		if !c.IsNil() {
			want = want.Add(c.Amount)
		}
	}
	err = k.Jobs.Walk(ctx, nil, func(_ string, j types.Job) (bool, error) {
		add(j.Escrow)
		add(j.SolverBond)
		if j.Dispute != nil {
			add(j.Dispute.Bond)
		}
		return false, nil
	})
	if err != nil {
		return err.Error(), true
	}
	err = k.Auditors.Walk(ctx, nil, func(_ string, a types.Auditor) (bool, error) {
		add(a.Bond)
		return false, nil
	})
	if err != nil {
		return err.Error(), true
	}
	have := k.bank.GetBalance(ctx, k.ModuleAddress(), p.Denom).Amount
	if !have.Equal(want) {
		return fmt.Sprintf("module account holds %s%s, escrows and bonds sum to %s%s", have, p.Denom, want, p.Denom), true
	}
	return fmt.Sprintf("module account holds %s%s = escrows + bonds", have, p.Denom), false
}
