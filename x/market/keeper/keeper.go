// Package keeper implements the market's state machine: providers, orders, bids,
// the on-chain auction, leases with streaming escrow, heartbeats and slashing.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/store"
	"cosmossdk.io/log"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/market/types"
)

// Keeper owns the market's state.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService store.KVStoreService
	authority    string

	bank  types.BankKeeper
	acct  types.AccountKeeper
	distr types.DistributionKeeper

	Schema   collections.Schema
	Params   collections.Item[types.Params]
	OrderSeq collections.Sequence

	Providers  collections.Map[string, types.Provider]
	Signatures collections.Map[collections.Pair[string, string], types.AuditorSignature] // (provider, auditor)

	// Orders, bids and leases are IndexedMaps: collections keeps their indexes
	// (by state, by address and state, by provider) on every Set and Remove, so
	// no code path can forget one.
	Orders  *collections.IndexedMap[uint64, types.Order, OrderIndexes]
	Escrows collections.Map[uint64, types.EscrowAccount]
	Bids    *collections.IndexedMap[BidKey, types.Bid, BidIndexes]     // (order, provider)
	Leases  *collections.IndexedMap[uint64, types.Lease, LeaseIndexes] // keyed by order id

	// Queues keyed by the height at which EndBlock must act, so that a block
	// visits only what is due in it.
	AuctionQueue   collections.KeySet[collections.Pair[int64, uint64]]
	ExpiryQueue    collections.KeySet[collections.Pair[int64, uint64]]
	RunDryQueue    collections.KeySet[collections.Pair[int64, uint64]]
	HeartbeatQueue collections.KeySet[collections.Pair[int64, uint64]]
	UnbondingQueue collections.KeySet[collections.Pair[int64, string]]

	// Parked holds the due items whose EndBlock processing failed, keyed by
	// (kind, id); EndBlock never walks it (docs/market.md, "EndBlock").
	Parked collections.Map[collections.Pair[string, string], types.ParkedItem]
}

// NewKeeper returns the market keeper; authority may change params (x/gov's account).
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, authority string,
	acct types.AccountKeeper, bank types.BankKeeper, distr types.DistributionKeeper,
) Keeper {
	if _, err := sdk.AccAddressFromBech32(authority); err != nil {
		panic(fmt.Errorf("market: invalid authority %q: %w", authority, err))
	}
	if acct.GetModuleAddress(types.ModuleName) == nil || acct.GetModuleAddress(types.BondAccountName) == nil {
		panic("market: module accounts market and market_bonds must be registered")
	}
	sb := collections.NewSchemaBuilder(storeService)
	pairIU := collections.PairKeyCodec(collections.Int64Key, collections.Uint64Key)
	k := Keeper{
		cdc: cdc, storeService: storeService, authority: authority,
		bank: bank, acct: acct, distr: distr,
		Params:   collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		OrderSeq: collections.NewSequence(sb, types.OrderSeqKey, "order_seq"),
		Providers: collections.NewMap(sb, types.ProvidersKey, "providers", collections.StringKey,
			codec.CollValue[types.Provider](cdc)),
		Signatures: collections.NewMap(sb, types.SignaturesKey, "signatures",
			collections.PairKeyCodec(collections.StringKey, collections.StringKey), codec.CollValue[types.AuditorSignature](cdc)),
		Orders: collections.NewIndexedMap(sb, types.OrdersKey, "orders", collections.Uint64Key,
			codec.CollValue[types.Order](cdc), newOrderIndexes(sb)),
		Escrows: collections.NewMap(sb, types.EscrowsKey, "escrows", collections.Uint64Key,
			codec.CollValue[types.EscrowAccount](cdc)),
		Bids: collections.NewIndexedMap(sb, types.BidsKey, "bids",
			collections.PairKeyCodec(collections.Uint64Key, collections.StringKey), codec.CollValue[types.Bid](cdc),
			newBidIndexes(sb)),
		Leases: collections.NewIndexedMap(sb, types.LeasesKey, "leases", collections.Uint64Key,
			codec.CollValue[types.Lease](cdc), newLeaseIndexes(sb)),
		AuctionQueue:   collections.NewKeySet(sb, types.AuctionQueueKey, "auction_queue", pairIU),
		ExpiryQueue:    collections.NewKeySet(sb, types.ExpiryQueueKey, "expiry_queue", pairIU),
		RunDryQueue:    collections.NewKeySet(sb, types.RunDryQueueKey, "run_dry_queue", pairIU),
		HeartbeatQueue: collections.NewKeySet(sb, types.HeartbeatQueueKey, "heartbeat_queue", pairIU),
		UnbondingQueue: collections.NewKeySet(sb, types.UnbondingQueueKey, "unbonding_queue",
			collections.PairKeyCodec(collections.Int64Key, collections.StringKey)),
		Parked: collections.NewMap(sb, types.ParkedKey, "parked",
			collections.PairKeyCodec(collections.StringKey, collections.StringKey), codec.CollValue[types.ParkedItem](cdc)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(err)
	}
	k.Schema = schema
	return k
}

// Authority is the address allowed to change params.
func (k Keeper) Authority() string { return k.authority }

// Logger returns the module logger.
func (k Keeper) Logger(ctx context.Context) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName)
}

// GetParams returns the current params.
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) {
	return k.Params.Get(ctx)
}

func (k Keeper) escrowAddress() sdk.AccAddress { return k.acct.GetModuleAddress(types.ModuleName) }

// pay sends amount of denom from a module account to addr, skipping zero amounts.
func (k Keeper) pay(ctx context.Context, module string, addr string, coin sdk.Coin) error {
	if coin.IsZero() {
		return nil
	}
	to, err := sdk.AccAddressFromBech32(addr)
	if err != nil {
		return err
	}
	return k.bank.SendCoinsFromModuleToAccount(ctx, module, to, sdk.NewCoins(coin))
}

// collect moves coin from addr into a module account, skipping zero amounts.
func (k Keeper) collect(ctx context.Context, addr string, module string, coin sdk.Coin) error {
	if coin.IsZero() {
		return nil
	}
	from, err := sdk.AccAddressFromBech32(addr)
	if err != nil {
		return err
	}
	return k.bank.SendCoinsFromAccountToModule(ctx, from, module, sdk.NewCoins(coin))
}

func height(ctx context.Context) int64 { return sdk.UnwrapSDKContext(ctx).BlockHeight() }

func emit(ctx context.Context, typ string, attrs ...string) {
	ev := sdk.NewEvent(typ)
	for i := 0; i+1 < len(attrs); i += 2 {
		ev = ev.AppendAttributes(sdk.NewAttribute(attrs[i], attrs[i+1]))
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(ev)
}
