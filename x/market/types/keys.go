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

// Store prefixes of the market's collections.
var (
	ParamsKey           = collections.NewPrefix(0)
	OrderSeqKey         = collections.NewPrefix(1)
	ProvidersKey        = collections.NewPrefix(2)
	SignaturesKey       = collections.NewPrefix(3)
	OrdersKey           = collections.NewPrefix(4)
	OrdersByOwnerKey    = collections.NewPrefix(5)
	EscrowsKey          = collections.NewPrefix(6)
	BidsKey             = collections.NewPrefix(7)
	BidsByProviderKey   = collections.NewPrefix(8)
	LeasesKey           = collections.NewPrefix(9)
	LeasesByOwnerKey    = collections.NewPrefix(10)
	LeasesByProviderKey = collections.NewPrefix(11)
	AuctionQueueKey     = collections.NewPrefix(12)
	ExpiryQueueKey      = collections.NewPrefix(13)
	RunDryQueueKey      = collections.NewPrefix(14)
	HeartbeatQueueKey   = collections.NewPrefix(15)
	UnbondingQueueKey   = collections.NewPrefix(16)
)
