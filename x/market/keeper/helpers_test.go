package keeper_test

import (
	"context"
	"fmt"
	"testing"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"

	"github.com/hypha-network/hypha/testutil/apptest"
	"github.com/hypha-network/hypha/x/market/keeper"
	"github.com/hypha-network/hypha/x/market/types"
)

const denom = types.DefaultDenom

// names are the test accounts, funded with initialBalance each in the real
// app's genesis; addr(name) is the apptest account at the name's index.
var names = []string{"alice", "bob", "carol", "provider1", "provider2", "provider3", "auditor"}

var accounts = simtestutil.CreateIncrementalAccounts(len(names))

var initialBalance = sdkmath.NewInt(1_000_000_000_000) // 1,000,000 HYP

func addr(name string) string {
	for i, n := range names {
		if n == name {
			return accounts[i].String()
		}
	}
	panic("unknown test account " + name)
}

// poor is an account that holds nothing.
var poor = sdk.AccAddress([]byte("poor-account-0000000"))

// Module accounts whose balances the market moves: escrows and bid deposits,
// provider bonds, and the community pool (held by x/distribution).
var (
	escrowAcct = authtypes.NewModuleAddress(types.ModuleName)
	bondAcct   = authtypes.NewModuleAddress(types.BondAccountName)
	distrAcct  = authtypes.NewModuleAddress(distrtypes.ModuleName)
	// blockedAcct is a module account the app's bank refuses to pay
	// (app.BlockedAddresses); safety_test.go runs a provider from it.
	blockedAcct = authtypes.NewModuleAddress(authtypes.FeeCollectorName)
)

// fixture is the real Hypha app (real auth, bank, distribution, staking) in
// memory, with the market keeper and its servers. Messages are called directly
// on f.ctx, not on a cache, so a check that a failed message changed nothing
// tests the keeper itself.
type fixture struct {
	t   testing.TB
	env *apptest.Env
	ctx sdk.Context
	k   keeper.Keeper
	msg types.MsgServer
	q   types.QueryServer

	// Conservation baselines taken at creation.
	supply  sdkmath.Int // total uhyp supply
	tracked sdkmath.Int // sum of the balances of trackedAddrs
	pool0   sdkmath.Int // community pool
	distr0  sdkmath.Int // x/distribution module account balance
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	env := apptest.New(t, len(names), initialBalance.Int64())
	f := &fixture{t: t, env: env, ctx: env.Ctx, k: env.App.MarketKeeper,
		msg: keeper.NewMsgServerImpl(env.App.MarketKeeper), q: keeper.NewQueryServerImpl(env.App.MarketKeeper)}
	f.supply = f.env.App.BankKeeper.GetSupply(f.ctx, denom).Amount
	f.tracked = f.trackedSum()
	f.pool0, f.distr0 = f.pool(), f.bal(distrAcct)
	return f
}

func uhyp(n int64) sdk.Coin { return sdk.NewCoin(denom, sdkmath.NewInt(n)) }

// bal is addr's real uhyp balance.
func (f *fixture) bal(a sdk.AccAddress) sdkmath.Int {
	return f.env.App.BankKeeper.GetBalance(f.ctx, a, denom).Amount
}

func (f *fixture) balance(name string) sdkmath.Int {
	return f.bal(sdk.MustAccAddressFromBech32(addr(name)))
}

// pool is the community pool in the distribution fee pool (whole uhyp: the
// market funds it in whole coins only).
func (f *fixture) pool() sdkmath.Int {
	f.t.Helper()
	fp := must[distrtypes.FeePool](f.t)(f.env.App.DistrKeeper.FeePool.Get(f.ctx))
	return fp.CommunityPool.AmountOf(denom).TruncateInt()
}

// trackedAddrs are every account the market can move coins between.
func trackedAddrs() []sdk.AccAddress {
	return append(append([]sdk.AccAddress{}, accounts...), poor, escrowAcct, bondAcct, distrAcct, blockedAcct)
}

func (f *fixture) trackedSum() sdkmath.Int {
	sum := sdkmath.ZeroInt()
	for _, a := range trackedAddrs() {
		sum = sum.Add(f.bal(a))
	}
	return sum
}

// snapshot returns the tracked balances and the community pool in a
// deterministic form for comparisons.
func (f *fixture) snapshot() string {
	out := ""
	for _, a := range trackedAddrs() {
		out += fmt.Sprintf("%s=%s;", a, f.bal(a))
	}
	return out + "pool=" + f.pool().String()
}

func (f *fixture) height() int64 { return f.ctx.BlockHeight() }

// endBlock runs EndBlock at the current height, checks the invariants, and
// moves to the next height.
func (f *fixture) endBlock() {
	f.t.Helper()
	if err := f.k.EndBlocker(f.ctx); err != nil {
		f.t.Fatalf("EndBlock at %d: %v", f.height(), err)
	}
	f.checkInvariants()
	f.ctx = f.ctx.WithBlockHeight(f.height() + 1).WithEventManager(sdk.NewEventManager())
}

// advanceTo runs EndBlock for every height from now until (but excluding) h.
func (f *fixture) advanceTo(h int64) {
	f.t.Helper()
	for f.height() < h {
		f.endBlock()
	}
}

// checkInvariants checks the market's own invariants against the real bank
// (escrow account = escrows + bid deposits, bond account = bonds) and that
// funds are conserved: the supply is unchanged, no coin left the tracked
// accounts, and the community pool grew by exactly what the distribution
// module account received, which is exactly the leases' pool share.
func (f *fixture) checkInvariants() {
	f.t.Helper()
	if msg, broken := f.k.CheckEscrow(f.ctx); broken {
		f.t.Fatalf("escrow invariant broken at %d: %s", f.height(), msg)
	}
	if msg, broken := f.k.CheckBonds(f.ctx); broken {
		f.t.Fatalf("bond invariant broken at %d: %s", f.height(), msg)
	}
	if got := f.env.App.BankKeeper.GetSupply(f.ctx, denom).Amount; !got.Equal(f.supply) {
		f.t.Fatalf("total supply %s at %d, want %s", got, f.height(), f.supply)
	}
	if got := f.trackedSum(); !got.Equal(f.tracked) {
		f.t.Fatalf("tracked balances sum to %s at %d, want %s", got, f.height(), f.tracked)
	}
	poolGrew, distrGot := f.pool().Sub(f.pool0), f.bal(distrAcct).Sub(f.distr0)
	if !poolGrew.Equal(distrGot) {
		f.t.Fatalf("community pool grew by %s, distribution account received %s", poolGrew, distrGot)
	}
	poolPaid := sdkmath.ZeroInt()
	noErr(f.t, f.k.Leases.Walk(f.ctx, nil, func(_ uint64, l types.Lease) (bool, error) {
		poolPaid = poolPaid.Add(l.PoolPaid)
		return false, nil
	}))
	if !poolGrew.Equal(poolPaid) {
		f.t.Fatalf("community pool grew by %s, leases paid it %s", poolGrew, poolPaid)
	}
	checkIndexes(f.t, f)
}

// must returns a function that fails the test on error and returns the value:
// must[T](t)(call()).
func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func fingerprint() string { return "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" }

func gpuInventory() types.Inventory {
	return types.Inventory{
		CpuMillis: 64_000, MemoryBytes: 256 << 30,
		Storage: []types.StorageCapacity{{Class: "nvme", Bytes: 2 << 40}},
		Gpus:    []types.GPUCapacity{{Vendor: "nvidia", Model: "a100", VramMib: 81920, Interface: "sxm", Count: 8}},
	}
}

func (f *fixture) createProvider(name string, attrs ...types.Attribute) {
	f.t.Helper()
	if attrs == nil {
		attrs = []types.Attribute{{Key: "region", Value: "eu-west"}}
	}
	_, err := f.msg.CreateProvider(f.ctx, &types.MsgCreateProvider{
		Owner: addr(name), HostUri: "https://" + name + ".example.com:8443", TlsFingerprint: fingerprint(),
		Attributes: attrs, Inventory: gpuInventory(), Bond: uhyp(types.DefaultMinProviderBond.Int64()),
	})
	noErr(f.t, err)
}

func orderMsg(owner string, maxPrice, deposit int64) *types.MsgCreateOrder {
	return &types.MsgCreateOrder{
		Owner: addr(owner),
		Resources: types.ResourceSpec{CpuMillis: 4000, MemoryBytes: 16 << 30, StorageBytes: 100 << 30,
			StorageClass: "nvme", Gpu: types.GPURequirement{Count: 1, Model: "a100", MinVramMib: 40000}, Ports: []uint32{443}},
		Placement:        []types.Attribute{{Key: "region", Value: "eu-west"}},
		MaxPricePerBlock: uhyp(maxPrice), Deposit: uhyp(deposit),
	}
}

func (f *fixture) createOrder(owner string, maxPrice, deposit int64) uint64 {
	f.t.Helper()
	res, err := f.msg.CreateOrder(f.ctx, orderMsg(owner, maxPrice, deposit))
	noErr(f.t, err)
	return res.OrderId
}

func (f *fixture) bid(provider string, id uint64, price int64) {
	f.t.Helper()
	_, err := f.msg.CreateBid(f.ctx, &types.MsgCreateBid{Provider: addr(provider), OrderId: id, Price: uhyp(price)})
	noErr(f.t, err)
}

func (f *fixture) lease(id uint64) types.Lease {
	f.t.Helper()
	return must[types.Lease](f.t)(f.k.GetLease(f.ctx, id))
}

func (f *fixture) order(id uint64) types.Order {
	f.t.Helper()
	return must[types.Order](f.t)(f.k.GetOrder(f.ctx, id))
}

func (f *fixture) escrow(id uint64) types.EscrowAccount {
	f.t.Helper()
	return must[types.EscrowAccount](f.t)(f.k.Escrows.Get(f.ctx, id))
}

// state is a deterministic dump of all market state, the tracked balances and
// the community pool.
func (f *fixture) state() string {
	f.t.Helper()
	g := must[*types.GenesisState](f.t)(f.k.ExportGenesis(f.ctx))
	bz := must[[]byte](f.t)(g.Marshal())
	return fmt.Sprintf("%x|%s", bz, f.snapshot())
}

func joinIS(h int64, s string) collections.Pair[int64, string] { return collections.Join(h, s) }

func joinSU(s string, id uint64) collections.Pair[string, uint64] { return collections.Join(s, id) }

// joinSI is a (state, id) index key of an order or lease state.
func joinSI[S ~int32](state S, id uint64) keeper.StateKey { return collections.Join(int32(state), id) }

func joinASI(a string, state int32, id uint64) keeper.AddrStateKey {
	return collections.Join3(a, state, id)
}

// values lists a collection through its Iterate method.
func values[K, V any](f *fixture, iterate func(context.Context, collections.Ranger[K]) (collections.Iterator[K, V], error)) ([]V, error) {
	it, err := iterate(f.ctx, nil)
	if err != nil {
		return nil, err
	}
	return it.Values()
}

// countIs checks that a KeySet (by its Walk method) has n entries.
func countIs[K any](t testing.TB, f *fixture, name string,
	walk func(context.Context, collections.Ranger[K], func(K) (bool, error)) error, n int,
) {
	t.Helper()
	got := 0
	noErr(t, walk(f.ctx, nil, func(K) (bool, error) { got++; return false, nil }))
	if got != n {
		t.Fatalf("index %s has %d entries, want %d", name, got, n)
	}
}

// copyBalancesFrom moves coins between f's tracked accounts (through the real
// bank, and into the community pool through the real distribution keeper) until
// they hold what src's do. Both fixtures start alike and conserve funds, so
// this only redistributes coins.
func (f *fixture) copyBalancesFrom(src *fixture) {
	f.t.Helper()
	bank, hub := f.env.App.BankKeeper, sdk.AccAddress([]byte("balance-copy-hub0000"))
	var short []sdk.AccAddress
	for _, a := range trackedAddrs() {
		switch diff := f.bal(a).Sub(src.bal(a)); {
		case diff.IsPositive():
			noErr(f.t, bank.SendCoins(f.ctx, a, hub, sdk.NewCoins(sdk.NewCoin(denom, diff))))
		case diff.IsNegative():
			short = append(short, a)
		}
	}
	for _, a := range short {
		amt := sdk.NewCoins(sdk.NewCoin(denom, src.bal(a).Sub(f.bal(a))))
		if a.Equals(distrAcct) {
			noErr(f.t, f.env.App.DistrKeeper.FundCommunityPool(f.ctx, amt, hub))
		} else {
			noErr(f.t, bank.SendCoins(f.ctx, hub, a, amt))
		}
	}
	if f.snapshot() != src.snapshot() || !f.bal(hub).IsZero() {
		f.t.Fatalf("balances differ after copy:\n%s\n%s", f.snapshot(), src.snapshot())
	}
}

// imported starts a second real app with f's balances and community pool,
// imports g (exported from f) into it at f's height, and checks that its
// invariants hold and its market state equals f's.
func (f *fixture) imported(g *types.GenesisState) *fixture {
	f.t.Helper()
	f2 := newFixture(f.t)
	f2.copyBalancesFrom(f)
	f2.ctx = f2.ctx.WithBlockHeight(f.height())
	noErr(f.t, f2.k.InitGenesis(f2.ctx, *g))
	f2.checkInvariants()
	if f.state() != f2.state() {
		f.t.Fatal("state differs after genesis round trip")
	}
	return f2
}

// stepBoth ends n blocks on f and f2 and checks that their market states
// stay equal.
func (f *fixture) stepBoth(f2 *fixture, n int) {
	f.t.Helper()
	for i := 0; i < n; i++ {
		f.endBlock()
		f2.endBlock()
	}
	if f.state() != f2.state() {
		f.t.Fatal("state diverged after import")
	}
}
