package keeper_test

import (
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/testutil/apptest"
	"github.com/hypha-network/hypha/x/market/keeper"
	"github.com/hypha-network/hypha/x/market/types"
)

// TestRunDryWithRealBankAndDistribution repeats the run-dry scenario on the real
// app: the real bank moves the coins and the take rate lands in the real
// community pool. The tenant pays exactly M blocks, the provider receives its
// share, the pool the rest, and the supply does not change.
func TestRunDryWithRealBankAndDistribution(t *testing.T) {
	const price, m = int64(1_000), int64(25)
	env := apptest.New(t, 2, 1_000_000_000_000)
	k, msg := env.App.MarketKeeper, keeper.NewMsgServerImpl(env.App.MarketKeeper)
	tenant, provider := env.Accounts[0], env.Accounts[1]
	p := types.DefaultParams()
	p.MinDeposit = uhyp(1)
	p.HeartbeatInterval = 1000
	noErr(t, k.Params.Set(env.Ctx, p))

	pool := func() sdkmath.LegacyDec {
		fp, err := env.App.DistrKeeper.FeePool.Get(env.Ctx)
		noErr(t, err)
		return fp.CommunityPool.AmountOf(denom)
	}
	supply := env.App.BankKeeper.GetSupply(env.Ctx, denom).Amount
	pool0 := pool()

	noErr(t, env.Deliver(func(ctx sdk.Context) error {
		_, err := msg.CreateProvider(ctx, &types.MsgCreateProvider{
			Owner: provider.String(), HostUri: "https://p.example.com:8443", TlsFingerprint: fingerprint(),
			Attributes: []types.Attribute{{Key: "region", Value: "eu-west"}}, Inventory: gpuInventory(),
			Bond: uhyp(types.DefaultMinProviderBond.Int64()),
		})
		return err
	}))
	order := orderMsg("alice", price, price*m)
	order.Owner = tenant.String()
	var id uint64
	noErr(t, env.Deliver(func(ctx sdk.Context) error {
		res, err := msg.CreateOrder(ctx, order)
		if err == nil {
			id = res.OrderId
		}
		return err
	}))
	noErr(t, env.Deliver(func(ctx sdk.Context) error {
		_, err := msg.CreateBid(ctx, &types.MsgCreateBid{Provider: provider.String(), OrderId: id, Price: uhyp(price)})
		return err
	}))
	tenant0, provider0 := env.Balance(tenant), env.Balance(provider)

	for i := 0; i < 200; i++ {
		ctx := env.AtHeight(env.Ctx.BlockHeight() + 1)
		noErr(t, k.EndBlocker(ctx))
		if msg, broken := k.CheckEscrow(ctx); broken {
			t.Fatalf("escrow invariant: %s", msg)
		}
		if l, err := k.GetLease(ctx, id); err == nil && l.State == types.LeaseClosed {
			if l.CloseReason != types.ReasonInsufficientFunds || l.ClosedHeight != l.StartHeight+m {
				t.Fatalf("lease closed at %d (start %d) for %v, want insufficient funds after %d blocks",
					l.ClosedHeight, l.StartHeight, l.CloseReason, m)
			}
			break
		}
	}
	share := keeper.ProviderShare(sdkmath.NewInt(price*m), types.DefaultTakeRate)
	// The provider also gets its bid deposit back when the lease ends.
	if got, want := env.Balance(provider)-provider0, share.Int64()+p.BidDeposit.Amount.Int64(); got != want {
		t.Fatalf("provider received %d, want share %s + bid deposit %s", got, share, p.BidDeposit.Amount)
	}
	if got := pool().Sub(pool0); !got.Equal(sdkmath.LegacyNewDec(price*m - share.Int64())) {
		t.Fatalf("community pool grew by %s, want %d", got, price*m-share.Int64())
	}
	if tenant0 != env.Balance(tenant) {
		t.Fatalf("tenant balance moved after the order was funded: %d -> %d", tenant0, env.Balance(tenant))
	}
	if got := env.App.BankKeeper.GetSupply(env.Ctx, denom).Amount; !got.Equal(supply) {
		t.Fatalf("supply changed: %s -> %s", supply, got)
	}
}
