package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the market module's name, store key and escrow account name.
	ModuleName = "market"
	// StoreKey is the market's KV store key.
	StoreKey = ModuleName
	// BondAccountName is the module account holding provider bonds (active and unbonding).
	BondAccountName = "market_bonds"
)

// Store prefixes of the market's collections (docs/market.md, "State", lists
// the layout). Prefixes 5, 10 and 11 held the hand-kept (address, id) indexes of
// orders and leases that the (address, state, id) indexes replaced; they stay
// retired so that no old entry is ever read as a new one.
var (
	ParamsKey         = collections.NewPrefix(0)
	OrderSeqKey       = collections.NewPrefix(1)
	ProvidersKey      = collections.NewPrefix(2)
	SignaturesKey     = collections.NewPrefix(3)
	OrdersKey         = collections.NewPrefix(4)
	EscrowsKey        = collections.NewPrefix(6)
	BidsKey           = collections.NewPrefix(7)
	BidsByProviderKey = collections.NewPrefix(8) // (provider, order id), the IndexedMap index of Bids
	LeasesKey         = collections.NewPrefix(9)
	AuctionQueueKey   = collections.NewPrefix(12)
	ExpiryQueueKey    = collections.NewPrefix(13)
	RunDryQueueKey    = collections.NewPrefix(14)
	HeartbeatQueueKey = collections.NewPrefix(15)
	UnbondingQueueKey = collections.NewPrefix(16)
	ParkedKey         = collections.NewPrefix(22) // (kind, id) -> ParkedItem

	// Indexes of the Orders and Leases IndexedMaps, kept by collections on
	// every Set and Remove.
	OrdersByStateKey         = collections.NewPrefix(17) // (state, order id)
	OrdersByOwnerStateKey    = collections.NewPrefix(18) // (owner, state, order id)
	LeasesByStateKey         = collections.NewPrefix(19) // (state, order id)
	LeasesByProviderStateKey = collections.NewPrefix(20) // (provider, state, order id)
	LeasesByOwnerStateKey    = collections.NewPrefix(21) // (owner, state, order id)
)

// Kinds of due EndBlock items, as recorded in ParkedItem.kind and the
// market_item_failed event.
const (
	ItemRunDry    = "run_dry"
	ItemHeartbeat = "heartbeat"
	ItemAuction   = "auction"
	ItemExpiry    = "expiry"
	ItemUnbonding = "unbonding"
)
