package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/market/types"
)

// RegisterInvariants registers the market's invariants.
func RegisterInvariants(ir sdk.InvariantRegistry, k Keeper) {
	ir.RegisterRoute(types.ModuleName, "escrow-balance", EscrowInvariant(k))
	ir.RegisterRoute(types.ModuleName, "bond-balance", BondInvariant(k))
}

// EscrowInvariant: the market module account holds exactly the sum of all escrow
// balances plus all open bid deposits.
func EscrowInvariant(k Keeper) sdk.Invariant {
	return func(ctx sdk.Context) (string, bool) {
		msg, broken := k.CheckEscrow(ctx)
		return sdk.FormatInvariant(types.ModuleName, "escrow-balance", msg), broken
	}
}

// BondInvariant: the bond account holds exactly the sum of provider bonds.
func BondInvariant(k Keeper) sdk.Invariant {
	return func(ctx sdk.Context) (string, bool) {
		msg, broken := k.CheckBonds(ctx)
		return sdk.FormatInvariant(types.ModuleName, "bond-balance", msg), broken
	}
}

// CheckEscrow compares the escrow account's balance with the escrows and bid deposits.
func (k Keeper) CheckEscrow(ctx context.Context) (string, bool) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err.Error(), true
	}
	sum := sdkmath.ZeroInt()
	err = k.Escrows.Walk(ctx, nil, func(_ uint64, e types.EscrowAccount) (bool, error) {
		sum = sum.Add(e.Balance.Amount)
		return false, nil
	})
	if err != nil {
		return err.Error(), true
	}
	bids := sdkmath.ZeroInt()
	err = k.Bids.Walk(ctx, nil, func(_ collections.Pair[uint64, string], b types.Bid) (bool, error) {
		bids = bids.Add(b.Deposit.Amount)
		return false, nil
	})
	if err != nil {
		return err.Error(), true
	}
	have := k.bank.GetBalance(ctx, k.escrowAddress(), params.Denom).Amount
	want := sum.Add(bids)
	return fmt.Sprintf("module balance %s, escrows %s + bid deposits %s = %s", have, sum, bids, want), !have.Equal(want)
}

// CheckBonds compares the bond account's balance with the providers' bonds.
func (k Keeper) CheckBonds(ctx context.Context) (string, bool) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err.Error(), true
	}
	sum := sdkmath.ZeroInt()
	err = k.Providers.Walk(ctx, nil, func(_ string, p types.Provider) (bool, error) {
		sum = sum.Add(p.Bond.Amount)
		return false, nil
	})
	if err != nil {
		return err.Error(), true
	}
	have := k.bank.GetBalance(ctx, k.acct.GetModuleAddress(types.BondAccountName), params.Denom).Amount
	return fmt.Sprintf("bond account balance %s, provider bonds %s", have, sum), !have.Equal(sum)
}
