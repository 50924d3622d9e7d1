package keeper_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/market/keeper"
	"github.com/hypha-network/hypha/x/market/types"
)

// createBlockedProvider registers a provider whose owner is blockedAcct, a
// module account the real bank refuses to pay: every payout to it fails.
func (f *fixture) createBlockedProvider() string {
	f.t.Helper()
	if !f.env.App.BankKeeper.BlockedAddr(blockedAcct) {
		f.t.Fatal("the fee collector is not a blocked address")
	}
	bond := types.DefaultMinProviderBond
	noErr(f.t, f.env.App.BankKeeper.SendCoins(f.ctx, sdk.MustAccAddressFromBech32(addr("alice")), blockedAcct,
		sdk.NewCoins(sdk.NewCoin(denom, bond.MulRaw(2)))))
	_, err := f.msg.CreateProvider(f.ctx, &types.MsgCreateProvider{
		Owner: blockedAcct.String(), HostUri: "https://blocked.example.com:8443", TlsFingerprint: fingerprint(),
		Attributes: []types.Attribute{{Key: "region", Value: "eu-west"}}, Inventory: gpuInventory(), Bond: sdk.NewCoin(denom, bond),
	})
	noErr(f.t, err)
	return blockedAcct.String()
}

// eventsOf returns the attribute maps of the events of type typ.
func eventsOf(ctx sdk.Context, typ string) []map[string]string {
	var out []map[string]string
	for _, ev := range ctx.EventManager().Events() {
		if ev.Type != typ {
			continue
		}
		m := map[string]string{}
		for _, a := range ev.Attributes {
			m[a.Key] = a.Value
		}
		out = append(out, m)
	}
	return out
}

// TestFailingDueItemIsParkedNotHalting: three leases run dry in the same block
// and an auction closes in it too; the payout of one lease goes to an address
// the real bank refuses (a module account). EndBlock returns no error, the
// other leases settle and close, the auction starts its lease, the failed lease
// is evented and parked with its escrow intact, it is not visited again, funds
// are conserved in every block, and the parked item survives a genesis round trip.
func TestFailingDueItemIsParkedNotHalting(t *testing.T) {
	f := newFixture(t)
	p := must[types.Params](t)(f.k.Params.Get(f.ctx))
	p.BidDeposit = uhyp(0) // the winner's bid refund would already fail at the auction
	noErr(t, f.k.Params.Set(f.ctx, p))
	f.createProvider("provider1")
	f.createProvider("provider2")
	blocked := f.createBlockedProvider()

	const price, deposit = 1_000_000, 20_000_000 // 20 blocks: the leases start at 12, run dry at 32
	o1 := f.createOrder("alice", price, deposit)
	o2 := f.createOrder("bob", price, deposit)
	o3 := f.createOrder("carol", price, deposit)
	f.bid("provider1", o1, price)
	_, err := f.msg.CreateBid(f.ctx, &types.MsgCreateBid{Provider: blocked, OrderId: o2, Price: uhyp(price)})
	noErr(t, err)
	f.bid("provider2", o3, price)
	f.advanceTo(f.order(o1).AuctionEnd + 1)
	for _, id := range []uint64{o1, o2, o3} {
		if f.lease(id).State != types.LeaseActive {
			t.Fatalf("order %d: no active lease", id)
		}
	}
	runDry := f.escrow(o1).RunDryHeight
	if f.escrow(o2).RunDryHeight != runDry || f.escrow(o3).RunDryHeight != runDry {
		t.Fatal("the three leases do not run dry in the same block")
	}
	// A fourth order whose auction closes in the run-dry block.
	f.advanceTo(runDry - types.DefaultBidWindow)
	o4 := f.createOrder("alice", price, deposit)
	f.bid("provider1", o4, price)
	if f.order(o4).AuctionEnd != runDry {
		t.Fatalf("auction of order %d ends at %d, want %d", o4, f.order(o4).AuctionEnd, runDry)
	}
	f.advanceTo(runDry)

	p1, p2, bl := f.balance("provider1"), f.balance("provider2"), f.bal(blockedAcct)
	escrowBefore := f.escrow(o2)
	if err := f.k.EndBlocker(f.ctx); err != nil {
		t.Fatalf("EndBlock returned %v: one bad item halts the chain", err)
	}
	f.checkInvariants()

	// The other due items settled.
	for _, c := range []struct {
		id   uint64
		prov string
		was  sdkmath.Int
	}{{o1, "provider1", p1}, {o3, "provider2", p2}} {
		l := f.lease(c.id)
		if l.State != types.LeaseClosed || l.CloseReason != types.ReasonInsufficientFunds {
			t.Fatalf("lease %d: %s/%s, want closed for insufficient funds", c.id, l.State, l.CloseReason)
		}
		if !l.Streamed.Equal(sdkmath.NewInt(deposit)) || !f.escrow(c.id).Balance.IsZero() {
			t.Fatalf("lease %d streamed %s, escrow left %s", c.id, l.Streamed, f.escrow(c.id).Balance)
		}
		want := keeper.ProviderShare(sdkmath.NewInt(deposit), l.TakeRate)
		if got := f.balance(c.prov).Sub(c.was); !got.Equal(want) || !l.ProviderPaid.Equal(want) {
			t.Fatalf("%s received %s (lease says %s), want %s", c.prov, got, l.ProviderPaid, want)
		}
		if f.order(c.id).State != types.OrderClosed {
			t.Fatalf("order %d not closed", c.id)
		}
	}
	if l := f.lease(o4); l.State != types.LeaseActive || l.StartHeight != runDry {
		t.Fatalf("auction of order %d in the failing block did not start its lease: %+v", o4, l)
	}

	// The failed one: untouched, evented, parked, out of the queue.
	l2 := f.lease(o2)
	if l2.State != types.LeaseActive || !l2.Streamed.IsZero() {
		t.Fatalf("failed lease %d changed: %s, streamed %s", o2, l2.State, l2.Streamed)
	}
	if e := f.escrow(o2); !e.Balance.Equal(escrowBefore.Balance) || e.Balance.Amount.Int64() != deposit {
		t.Fatalf("failed lease's escrow %s, want %s intact", e.Balance, escrowBefore.Balance)
	}
	if !f.bal(blockedAcct).Equal(bl) {
		t.Fatal("the blocked provider's balance changed")
	}
	failed := eventsOf(f.ctx, types.EventItemFailed)
	if len(failed) != 1 || failed[0][types.AttrKind] != types.ItemRunDry || failed[0][types.AttrItemID] != strconv.FormatUint(o2, 10) ||
		!strings.Contains(failed[0][types.AttrError], "not allowed to receive funds") {
		t.Fatalf("market_item_failed events: %v", failed)
	}
	for _, ev := range eventsOf(f.ctx, types.EventLeaseClosed) {
		if ev[types.AttrOrderID] == strconv.FormatUint(o2, 10) {
			t.Fatal("the failed item's discarded events were emitted")
		}
	}
	parkedKey := collections.Join(types.ItemRunDry, strconv.FormatUint(o2, 10))
	pk := must[types.ParkedItem](t)(f.k.Parked.Get(f.ctx, parkedKey))
	if pk.Attempts != 1 || pk.DueHeight != runDry || pk.ParkedHeight != runDry || pk.Error == "" {
		t.Fatalf("parked item %+v", pk)
	}
	if has := must[bool](t)(f.k.RunDryQueue.Has(f.ctx, collections.Join(runDry, o2))); has {
		t.Fatal("the parked item is still queued")
	}

	// The chain goes on and does not visit the parked item again.
	f.ctx = f.ctx.WithBlockHeight(runDry + 1).WithEventManager(sdk.NewEventManager())
	for i := 0; i < 5; i++ {
		if err := f.k.EndBlocker(f.ctx); err != nil {
			t.Fatal(err)
		}
		if ev := eventsOf(f.ctx, types.EventItemFailed); len(ev) != 0 {
			t.Fatalf("parked item revisited at %d: %v", f.height(), ev)
		}
		f.checkInvariants()
		f.ctx = f.ctx.WithBlockHeight(f.height() + 1).WithEventManager(sdk.NewEventManager())
	}
	if got := must[types.ParkedItem](t)(f.k.Parked.Get(f.ctx, parkedKey)); got.Attempts != 1 {
		t.Fatalf("parked item attempted again: %+v", got)
	}

	// Genesis: the parked item is exported, validated and imported, and the
	// import does not queue it again.
	g := must[*types.GenesisState](t)(f.k.ExportGenesis(f.ctx))
	noErr(t, g.Validate())
	if len(g.Parked) != 1 || g.Parked[0].Id != strconv.FormatUint(o2, 10) {
		t.Fatalf("exported parked items %v", g.Parked)
	}
	f2 := f.imported(g)
	if has := must[bool](t)(f2.k.RunDryQueue.Has(f2.ctx, collections.Join(runDry, o2))); has {
		t.Fatal("genesis import queued the parked item again")
	}
	f.stepBoth(f2, 3)
}

// TestParkedGenesisValidation rejects malformed parked items.
func TestParkedGenesisValidation(t *testing.T) {
	for i, p := range []types.ParkedItem{
		{Kind: "nonsense", Id: "1", Attempts: 1},
		{Kind: types.ItemRunDry, Id: "x", Attempts: 1},
		{Kind: types.ItemUnbonding, Id: "not-an-address", Attempts: 1},
		{Kind: types.ItemExpiry, Id: "1", Attempts: 0},
	} {
		g := types.DefaultGenesis()
		g.Parked = []types.ParkedItem{p}
		if err := g.Validate(); !types.ErrInvalidGenesis.Is(err) {
			t.Errorf("case %d: %v", i, err)
		}
	}
	g := types.DefaultGenesis()
	g.Parked = []types.ParkedItem{{Kind: types.ItemAuction, Id: "3", Attempts: 1}, {Kind: types.ItemAuction, Id: "3", Attempts: 2}}
	if err := g.Validate(); !types.ErrInvalidGenesis.Is(err) {
		t.Errorf("duplicate parked item: %v", err)
	}
}

// TestDustDepositsCannotLockOutOwner: strangers fill every third-party
// depositor slot; the owner's own top-up (even one uhyp) is still accepted,
// and a stranger's dust or a deposit into a full escrow is refused with a
// typed error that changes nothing.
func TestDustDepositsCannotLockOutOwner(t *testing.T) {
	f := newFixture(t)
	id := f.createOrder("alice", 100, 5_000_000)
	least := types.DefaultMinThirdPartyDeposit
	strangers := make([]sdk.AccAddress, keeper.MaxDepositors)
	for i := range strangers {
		strangers[i] = sdk.AccAddress([]byte(fmt.Sprintf("stranger-%011d", i)))
		noErr(t, f.env.App.BankKeeper.SendCoins(f.ctx, sdk.MustAccAddressFromBech32(addr("bob")), strangers[i],
			sdk.NewCoins(sdk.NewCoin(denom, least.MulRaw(10)))))
	}
	deposit := func(from sdk.AccAddress, amt sdkmath.Int) error {
		_, err := f.msg.DepositEscrow(f.ctx, &types.MsgDepositEscrow{Depositor: from.String(), OrderId: id,
			Amount: sdk.NewCoin(denom, amt)})
		return err
	}
	refused := func(what string, err, want error) {
		t.Helper()
		if !want.(interface{ Is(error) bool }).Is(err) {
			t.Fatalf("%s: got %v, want %v", what, err, want)
		}
	}

	// Dust from a stranger is refused and changes nothing.
	before := f.state()
	refused("dust", deposit(strangers[0], least.SubRaw(1)), types.ErrThirdPartyDepositTooLow)
	refused("one uhyp", deposit(strangers[0], sdkmath.OneInt()), types.ErrThirdPartyDepositTooLow)
	if f.state() != before {
		t.Fatal("a refused dust deposit changed state")
	}

	// Strangers fill the MaxDepositors-1 third-party slots at the minimum.
	for i := 0; i < keeper.MaxDepositors-1; i++ {
		noErr(t, deposit(strangers[i], least))
	}
	if n := len(f.escrow(id).Deposits); n != keeper.MaxDepositors {
		t.Fatalf("%d depositors, want %d", n, keeper.MaxDepositors)
	}
	before = f.state()
	refused("full", deposit(strangers[keeper.MaxDepositors-1], least.MulRaw(5)), types.ErrTooManyDepositors)
	if f.state() != before {
		t.Fatal("a refused deposit into a full escrow changed state")
	}

	// The owner still tops up, with any amount, into its own entry.
	balBefore, alice := f.escrow(id).Balance.Amount, f.balance("alice")
	noErr(t, deposit(sdk.MustAccAddressFromBech32(addr("alice")), sdkmath.OneInt()))
	noErr(t, deposit(sdk.MustAccAddressFromBech32(addr("alice")), sdkmath.NewInt(2_000_000)))
	e := f.escrow(id)
	if len(e.Deposits) != keeper.MaxDepositors || e.Deposits[0].Depositor != addr("alice") ||
		!e.Deposits[0].Amount.Equal(sdkmath.NewInt(5_000_000+1+2_000_000)) {
		t.Fatalf("owner's deposit did not merge into its entry: %+v", e.Deposits)
	}
	if !e.Balance.Amount.Sub(balBefore).Equal(sdkmath.NewInt(2_000_001)) ||
		!alice.Sub(f.balance("alice")).Equal(sdkmath.NewInt(2_000_001)) {
		t.Fatal("owner's top-up not credited")
	}
	// A stranger already in the escrow may add to its entry.
	noErr(t, deposit(strangers[3], least))
	if msg, broken := f.k.CheckEscrow(f.ctx); broken {
		t.Fatal(msg)
	}

	// Everyone gets back its own unconsumed deposit when the order closes.
	_, err := f.msg.CloseOrder(f.ctx, &types.MsgCloseOrder{Owner: addr("alice"), OrderId: id})
	noErr(t, err)
	if got := f.bal(strangers[3]); !got.Equal(least.MulRaw(10)) {
		t.Fatalf("stranger 3 holds %s after refund, want %s", got, least.MulRaw(10))
	}
	if msg, broken := f.k.CheckEscrow(f.ctx); broken {
		t.Fatal(msg)
	}
}
