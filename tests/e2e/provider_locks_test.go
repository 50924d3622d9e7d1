package e2e_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/agent/auth"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/leaseapi"
	"github.com/hypha-network/hypha/agent/provider"
	"github.com/hypha-network/hypha/agent/provider/runtime"
	"github.com/hypha-network/hypha/agent/tenant"
	"github.com/hypha-network/hypha/client/broadcast"
	"github.com/hypha-network/hypha/testutil/e2e"
	"github.com/hypha-network/hypha/testutil/netutil"
	"github.com/hypha-network/hypha/x/market/types"
)

// Provider agents run in this test process against a real devnet, with a
// fake runtime (no workloads), to look at how the agent schedules its chain
// work: heartbeats batched into one transaction, and never held up by a slow
// workload start.

// slowRuntime is a runtime.Runtime whose Start blocks for delay on the
// leases in slow (an image pull, say) and runs nothing.
type slowRuntime struct {
	delay   time.Duration
	slow    map[uint64]bool
	began   chan uint64 // a blocking Start began
	mu      sync.Mutex
	running map[string]runtime.State
	done    map[uint64]time.Time // when a blocking Start returned
}

func newSlowRuntime(delay time.Duration, slow ...uint64) *slowRuntime {
	r := &slowRuntime{delay: delay, slow: map[uint64]bool{}, began: make(chan uint64, 8),
		running: map[string]runtime.State{}, done: map[uint64]time.Time{}}
	for _, id := range slow {
		r.slow[id] = true
	}
	return r
}

func (r *slowRuntime) Kind() string { return "process" }

func (r *slowRuntime) Start(_ context.Context, inst runtime.Instance) (runtime.Handle, error) {
	if r.slow[inst.Lease] {
		r.began <- inst.Lease
		time.Sleep(r.delay)
		r.mu.Lock()
		r.done[inst.Lease] = time.Now()
		r.mu.Unlock()
	}
	return r.Adopt(context.Background(), inst, nil)
}

func (r *slowRuntime) Adopt(_ context.Context, inst runtime.Instance, _ runtime.Handle) (runtime.Handle, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running[inst.Name()] = runtime.State{Name: inst.Name(), Running: true, PID: 1, StartedAt: time.Now()}
	return runtime.Handle(inst.Name()), nil
}

func (r *slowRuntime) startReturned(lease uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.done[lease]
	return ok
}

func (r *slowRuntime) Handle(name string) (runtime.Handle, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.running[name]
	return runtime.Handle(name), ok
}

func (r *slowRuntime) Status(name string) (runtime.State, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.running[name]
	return s, ok
}

func (r *slowRuntime) Logs(string, int) ([]string, error) { return nil, nil }
func (r *slowRuntime) LogFile(string) string              { return os.DevNull }
func (r *slowRuntime) Stop(_ context.Context, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.running, name)
	return nil
}
func (r *slowRuntime) StopOrphan(context.Context, runtime.Handle) {}
func (r *slowRuntime) Detach()                                    {}

// inProcessProvider runs a provider agent for provider1 in this process with
// runtime rt until the test ends; it returns the agent and its log.
func inProcessProvider(t *testing.T, d *e2e.Devnet, rt runtime.Runtime, extra string) (*provider.Agent, *lockedBuffer, string) {
	t.Helper()
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", netutil.FreePort(t))
	path := filepath.Join(dir, "provider.yaml")
	provMust(t, os.WriteFile(path, []byte(fmt.Sprintf(`chain: {node: %s, home: %s, key: provider1}
listen: %s
data_dir: data
attributes: {region: local}
inventory: {cpu: 8, memory: 16Gi}
pricing: {cpu_per_core: 20, memory_per_gib: 40}
poll_interval: 1s
%s`, d.RPCURL(), d.Home, listen, extra)), 0o600))
	cfg, err := provider.LoadConfig(path)
	provMust(t, err)
	logs := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := provider.New(ctx, cfg, logs, provider.WithRuntime(rt))
	provMust(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.Run(ctx); err != nil {
			t.Errorf("provider agent: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("provider agent log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for !strings.Contains(logs.String(), "serving the lease API") {
		if time.Now().After(deadline) {
			t.Fatalf("provider agent did not start:\n%s", logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	return a, logs, "https://" + listen
}

// createOrders sends n small orders from alice in one transaction and
// returns their ids.
func createOrders(t *testing.T, chain *chainclient.Client, n int, bidWindow int64) []uint64 {
	t.Helper()
	msgs := make([]sdk.Msg, n)
	for i := range msgs {
		msgs[i] = &types.MsgCreateOrder{Owner: chain.Address(),
			Resources:        types.ResourceSpec{CpuMillis: 100, MemoryBytes: 64 << 20},
			Placement:        []types.Attribute{{Key: "region", Value: "local"}},
			MaxPricePerBlock: sdk.NewCoin("uhyp", sdkmath.NewInt(100)),
			Deposit:          sdk.NewCoin("uhyp", sdkmath.NewInt(5_000_000)),
			BidWindow:        bidWindow}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := chain.Broadcast(ctx, msgs...)
	provMust(t, err)
	ids := make([]uint64, n)
	for i := range ids {
		r, err := broadcast.Response[*types.MsgCreateOrderResponse](res, i)
		provMust(t, err)
		ids[i] = r.OrderId
	}
	t.Logf("%d orders %v created in one transaction, block %d", n, ids, res.Height)
	return ids
}

// activeLeases waits until the provider holds an active lease for each of
// ids and returns them by id, read at one height.
func activeLeases(t *testing.T, chain *chainclient.Client, prov string, ids []uint64, timeout time.Duration) map[uint64]types.Lease {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ls, err := chain.ActiveLeases(context.Background(), prov)
		if err == nil {
			got := map[uint64]types.Lease{}
			for _, l := range ls {
				got[l.OrderId] = l
			}
			all := true
			for _, id := range ids {
				if _, ok := got[id]; !ok {
					all = false
				}
			}
			if all {
				return got
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("provider %s has not won leases %v within %s (err %v)", prov, ids, timeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

var heartbeatLine = regexp.MustCompile(`lease (\d+): heartbeat sent in block (\d+)`)

// heartbeatBlocks returns, for each block the agent logged heartbeats in,
// the leases it heartbeat there.
func heartbeatBlocks(log string) map[int64][]uint64 {
	out := map[int64][]uint64{}
	for _, m := range heartbeatLine.FindAllStringSubmatch(log, -1) {
		id, _ := strconv.ParseUint(m[1], 10, 64)
		h, _ := strconv.ParseInt(m[2], 10, 64)
		out[h] = append(out[h], id)
	}
	return out
}

// TestProviderHeartbeatsBatched: 20 active leases heartbeat in one
// transaction, so one block, per round (one transaction per lease, each
// waiting for its block, took 20 blocks).
func TestProviderHeartbeatsBatched(t *testing.T) {
	const n = 20
	d := e2e.StartDevnet(t)
	a, logs, _ := inProcessProvider(t, d, newSlowRuntime(0), "heartbeat_margin: 95\nwithdraw_every: 100000\n")
	alice, err := chainclient.New(chainclient.Config{Home: d.Home, Key: "alice", Node: d.RPCURL()})
	provMust(t, err)
	// The agent bids one order per transaction: give the auction room for 20.
	ids := createOrders(t, alice, n, 60)
	leases := activeLeases(t, alice, a.Address(), ids, 3*time.Minute)
	start := leases[ids[0]].StartHeight
	for _, id := range ids {
		if leases[id].StartHeight != start {
			t.Fatalf("lease %d started at %d, lease %d at %d: want one auction close", id, leases[id].StartHeight, ids[0], start)
		}
	}
	// Wait for two heartbeat rounds after the leases started.
	deadline := time.Now().Add(90 * time.Second)
	var rounds []int64
	for {
		rounds = rounds[:0]
		for h, ls := range heartbeatBlocks(logs.String()) {
			if h > start && len(ls) > 0 {
				rounds = append(rounds, h)
			}
		}
		if len(rounds) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 2 heartbeat rounds since height %d:\n%s", start, logs.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	sort.Slice(rounds, func(i, j int) bool { return rounds[i] < rounds[j] })
	blocks := heartbeatBlocks(logs.String())
	for _, h := range rounds[:2] {
		if len(blocks[h]) != n {
			t.Fatalf("block %d holds heartbeats of %d leases %v, want all %d:\n%s", h, len(blocks[h]), blocks[h], n, logs.String())
		}
	}
	// On chain: every lease's last heartbeat is the same block, read at one height.
	leases = activeLeases(t, alice, a.Address(), ids, time.Minute)
	last := leases[ids[0]].LastHeartbeat
	for _, id := range ids {
		if l := leases[id]; l.LastHeartbeat != last || l.LastHeartbeat <= start || l.HeartbeatDeadline <= start+100 {
			t.Fatalf("lease %d: last heartbeat %d, deadline %d; lease %d: last heartbeat %d (start %d)", id, l.LastHeartbeat, l.HeartbeatDeadline, ids[0], last, start)
		}
	}
	if got := strings.Count(logs.String(), "lease messages refused"); got != 0 {
		t.Fatalf("%d batches refused:\n%s", got, logs.String())
	}
	t.Logf("%d leases from height %d: heartbeat rounds in blocks %v, all %d heartbeats in one block each round; on chain all last_heartbeat = %d",
		n, start, rounds[:2], n, last)
}

// TestProviderHeartbeatsWhileStartBlocks: a workload start that takes 30 s
// (an image pull) does not hold up the other leases' heartbeats: their
// on-chain deadlines keep moving while it runs.
func TestProviderHeartbeatsWhileStartBlocks(t *testing.T) {
	const block = 30 * time.Second
	d := e2e.StartDevnet(t)
	alice, err := chainclient.New(chainclient.Config{Home: d.Home, Key: "alice", Node: d.RPCURL()})
	provMust(t, err)
	// Orders first, so the slow lease's id is known to the runtime.
	ids := createOrders(t, alice, 3, 8)
	slow, others := ids[0], ids[1:]
	rt := newSlowRuntime(block, slow)
	a, logs, hostURI := inProcessProvider(t, d, rt, "heartbeat_margin: 98\nwithdraw_every: 100000\n")
	activeLeases(t, alice, a.Address(), ids, 2*time.Minute)

	kr, err := auth.OpenKeyring(d.Home, "test")
	provMust(t, err)
	signer, err := auth.NewKeyringSigner(kr, "alice")
	provMust(t, err)
	lc := tenant.NewClient(hostURI, a.Fingerprint(), a.Address(), signer)
	lc.HTTP.Timeout = 2 * time.Minute
	manifest := []byte(`services:
  web: {command: [sleep, "1000"], profile: p}
profiles:
  p: {cpu: 100m, memory: 64Mi}
pricing: {max_price: 100uhyp}
`)
	putDone := make(chan error, 1)
	go func() {
		_, err := lc.Do(context.Background(), "PUT", leaseapi.ManifestPath(slow), manifest)
		putDone <- err
	}()
	select {
	case <-rt.began:
	case err := <-putDone:
		t.Fatalf("manifest answered before the start began: %v", err)
	case <-time.After(time.Minute):
		t.Fatalf("the start of lease %d did not begin:\n%s", slow, logs.String())
	}
	began := time.Now()
	before := activeLeases(t, alice, a.Address(), ids, time.Minute)
	h0 := d.Height(t)

	// Sample the other leases' on-chain heartbeats while the start blocks.
	seen := map[uint64]map[int64]bool{}
	for _, id := range others {
		seen[id] = map[int64]bool{}
	}
	for time.Since(began) < block-3*time.Second {
		ls := activeLeases(t, alice, a.Address(), ids, time.Minute)
		for _, id := range others {
			if ls[id].LastHeartbeat > before[id].LastHeartbeat {
				seen[id][ls[id].LastHeartbeat] = true
			}
		}
		time.Sleep(time.Second)
	}
	if rt.startReturned(slow) {
		t.Fatal("the blocking start returned before the sampling ended")
	}
	after := activeLeases(t, alice, a.Address(), ids, time.Minute)
	h1 := d.Height(t)
	for _, id := range others {
		hs := make([]int64, 0, len(seen[id]))
		for h := range seen[id] {
			hs = append(hs, h)
		}
		sort.Slice(hs, func(i, j int) bool { return hs[i] < hs[j] })
		// With heartbeat_margin 98 of a 100-block interval a lease is due
		// every 2 blocks: over ~27 one-second blocks that is a dozen beats.
		if len(hs) < 5 || after[id].HeartbeatDeadline <= before[id].HeartbeatDeadline {
			t.Fatalf("lease %d while lease %d's start blocked (heights %d..%d): heartbeats at %v, deadline %d -> %d\n%s",
				id, slow, h0, h1, hs, before[id].HeartbeatDeadline, after[id].HeartbeatDeadline, logs.String())
		}
		gap := hs[0] - h0
		for i := 1; i < len(hs); i++ {
			gap = max(gap, hs[i]-hs[i-1])
		}
		t.Logf("lease %d: %d heartbeats in blocks %d..%d while lease %d's start blocked (largest gap %d blocks); deadline %d -> %d",
			id, len(hs), h0, h1, slow, gap, before[id].HeartbeatDeadline, after[id].HeartbeatDeadline)
	}
	// The slow lease itself heartbeats too, and its manifest is accepted once the start ends.
	if after[slow].LastHeartbeat <= before[slow].LastHeartbeat {
		t.Fatalf("slow lease %d: last heartbeat %d -> %d", slow, before[slow].LastHeartbeat, after[slow].LastHeartbeat)
	}
	select {
	case err := <-putDone:
		provMust(t, err)
	case <-time.After(time.Minute):
		t.Fatal("manifest PUT did not return after the start ended")
	}
	t.Logf("manifest of lease %d answered %s after its start began", slow, time.Since(began).Round(time.Second))
	if !strings.Contains(logs.String(), fmt.Sprintf("lease %d: manifest accepted, 1 instance(s) started", slow)) {
		t.Fatalf("no manifest accepted for lease %d:\n%s", slow, logs.String())
	}
}
