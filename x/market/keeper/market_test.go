package keeper_test

import (
	"testing"

	sdkmath "cosmossdk.io/math"

	"github.com/hypha-network/hypha/x/market/keeper"
	"github.com/hypha-network/hypha/x/market/types"
)

// Two providers bid; the auction closes at auction_end (not before) and the
// cheaper bid wins; losing bid deposits are refunded.
func TestAuctionClosesAtAuctionEndCheaperWins(t *testing.T) {
	f := newFixture(t)
	f.createProvider("provider1")
	f.createProvider("provider2")
	id := f.createOrder("alice", 100, 5_000_000)
	o := f.order(id)
	if o.AuctionEnd != f.height()+types.DefaultBidWindow {
		t.Fatalf("auction_end %d", o.AuctionEnd)
	}
	p2Before := f.balance("provider2")
	f.bid("provider1", id, 90)
	f.bid("provider2", id, 95)
	// provider2 revises below provider1.
	res, err := f.msg.CreateBid(f.ctx, &types.MsgCreateBid{Provider: addr("provider2"), OrderId: id, Price: uhyp(80)})
	noErr(t, err)
	if !res.Revised {
		t.Fatal("second bid from the same provider should revise")
	}
	end := o.AuctionEnd
	f.advanceTo(end)
	if f.order(id).State != types.OrderOpen {
		t.Fatal("auction closed before auction_end")
	}
	f.endBlock() // EndBlock of auction_end
	o = f.order(id)
	if o.State != types.OrderActive {
		t.Fatalf("order state %s after auction_end", o.State)
	}
	l := f.lease(id)
	if l.Provider != addr("provider2") || !l.Price.Amount.Equal(sdkmath.NewInt(80)) || l.StartHeight != end {
		t.Fatalf("lease %+v", l)
	}
	// Both deposits are back: bids are closed when the auction ends.
	if !f.balance("provider2").Equal(p2Before) {
		t.Fatalf("winner's bid deposit not refunded: %s vs %s", f.balance("provider2"), p2Before)
	}
	if !f.balance("provider1").Equal(initialBalance.Sub(types.DefaultMinProviderBond)) {
		t.Fatal("loser's bid deposit not refunded")
	}
	if n := len(must[*types.QueryBidsResponse](t)(f.q.Bids(f.ctx, &types.QueryBidsRequest{OrderId: id})).Bids); n != 0 {
		t.Fatalf("%d bids left", n)
	}
	p2 := must[types.Provider](t)(f.k.GetProvider(f.ctx, addr("provider2")))
	if p2.ActiveLeases != 1 || p2.Allocated.CpuMillis != 4000 || p2.Allocated.Gpus[0].Count != 1 {
		t.Fatalf("allocation %+v", p2)
	}
}

func TestAuctionTieBreaks(t *testing.T) {
	f := newFixture(t)
	f.createProvider("provider1")
	f.createProvider("provider2")
	// Equal price and reputation: the smaller sha256(order id || provider) wins.
	id := f.createOrder("alice", 100, 5_000_000)
	f.bid("provider1", id, 50)
	f.bid("provider2", id, 50)
	f.advanceTo(f.order(id).AuctionEnd + 1)
	winner := f.lease(id).Provider
	var want string
	{
		a, b := keeper.TieHashForTest(id, addr("provider1")), keeper.TieHashForTest(id, addr("provider2"))
		want = addr("provider2")
		if string(a[:]) < string(b[:]) {
			want = addr("provider1")
		}
	}
	if winner != want {
		t.Fatalf("tie winner %s, want %s", winner, want)
	}
	// The lease completes; the winner's reputation rises, and wins the next tie.
	_, err := f.msg.CloseLease(f.ctx, &types.MsgCloseLease{Sender: addr("alice"), OrderId: id})
	noErr(t, err)
	loser := addr("provider1")
	if winner == loser {
		loser = addr("provider2")
	}
	id2 := f.createOrder("bob", 100, 5_000_000)
	noErr(t, bidErr(f, loser, id2, 50))
	noErr(t, bidErr(f, winner, id2, 50))
	f.advanceTo(f.order(id2).AuctionEnd + 1)
	if got := f.lease(id2).Provider; got != winner {
		t.Fatalf("higher reputation should win the tie, got %s", got)
	}
}

func bidErr(f *fixture, provider string, id uint64, price int64) error {
	_, err := f.msg.CreateBid(f.ctx, &types.MsgCreateBid{Provider: provider, OrderId: id, Price: uhyp(price)})
	return err
}

// After N blocks the provider's withdrawable balance is exactly
// floor(N*price*(1-take)), the pool got the rest, and closing refunds the exact remainder.
func TestExactStreamingPayment(t *testing.T) {
	for _, price := range []int64{100, 33, 1, 999_999} {
		f := newFixture(t)
		f.createProvider("provider1")
		deposit := max(price*1000, 5_000_000) + 7
		id := f.createOrder("alice", price, deposit)
		aliceAfterDeposit := f.balance("alice")
		f.bid("provider1", id, price)
		_, err := f.msg.CreateLease(f.ctx, &types.MsgCreateLease{Owner: addr("alice"), OrderId: id, Provider: addr("provider1")})
		noErr(t, err)
		start := f.height()
		provBefore := f.balance("provider1")
		poolBefore := f.pool()
		for n := int64(1); n <= 25; n++ {
			f.endBlock()
			// withdraw at start+n: pays blocks (start, start+n]
			if n%5 == 0 {
				noErr(t, heartbeat(f, id))
				res, err := f.msg.WithdrawLease(f.ctx, &types.MsgWithdrawLease{Provider: addr("provider1"), OrderId: id})
				noErr(t, err)
				_ = res
				streamed := sdkmath.NewInt(price * n)
				want := streamed.MulRaw(98).QuoRaw(100) // floor(streamed * 0.98)
				if got := f.balance("provider1").Sub(provBefore); !got.Equal(want) {
					t.Fatalf("price %d after %d blocks provider got %s, want %s", price, n, got, want)
				}
				if got := f.pool().Sub(poolBefore); !got.Equal(streamed.Sub(want)) {
					t.Fatalf("pool got %s, want %s", got, streamed.Sub(want))
				}
			}
		}
		// query before close: withdrawable for one block at height start+26
		f.endBlock()
		q := must[*types.QueryLeaseResponse](t)(f.q.Lease(f.ctx, &types.QueryLeaseRequest{OrderId: id}))
		wantW := keeper.ProviderShare(sdkmath.NewInt(price*26), types.DefaultTakeRate).Sub(keeper.ProviderShare(sdkmath.NewInt(price*25), types.DefaultTakeRate))
		if !q.Withdrawable.Amount.Equal(wantW) || q.AsOfHeight != start+26 {
			t.Fatalf("withdrawable %s at %d, want %s", q.Withdrawable, q.AsOfHeight, wantW)
		}
		_, err = f.msg.CloseLease(f.ctx, &types.MsgCloseLease{Sender: addr("alice"), OrderId: id, Reason: "done"})
		noErr(t, err)
		// alice paid exactly 26 blocks.
		if got := f.balance("alice").Sub(aliceAfterDeposit); !got.Equal(sdkmath.NewInt(deposit - 26*price)) {
			t.Fatalf("refund %s, want %d", got, deposit-26*price)
		}
		l := f.lease(id)
		if l.State != types.LeaseClosed || l.CloseReason != types.ReasonTenantClosed || l.CloseNote != "done" {
			t.Fatalf("lease %+v", l)
		}
		if !l.ProviderPaid.Add(l.PoolPaid).Equal(l.Streamed) || !l.Streamed.Equal(sdkmath.NewInt(26*price)) {
			t.Fatalf("streamed %s provider %s pool %s", l.Streamed, l.ProviderPaid, l.PoolPaid)
		}
		if !f.escrow(id).Balance.IsZero() {
			t.Fatal("escrow not empty after close")
		}
	}
}

func heartbeat(f *fixture, id uint64) error {
	_, err := f.msg.LeaseHeartbeat(f.ctx, &types.MsgLeaseHeartbeat{Provider: addr("provider1"), OrderId: id})
	return err
}

// A deposit covering exactly M blocks: the lease closes in block start+M with
// reason insufficient_funds, the provider was paid for exactly M blocks, escrow is zero.
func TestRunDryClosesInExactBlock(t *testing.T) {
	const price, m = int64(1_000), int64(37)
	f := newFixture(t)
	f.createProvider("provider1")
	noErr(t, f.k.Params.Set(f.ctx, func() types.Params {
		p := types.DefaultParams()
		p.MinDeposit = uhyp(1)
		p.HeartbeatInterval = 1000
		return p
	}()))
	id := f.createOrder("alice", price, price*m)
	f.bid("provider1", id, price)
	aliceBefore, poolBefore := f.balance("alice"), f.pool()
	f.advanceTo(f.order(id).AuctionEnd + 1)
	l := f.lease(id)
	start := l.StartHeight
	if e := f.escrow(id); e.RunDryHeight != start+m {
		t.Fatalf("run-dry height %d, want %d", e.RunDryHeight, start+m)
	}
	provBefore := f.balance("provider1")
	f.advanceTo(start + m) // EndBlocks up to start+m-1
	if f.lease(id).State != types.LeaseActive {
		t.Fatal("lease closed early")
	}
	f.endBlock() // EndBlock of start+m
	l = f.lease(id)
	if l.State != types.LeaseClosed || l.CloseReason != types.ReasonInsufficientFunds || l.ClosedHeight != start+m {
		t.Fatalf("lease %+v", l)
	}
	if o := f.order(id); o.State != types.OrderClosed || o.CloseReason != types.ReasonInsufficientFunds {
		t.Fatalf("order %+v", o)
	}
	want := keeper.ProviderShare(sdkmath.NewInt(price*m), types.DefaultTakeRate)
	if got := f.balance("provider1").Sub(provBefore); !got.Equal(want) {
		t.Fatalf("provider paid %s, want %s", got, want)
	}
	// The take rate landed in the real community pool; the tenant paid exactly
	// M blocks, nothing after the order was funded.
	if got := f.pool().Sub(poolBefore); !got.Equal(sdkmath.NewInt(price * m).Sub(want)) {
		t.Fatalf("community pool grew by %s, want %s", got, sdkmath.NewInt(price*m).Sub(want))
	}
	if !f.balance("alice").Equal(aliceBefore) {
		t.Fatalf("tenant balance moved after the order was funded: %s -> %s", aliceBefore, f.balance("alice"))
	}
	if !l.Streamed.Equal(sdkmath.NewInt(price*m)) || l.SettledHeight != start+m {
		t.Fatalf("streamed %s settled %d", l.Streamed, l.SettledHeight)
	}
	if e := f.escrow(id); !e.Balance.IsZero() || e.RunDryHeight != 0 {
		t.Fatalf("escrow %+v", e)
	}
	p := must[types.Provider](t)(f.k.GetProvider(f.ctx, addr("provider1")))
	if p.ActiveLeases != 0 || p.Allocated.CpuMillis != 0 || p.LeasesCompleted != 1 {
		t.Fatalf("provider %+v", p)
	}
}

// A top-up moves the run-dry height; a partial block's remainder is refunded.
func TestDepositExtendsRunDry(t *testing.T) {
	f := newFixture(t)
	f.createProvider("provider1")
	id := f.createOrder("alice", 100_000, 5_050_000) // 50.5 blocks
	f.bid("provider1", id, 100_000)
	_, err := f.msg.CreateLease(f.ctx, &types.MsgCreateLease{Owner: addr("alice"), OrderId: id, Provider: addr("provider1")})
	noErr(t, err)
	start := f.height()
	if got := f.escrow(id).RunDryHeight; got != start+50 {
		t.Fatalf("run dry %d", got)
	}
	f.advanceTo(start + 10)
	bobBefore := f.balance("bob")
	res, err := f.msg.DepositEscrow(f.ctx, &types.MsgDepositEscrow{Depositor: addr("bob"), OrderId: id, Amount: uhyp(2_000_000)})
	noErr(t, err)
	if res.RunDryHeight != start+70 { // 5.05M + 2M = 70.5 blocks from start
		t.Fatalf("run dry after top-up %d, want %d", res.RunDryHeight, start+70)
	}
	f.advanceTo(start + 70)
	if f.lease(id).State != types.LeaseActive {
		t.Fatal("closed early")
	}
	aliceBefore := f.balance("alice")
	f.endBlock()
	if f.lease(id).CloseReason != types.ReasonInsufficientFunds {
		t.Fatal("not closed at run-dry height")
	}
	// 50_000 left over; alice's deposit was consumed first, so bob gets it back.
	if got := f.balance("bob").Sub(bobBefore); !got.Equal(sdkmath.NewInt(-2_000_000 + 50_000)) {
		t.Fatalf("bob net %s", got)
	}
	if !f.balance("alice").Equal(aliceBefore) {
		t.Fatal("alice should get nothing back")
	}
}

// Missed heartbeat: the lease closes at the deadline with provider_fault, the
// provider's bond is slashed by fault_slash_fraction to the tenant.
func TestMissedHeartbeatSlashes(t *testing.T) {
	f := newFixture(t)
	f.createProvider("provider1")
	id := f.createOrder("alice", 100, 10_000_000)
	f.bid("provider1", id, 100)
	_, err := f.msg.CreateLease(f.ctx, &types.MsgCreateLease{Owner: addr("alice"), OrderId: id, Provider: addr("provider1")})
	noErr(t, err)
	start := f.height()
	interval := types.DefaultHeartbeatInterval
	// A heartbeat at the deadline block itself is in time.
	f.advanceTo(start + interval)
	noErr(t, heartbeat(f, id))
	deadline := f.lease(id).HeartbeatDeadline
	if deadline != start+2*interval {
		t.Fatalf("deadline %d", deadline)
	}
	f.advanceTo(deadline)
	aliceBefore := f.balance("alice")
	f.endBlock()
	l := f.lease(id)
	if l.State != types.LeaseClosed || l.CloseReason != types.ReasonProviderFault || l.ClosedHeight != deadline {
		t.Fatalf("lease %+v", l)
	}
	slash := types.DefaultMinProviderBond.MulRaw(5).QuoRaw(100)
	p := must[types.Provider](t)(f.k.GetProvider(f.ctx, addr("provider1")))
	if !p.Bond.Amount.Equal(types.DefaultMinProviderBond.Sub(slash)) || p.LeasesFaulted != 1 || p.Reputation() != -2 {
		t.Fatalf("provider %+v", p)
	}
	refund := sdkmath.NewInt(10_000_000 - 100*2*interval)
	if got := f.balance("alice").Sub(aliceBefore); !got.Equal(slash.Add(refund)) {
		t.Fatalf("alice got %s, want slash %s + refund %s", got, slash, refund)
	}
	// Bond below the minimum: the provider can no longer bid until it tops up.
	id2 := f.createOrder("bob", 100, 10_000_000)
	if err := bidErr(f, addr("provider1"), id2, 100); !types.ErrBondTooLow.Is(err) {
		t.Fatalf("bid with low bond: %v", err)
	}
	_, err = f.msg.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Owner: addr("provider1"), HostUri: "https://p.example.com",
		TlsFingerprint: fingerprint(), Inventory: gpuInventory(), AddBond: uhyp(slash.Int64()),
		Attributes: []types.Attribute{{Key: "region", Value: "eu-west"}}})
	noErr(t, err)
	noErr(t, bidErr(f, addr("provider1"), id2, 100))
}

// No bids by auction_end: the order stays open; the first bid restarts the
// window; without any bid it expires after order_ttl with a full refund.
func TestNoBidsWaitThenExpire(t *testing.T) {
	f := newFixture(t)
	f.createProvider("provider1")
	id := f.createOrder("alice", 100, 5_000_000)
	id2 := f.createOrder("bob", 100, 5_000_000)
	f.advanceTo(f.order(id).AuctionEnd + 1)
	if o := f.order(id); o.State != types.OrderOpen || o.AuctionEnd != 0 {
		t.Fatalf("order %+v", o)
	}
	h := f.height() + 3
	f.advanceTo(h)
	f.bid("provider1", id, 60)
	if o := f.order(id); o.AuctionEnd != h+o.BidWindow {
		t.Fatalf("restarted auction_end %d, want %d", o.AuctionEnd, h+o.BidWindow)
	}
	f.advanceTo(h + types.DefaultBidWindow + 1)
	if f.order(id).State != types.OrderActive {
		t.Fatal("not matched after restarted window")
	}
	bobBefore := f.balance("bob")
	f.advanceTo(f.order(id2).ExpiresHeight + 1)
	if o := f.order(id2); o.State != types.OrderClosed || o.CloseReason != types.ReasonExpired {
		t.Fatalf("order %+v", o)
	}
	if !f.balance("bob").Sub(bobBefore).Equal(sdkmath.NewInt(5_000_000)) {
		t.Fatal("expired order not refunded")
	}
}

func TestProviderDeleteUnbonds(t *testing.T) {
	f := newFixture(t)
	f.createProvider("provider1")
	id := f.createOrder("alice", 100, 5_000_000)
	f.bid("provider1", id, 60)
	res, err := f.msg.DeleteProvider(f.ctx, &types.MsgDeleteProvider{Owner: addr("provider1")})
	noErr(t, err)
	if res.UnbondingHeight != f.height()+types.DefaultUnbondingPeriod {
		t.Fatalf("unbonding height %d", res.UnbondingHeight)
	}
	if f.order(id).BidCount != 0 {
		t.Fatal("open bid not closed on delete")
	}
	if err := bidErr(f, addr("provider1"), id, 50); !types.ErrProviderNotActive.Is(err) {
		t.Fatalf("bid while unbonding: %v", err)
	}
	noErr(t, f.k.UnbondingQueue.Remove(f.ctx, joinIS(res.UnbondingHeight, addr("provider1"))))
	noErr(t, f.k.UnbondingQueue.Set(f.ctx, joinIS(f.height()+2, addr("provider1")))) // shorten for the test
	f.advanceTo(f.height() + 3)
	if _, err := f.k.GetProvider(f.ctx, addr("provider1")); !types.ErrProviderNotFound.Is(err) {
		t.Fatalf("provider still present: %v", err)
	}
	if !f.balance("provider1").Equal(initialBalance) {
		t.Fatalf("bond not returned: %s", f.balance("provider1"))
	}
}

func TestQueries(t *testing.T) {
	f := newFixture(t)
	f.createProvider("provider1")
	f.createProvider("provider2", types.Attribute{Key: "region", Value: "us-east"})
	id := f.createOrder("alice", 100, 5_000_000)
	fit := must[*types.QueryOrderFitResponse](t)(f.q.OrderFit(f.ctx, &types.QueryOrderFitRequest{OrderId: id}))
	if len(fit.Providers) != 1 || fit.Providers[0].Owner != addr("provider1") {
		t.Fatalf("fit %+v", fit.Providers)
	}
	ps := must[*types.QueryProvidersResponse](t)(f.q.Providers(f.ctx, &types.QueryProvidersRequest{AttributeKey: "region", AttributeValue: "us-east"}))
	if len(ps.Providers) != 1 || ps.Providers[0].Owner != addr("provider2") {
		t.Fatalf("providers by attribute %+v", ps.Providers)
	}
	ps = must[*types.QueryProvidersResponse](t)(f.q.Providers(f.ctx, &types.QueryProvidersRequest{GpuModel: "A100"}))
	if len(ps.Providers) != 2 {
		t.Fatalf("providers by gpu %d", len(ps.Providers))
	}
	os := must[*types.QueryOrdersResponse](t)(f.q.Orders(f.ctx, &types.QueryOrdersRequest{Owner: addr("alice"), State: types.OrderOpen}))
	if len(os.Orders) != 1 {
		t.Fatalf("orders %d", len(os.Orders))
	}
	f.bid("provider1", id, 70)
	bs := must[*types.QueryBidsResponse](t)(f.q.Bids(f.ctx, &types.QueryBidsRequest{Provider: addr("provider1")}))
	if len(bs.Bids) != 1 || bs.Bids[0].OrderId != id {
		t.Fatalf("bids %+v", bs.Bids)
	}
	f.advanceTo(f.order(id).AuctionEnd + 1)
	ls := must[*types.QueryLeasesResponse](t)(f.q.Leases(f.ctx, &types.QueryLeasesRequest{Provider: addr("provider1"), State: types.LeaseActive}))
	if len(ls.Leases) != 1 {
		t.Fatalf("leases %d", len(ls.Leases))
	}
	ls = must[*types.QueryLeasesResponse](t)(f.q.Leases(f.ctx, &types.QueryLeasesRequest{Owner: addr("bob")}))
	if len(ls.Leases) != 0 {
		t.Fatalf("bob leases %d", len(ls.Leases))
	}
}

func TestGenesisRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.createProvider("provider1")
	f.createProvider("provider2")
	id := f.createOrder("alice", 100, 5_000_000)
	f.bid("provider1", id, 70)
	f.advanceTo(f.order(id).AuctionEnd + 1)
	id2 := f.createOrder("bob", 100, 5_000_000)
	f.bid("provider2", id2, 90)
	f.advanceTo(f.height() + 3)
	g := must[*types.GenesisState](t)(f.k.ExportGenesis(f.ctx))
	noErr(t, g.Validate())

	// A second real app gets the same balances and community pool, then
	// imports the market genesis.
	f2 := f.imported(g)
	// Both chains continue identically (queues were rebuilt).
	f.stepBoth(f2, 30)
	if f2.order(id2).State != types.OrderActive {
		t.Fatal("imported auction did not close")
	}
}
