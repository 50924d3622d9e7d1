package keeper_test

import (
	"slices"
	"testing"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/hypha-network/hypha/x/market/types"
)

// checkIndexes checks that every index of Orders, Bids and Leases holds
// exactly one entry per value, under the key derived from the value: no entry
// missing, none stale.
func checkIndexes(t testing.TB, f *fixture) {
	t.Helper()
	k := f.k
	orders := must[[]types.Order](t)(values(f, k.Orders.Iterate))
	for _, o := range orders {
		if !must[bool](t)(k.Orders.Indexes.State.Keys.Has(f.ctx, joinSI(o.State, o.Id))) ||
			!must[bool](t)(k.Orders.Indexes.Owner.Keys.Has(f.ctx, joinASI(o.Owner, int32(o.State), o.Id))) {
			t.Fatalf("order %d (%s) missing from an index", o.Id, o.State)
		}
	}
	countIs(t, f, "orders_by_state", k.Orders.Indexes.State.Keys.Walk, len(orders))
	countIs(t, f, "orders_by_owner_state", k.Orders.Indexes.Owner.Keys.Walk, len(orders))

	leases := must[[]types.Lease](t)(values(f, k.Leases.Iterate))
	for _, l := range leases {
		if !must[bool](t)(k.Leases.Indexes.State.Keys.Has(f.ctx, joinSI(l.State, l.OrderId))) ||
			!must[bool](t)(k.Leases.Indexes.Provider.Keys.Has(f.ctx, joinASI(l.Provider, int32(l.State), l.OrderId))) ||
			!must[bool](t)(k.Leases.Indexes.Owner.Keys.Has(f.ctx, joinASI(l.Owner, int32(l.State), l.OrderId))) {
			t.Fatalf("lease %d (%s) missing from an index", l.OrderId, l.State)
		}
	}
	countIs(t, f, "leases_by_state", k.Leases.Indexes.State.Keys.Walk, len(leases))
	countIs(t, f, "leases_by_provider_state", k.Leases.Indexes.Provider.Keys.Walk, len(leases))
	countIs(t, f, "leases_by_owner_state", k.Leases.Indexes.Owner.Keys.Walk, len(leases))

	bids := must[[]types.Bid](t)(values(f, k.Bids.Iterate))
	for _, b := range bids {
		if !must[bool](t)(k.Bids.Indexes.Provider.Keys.Has(f.ctx, joinSU(b.Provider, b.OrderId))) {
			t.Fatalf("bid of %s on %d missing from the provider index", b.Provider, b.OrderId)
		}
	}
	countIs(t, f, "bids_by_provider", k.Bids.Indexes.Provider.Keys.Walk, len(bids))
}

// pageAll follows next_key with pages of 2, so every query crosses pages.
func pageAll[T any](t testing.TB, get func(p *query.PageRequest) ([]T, *query.PageResponse, error)) []T {
	t.Helper()
	var out []T
	req := &query.PageRequest{Limit: 2}
	for i := 0; ; i++ {
		items, page, err := get(req)
		noErr(t, err)
		out = append(out, items...)
		if page == nil || len(page.NextKey) == 0 {
			return out
		}
		if i > 1000 {
			t.Fatal("pagination does not end")
		}
		req = &query.PageRequest{Key: page.NextKey, Limit: 2}
	}
}

func orderIDs(os []types.Order) []uint64 {
	ids := make([]uint64, len(os))
	for i, o := range os {
		ids[i] = o.Id
	}
	slices.Sort(ids)
	return ids
}

func leaseIDs(ls []types.Lease) []uint64 {
	ids := make([]uint64, len(ls))
	for i, l := range ls {
		ids[i] = l.OrderId
	}
	slices.Sort(ids)
	return ids
}

// checkQueriesMatchFilter compares every filtered Orders/Leases/Bids query,
// paged through next_key, with a filter over all values.
func checkQueriesMatchFilter(t testing.TB, f *fixture) {
	t.Helper()
	orders := must[[]types.Order](t)(values(f, f.k.Orders.Iterate))
	leases := must[[]types.Lease](t)(values(f, f.k.Leases.Iterate))
	bids := must[[]types.Bid](t)(values(f, f.k.Bids.Iterate))
	owners := []string{"", addr("alice"), addr("bob"), addr("carol")}
	providers := []string{"", addr("provider1"), addr("provider2")}
	for _, owner := range owners {
		for _, st := range []types.OrderState{types.OrderStateUnspecified, types.OrderOpen, types.OrderActive, types.OrderClosed} {
			got := pageAll(t, func(p *query.PageRequest) ([]types.Order, *query.PageResponse, error) {
				r, err := f.q.Orders(f.ctx, &types.QueryOrdersRequest{Owner: owner, State: st, Pagination: p})
				if err != nil {
					return nil, nil, err
				}
				return r.Orders, r.Pagination, nil
			})
			var want []types.Order
			for _, o := range orders {
				if (owner == "" || o.Owner == owner) && (st == types.OrderStateUnspecified || o.State == st) {
					want = append(want, o)
				}
			}
			if !slices.Equal(orderIDs(got), orderIDs(want)) {
				t.Fatalf("orders owner=%q state=%s: got %v, want %v", owner, st, orderIDs(got), orderIDs(want))
			}
		}
	}
	for _, owner := range owners {
		for _, prov := range providers {
			for _, st := range []types.LeaseState{types.LeaseStateUnspecified, types.LeaseActive, types.LeaseClosed} {
				got := pageAll(t, func(p *query.PageRequest) ([]types.Lease, *query.PageResponse, error) {
					r, err := f.q.Leases(f.ctx, &types.QueryLeasesRequest{Owner: owner, Provider: prov, State: st, Pagination: p})
					if err != nil {
						return nil, nil, err
					}
					return r.Leases, r.Pagination, nil
				})
				var want []types.Lease
				for _, l := range leases {
					if (owner == "" || l.Owner == owner) && (prov == "" || l.Provider == prov) &&
						(st == types.LeaseStateUnspecified || l.State == st) {
						want = append(want, l)
					}
				}
				if !slices.Equal(leaseIDs(got), leaseIDs(want)) {
					t.Fatalf("leases owner=%q provider=%q state=%s: got %v, want %v", owner, prov, st, leaseIDs(got), leaseIDs(want))
				}
			}
		}
	}
	for _, prov := range providers[1:] {
		got := pageAll(t, func(p *query.PageRequest) ([]types.Bid, *query.PageResponse, error) {
			r, err := f.q.Bids(f.ctx, &types.QueryBidsRequest{Provider: prov, Pagination: p})
			if err != nil {
				return nil, nil, err
			}
			return r.Bids, r.Pagination, nil
		})
		n := 0
		for _, b := range bids {
			if b.Provider == prov {
				n++
			}
		}
		if len(got) != n {
			t.Fatalf("bids of %s: got %d, want %d", prov, len(got), n)
		}
	}
}

// Orders, leases and bids in every state, by several owners and providers:
// the indexed queries page through exactly what a full filter finds, before
// and after a genesis round trip.
func TestIndexedQueriesPaginate(t *testing.T) {
	f := newFixture(t)
	f.createProvider("provider1")
	f.createProvider("provider2")
	accept := func(owner, provider string) uint64 {
		res, err := f.msg.CreateOrder(f.ctx, smallOrderMsg(owner))
		noErr(t, err)
		f.bid(provider, res.OrderId, 100)
		_, err = f.msg.CreateLease(f.ctx, &types.MsgCreateLease{Owner: addr(owner), OrderId: res.OrderId, Provider: addr(provider)})
		noErr(t, err)
		return res.OrderId
	}
	for i, owner := range []string{"alice", "bob", "alice", "carol", "alice"} {
		prov := []string{"provider1", "provider2"}[i%2]
		closed := accept(owner, prov)
		_, err := f.msg.CloseLease(f.ctx, &types.MsgCloseLease{Sender: addr(prov), OrderId: closed})
		noErr(t, err)
		accept(owner, prov)
		open, err := f.msg.CreateOrder(f.ctx, smallOrderMsg(owner))
		noErr(t, err)
		f.bid("provider1", open.OrderId, 90)
		gone := f.createOrder(owner, 100, 5_000_000)
		_, err = f.msg.CloseOrder(f.ctx, &types.MsgCloseOrder{Owner: addr(owner), OrderId: gone})
		noErr(t, err)
	}
	f.endBlock() // checks the indexes too
	checkQueriesMatchFilter(t, f)

	g := must[*types.GenesisState](t)(f.k.ExportGenesis(f.ctx))
	f2 := newFixture(t)
	f2.copyBalancesFrom(f)
	f2.ctx = f2.ctx.WithBlockHeight(f.height())
	noErr(t, f2.k.InitGenesis(f2.ctx, *g))
	checkIndexes(t, f2)
	checkQueriesMatchFilter(t, f2)
}
