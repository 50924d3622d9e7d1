package keeper

import (
	"context"
	"strconv"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/market/types"
)

// decPrecision is 10^18, the fixed-point scale of LegacyDec.
var decPrecision = sdkmath.NewIntFromBigInt(sdkmath.LegacyOneDec().BigInt())

// ProviderShare is the provider's part of streamed: floor(streamed * (1 - take)),
// computed exactly in integers (take is a decimal with 18 fractional digits, so
// (1 - take) * 10^18 is an integer). The community pool gets streamed - share.
// Applying it to cumulative totals makes the split independent of how often a
// lease is settled.
func ProviderShare(streamed sdkmath.Int, take sdkmath.LegacyDec) sdkmath.Int {
	keep := sdkmath.NewIntFromBigInt(sdkmath.LegacyOneDec().Sub(take).BigInt())
	return streamed.Mul(keep).Quo(decPrecision)
}

// FractionOf is floor(amount * frac), exact.
func FractionOf(amount sdkmath.Int, frac sdkmath.LegacyDec) sdkmath.Int {
	return amount.Mul(sdkmath.NewIntFromBigInt(frac.BigInt())).Quo(decPrecision)
}

// Settlement is what settling a lease at some height streams out of its escrow.
type Settlement struct {
	Blocks   int64       // blocks paid by this settlement
	Amount   sdkmath.Int // price * blocks = Provider + Pool
	Provider sdkmath.Int
	Pool     sdkmath.Int
}

// ComputeSettlement returns what settling l at height h pays out of balance: every
// block in (settled_height, h] the balance can pay in full, at the lease price.
func ComputeSettlement(l types.Lease, balance sdkmath.Int, h int64) Settlement {
	s := Settlement{Amount: sdkmath.ZeroInt(), Provider: sdkmath.ZeroInt(), Pool: sdkmath.ZeroInt()}
	n := h - l.SettledHeight
	price := l.Price.Amount
	if n <= 0 || !price.IsPositive() {
		return s
	}
	if affordable := balance.Quo(price); affordable.LT(sdkmath.NewInt(n)) {
		n = affordable.Int64() // < n, so it fits
	}
	if n == 0 {
		return s
	}
	s.Blocks = n
	s.Amount = price.MulRaw(n)
	streamed := l.Streamed.Add(s.Amount)
	s.Provider = ProviderShare(streamed, l.TakeRate).Sub(l.ProviderPaid)
	s.Pool = s.Amount.Sub(s.Provider)
	return s
}

// RunDryHeight is the block in which balance stops covering the next block of a
// lease settled at settled: settled + floor(balance / price).
func RunDryHeight(settled int64, balance, price sdkmath.Int) int64 {
	blocks := balance.Quo(price)
	const far = int64(1) << 62
	if !blocks.IsInt64() || blocks.Int64() > far-settled {
		return far
	}
	return settled + blocks.Int64()
}

// settle streams the lease's payment up to height h: it updates l and e in place
// and pays the provider and the community pool. The caller stores l and e.
func (k Keeper) settle(ctx context.Context, l *types.Lease, e *types.EscrowAccount, h int64) (Settlement, error) {
	s := ComputeSettlement(*l, e.Balance.Amount, h)
	if s.Blocks == 0 {
		return s, nil
	}
	denom := l.Price.Denom
	e.Balance = e.Balance.SubAmount(s.Amount)
	l.SettledHeight += s.Blocks
	l.Streamed = l.Streamed.Add(s.Amount)
	l.ProviderPaid = l.ProviderPaid.Add(s.Provider)
	l.PoolPaid = l.PoolPaid.Add(s.Pool)
	if err := k.pay(ctx, types.ModuleName, l.Provider, sdk.NewCoin(denom, s.Provider)); err != nil {
		return s, err
	}
	if s.Pool.IsPositive() {
		if err := k.distr.FundCommunityPool(ctx, sdk.NewCoins(sdk.NewCoin(denom, s.Pool)), k.escrowAddress()); err != nil {
			return s, err
		}
	}
	emit(ctx, types.EventPaymentSettled,
		types.AttrOrderID, strconv.FormatUint(l.OrderId, 10),
		types.AttrProvider, l.Provider,
		types.AttrBlocks, strconv.FormatInt(s.Blocks, 10),
		types.AttrAmount, sdk.NewCoin(denom, s.Amount).String(),
		types.AttrProviderAmount, sdk.NewCoin(denom, s.Provider).String(),
		types.AttrPoolAmount, sdk.NewCoin(denom, s.Pool).String(),
		types.AttrSettledHeight, strconv.FormatInt(l.SettledHeight, 10),
	)
	return s, nil
}

// refundEscrow returns what is left in e to its depositors: payments consumed
// the deposits first-in first-out, so each depositor gets back the unconsumed
// part of its own deposit. It zeroes the balance and returns what it paid out
// (the whole former balance); the caller stores e.
func (k Keeper) refundEscrow(ctx context.Context, e *types.EscrowAccount) (sdk.Coin, error) {
	refunded := e.Balance
	total := sdkmath.ZeroInt()
	for _, d := range e.Deposits {
		total = total.Add(d.Amount)
	}
	consumed := total.Sub(e.Balance.Amount)
	if consumed.IsNegative() {
		consumed = sdkmath.ZeroInt() // balance never exceeds deposits; be safe
	}
	left := e.Balance.Amount
	for _, d := range e.Deposits {
		back := d.Amount
		if consumed.IsPositive() {
			used := sdkmath.MinInt(consumed, back)
			consumed = consumed.Sub(used)
			back = back.Sub(used)
		}
		back = sdkmath.MinInt(back, left)
		if !back.IsPositive() {
			continue
		}
		left = left.Sub(back)
		coin := sdk.NewCoin(e.Balance.Denom, back)
		if err := k.pay(ctx, types.ModuleName, d.Depositor, coin); err != nil {
			return sdk.Coin{}, err
		}
		emit(ctx, types.EventEscrowRefund,
			types.AttrOrderID, strconv.FormatUint(e.OrderId, 10),
			types.AttrDepositor, d.Depositor, types.AttrAmount, coin.String())
	}
	// Anything left (only if deposits under-count the balance) goes to the owner.
	if left.IsPositive() {
		if err := k.pay(ctx, types.ModuleName, e.Owner, sdk.NewCoin(e.Balance.Denom, left)); err != nil {
			return sdk.Coin{}, err
		}
	}
	e.Balance = sdk.NewCoin(e.Balance.Denom, sdkmath.ZeroInt())
	e.RunDryHeight = 0
	return refunded, nil
}

func zero() sdkmath.Int { return sdkmath.ZeroInt() }
