package keeper_test

import (
	"testing"

	sdkmath "cosmossdk.io/math"

	"github.com/hypha-network/hypha/x/market/types"
)

// A close by the tenant records TENANT_CLOSED, one by the provider
// PROVIDER_CLOSED; each response reports exactly what moved: the provider's
// final payment, the pool's take and the refund, which together are the
// escrow that was left, and funds are conserved.
func TestCloseLeaseReasonAndAmounts(t *testing.T) {
	f := newFixture(t)
	f.createProvider("provider1")
	const price, deposit = 1_001, 5_000_000
	start := func() uint64 {
		id := f.createOrder("alice", price, deposit)
		f.bid("provider1", id, price)
		_, err := f.msg.CreateLease(f.ctx, &types.MsgCreateLease{Owner: addr("alice"), OrderId: id, Provider: addr("provider1")})
		noErr(t, err)
		return id
	}
	byTenant, byProvider := start(), start()
	f.advanceTo(f.height() + 7)

	for _, c := range []struct {
		id     uint64
		sender string
		want   types.CloseReason
	}{{byTenant, "alice", types.ReasonTenantClosed}, {byProvider, "provider1", types.ReasonProviderClosed}} {
		q := must[*types.QueryLeaseResponse](t)(f.q.Lease(f.ctx, &types.QueryLeaseRequest{OrderId: c.id}))
		left := f.escrow(c.id).Balance.Amount
		prov0, tenant0, pool0 := f.balance("provider1"), f.balance("alice"), f.pool()

		res, err := f.msg.CloseLease(f.ctx, &types.MsgCloseLease{Sender: addr(c.sender), OrderId: c.id, Reason: "bye"})
		noErr(t, err)
		if l := f.lease(c.id); l.State != types.LeaseClosed || l.CloseReason != c.want || l.CloseNote != "bye" {
			t.Fatalf("lease %d closed by %s: state %s reason %s note %q, want reason %s", c.id, c.sender, l.State, l.CloseReason, l.CloseNote, c.want)
		}
		if o := f.order(c.id); o.State != types.OrderClosed || o.CloseReason != c.want {
			t.Fatalf("order %d: state %s reason %s, want %s", c.id, o.State, o.CloseReason, c.want)
		}
		// The response is what the query said settling now would pay, and the rest.
		if !res.ProviderAmount.Equal(q.Withdrawable) || !res.PoolAmount.Equal(q.PendingPool) || !res.Refund.Equal(q.EscrowBalance) {
			t.Fatalf("close response %s/%s/%s, query said %s/%s/%s", res.ProviderAmount, res.PoolAmount, res.Refund,
				q.Withdrawable, q.PendingPool, q.EscrowBalance)
		}
		if !res.ProviderAmount.IsPositive() || !res.PoolAmount.IsPositive() || !res.Refund.IsPositive() {
			t.Fatalf("close response should move all three amounts: %s/%s/%s", res.ProviderAmount, res.PoolAmount, res.Refund)
		}
		if sum := res.ProviderAmount.Amount.Add(res.PoolAmount.Amount).Add(res.Refund.Amount); !sum.Equal(left) {
			t.Fatalf("provider + pool + refund = %s, escrow held %s", sum, left)
		}
		// And it is what the accounts received.
		if got := f.balance("provider1").Sub(prov0); !got.Equal(res.ProviderAmount.Amount) {
			t.Fatalf("provider received %s, response says %s", got, res.ProviderAmount)
		}
		if got := f.balance("alice").Sub(tenant0); !got.Equal(res.Refund.Amount) {
			t.Fatalf("tenant received %s, response says %s", got, res.Refund)
		}
		if got := f.pool().Sub(pool0); !got.Equal(res.PoolAmount.Amount) {
			t.Fatalf("pool received %s, response says %s", got, res.PoolAmount)
		}
		if !f.escrow(c.id).Balance.IsZero() {
			t.Fatalf("escrow of %d not emptied", c.id)
		}
		f.checkInvariants()
	}
}

// CloseOrder reports the refund of an open order's escrow (and no payment),
// and for an active order what closing its lease settled.
func TestCloseOrderReportsRefund(t *testing.T) {
	f := newFixture(t)
	f.createProvider("provider1")
	open := f.createOrder("alice", 100, 5_000_000)
	before := f.balance("alice")
	res, err := f.msg.CloseOrder(f.ctx, &types.MsgCloseOrder{Owner: addr("alice"), OrderId: open})
	noErr(t, err)
	if !res.Refund.Equal(uhyp(5_000_000)) || !res.ProviderAmount.IsZero() || !res.PoolAmount.IsZero() ||
		res.ProviderAmount.Denom != denom || res.PoolAmount.Denom != denom {
		t.Fatalf("open order close response %+v", res)
	}
	if got := f.balance("alice").Sub(before); !got.Equal(res.Refund.Amount) {
		t.Fatalf("tenant got %s back, response says %s", got, res.Refund)
	}

	active := f.createOrder("alice", 100, 5_000_000)
	f.bid("provider1", active, 100)
	_, err = f.msg.CreateLease(f.ctx, &types.MsgCreateLease{Owner: addr("alice"), OrderId: active, Provider: addr("provider1")})
	noErr(t, err)
	f.advanceTo(f.height() + 3)
	res, err = f.msg.CloseOrder(f.ctx, &types.MsgCloseOrder{Owner: addr("alice"), OrderId: active})
	noErr(t, err)
	// 3 blocks at 100: the provider gets floor(300 * 0.98), the pool the rest.
	if !res.ProviderAmount.Amount.Equal(sdkmath.NewInt(294)) || !res.PoolAmount.Amount.Equal(sdkmath.NewInt(6)) ||
		!res.Refund.Amount.Equal(sdkmath.NewInt(5_000_000-300)) {
		t.Fatalf("active order close response %s/%s/%s", res.ProviderAmount, res.PoolAmount, res.Refund)
	}
	if l := f.lease(active); l.CloseReason != types.ReasonTenantClosed {
		t.Fatalf("reason %s", l.CloseReason)
	}
	f.checkInvariants()
}
