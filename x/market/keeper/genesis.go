package keeper

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/hypha-network/hypha/x/market/types"
)

// InitGenesis loads the state and rebuilds every index and queue from it (the
// IndexedMaps rebuild their own indexes as each value is set).
func (k Keeper) InitGenesis(ctx context.Context, g types.GenesisState) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, g.Params); err != nil {
		return err
	}
	if err := k.OrderSeq.Set(ctx, g.NextOrderId); err != nil {
		return err
	}
	// A parked item's queue entry was removed when it was parked; rebuilding
	// the queues below skips it, so import does not retry it.
	parkedAt := make(map[[2]string]int64, len(g.Parked)) // (kind, id) -> due height
	for _, p := range g.Parked {
		if err := k.Parked.Set(ctx, collections.Join(p.Kind, p.Id), p); err != nil {
			return err
		}
		parkedAt[[2]string{p.Kind, p.Id}] = p.DueHeight
	}
	parked := func(kind, id string, h int64) bool {
		at, ok := parkedAt[[2]string{kind, id}]
		return ok && at == h
	}
	for _, p := range g.Providers {
		if err := k.Providers.Set(ctx, p.Owner, p); err != nil {
			return err
		}
		if p.Status == types.ProviderUnbonding && !parked(types.ItemUnbonding, p.Owner, p.UnbondingHeight) {
			if err := k.UnbondingQueue.Set(ctx, collections.Join(p.UnbondingHeight, p.Owner)); err != nil {
				return err
			}
		}
	}
	for _, s := range g.AuditorSignatures {
		if err := k.Signatures.Set(ctx, collections.Join(s.Provider, s.Auditor), s); err != nil {
			return err
		}
	}
	for _, o := range g.Orders {
		if err := k.Orders.Set(ctx, o.Id, o); err != nil {
			return err
		}
		if o.State == types.OrderOpen {
			if o.AuctionEnd != 0 && !parked(types.ItemAuction, idStr(o.Id), o.AuctionEnd) {
				if err := k.AuctionQueue.Set(ctx, collections.Join(o.AuctionEnd, o.Id)); err != nil {
					return err
				}
			}
			if !parked(types.ItemExpiry, idStr(o.Id), o.ExpiresHeight) {
				if err := k.ExpiryQueue.Set(ctx, collections.Join(o.ExpiresHeight, o.Id)); err != nil {
					return err
				}
			}
		}
	}
	for _, e := range g.Escrows {
		if err := k.Escrows.Set(ctx, e.OrderId, e); err != nil {
			return err
		}
		if e.RunDryHeight != 0 && !parked(types.ItemRunDry, idStr(e.OrderId), e.RunDryHeight) {
			if err := k.RunDryQueue.Set(ctx, collections.Join(e.RunDryHeight, e.OrderId)); err != nil {
				return err
			}
		}
	}
	for _, b := range g.Bids {
		if err := k.Bids.Set(ctx, collections.Join(b.OrderId, b.Provider), b); err != nil {
			return err
		}
	}
	for _, l := range g.Leases {
		if err := k.Leases.Set(ctx, l.OrderId, l); err != nil {
			return err
		}
		if l.State == types.LeaseActive && !parked(types.ItemHeartbeat, idStr(l.OrderId), l.HeartbeatDeadline) {
			if err := k.HeartbeatQueue.Set(ctx, collections.Join(l.HeartbeatDeadline, l.OrderId)); err != nil {
				return err
			}
		}
	}
	return nil
}

// ExportGenesis writes out the complete state (indexes and queues are derived).
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	next, err := k.OrderSeq.Peek(ctx)
	if err != nil {
		return nil, err
	}
	g := &types.GenesisState{Params: params, NextOrderId: next}
	if g.Providers, err = values(ctx, k.Providers); err != nil {
		return nil, err
	}
	if g.AuditorSignatures, err = values(ctx, k.Signatures); err != nil {
		return nil, err
	}
	if g.Orders, err = values(ctx, k.Orders); err != nil {
		return nil, err
	}
	if g.Bids, err = values(ctx, k.Bids); err != nil {
		return nil, err
	}
	if g.Leases, err = values(ctx, k.Leases); err != nil {
		return nil, err
	}
	if g.Escrows, err = values(ctx, k.Escrows); err != nil {
		return nil, err
	}
	if g.Parked, err = values(ctx, k.Parked); err != nil {
		return nil, err
	}
	return g, nil
}

// values returns every value of a Map or IndexedMap in key order.
func values[K, V any](ctx context.Context, m interface {
	Iterate(context.Context, collections.Ranger[K]) (collections.Iterator[K, V], error)
}) ([]V, error) {
	it, err := m.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	return it.Values()
}
