package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/jobs/types"
)

// BeginBlocker records this block's header hash for the beacon and forgets
// the one MaxBeaconDelay blocks back: two writes per block.
func (k Keeper) BeginBlocker(ctx context.Context) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sdkCtx.BlockHeight()
	if err := k.BlockHashes.Set(ctx, h, sdkCtx.HeaderHash()); err != nil {
		return err
	}
	return k.BlockHashes.Remove(ctx, h-types.MaxBeaconDelay)
}

// EndBlocker acts on what is due at this height and only that: every queue is
// keyed by height. Order: missed solve deadlines, expired claims, audit draws,
// reveal deadlines, settlements, auditor unbondings. Each item runs in its own
// cached context and is written only if it succeeds; a failing item is
// logged with a jobs_item_failed event and its queue entry dropped, so it can
// never halt the chain, and its funds stay in escrow (the invariant still
// counts them).
func (k Keeper) EndBlocker(ctx context.Context) error {
	h := height(ctx)
	for _, q := range []struct {
		name   string
		queue  collections.KeySet[collections.Pair[int64, string]]
		status types.JobStatus
		due    func(types.Job) int64
		act    func(context.Context, types.Job) error
	}{
		{"solve", k.SolveQueue, types.JobClaimed, func(j types.Job) int64 { return j.SolveDeadline }, k.fail},
		{"claim", k.ClaimQueue, types.JobOpen, func(j types.Job) int64 { return j.ClaimDeadline }, k.expire},
		{"beacon", k.BeaconQueue, types.JobFinalized, func(j types.Job) int64 { return j.BeaconHeight }, k.drawAudit},
		{"reveal", k.RevealQueue, -1, func(j types.Job) int64 { return j.AuditRevealDeadline }, k.closeReveals},
		{"settle", k.SettleQueue, types.JobChallengeable, func(j types.Job) int64 { return j.ChallengeEnd }, k.settle},
	} {
		due, err := dueKeys(ctx, q.queue, h)
		if err != nil {
			return err
		}
		for _, key := range due {
			q := q
			k.runItem(ctx, q.name, key.K2(), func(c context.Context) error {
				j, err := k.Jobs.Get(c, key.K2())
				if err != nil {
					if isNotFound(err) {
						return nil
					}
					return err
				}
				if q.due(j) != key.K1() {
					return nil // stale entry
				}
				if q.status >= 0 && j.Status != q.status {
					return nil // the job moved on (claimed, disputed, ...)
				}
				if q.status < 0 && j.Status != types.JobAuditing && j.Status != types.JobDisputed {
					return nil
				}
				return q.act(c, j)
			})
			if err := q.queue.Remove(ctx, key); err != nil {
				return err
			}
		}
	}
	if err := k.tickGames(ctx); err != nil {
		return err
	}
	var unbond []collections.Pair[int64, string]
	if err := k.UnbondingQueue.Walk(ctx, collections.NewPrefixUntilPairRange[int64, string](h),
		func(key collections.Pair[int64, string]) (bool, error) {
			unbond = append(unbond, key)
			return false, nil
		}); err != nil {
		return err
	}
	for _, key := range unbond {
		k.runItem(ctx, "unbonding", key.K2(), func(c context.Context) error { return k.completeUnbonding(c, key.K2()) })
		if err := k.UnbondingQueue.Remove(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

// EventItemFailed is emitted when a due EndBlock item fails; its changes are discarded.
const EventItemFailed = "jobs_item_failed"

// runItem runs process in a cached context written only on success; an
// error or a panic discards it (every node fails alike on the same state, so
// recovering is deterministic).
func (k Keeper) runItem(ctx context.Context, kind, id string, process func(context.Context) error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	cc, write := sdkCtx.CacheContext()
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return process(cc)
	}()
	if err == nil {
		write()
		sdkCtx.EventManager().EmitEvents(cc.EventManager().Events())
		return
	}
	k.Logger(ctx).Error("due item failed; dropped", "kind", kind, "id", id, "err", err)
	emit(ctx, EventItemFailed, "kind", kind, types.AttrJobID, id, "error", err.Error())
}

// dueKeys collects the queue entries at heights <= h (normally only h itself).
func dueKeys(ctx context.Context, q collections.KeySet[collections.Pair[int64, string]], h int64) ([]collections.Pair[int64, string], error) {
	var keys []collections.Pair[int64, string]
	err := q.Walk(ctx, collections.NewPrefixUntilPairRange[int64, string](h),
		func(key collections.Pair[int64, string]) (bool, error) {
			keys = append(keys, key)
			return false, nil
		})
	return keys, err
}
