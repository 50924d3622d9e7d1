package keeper_test

import (
	"fmt"
	"testing"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/hypha-network/hypha/x/market/types"
)

// The hot queries: the open-order book (what a provider agent bids on) and a
// provider's active leases (what its agent syncs every few seconds). Their
// cost must follow what they return, not the closed history behind it.
const (
	benchLive    = 20  // open orders and active leases the queries return
	benchHistory = 300 // closed orders/leases in the small state (H); the large one has 10H
)

// smallOrderMsg asks for a slice of one provider's gpuInventory without a GPU,
// so that many leases of provider1 can be active together.
func smallOrderMsg(owner string) *types.MsgCreateOrder {
	m := orderMsg(owner, 100, 1_000_000_000)
	m.Resources = types.ResourceSpec{CpuMillis: 1000, MemoryBytes: 1 << 30}
	return m
}

// seedHistory builds, through the message server, closed leases (each with
// its closed order) of provider1, then benchLive open orders and benchLive
// active leases of provider1, and commits, so that queries run like on a node:
// on a cache over the committed IAVL tree.
func seedHistory(tb testing.TB, closed int) *fixture {
	f := newFixture(tb)
	// Seed on a cache (much faster than writing through to IAVL), then write
	// it and commit once.
	cache := f.env.App.CommitMultiStore().CacheMultiStore()
	uncached := f.ctx
	f.ctx = f.ctx.WithMultiStore(cache)
	f.createProvider("provider1")
	lease := func() uint64 {
		f.ctx = f.ctx.WithEventManager(sdk.NewEventManager()) // do not keep every event
		res, err := f.msg.CreateOrder(f.ctx, smallOrderMsg("alice"))
		noErr(tb, err)
		f.bid("provider1", res.OrderId, 100)
		_, err = f.msg.CreateLease(f.ctx, &types.MsgCreateLease{Owner: addr("alice"), OrderId: res.OrderId, Provider: addr("provider1")})
		noErr(tb, err)
		return res.OrderId
	}
	for i := 0; i < closed; i++ {
		id := lease()
		_, err := f.msg.CloseLease(f.ctx, &types.MsgCloseLease{Sender: addr("provider1"), OrderId: id, Reason: "done"})
		noErr(tb, err)
	}
	for i := 0; i < benchLive; i++ {
		lease()
		_, err := f.msg.CreateOrder(f.ctx, smallOrderMsg("bob"))
		noErr(tb, err)
	}
	cache.Write()
	f.ctx = uncached
	f.env.App.CommitMultiStore().Commit()
	return f
}

// queryCtx is a fresh cache over the committed store.
func (f *fixture) queryCtx() sdk.Context {
	return f.ctx.WithMultiStore(f.env.App.CommitMultiStore().CacheMultiStore())
}

func (f *fixture) openOrdersQuery(tb testing.TB) {
	res, err := f.q.Orders(f.queryCtx(), &types.QueryOrdersRequest{State: types.OrderOpen,
		Pagination: &query.PageRequest{Limit: 100}})
	noErr(tb, err)
	if len(res.Orders) != benchLive {
		tb.Fatalf("open orders: got %d, want %d", len(res.Orders), benchLive)
	}
}

func (f *fixture) activeLeasesQuery(tb testing.TB) {
	res, err := f.q.Leases(f.queryCtx(), &types.QueryLeasesRequest{Provider: addr("provider1"),
		State: types.LeaseActive, Pagination: &query.PageRequest{Limit: 100}})
	noErr(tb, err)
	if len(res.Leases) != benchLive {
		tb.Fatalf("active leases: got %d, want %d", len(res.Leases), benchLive)
	}
}

// BenchmarkHotQueries runs the open-orders query and the provider's
// active-lease query over H and 10H closed orders/leases.
func BenchmarkHotQueries(b *testing.B) {
	for _, n := range []int{benchHistory, 10 * benchHistory} {
		f := seedHistory(b, n)
		b.Run(fmt.Sprintf("open-orders/closed=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				f.openOrdersQuery(b)
			}
		})
		b.Run(fmt.Sprintf("provider-active-leases/closed=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				f.activeLeasesQuery(b)
			}
		})
	}
}

// TestHotQueryCostRatio logs how much more the two hot queries cost with 10H
// closed orders/leases than with H. It asserts nothing about timings (the
// machine is shared and noisy); the index makes the ratio about 1, a full
// filter about 10.
func TestHotQueryCostRatio(t *testing.T) {
	if testing.Short() {
		t.Skip("timing report")
	}
	fixtures := []*fixture{seedHistory(t, benchHistory), seedHistory(t, 10*benchHistory)}
	for _, q := range []struct {
		name string
		run  func(*fixture, testing.TB)
	}{{"open orders", (*fixture).openOrdersQuery}, {"provider active leases", (*fixture).activeLeasesQuery}} {
		// Interleave the sizes and keep each one's best round, so that load
		// from other processes affects both alike.
		best := []time.Duration{1 << 62, 1 << 62}
		const rounds = 20
		for rep := 0; rep < 5; rep++ {
			for i, f := range fixtures {
				start := time.Now()
				for j := 0; j < rounds; j++ {
					q.run(f, t)
				}
				if d := time.Since(start) / rounds; d < best[i] {
					best[i] = d
				}
			}
		}
		t.Logf("%s: %d closed %v/query, %d closed %v/query, ratio %.2f", q.name,
			benchHistory, best[0], 10*benchHistory, best[1], float64(best[1])/float64(best[0]))
	}
}
