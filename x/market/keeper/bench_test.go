package keeper_test

import (
	"fmt"
	"testing"
	"time"

	"cosmossdk.io/collections"
	sdkmath "cosmossdk.io/math"

	"github.com/hypha-network/hypha/x/market/types"
)

// seedLeases writes n active leases directly into state (with their escrows and
// queue entries), none of them due for a long time.
func seedLeases(b testing.TB, f *fixture, n int) {
	h := f.height()
	for i := 1; i <= n; i++ {
		id := uint64(i)
		o := types.Order{Id: id, Owner: addr("alice"), State: types.OrderActive, MaxPricePerBlock: uhyp(100),
			CreatedHeight: h, ExpiresHeight: h + 1000, BidWindow: 10}
		l := types.Lease{OrderId: id, Owner: addr("alice"), Provider: addr("provider1"), Price: uhyp(100),
			TakeRate: types.DefaultTakeRate, State: types.LeaseActive, StartHeight: h, SettledHeight: h,
			Streamed: sdkmath.ZeroInt(), ProviderPaid: sdkmath.ZeroInt(), PoolPaid: sdkmath.ZeroInt(),
			LastHeartbeat: h, HeartbeatDeadline: h + 1_000_000 + int64(i%1000)}
		e := types.EscrowAccount{OrderId: id, Owner: addr("alice"), Balance: uhyp(100_000_000_000),
			Deposits:     []types.Deposit{{Depositor: addr("alice"), Amount: sdkmath.NewInt(100_000_000_000)}},
			RunDryHeight: h + 1_000_000_000 + int64(i%1000)}
		noErr(b, f.k.Orders.Set(f.ctx, id, o))
		noErr(b, f.k.Leases.Set(f.ctx, id, l))
		noErr(b, f.k.Escrows.Set(f.ctx, id, e))
		noErr(b, f.k.HeartbeatQueue.Set(f.ctx, collections.Join(l.HeartbeatDeadline, id)))
		noErr(b, f.k.RunDryQueue.Set(f.ctx, collections.Join(e.RunDryHeight, id)))
	}
}

// committedFixture seeds n leases and commits them, so that EndBlock runs, as
// on a node, on a cache over the committed IAVL tree.
func committedFixture(tb testing.TB, n int) *fixture {
	f := newFixture(tb)
	seedLeases(tb, f, n)
	f.env.App.CommitMultiStore().Commit()
	return f
}

// idleEndBlock runs one EndBlock at the next height on a fresh cache store.
func (f *fixture) idleEndBlock(tb testing.TB) {
	f.ctx = f.ctx.WithBlockHeight(f.ctx.BlockHeight() + 1)
	if err := f.k.EndBlocker(f.ctx.WithMultiStore(f.env.App.CommitMultiStore().CacheMultiStore())); err != nil {
		tb.Fatal(err)
	}
}

func benchEndBlock(b *testing.B, n int) {
	f := committedFixture(b, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.idleEndBlock(b)
	}
}

// BenchmarkEndBlockIdle measures EndBlock when no lease is due, with 100 and
// 10,000 active leases: the queues make the cost independent of the count.
func BenchmarkEndBlockIdle(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("leases=%d", n), func(b *testing.B) { benchEndBlock(b, n) })
	}
}

// TestEndBlockCostIndependentOfLeaseCount prints the 10,000 / 100 cost ratio
// of an idle EndBlock and fails only if it is wildly off (>3x), since timing
// on a shared machine is noisy.
func TestEndBlockCostIndependentOfLeaseCount(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	// Interleave the two sizes and keep each one's best round, so that load
	// from other processes affects both alike.
	fixtures := []*fixture{committedFixture(t, 100), committedFixture(t, 10_000)}
	best := []time.Duration{1 << 62, 1 << 62}
	const rounds = 1000
	for rep := 0; rep < 8; rep++ {
		for i, f := range fixtures {
			start := time.Now()
			for j := 0; j < rounds; j++ {
				f.idleEndBlock(t)
			}
			if d := time.Since(start) / rounds; d < best[i] {
				best[i] = d
			}
		}
	}
	small, large := best[0], best[1]
	ratio := float64(large) / float64(small)
	t.Logf("idle EndBlock: 100 leases %v/block, 10,000 leases %v/block, ratio %.2f", small, large, ratio)
	if ratio > 3 {
		t.Fatalf("EndBlock cost grows with the number of leases: ratio %.2f", ratio)
	}
}
