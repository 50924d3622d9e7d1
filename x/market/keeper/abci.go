package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/hypha-network/hypha/x/market/types"
)

// EndBlocker acts on everything due at this height, and only on that: each
// queue is keyed by height, so a block with nothing due reads one key per queue.
// Order within a block: exhausted escrows, missed heartbeats, auctions,
// expirations, unbondings.
func (k Keeper) EndBlocker(ctx context.Context) error {
	h := height(ctx)

	due, err := dueKeys(ctx, k.RunDryQueue, h)
	if err != nil {
		return err
	}
	for _, key := range due {
		if err := k.onRunDry(ctx, key.K2()); err != nil {
			return fmt.Errorf("market: run-dry of lease %d: %w", key.K2(), err)
		}
	}

	if due, err = dueKeys(ctx, k.HeartbeatQueue, h); err != nil {
		return err
	}
	for _, key := range due {
		if err := k.onMissedHeartbeat(ctx, key.K2()); err != nil {
			return fmt.Errorf("market: heartbeat of lease %d: %w", key.K2(), err)
		}
	}

	if due, err = dueKeys(ctx, k.AuctionQueue, h); err != nil {
		return err
	}
	for _, key := range due {
		o, err := k.GetOrder(ctx, key.K2())
		if err != nil {
			return err
		}
		if o.State != types.OrderOpen || o.AuctionEnd != key.K1() {
			if err := k.AuctionQueue.Remove(ctx, key); err != nil { // stale entry
				return err
			}
			continue
		}
		if err := k.closeAuction(ctx, o); err != nil {
			return fmt.Errorf("market: auction of order %d: %w", o.Id, err)
		}
	}

	if due, err = dueKeys(ctx, k.ExpiryQueue, h); err != nil {
		return err
	}
	for _, key := range due {
		o, err := k.GetOrder(ctx, key.K2())
		if err != nil {
			return err
		}
		if o.State != types.OrderOpen {
			if err := k.ExpiryQueue.Remove(ctx, key); err != nil {
				return err
			}
			continue
		}
		if _, err := k.closeOpenOrder(ctx, o, types.ReasonExpired); err != nil {
			return fmt.Errorf("market: expiry of order %d: %w", o.Id, err)
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
		if err := k.UnbondingQueue.Remove(ctx, key); err != nil {
			return err
		}
		if err := k.completeUnbonding(ctx, key.K2()); err != nil {
			return fmt.Errorf("market: unbonding of %s: %w", key.K2(), err)
		}
	}
	return nil
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
	e, err := k.Escrows.Get(ctx, id)
	if err != nil {
		return err
	}
	if l.State != types.LeaseActive {
		return k.RunDryQueue.Remove(ctx, collections.Join(e.RunDryHeight, id))
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
		return k.HeartbeatQueue.Remove(ctx, collections.Join(l.HeartbeatDeadline, id))
	}
	_, err = k.closeLease(ctx, l, types.ReasonProviderFault, "missed heartbeat")
	return err
}
