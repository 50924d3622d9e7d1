package keeper_test

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	storetypes "cosmossdk.io/store/types"
	"github.com/cosmos/cosmos-sdk/runtime"
	"github.com/cosmos/cosmos-sdk/testutil"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	moduletestutil "github.com/cosmos/cosmos-sdk/types/module/testutil"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/hypha-network/hypha/x/market"
	"github.com/hypha-network/hypha/x/market/keeper"
	"github.com/hypha-network/hypha/x/market/types"
)

const denom = types.DefaultDenom

// mockBank is an in-memory single-purpose bank: balances by address and denom,
// failing transfers that would overdraw, never creating or destroying coins.
type mockBank struct {
	bal map[string]sdkmath.Int // key: address bytes + "/" + denom
}

func newMockBank() *mockBank { return &mockBank{bal: map[string]sdkmath.Int{}} }

func bkey(addr sdk.AccAddress, d string) string { return string(addr) + "/" + d }

func (b *mockBank) get(addr sdk.AccAddress, d string) sdkmath.Int {
	if v, ok := b.bal[bkey(addr, d)]; ok {
		return v
	}
	return sdkmath.ZeroInt()
}

func (b *mockBank) send(from, to sdk.AccAddress, amt sdk.Coins) error {
	for _, c := range amt {
		if b.get(from, c.Denom).LT(c.Amount) {
			return errorsmod.Wrapf(sdkerrors.ErrInsufficientFunds, "%s < %s", b.get(from, c.Denom), c)
		}
	}
	for _, c := range amt {
		b.bal[bkey(from, c.Denom)] = b.get(from, c.Denom).Sub(c.Amount)
		b.bal[bkey(to, c.Denom)] = b.get(to, c.Denom).Add(c.Amount)
	}
	return nil
}

func (b *mockBank) total() sdkmath.Int {
	sum := sdkmath.ZeroInt()
	for _, v := range b.bal {
		sum = sum.Add(v)
	}
	return sum
}

// snapshot returns the balances in a deterministic form for comparisons.
func (b *mockBank) snapshot() string {
	keys := make([]string, 0, len(b.bal))
	for k := range b.bal {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := ""
	for _, k := range keys {
		out += fmt.Sprintf("%x=%s;", k, b.bal[k])
	}
	return out
}

func (b *mockBank) SendCoinsFromAccountToModule(_ context.Context, from sdk.AccAddress, mod string, amt sdk.Coins) error {
	return b.send(from, authtypes.NewModuleAddress(mod), amt)
}

func (b *mockBank) SendCoinsFromModuleToAccount(_ context.Context, mod string, to sdk.AccAddress, amt sdk.Coins) error {
	return b.send(authtypes.NewModuleAddress(mod), to, amt)
}

func (b *mockBank) SendCoinsFromModuleToModule(_ context.Context, from, to string, amt sdk.Coins) error {
	return b.send(authtypes.NewModuleAddress(from), authtypes.NewModuleAddress(to), amt)
}

func (b *mockBank) GetBalance(_ context.Context, addr sdk.AccAddress, d string) sdk.Coin {
	return sdk.NewCoin(d, b.get(addr, d))
}

type mockAcct struct{}

func (mockAcct) GetModuleAddress(name string) sdk.AccAddress { return authtypes.NewModuleAddress(name) }

// mockDistr moves community-pool funding to the distribution module account.
type mockDistr struct{ bank *mockBank }

var poolAddr = authtypes.NewModuleAddress("distribution")

func (d mockDistr) FundCommunityPool(_ context.Context, amt sdk.Coins, from sdk.AccAddress) error {
	return d.bank.send(from, poolAddr, amt)
}

type fixture struct {
	t      testing.TB
	ctx    sdk.Context
	k      keeper.Keeper
	msg    types.MsgServer
	q      types.QueryServer
	bank   *mockBank
	module market.AppModule
	cms    storetypes.CommitMultiStore
}

var initialBalance = sdkmath.NewInt(1_000_000_000_000) // 1,000,000 HYP

func addr(name string) string { return sdk.AccAddress([]byte(fmt.Sprintf("%-20s", name))).String() }

func newFixture(t testing.TB) *fixture {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tkey := storetypes.NewTransientStoreKey("transient_test")
	tc := testutil.DefaultContextWithDB(t, key, tkey)
	ctx := tc.Ctx.WithBlockHeight(1)
	enc := moduletestutil.MakeTestEncodingConfig(market.AppModuleBasic{})
	bank := newMockBank()
	authority := authtypes.NewModuleAddress("gov").String()
	k := keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(key), authority, mockAcct{}, bank, mockDistr{bank})
	if err := k.InitGenesis(ctx, *types.DefaultGenesis()); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"alice", "bob", "carol", "provider1", "provider2", "provider3", "auditor"} {
		a, _ := sdk.AccAddressFromBech32(addr(n))
		bank.bal[bkey(a, denom)] = initialBalance
	}
	return &fixture{t: t, ctx: ctx, k: k, msg: keeper.NewMsgServerImpl(k), q: keeper.NewQueryServerImpl(k),
		bank: bank, module: market.NewAppModule(k), cms: tc.CMS}
}

func uhyp(n int64) sdk.Coin { return sdk.NewCoin(denom, sdkmath.NewInt(n)) }

func (f *fixture) balance(name string) sdkmath.Int {
	a, _ := sdk.AccAddressFromBech32(addr(name))
	return f.bank.get(a, denom)
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

func (f *fixture) checkInvariants() {
	f.t.Helper()
	if msg, broken := f.k.CheckEscrow(f.ctx); broken {
		f.t.Fatalf("escrow invariant broken at %d: %s", f.height(), msg)
	}
	if msg, broken := f.k.CheckBonds(f.ctx); broken {
		f.t.Fatalf("bond invariant broken at %d: %s", f.height(), msg)
	}
	if got, want := f.bank.total(), initialBalance.MulRaw(7); !got.Equal(want) {
		f.t.Fatalf("total supply %s, want %s", got, want)
	}
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

// state is a deterministic dump of all market state and balances.
func (f *fixture) state() string {
	f.t.Helper()
	g := must[*types.GenesisState](f.t)(f.k.ExportGenesis(f.ctx))
	bz := must[[]byte](f.t)(g.Marshal())
	return fmt.Sprintf("%x|%s", bz, f.bank.snapshot())
}

func joinIS(h int64, s string) collections.Pair[int64, string] { return collections.Join(h, s) }

// keeperWithBank builds a keeper on f's store that shares bank.
func keeperWithBank(t testing.TB, f *fixture, bank *mockBank) keeper.Keeper {
	key := storetypes.NewKVStoreKey(types.StoreKey)
	tkey := storetypes.NewTransientStoreKey("transient_test2")
	f.ctx = testutil.DefaultContextWithDB(t, key, tkey).Ctx.WithBlockHeight(f.ctx.BlockHeight())
	enc := moduletestutil.MakeTestEncodingConfig(market.AppModuleBasic{})
	return keeper.NewKeeper(enc.Codec, runtime.NewKVStoreService(key), authtypes.NewModuleAddress("gov").String(),
		mockAcct{}, bank, mockDistr{bank})
}
