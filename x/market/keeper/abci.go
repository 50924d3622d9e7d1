package keeper

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/market/types"
)

// EndBlocker acts on everything due at this height, and only on that: each
// queue is keyed by height, so a block with nothing due reads one key per queue.
// Order within a block: exhausted escrows, missed heartbeats, auctions,
// expirations, unbondings.
//
// Each due item runs in its own cached context and is written only if it
// succeeds. A failing item (for example a payout the bank refuses) never halts
// the chain: its changes are discarded, so its escrow or bond stays intact, its
// queue entry is removed, and it is parked (Parked, a market_item_failed
// event, an error log). Every visited queue entry is removed either way, so a
// block does at most one attempt per due entry and no entry is visited twice.
// Only a failure of the store itself (reading a queue, parking) is returned.
func (k Keeper) EndBlocker(ctx context.Context) error {
	h := height(ctx)

	due, err := dueKeys(ctx, k.RunDryQueue, h)
	if err != nil {
		return err
	}
	for _, key := range due {
		id := key.K2()
		if err := k.runItem(ctx, types.ItemRunDry, idStr(id), key.K1(), func(c context.Context) error {
			if err := k.onRunDry(c, id); err != nil {
				return err
			}
			return k.RunDryQueue.Remove(c, key)
		}, func(c context.Context) error { return k.RunDryQueue.Remove(c, key) }); err != nil {
			return err
		}
	}

	if due, err = dueKeys(ctx, k.HeartbeatQueue, h); err != nil {
		return err
	}
	for _, key := range due {
		id := key.K2()
		if err := k.runItem(ctx, types.ItemHeartbeat, idStr(id), key.K1(), func(c context.Context) error {
			if err := k.onMissedHeartbeat(c, id); err != nil {
				return err
			}
			return k.HeartbeatQueue.Remove(c, key)
		}, func(c context.Context) error { return k.HeartbeatQueue.Remove(c, key) }); err != nil {
			return err
		}
	}

	if due, err = dueKeys(ctx, k.AuctionQueue, h); err != nil {
		return err
	}
	for _, key := range due {
		if err := k.runItem(ctx, types.ItemAuction, idStr(key.K2()), key.K1(), func(c context.Context) error {
			o, err := k.GetOrder(c, key.K2())
			if err != nil {
				return err
			}
			if o.State == types.OrderOpen && o.AuctionEnd == key.K1() {
				if err := k.closeAuction(c, o); err != nil {
					return err
				}
			}
			return k.AuctionQueue.Remove(c, key) // done, or a stale entry
		}, func(c context.Context) error { return k.AuctionQueue.Remove(c, key) }); err != nil {
			return err
		}
	}

	if due, err = dueKeys(ctx, k.ExpiryQueue, h); err != nil {
		return err
	}
	for _, key := range due {
		if err := k.runItem(ctx, types.ItemExpiry, idStr(key.K2()), key.K1(), func(c context.Context) error {
			o, err := k.GetOrder(c, key.K2())
			if err != nil {
				return err
			}
			if o.State == types.OrderOpen {
				if _, err := k.closeOpenOrder(c, o, types.ReasonExpired); err != nil {
					return err
				}
			}
			return k.ExpiryQueue.Remove(c, key)
		}, func(c context.Context) error { return k.ExpiryQueue.Remove(c, key) }); err != nil {
			return err
		}
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
		unqueue := func(c context.Context) error { return k.UnbondingQueue.Remove(c, key) }
		if err := k.runItem(ctx, types.ItemUnbonding, key.K2(), key.K1(), func(c context.Context) error {
			if err := unqueue(c); err != nil {
				return err
			}
			return k.completeUnbonding(c, key.K2())
		}, unqueue); err != nil {
			return err
		}
	}
	return nil
}

// runItem runs one due item: process in a cached context, written (with its
// events) only on success; on failure (an error or a panic) the cache is
// dropped, unqueue removes the item's queue entry from ctx and the item is
// parked. The returned error is a store failure while parking, nothing else.
func (k Keeper) runItem(ctx context.Context, kind, id string, due int64,
	process func(context.Context) error, unqueue func(context.Context) error,
) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	cc, write := sdkCtx.CacheContext()
	err := processSafely(cc, process)
	key := collections.Join(kind, id)
	if err == nil {
		write()
		if was, err := k.Parked.Has(ctx, key); err != nil || !was {
			return err
		}
		return k.Parked.Remove(ctx, key) // an earlier failure of this item is resolved
	}
	if err := unqueue(ctx); err != nil {
		return fmt.Errorf("market: unqueue failed %s item %s: %w", kind, id, err)
	}
	p, gerr := k.Parked.Get(ctx, key)
	if gerr != nil && !errors.Is(gerr, collections.ErrNotFound) {
		return gerr
	}
	p = types.ParkedItem{Kind: kind, Id: id, DueHeight: due, ParkedHeight: sdkCtx.BlockHeight(),
		Attempts: p.Attempts + 1, Error: err.Error()}
	if err := k.Parked.Set(ctx, key, p); err != nil {
		return err
	}
	k.Logger(ctx).Error("due item failed; parked", "kind", kind, "id", id, "due_height", due,
		"attempts", p.Attempts, "err", err)
	emit(ctx, types.EventItemFailed, types.AttrKind, kind, types.AttrItemID, id,
		types.AttrDueHeight, strconv.FormatInt(due, 10), types.AttrAttempts, strconv.FormatUint(uint64(p.Attempts), 10),
		types.AttrError, err.Error())
	return nil
}

// processSafely runs process, turning a panic into an error: every node
// panics alike on the same state, so recovering is deterministic.
func processSafely(ctx context.Context, process func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return process(ctx)
}

// dueKeys collects the queue entries at heights <= h (normally only h itself).
func dueKeys(ctx context.Context, q collections.KeySet[collections.Pair[int64, uint64]], h int64) ([]collections.Pair[int64, uint64], error) {
	var keys []collections.Pair[int64, uint64]
	err := q.Walk(ctx, collections.NewPrefixUntilPairRange[int64, uint64](h),
		func(key collections.Pair[int64, uint64]) (bool, error) {
			keys = append(keys, key)
			return false, nil
		})
	return keys, err
}

func (k Keeper) onRunDry(ctx context.Context, id uint64) error {
	l, err := k.GetLease(ctx, id)
	if err != nil {
		return err
	}
	if l.State != types.LeaseActive {
		return nil // stale entry: the caller removes it
	}
	_, err = k.closeLease(ctx, l, types.ReasonInsufficientFunds, "escrow exhausted")
	return err
}

func (k Keeper) onMissedHeartbeat(ctx context.Context, id uint64) error {
	l, err := k.GetLease(ctx, id)
	if err != nil {
		return err
	}
	if l.State != types.LeaseActive {
		return nil // stale entry: the caller removes it
	}
	_, err = k.closeLease(ctx, l, types.ReasonProviderFault, "missed heartbeat")
	return err
}
