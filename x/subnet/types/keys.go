package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the subnet module's name, store key and module account.
	ModuleName = "subnet"
	// StoreKey is the subnet module's KV store key.
	StoreKey = ModuleName
	// MaxUIDs is the most uids any subnet may hold.
	MaxUIDs = 256
)

// Store prefixes of the subnet module's collections.
var (
	ParamsKey        = collections.NewPrefix(0)
	EmissionKey      = collections.NewPrefix(1)
	SubnetsKey       = collections.NewPrefix(2)
	NeuronsKey       = collections.NewPrefix(3)
	UIDByHotkeyKey   = collections.NewPrefix(4)
	WeightsKey       = collections.NewPrefix(5)
	BondsKey         = collections.NewPrefix(6)
	CommitsKey       = collections.NewPrefix(7)
	StakesKey        = collections.NewPrefix(8)
	StakesByStaker   = collections.NewPrefix(9)
	EpochQueueKey    = collections.NewPrefix(11)
	GenesisSupplyKey = collections.NewPrefix(12)
	HotkeyStakeKey   = collections.NewPrefix(13)
)
