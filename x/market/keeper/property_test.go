package keeper_test

import (
	"fmt"
	"math/rand"
	"testing"

	sdkmath "cosmossdk.io/math"

	"github.com/hypha-network/hypha/x/market/types"
)

// TestRandomMessageSequences drives the market with random messages (many of
// them invalid) for hundreds of blocks. After every block: total supply is
// conserved, the escrow account holds exactly the escrow balances plus bid
// deposits, the bond account exactly the bonds; every failed message left the
// state untouched; and per-lease accounting is exact.
func TestRandomMessageSequences(t *testing.T) {
	seeds := []int64{1, 2, 3, 4, 5, 6}
	blocks := 250
	if testing.Short() {
		seeds, blocks = seeds[:2], 100
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runRandom(t, seed, blocks) })
	}
}

func runRandom(t *testing.T, seed int64, blocks int) {
	f := newFixture(t)
	p := types.DefaultParams()
	p.MinProviderBond, p.MinDeposit, p.BidDeposit = uhyp(10_000), uhyp(1_000), uhyp(100)
	p.BidWindowDefault, p.BidWindowMin, p.BidWindowMax = 3, 1, 8
	p.OrderTtl, p.HeartbeatInterval, p.UnbondingPeriod = 40, 12, 6
	p.MaxBidsPerOrder = 3
	p.MinThirdPartyDeposit = uhyp(1_000) // third-party top-ups both pass and fail
	p.TakeRate = sdkmath.LegacyMustNewDecFromStr("0.0333")
	p.FaultSlashFraction = sdkmath.LegacyMustNewDecFromStr("0.1")
	noErr(t, f.k.Params.Set(f.ctx, p))

	r := rand.New(rand.NewSource(seed))
	providers := []string{"provider1", "provider2", "provider3"}
	tenants := []string{"alice", "bob", "carol"}
	anyone := append(append([]string{}, providers...), tenants...)
	pick := func(s []string) string { return addr(s[r.Intn(len(s))]) }
	orderID := func() uint64 {
		next, _ := f.k.OrderSeq.Peek(f.ctx) // mostly recent orders, sometimes unknown ones
		id := int64(next) - 1 - r.Int63n(6)
		if id < 0 || r.Intn(20) == 0 {
			id = r.Int63n(int64(next) + 2)
		}
		return uint64(id)
	}
	regions := []string{"eu", "us"}
	var failures, successes int
	for b := 0; b < blocks; b++ {
		for n := r.Intn(6); n > 0; n-- {
			var err error
			before := f.state()
			switch r.Intn(15) {
			case 0:
				inv := gpuInventory()
				inv.Gpus[0].Count = uint32(1 + r.Intn(3))
				_, err = f.msg.CreateProvider(f.ctx, &types.MsgCreateProvider{Owner: pick(providers),
					HostUri: "https://p.example.com", TlsFingerprint: fingerprint(), Inventory: inv,
					Attributes: []types.Attribute{{Key: "region", Value: regions[r.Intn(2)]}},
					Bond:       uhyp(8_000 + r.Int63n(30_000))})
			case 1:
				_, err = f.msg.UpdateProvider(f.ctx, &types.MsgUpdateProvider{Owner: pick(providers),
					HostUri: "https://p.example.com", TlsFingerprint: fingerprint(), Inventory: gpuInventory(),
					Attributes: []types.Attribute{{Key: "region", Value: regions[r.Intn(2)]}},
					AddBond:    uhyp(r.Int63n(3_000))})
			case 2, 3:
				m := orderMsg("alice", 1+r.Int63n(500), 0)
				m.Owner = pick(tenants)
				m.Deposit = uhyp(max(1, r.Int63n(20_000)-500))
				m.BidWindow = r.Int63n(10)
				m.Placement = []types.Attribute{{Key: "region", Value: regions[r.Intn(2)]}}
				m.Resources.Gpu.Count = uint32(r.Intn(3))
				if m.Resources.Gpu.Count == 0 {
					m.Resources.Gpu = types.GPURequirement{}
				}
				_, err = f.msg.CreateOrder(f.ctx, m)
			case 4:
				_, err = f.msg.DepositEscrow(f.ctx, &types.MsgDepositEscrow{Depositor: pick(anyone), OrderId: orderID(),
					Amount: uhyp(r.Int63n(5_000))})
			case 5, 6:
				_, err = f.msg.CreateBid(f.ctx, &types.MsgCreateBid{Provider: pick(providers), OrderId: orderID(),
					Price: uhyp(1 + r.Int63n(300))})
			case 7:
				_, err = f.msg.CloseBid(f.ctx, &types.MsgCloseBid{Provider: pick(providers), OrderId: orderID()})
			case 8:
				_, err = f.msg.CreateLease(f.ctx, &types.MsgCreateLease{Owner: pick(tenants), OrderId: orderID(), Provider: pick(providers)})
			case 9:
				_, err = f.msg.WithdrawLease(f.ctx, &types.MsgWithdrawLease{Provider: pick(providers), OrderId: orderID()})
			case 10:
				if r.Intn(2) == 0 {
					_, err = f.msg.CloseLease(f.ctx, &types.MsgCloseLease{Sender: pick(anyone), OrderId: orderID()})
				} else {
					_, err = f.msg.CloseOrder(f.ctx, &types.MsgCloseOrder{Owner: pick(tenants), OrderId: orderID()})
				}
			case 11, 13, 14: // providers mostly heartbeat
				_, err = f.msg.LeaseHeartbeat(f.ctx, &types.MsgLeaseHeartbeat{Provider: pick(providers), OrderId: orderID()})
			case 12:
				if r.Intn(4) == 0 {
					_, err = f.msg.DeleteProvider(f.ctx, &types.MsgDeleteProvider{Owner: pick(providers)})
				}
			}
			if err != nil {
				failures++
				if f.state() != before {
					t.Fatalf("block %d: failed message changed state: %v", f.height(), err)
				}
			} else {
				successes++
			}
		}
		// Mostly diligent providers: heartbeat active leases now and then.
		active := must[*types.QueryLeasesResponse](t)(f.q.Leases(f.ctx, &types.QueryLeasesRequest{State: types.LeaseActive}))
		for _, l := range active.Leases {
			if r.Intn(8) == 0 {
				_, err := f.msg.LeaseHeartbeat(f.ctx, &types.MsgLeaseHeartbeat{Provider: l.Provider, OrderId: l.OrderId})
				noErr(t, err)
			}
		}
		f.endBlock()
		checkLeaseAccounting(t, f)
	}
	if successes < blocks/2 {
		t.Fatalf("only %d successful messages (%d failures): the test exercises too little", successes, failures)
	}
	g := must[*types.GenesisState](t)(f.k.ExportGenesis(f.ctx))
	reasons := map[types.CloseReason]int{}
	for _, o := range g.Orders {
		reasons[o.CloseReason]++
	}
	t.Logf("seed %d: %d blocks, %d ok, %d failed messages; %d orders, %d leases; close reasons %v",
		seed, blocks, successes, failures, len(g.Orders), len(g.Leases), reasons)
}

// checkLeaseAccounting: provider_paid = floor(streamed*(1-take)), provider+pool
// = streamed = price * (settled - start); queues point at live objects only.
func checkLeaseAccounting(t *testing.T, f *fixture) {
	t.Helper()
	g := must[*types.GenesisState](t)(f.k.ExportGenesis(f.ctx))
	for _, l := range g.Leases {
		if !l.ProviderPaid.Add(l.PoolPaid).Equal(l.Streamed) {
			t.Fatalf("lease %d: provider %s + pool %s != streamed %s", l.OrderId, l.ProviderPaid, l.PoolPaid, l.Streamed)
		}
		if !l.Streamed.Equal(l.Price.Amount.MulRaw(l.SettledHeight - l.StartHeight)) {
			t.Fatalf("lease %d: streamed %s != price %s * blocks %d", l.OrderId, l.Streamed, l.Price, l.SettledHeight-l.StartHeight)
		}
		if want := l.Streamed.ToLegacyDec().Mul(sdkmath.LegacyOneDec().Sub(l.TakeRate)).TruncateInt(); !l.ProviderPaid.Equal(want) {
			t.Fatalf("lease %d: provider paid %s, want %s", l.OrderId, l.ProviderPaid, want)
		}
		e := must[types.EscrowAccount](t)(f.k.Escrows.Get(f.ctx, l.OrderId))
		if l.State == types.LeaseActive {
			// Never unpaid: EndBlock has run for every height before f.height(),
			// so an active lease's run-dry height and deadline are not in the past.
			if e.RunDryHeight < f.height() {
				t.Fatalf("lease %d active past its run-dry height %d (now %d)", l.OrderId, e.RunDryHeight, f.height())
			}
			if l.HeartbeatDeadline < f.height() {
				t.Fatalf("lease %d active past heartbeat deadline", l.OrderId)
			}
		} else if !e.Balance.IsZero() {
			t.Fatalf("closed lease %d has escrow %s", l.OrderId, e.Balance)
		}
	}
	for _, o := range g.Orders {
		if o.State == types.OrderOpen && o.ExpiresHeight < f.height() {
			t.Fatalf("order %d open past expiry", o.Id)
		}
	}
}
