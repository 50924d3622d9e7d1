// Package keeper implements x/jobs: verifiable training jobs with escrow,
// solver claims and incremental checkpoint commitments, a beacon-drawn audit
// with commit-reveal, a challenge window, settlement, and the seam where the
// dispute game takes over (OpenDispute). See docs/jobs-module.md.
package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/log"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/jobs/types"
)

// Keeper owns the jobs module's state.
type Keeper struct {
	cdc          codec.BinaryCodec
	storeService store.KVStoreService
	authority    string

	bank  types.BankKeeper
	acct  types.AccountKeeper
	distr types.DistributionKeeper

	Schema collections.Schema
	Params collections.Item[types.Params]

	Jobs        *collections.IndexedMap[string, types.Job, JobIndexes]
	Commitments collections.Map[collections.Pair[string, uint64], []byte]
	Assignments collections.Map[collections.Pair[string, uint64], types.Assignment]

	// Auditors by address; AuditorSlots is a dense table 0..AuditorCount-1 of
	// the active ones, so drawing an auditor reads O(1) entries.
	Auditors     collections.Map[string, types.Auditor]
	AuditorSlots collections.Map[uint64, string]
	AuditorCount collections.Item[uint64]

	// BlockHashes keeps the header hashes of the last MaxBeaconDelay blocks.
	BlockHashes collections.Map[int64, []byte]

	// Queues keyed by the height at which EndBlock must act.
	ClaimQueue     collections.KeySet[collections.Pair[int64, string]]
	SolveQueue     collections.KeySet[collections.Pair[int64, string]]
	BeaconQueue    collections.KeySet[collections.Pair[int64, string]]
	RevealQueue    collections.KeySet[collections.Pair[int64, string]]
	SettleQueue    collections.KeySet[collections.Pair[int64, string]]
	UnbondingQueue collections.KeySet[collections.Pair[int64, string]]

	// Games holds each disputed job's dispute.Game; GameQueue indexes the
	// unfinished ones by Game.Deadline(), so EndBlock ticks only games due.
	Games     collections.Map[string, types.DisputeGame]
	GameQueue collections.KeySet[collections.Pair[int64, string]]
}

// NewKeeper returns the jobs keeper; authority may change params (x/gov's account).
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, authority string,
	acct types.AccountKeeper, bank types.BankKeeper, distr types.DistributionKeeper,
) Keeper {
	if _, err := sdk.AccAddressFromBech32(authority); err != nil {
		panic(fmt.Errorf("jobs: invalid authority %q: %w", authority, err))
	}
	if acct.GetModuleAddress(types.ModuleName) == nil {
		panic("jobs: module account jobs must be registered")
	}
	sb := collections.NewSchemaBuilder(storeService)
	pairIS := collections.PairKeyCodec(collections.Int64Key, collections.StringKey)
	pairSU := collections.PairKeyCodec(collections.StringKey, collections.Uint64Key)
	k := Keeper{
		cdc: cdc, storeService: storeService, authority: authority,
		bank: bank, acct: acct, distr: distr,
		Params: collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Jobs: collections.NewIndexedMap(sb, types.JobsKey, "jobs", collections.StringKey,
			codec.CollValue[types.Job](cdc), newJobIndexes(sb)),
		Commitments:    collections.NewMap(sb, types.CommitmentsKey, "commitments", pairSU, collections.BytesValue),
		Assignments:    collections.NewMap(sb, types.AssignmentsKey, "assignments", pairSU, codec.CollValue[types.Assignment](cdc)),
		Auditors:       collections.NewMap(sb, types.AuditorsKey, "auditors", collections.StringKey, codec.CollValue[types.Auditor](cdc)),
		AuditorSlots:   collections.NewMap(sb, types.AuditorSlotsKey, "auditor_slots", collections.Uint64Key, collections.StringValue),
		AuditorCount:   collections.NewItem(sb, types.AuditorCountKey, "auditor_count", collections.Uint64Value),
		BlockHashes:    collections.NewMap(sb, types.BlockHashesKey, "block_hashes", collections.Int64Key, collections.BytesValue),
		ClaimQueue:     collections.NewKeySet(sb, types.ClaimQueueKey, "claim_queue", pairIS),
		SolveQueue:     collections.NewKeySet(sb, types.SolveQueueKey, "solve_queue", pairIS),
		BeaconQueue:    collections.NewKeySet(sb, types.BeaconQueueKey, "beacon_queue", pairIS),
		RevealQueue:    collections.NewKeySet(sb, types.RevealQueueKey, "reveal_queue", pairIS),
		SettleQueue:    collections.NewKeySet(sb, types.SettleQueueKey, "settle_queue", pairIS),
		UnbondingQueue: collections.NewKeySet(sb, types.UnbondingQueueKey, "unbonding_queue", pairIS),
		Games:          collections.NewMap(sb, types.GamesKey, "games", collections.StringKey, codec.CollValue[types.DisputeGame](cdc)),
		GameQueue:      collections.NewKeySet(sb, types.GameQueueKey, "game_queue", pairIS),
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
func (k Keeper) GetParams(ctx context.Context) (types.Params, error) { return k.Params.Get(ctx) }

// ModuleAddress is the jobs module account, which holds every escrow and bond.
func (k Keeper) ModuleAddress() sdk.AccAddress { return k.acct.GetModuleAddress(types.ModuleName) }

// pay sends coin from the module account to addr, skipping zero amounts.
func (k Keeper) pay(ctx context.Context, addr string, coin sdk.Coin) error {
	if coin.IsNil() || coin.IsZero() {
		return nil
	}
	to, err := sdk.AccAddressFromBech32(addr)
	if err != nil {
		return err
	}
	if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, to, sdk.NewCoins(coin)); err != nil {
		return fmt.Errorf("jobs: pay %s to %s: %w", coin, addr, err)
	}
	return nil
}

// collect moves coin from addr into the module account, skipping zero amounts.
func (k Keeper) collect(ctx context.Context, addr string, coin sdk.Coin) error {
	if coin.IsNil() || coin.IsZero() {
		return nil
	}
	from, err := sdk.AccAddressFromBech32(addr)
	if err != nil {
		return err
	}
	return k.bank.SendCoinsFromAccountToModule(ctx, from, types.ModuleName, sdk.NewCoins(coin))
}

// GetJob returns a job or ErrJobNotFound.
func (k Keeper) GetJob(ctx context.Context, id string) (types.Job, error) {
	j, err := k.Jobs.Get(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return j, errorsmod.Wrapf(types.ErrJobNotFound, "no job %s: check the id with `hyphad job list`", id)
		}
		return j, err
	}
	return j, nil
}

func height(ctx context.Context) int64 { return sdk.UnwrapSDKContext(ctx).BlockHeight() }

func emit(ctx context.Context, typ string, attrs ...string) {
	ev := sdk.NewEvent(typ)
	for i := 0; i+1 < len(attrs); i += 2 {
		ev = ev.AppendAttributes(sdk.NewAttribute(attrs[i], attrs[i+1]))
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(ev)
}
