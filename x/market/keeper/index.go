package keeper

import (
	"bytes"
	"context"
	"errors"

	"cosmossdk.io/collections"
	collcodec "cosmossdk.io/collections/codec"

	"github.com/hypha-network/hypha/x/market/types"
)

// keyIndex is a collections.Index of an IndexedMap: for every value it keeps
// one key derived from the value (ending with the primary key) in a KeySet, so
// a query can prefix-scan the KeySet instead of filtering the whole map.
// Unlike indexes.Multi it writes only when the derived key changes: a lease is
// stored again at every heartbeat and settlement, and those must not rewrite
// three index entries each time.
type keyIndex[PK, K, V any] struct {
	Keys  collections.KeySet[K]
	keyOf func(pk PK, v V) K
}

func newKeyIndex[PK, K, V any](sb *collections.SchemaBuilder, prefix collections.Prefix, name string,
	kc collcodec.KeyCodec[K], keyOf func(PK, V) K,
) *keyIndex[PK, K, V] {
	return &keyIndex[PK, K, V]{Keys: collections.NewKeySet(sb, prefix, name, kc), keyOf: keyOf}
}

// Reference moves pk's entry to the key of newValue (a no-op if it is unchanged).
func (i *keyIndex[PK, K, V]) Reference(ctx context.Context, pk PK, newValue V, lazyOldValue func() (V, error)) error {
	key := i.keyOf(pk, newValue)
	old, err := lazyOldValue()
	switch {
	case err == nil:
		oldKey := i.keyOf(pk, old)
		same, err := i.sameKey(oldKey, key)
		if err != nil || same {
			return err
		}
		if err := i.Keys.Remove(ctx, oldKey); err != nil {
			return err
		}
	case !errors.Is(err, collections.ErrNotFound):
		return err
	}
	return i.Keys.Set(ctx, key)
}

// Unreference removes pk's entry.
func (i *keyIndex[PK, K, V]) Unreference(ctx context.Context, pk PK, lazyOldValue func() (V, error)) error {
	old, err := lazyOldValue()
	if err != nil {
		return err
	}
	return i.Keys.Remove(ctx, i.keyOf(pk, old))
}

// sameKey compares keys by their encoding: collections' Pair and Triple hold
// pointers, so == would compare addresses.
func (i *keyIndex[PK, K, V]) sameKey(a, b K) (bool, error) {
	ea, err := collections.EncodeKeyWithPrefix(nil, i.Keys.KeyCodec(), a)
	if err != nil {
		return false, err
	}
	eb, err := collections.EncodeKeyWithPrefix(nil, i.Keys.KeyCodec(), b)
	return bytes.Equal(ea, eb), err
}

// StateKey is an index key (state, id): all orders or leases in one state, by id.
type StateKey = collections.Pair[int32, uint64]

// AddrStateKey is an index key (address, state, id): an owner's or a provider's
// orders or leases, by state, then id.
type AddrStateKey = collections.Triple[string, int32, uint64]

var (
	stateKeyCodec     = collections.PairKeyCodec(collections.Int32Key, collections.Uint64Key)
	addrStateKeyCodec = collections.TripleKeyCodec(collections.StringKey, collections.Int32Key, collections.Uint64Key)
)

// OrderIndexes are the indexes of Keeper.Orders.
type OrderIndexes struct {
	State *keyIndex[uint64, StateKey, types.Order]     // (state, id)
	Owner *keyIndex[uint64, AddrStateKey, types.Order] // (owner, state, id)
}

// IndexesList lists the indexes for collections.IndexedMap.
func (i OrderIndexes) IndexesList() []collections.Index[uint64, types.Order] {
	return []collections.Index[uint64, types.Order]{i.State, i.Owner}
}

func newOrderIndexes(sb *collections.SchemaBuilder) OrderIndexes {
	return OrderIndexes{
		State: newKeyIndex(sb, types.OrdersByStateKey, "orders_by_state", stateKeyCodec,
			func(id uint64, o types.Order) StateKey { return collections.Join(int32(o.State), id) }),
		Owner: newKeyIndex(sb, types.OrdersByOwnerStateKey, "orders_by_owner_state", addrStateKeyCodec,
			func(id uint64, o types.Order) AddrStateKey { return collections.Join3(o.Owner, int32(o.State), id) }),
	}
}

// BidKey is the primary key of a bid: (order id, provider).
type BidKey = collections.Pair[uint64, string]

// BidIndexes are the indexes of Keeper.Bids. Bids of an order are a prefix of
// the primary key; a bid has no state (it is deleted when it closes), so the
// only index is by provider.
type BidIndexes struct {
	Provider *keyIndex[BidKey, collections.Pair[string, uint64], types.Bid] // (provider, order id)
}

// IndexesList lists the indexes for collections.IndexedMap.
func (i BidIndexes) IndexesList() []collections.Index[BidKey, types.Bid] {
	return []collections.Index[BidKey, types.Bid]{i.Provider}
}

func newBidIndexes(sb *collections.SchemaBuilder) BidIndexes {
	return BidIndexes{
		Provider: newKeyIndex(sb, types.BidsByProviderKey, "bids_by_provider",
			collections.PairKeyCodec(collections.StringKey, collections.Uint64Key),
			func(k BidKey, _ types.Bid) collections.Pair[string, uint64] { return collections.Join(k.K2(), k.K1()) }),
	}
}

// LeaseIndexes are the indexes of Keeper.Leases.
type LeaseIndexes struct {
	State    *keyIndex[uint64, StateKey, types.Lease]     // (state, id)
	Provider *keyIndex[uint64, AddrStateKey, types.Lease] // (provider, state, id)
	Owner    *keyIndex[uint64, AddrStateKey, types.Lease] // (owner, state, id)
}

// IndexesList lists the indexes for collections.IndexedMap.
func (i LeaseIndexes) IndexesList() []collections.Index[uint64, types.Lease] {
	return []collections.Index[uint64, types.Lease]{i.State, i.Provider, i.Owner}
}

func newLeaseIndexes(sb *collections.SchemaBuilder) LeaseIndexes {
	return LeaseIndexes{
		State: newKeyIndex(sb, types.LeasesByStateKey, "leases_by_state", stateKeyCodec,
			func(id uint64, l types.Lease) StateKey { return collections.Join(int32(l.State), id) }),
		Provider: newKeyIndex(sb, types.LeasesByProviderStateKey, "leases_by_provider_state", addrStateKeyCodec,
			func(id uint64, l types.Lease) AddrStateKey { return collections.Join3(l.Provider, int32(l.State), id) }),
		Owner: newKeyIndex(sb, types.LeasesByOwnerStateKey, "leases_by_owner_state", addrStateKeyCodec,
			func(id uint64, l types.Lease) AddrStateKey { return collections.Join3(l.Owner, int32(l.State), id) }),
	}
}
