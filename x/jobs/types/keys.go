package types

import "cosmossdk.io/collections"

const (
	// ModuleName is the jobs module's name, store key and escrow account name.
	ModuleName = "jobs"
	// StoreKey is the jobs module's KV store key.
	StoreKey = ModuleName
)

// Store prefixes of the jobs module's collections (docs/jobs-module.md, "State").
var (
	ParamsKey         = collections.NewPrefix(0)
	JobsKey           = collections.NewPrefix(1)
	JobsByStatusKey   = collections.NewPrefix(2) // (status, job id), the IndexedMap index of Jobs
	CommitmentsKey    = collections.NewPrefix(3) // (job id, index) -> commitment
	AssignmentsKey    = collections.NewPrefix(4) // (job id, segment) -> Assignment
	AuditorsKey       = collections.NewPrefix(5) // address -> Auditor
	AuditorSlotsKey   = collections.NewPrefix(6) // slot -> address, dense 0..n-1 over active auditors
	AuditorCountKey   = collections.NewPrefix(7) // number of active auditors (the slot table's length)
	BlockHashesKey    = collections.NewPrefix(8) // height -> header hash, the last MaxBeaconDelay blocks
	ClaimQueueKey     = collections.NewPrefix(9) // (claim deadline, job id)
	SolveQueueKey     = collections.NewPrefix(10)
	BeaconQueueKey    = collections.NewPrefix(11)
	RevealQueueKey    = collections.NewPrefix(12)
	SettleQueueKey    = collections.NewPrefix(13)
	UnbondingQueueKey = collections.NewPrefix(14) // (unbonding height, auditor)
	GamesKey          = collections.NewPrefix(15) // job id -> DisputeGame (the stored dispute.Game)
	GameQueueKey      = collections.NewPrefix(16) // (game deadline, job id): EndBlock ticks games due
)

// MaxBeaconDelay is the most blocks the beacon may draw on: the header-hash
// ring keeps this many, and Params.beacon_delay may not exceed it.
const MaxBeaconDelay = 64
