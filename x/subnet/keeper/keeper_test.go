package keeper_test

import (
	"errors"
	"testing"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/testutil/apptest"
	"github.com/hypha-network/hypha/x/subnet/keeper"
	"github.com/hypha-network/hypha/x/subnet/schedule"
	"github.com/hypha-network/hypha/x/subnet/types"
)

const balance = 1_000_000_000_000 // 1,000,000 HYP

type fixture struct {
	*apptest.Env
	k   keeper.Keeper
	msg types.MsgServer
	q   types.QueryServer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env := apptest.New(t, 8, balance)
	k := env.App.SubnetKeeper
	return &fixture{Env: env, k: k, msg: keeper.NewMsgServerImpl(k), q: keeper.NewQueryServerImpl(k)}
}

// testHyperparams: short tempo, commit-reveal over one tempo, no rate limit.
func testHyperparams() *types.Hyperparams {
	hp := types.DefaultHyperparams()
	hp.Tempo = 10
	hp.WeightsRateLimit = 0
	hp.ImmunityPeriod = 20
	hp.ActivityCutoff = 1000
	return &hp
}

func (f *fixture) addr(i int) string { return f.Accounts[i].String() }

func (f *fixture) createSubnet(t *testing.T, owner int, hp *types.Hyperparams) uint32 {
	t.Helper()
	var netuid uint32
	err := f.Deliver(func(ctx sdk.Context) error {
		res, err := f.msg.CreateSubnet(ctx, &types.MsgCreateSubnet{Owner: f.addr(owner), Name: "test", MaxLock: 1 << 40, Hyperparams: hp})
		if err == nil {
			netuid = res.Netuid
		}
		return err
	})
	if err != nil {
		t.Fatalf("create subnet: %v", err)
	}
	return netuid
}

func (f *fixture) register(t *testing.T, netuid uint32, acc int) uint32 {
	t.Helper()
	var uid uint32
	err := f.Deliver(func(ctx sdk.Context) error {
		res, err := f.msg.Register(ctx, &types.MsgRegister{Hotkey: f.addr(acc), Netuid: netuid, MaxBurn: 1 << 40})
		if err == nil {
			uid = res.Uid
		}
		return err
	})
	if err != nil {
		t.Fatalf("register %d: %v", acc, err)
	}
	return uid
}

// advance runs EndBlock for each height up to h, checking the invariants after each.
func (f *fixture) advance(t *testing.T, h int64) {
	t.Helper()
	for cur := f.Ctx.BlockHeight(); cur < h; cur++ {
		ctx := f.AtHeight(cur + 1)
		if err := f.k.EndBlocker(ctx); err != nil {
			t.Fatalf("end block %d: %v", cur+1, err)
		}
		if err := f.k.CheckInvariants(ctx, true); err != nil {
			t.Fatalf("invariant at %d: %v", cur+1, err)
		}
	}
}

// state returns the exported module state and every account balance, to check
// that a failed message changed nothing.
func (f *fixture) state(t *testing.T) string {
	t.Helper()
	g, err := f.k.ExportGenesis(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := g.String()
	for _, a := range f.Accounts {
		s += sdk.NewInt64Coin("uhyp", f.Balance(a)).String()
	}
	return s
}

func TestSubnetRewardsFollowWeights(t *testing.T) {
	f := newFixture(t)
	const owner, val, m1, m2, m3, staker = 0, 1, 2, 3, 4, 5
	netuid := f.createSubnet(t, owner, testHyperparams())
	vUID := f.register(t, netuid, val)
	uids := []uint32{f.register(t, netuid, m1), f.register(t, netuid, m2), f.register(t, netuid, m3)}
	if err := f.Deliver(func(ctx sdk.Context) error {
		_, err := f.msg.AddStake(ctx, &types.MsgAddStake{Staker: f.addr(staker), Netuid: netuid, Hotkey: f.addr(val), Amount: 10_000_000_000})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	weights, salt := []uint32{1, 2, 4}, []byte("salt")

	// Commit now; reveal in the window the commit was given.
	var window *types.MsgCommitWeightsResponse
	if err := f.Deliver(func(ctx sdk.Context) (err error) {
		window, err = f.msg.CommitWeights(ctx, &types.MsgCommitWeights{Hotkey: f.addr(val), Netuid: netuid,
			Hash: types.WeightsHash(netuid, f.Accounts[val], uids, weights, salt)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	reveal := func(s []byte) error {
		return f.Deliver(func(ctx sdk.Context) error {
			_, err := f.msg.RevealWeights(ctx, &types.MsgRevealWeights{Hotkey: f.addr(val), Netuid: netuid, Uids: uids, Values: weights, Salt: s})
			return err
		})
	}
	if err := reveal(salt); !errors.Is(err, types.ErrRevealWindow) {
		t.Fatalf("early reveal: %v, want ErrRevealWindow", err)
	}
	f.advance(t, window.RevealStart)
	before := f.state(t)
	if err := reveal([]byte("wrong")); !errors.Is(err, types.ErrHashMismatch) {
		t.Fatalf("wrong salt: %v, want ErrHashMismatch", err)
	}
	if after := f.state(t); after != before {
		t.Fatal("a failed reveal changed state")
	}
	if err := reveal(salt); err != nil {
		t.Fatalf("reveal: %v", err)
	}

	start := map[int]int64{}
	for _, i := range []int{owner, val, m1, m2, m3} {
		start[i] = f.Balance(f.Accounts[i])
	}
	h := f.Ctx.BlockHeight()
	s, _ := f.k.Subnets.Get(f.Ctx, netuid)
	f.advance(t, schedule.NextEpoch(schedule.NextEpoch(h, netuid, s.Hyperparams.Tempo), netuid, s.Hyperparams.Tempo))

	mg, err := f.q.Metagraph(f.Ctx, &types.QueryMetagraphRequest{Netuid: netuid})
	if err != nil {
		t.Fatal(err)
	}
	inc := func(uid uint32) string { return mg.Neurons[uid].Incentive }
	if !(inc(uids[2]) > inc(uids[1]) && inc(uids[1]) > inc(uids[0]) && inc(uids[0]) > "0.000000000") {
		t.Fatalf("incentives %s %s %s not ordered m3 > m2 > m1 > 0", inc(uids[0]), inc(uids[1]), inc(uids[2]))
	}
	gain := func(i int) int64 { return f.Balance(f.Accounts[i]) - start[i] }
	if !(gain(m3) > gain(m2) && gain(m2) > gain(m1) && gain(m1) > 0) {
		t.Fatalf("miner gains %d %d %d not ordered", gain(m1), gain(m2), gain(m3))
	}
	if gain(val) <= 0 || gain(owner) <= 0 {
		t.Fatalf("validator gain %d, owner gain %d: both should earn", gain(val), gain(owner))
	}
	if !mg.Neurons[vUID].ValidatorPermit {
		t.Fatal("the staked validator has no permit")
	}
	// Everything distributed is accounted: owner 18%, miners 41%, validators 41%.
	total := gain(owner) + gain(val) + gain(m1) + gain(m2) + gain(m3)
	if got := gain(owner) * 10_000 / total; got < 1795 || got > 1805 {
		t.Fatalf("owner share %d bps of %d, want 1800", got, total)
	}
}

func TestWeightErrors(t *testing.T) {
	f := newFixture(t)
	netuid := f.createSubnet(t, 0, testHyperparams())
	f.register(t, netuid, 1)
	f.register(t, netuid, 2)
	before := f.state(t)
	for _, tc := range []struct {
		name string
		msg  sdk.Msg
		want error
	}{
		{"unregistered key", &types.MsgCommitWeights{Hotkey: f.addr(6), Netuid: netuid, Hash: make([]byte, 32)}, types.ErrNotRegistered},
		{"unknown subnet", &types.MsgCommitWeights{Hotkey: f.addr(1), Netuid: 99, Hash: make([]byte, 32)}, types.ErrSubnetNotFound},
		{"short hash", &types.MsgCommitWeights{Hotkey: f.addr(1), Netuid: netuid, Hash: []byte{1}}, types.ErrInvalidHash},
		{"set-weights with commit-reveal on", &types.MsgSetWeights{Hotkey: f.addr(1), Netuid: netuid, Uids: []uint32{1}, Values: []uint32{1}}, types.ErrCommitRevealEnabled},
		{"reveal without commit", &types.MsgRevealWeights{Hotkey: f.addr(1), Netuid: netuid, Uids: []uint32{1}, Values: []uint32{1}, Salt: []byte{1}}, types.ErrNoCommit},
		{"unsorted uids", &types.MsgRevealWeights{Hotkey: f.addr(1), Netuid: netuid, Uids: []uint32{1, 0}, Values: []uint32{1, 1}, Salt: []byte{1}}, types.ErrInvalidWeights},
		{"double registration", &types.MsgRegister{Hotkey: f.addr(1), Netuid: netuid, MaxBurn: 1 << 40}, types.ErrAlreadyRegistered},
		{"burn above max", &types.MsgRegister{Hotkey: f.addr(3), Netuid: netuid, MaxBurn: 1}, types.ErrBurnTooHigh},
		{"stake on unregistered hotkey", &types.MsgAddStake{Staker: f.addr(4), Netuid: netuid, Hotkey: f.addr(6), Amount: 5}, types.ErrNotRegistered},
		{"remove more than staked", &types.MsgRemoveStake{Staker: f.addr(4), Netuid: netuid, Hotkey: f.addr(1), Amount: 5}, types.ErrInsufficientStake},
		{"stake more than balance", &types.MsgAddStake{Staker: f.addr(4), Netuid: netuid, Hotkey: f.addr(1), Amount: 2 * balance}, nil},
		{"non-owner hyperparams", &types.MsgSetHyperparams{Owner: f.addr(1), Netuid: netuid, Hyperparams: *testHyperparams()}, types.ErrNotOwner},
		{"lock above max", &types.MsgCreateSubnet{Owner: f.addr(1), Name: "x", MaxLock: 1}, types.ErrLockTooHigh},
		{"bad authority", &types.MsgUpdateParams{Authority: f.addr(1), Params: types.DefaultParams()}, types.ErrInvalidAuthority},
	} {
		err := f.Deliver(func(ctx sdk.Context) error {
			_, err := f.k.RouteMsg(ctx, tc.msg)
			return err
		})
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if after := f.state(t); after != before {
		t.Fatal("failed messages changed state")
	}
}

func TestRegistrationReplacesLowestEmissionWhenFull(t *testing.T) {
	f := newFixture(t)
	hp := testHyperparams()
	hp.MaxUids = 2
	hp.MaxValidators = 2
	netuid := f.createSubnet(t, 0, hp)
	f.register(t, netuid, 1)
	f.register(t, netuid, 2)
	// Within the immunity period the subnet is full.
	err := f.Deliver(func(ctx sdk.Context) error {
		_, err := f.msg.Register(ctx, &types.MsgRegister{Hotkey: f.addr(3), Netuid: netuid, MaxBurn: 1 << 40})
		return err
	})
	if !errors.Is(err, types.ErrSubnetFull) {
		t.Fatalf("register into full immune subnet: %v", err)
	}
	f.advance(t, f.Ctx.BlockHeight()+int64(hp.ImmunityPeriod)+1)
	// Both have zero emission: the older registration (uid 0) goes.
	uid := f.register(t, netuid, 3)
	if uid != 0 {
		t.Fatalf("replaced uid %d, want 0", uid)
	}
	if _, err := f.k.UIDByHotkey.Get(f.Ctx, collections.Join(netuid, f.addr(1))); err == nil {
		t.Fatal("replaced hotkey still maps to a uid")
	}
	n, err := f.k.Neurons.Get(f.Ctx, collections.Join(netuid, uint32(0)))
	if err != nil || n.Hotkey != f.addr(3) {
		t.Fatalf("uid 0 holds %v (%v), want the new hotkey", n.Hotkey, err)
	}
}

func TestRegistrationPriceRisesAndDecays(t *testing.T) {
	f := newFixture(t)
	hp := testHyperparams()
	netuid := f.createSubnet(t, 0, hp)
	price := func() uint64 {
		s, _ := f.k.Subnets.Get(f.Ctx, netuid)
		return keeper.RegistrationPrice(s, f.Ctx.BlockHeight())
	}
	p0 := price()
	before := f.Balance(f.Accounts[1])
	f.register(t, netuid, 1)
	if paid := before - f.Balance(f.Accounts[1]); uint64(paid) != p0 {
		t.Fatalf("paid %d, price was %d", paid, p0)
	}
	if p1 := price(); p1 != p0+p0*uint64(hp.BurnIncreaseBps)/10_000 {
		t.Fatalf("price after registration %d, want %d", p1, p0*3/2)
	}
	f.advance(t, f.Ctx.BlockHeight()+int64(hp.BurnDecayBlocks))
	if p := price(); p != hp.MinBurn {
		t.Fatalf("price after decay %d, want min %d", p, hp.MinBurn)
	}
}

func TestLockCostDoublesAndDecays(t *testing.T) {
	f := newFixture(t)
	p := types.DefaultParams()
	c0, _ := f.k.LockCost(f.Ctx)
	if c0 != p.SubnetLockMin {
		t.Fatalf("first lock cost %d, want %d", c0, p.SubnetLockMin)
	}
	before := f.Balance(f.Accounts[0])
	f.createSubnet(t, 0, nil)
	if paid := before - f.Balance(f.Accounts[0]); uint64(paid) != c0 {
		t.Fatalf("burned %d, want %d", paid, c0)
	}
	if c1, _ := f.k.LockCost(f.Ctx); c1 != 2*c0 {
		t.Fatalf("lock cost after a creation %d, want %d", c1, 2*c0)
	}
	f.AtHeight(f.Ctx.BlockHeight() + int64(p.SubnetLockDecayBlocks))
	if c, _ := f.k.LockCost(f.Ctx); c != p.SubnetLockMin {
		t.Fatalf("lock cost after decay %d, want %d", c, p.SubnetLockMin)
	}
}

func TestEmissionIsCappedAndConserved(t *testing.T) {
	f := newFixture(t)
	p := types.DefaultParams()
	p.SupplyCap = 10_000_000 // 10 HYP: crossed within a few blocks
	if err := f.k.Params.Set(f.Ctx, p); err != nil {
		t.Fatal(err)
	}
	netuid := f.createSubnet(t, 0, testHyperparams())
	f.register(t, netuid, 1)
	if err := f.Deliver(func(ctx sdk.Context) error {
		_, err := f.msg.AddStake(ctx, &types.MsgAddStake{Staker: f.addr(2), Netuid: netuid, Hotkey: f.addr(1), Amount: 1_000_000})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A single subnet receives at most the per-subnet cap (50%) of each block.
	for i := 0; i < 200; i++ {
		e0, _ := f.k.Emission.Get(f.Ctx)
		full := schedule.BlockEmission(p.BlockEmission, e0.TotalEmitted, p.SupplyCap)
		f.advance(t, f.Ctx.BlockHeight()+1)
		e1, _ := f.k.Emission.Get(f.Ctx)
		if got, limit := e1.TotalEmitted-e0.TotalEmitted, schedule.Bps(full, p.SubnetEmissionCapBps); got > limit {
			t.Fatalf("block emitted %d to one subnet, cap %d", got, limit)
		}
		if e1.TotalEmitted > p.SupplyCap {
			t.Fatalf("emitted %d beyond cap %d", e1.TotalEmitted, p.SupplyCap)
		}
	}
	e, _ := f.k.Emission.Get(f.Ctx)
	if e.TotalEmitted == 0 || schedule.Halvings(e.TotalEmitted, p.SupplyCap) == 0 {
		t.Fatalf("emitted %d: expected issuance past the first halving", e.TotalEmitted)
	}
}

func TestEpochsPerBlockAreBounded(t *testing.T) {
	f := newFixture(t)
	p := types.DefaultParams()
	p.MaxEpochsPerBlock = 1
	if err := f.k.Params.Set(f.Ctx, p); err != nil {
		t.Fatal(err)
	}
	hp := testHyperparams()
	hp.Tempo = 1000 // no epoch falls due by itself during the test
	var nets []uint32
	for i := 0; i < 3; i++ {
		nets = append(nets, f.createSubnet(t, i, hp))
		f.register(t, nets[i], 4)
	}
	// Three epochs fall due in the same block; one runs per block, oldest first.
	h := f.Ctx.BlockHeight()
	for _, n := range nets {
		if err := f.k.EpochQueue.Set(f.Ctx, collections.Join(h, n)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range nets {
		f.advance(t, h+int64(i)+1)
		ran := 0
		for _, n := range nets {
			s, _ := f.k.Subnets.Get(f.Ctx, n)
			ran += int(s.Epochs)
		}
		if ran != i+1 {
			t.Fatalf("after %d blocks %d epochs ran, want %d", i+1, ran, i+1)
		}
	}
}

func TestGenesisRoundTrip(t *testing.T) {
	f := newFixture(t)
	netuid := f.createSubnet(t, 0, testHyperparams())
	f.register(t, netuid, 1)
	g, err := f.k.ExportGenesis(f.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Validate(); err != nil {
		t.Fatalf("exported genesis invalid: %v", err)
	}
	f2 := newFixture(t)
	if err := f2.k.InitGenesis(f2.Ctx, *g); err != nil {
		t.Fatal(err)
	}
	g2, err := f2.k.ExportGenesis(f2.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g.String() != g2.String() {
		t.Fatal("genesis changed across export/import")
	}
}
