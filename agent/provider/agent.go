package provider

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/agent/agentrun"
	"github.com/hypha-network/hypha/agent/auth"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/leaseapi"
	"github.com/hypha-network/hypha/agent/metrics"
	"github.com/hypha-network/hypha/agent/provider/runtime"
	"github.com/hypha-network/hypha/client/broadcast"
	"github.com/hypha-network/hypha/x/market/types"
)

// Agent is a running provider agent.
type Agent struct {
	cfg     *Config
	chain   *chainclient.Client
	store   *Store
	rt      runtime.Runtime
	log     *log.Logger
	addr    string
	inv     types.Inventory
	devices []Device // GPUs to hand out, in device order
	params  types.Params
	tlsCert tls.Certificate
	fp      string
	wake    chan struct{}

	// mu guards the lease and bid records in the state database and the
	// maps below. It is never held across a runtime start or stop (an image
	// pull can take minutes) nor a chain round trip: slow work on one lease
	// must not delay another lease's heartbeat.
	mu sync.Mutex
	// leaseOps holds one token per lease: whoever starts or stops a lease's
	// workloads holds it, so the same lease is never started and stopped at
	// once, while other leases go on.
	leaseOps map[uint64]chan struct{}
	// startingGPUs are the GPUs picked for manifests still starting.
	startingGPUs map[uint64][]string
	// stops tracks the lease stops running in the background.
	stops sync.WaitGroup

	// retryAt holds orders whose pricing or bid failed, and when to try again.
	retryAt map[uint64]time.Time

	metrics *metrics.Registry
	// replay remembers the lease API requests' nonces (package auth).
	replay *auth.ReplayCache
}

// Option changes how New builds an agent.
type Option func(*options)

type options struct{ rt runtime.Runtime }

// WithRuntime runs workloads with rt instead of the runtime the config names
// (for tests and embedders).
func WithRuntime(rt runtime.Runtime) Option { return func(o *options) { o.rt = rt } }

// New prepares an agent: opens its state, loads or creates its TLS
// certificate, and checks its key. It does not touch the chain yet.
func New(ctx context.Context, cfg *Config, out io.Writer, opts ...Option) (*Agent, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data_dir: %w", err)
	}
	// Not listable or readable by others (the process runtime adds o+x so
	// workload users can reach workloads/).
	if err := os.Chmod(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	a := &Agent{cfg: cfg, log: log.New(out, "provider: ", log.LstdFlags|log.LUTC), wake: make(chan struct{}, 1),
		retryAt: map[uint64]time.Time{}, leaseOps: map[uint64]chan struct{}{}, startingGPUs: map[uint64][]string{},
		metrics: newMetrics(), replay: auth.NewReplayCache(MaxClockSkew, auth.DefaultReplayEntries)}
	var err error
	if a.inv, err = cfg.InventorySpec(); err != nil {
		return nil, err
	}
	a.devices = ExpandGPUs(a.inv.Gpus)
	if cfg.Inventory.DetectGPUs {
		devs, msg := DetectNVIDIA(ctx)
		a.log.Print(msg)
		switch {
		case len(a.inv.Gpus) > 0 && len(devs) > 0:
			a.log.Printf("inventory.gpus is set in the config: offering those, not the detected ones")
		case len(devs) > 0:
			a.devices, a.inv.Gpus = devs, GroupDevices(devs)
		}
	}
	if a.chain, err = chainclient.New(cfg.Chain); err != nil {
		return nil, err
	}
	a.addr = a.chain.Address()
	if a.tlsCert, a.fp, err = loadOrCreateCert(cfg.DataDir, cfg.HostURI); err != nil {
		return nil, err
	}
	if a.store, err = OpenStore(filepath.Join(cfg.DataDir, "state.db")); err != nil {
		return nil, err
	}
	workloads := filepath.Join(cfg.DataDir, "workloads")
	switch {
	case o.rt != nil:
		a.rt = o.rt
	case cfg.Runtime == "docker":
		d, err := runtime.NewDocker(ctx, workloads, a.log.Printf)
		if err != nil {
			a.store.Close()
			return nil, err
		}
		// Publish ports on the address tenants dial when it is an IP
		// literal (loopback on a devnet), else on every interface.
		if u, err := url.Parse(cfg.HostURI); err == nil && net.ParseIP(u.Hostname()) != nil {
			d.HostIP = u.Hostname()
		}
		a.rt = d
	default:
		p, err := runtime.NewProcess(workloads, a.log.Printf, runtime.Isolation{None: cfg.ProcessIsolation == "none", UIDBase: cfg.ProcessUIDBase})
		if err != nil {
			a.store.Close()
			return nil, err
		}
		a.rt = p
	}
	a.log.Printf("workloads run with the %s runtime", a.rt.Kind())
	return a, nil
}

// Address is the provider's account address.
func (a *Agent) Address() string { return a.addr }

// Fingerprint is the hex SHA-256 of the agent's TLS certificate.
func (a *Agent) Fingerprint() string { return a.fp }

// Run registers the provider, re-adopts workloads, serves the lease API and
// reconciles with the chain until ctx ends. Workloads keep running after Run
// returns; a new agent re-adopts them.
func (a *Agent) Run(ctx context.Context) error {
	defer a.store.Close()
	if err := a.chain.WaitReady(ctx); err != nil {
		return err
	}
	var err error
	if a.params, err = a.chain.Params(ctx); err != nil {
		return fmt.Errorf("read market params: %w", err)
	}
	if a.cfg.HeartbeatMargin <= 0 {
		a.cfg.HeartbeatMargin = max(a.params.HeartbeatInterval/2, 1)
	}
	if err := a.ensureProvider(ctx); err != nil {
		return err
	}
	if err := a.readopt(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s for the lease API: %w (choose another listen address)", a.cfg.Listen, err)
	}
	limits := a.cfg.Limits.WithDefaults(APILimits)
	srv := agentrun.NewServer(a.handler(), limits)
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{a.tlsCert}, MinVersion: tls.VersionTLS12}
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go func() {
		if err := srv.ServeTLS(agentrun.LimitListener(ln, limits), "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Printf("lease API stopped: %v", err)
		}
	}()
	a.log.Printf("provider %s serving the lease API on %s (%s, TLS fingerprint %s)", a.addr, a.cfg.Listen, a.cfg.HostURI, a.fp)
	go a.chain.SubscribeOrders(ctx, a.poke, a.log.Printf)

	t := time.NewTicker(a.cfg.PollInterval)
	defer t.Stop()
	for {
		a.step(ctx)
		select {
		case <-ctx.Done():
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = srv.Shutdown(shutdown)
			cancel()
			a.stops.Wait()
			a.mu.Lock()
			a.rt.Detach()
			a.mu.Unlock()
			a.log.Printf("stopped; workloads keep running and will be re-adopted on the next start")
			return nil
		case <-t.C:
		case <-a.wake:
		}
	}
}

func (a *Agent) poke() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func attrString(attrs []types.Attribute) string {
	parts := make([]string, len(attrs))
	for i, at := range attrs {
		parts[i] = at.Key + "=" + at.Value
	}
	return strings.Join(parts, ",")
}

// registration returns the provider's registration as the config and the
// running agent describe it.
func (a *Agent) registration() (hostURI, fingerprint string, attrs []types.Attribute, inv types.Inventory) {
	return a.cfg.HostURI, a.fp, a.cfg.AttributeList(), a.inv
}

// ensureProvider registers the provider or updates it when the config changed.
func (a *Agent) ensureProvider(ctx context.Context) error {
	p, err := a.chain.Provider(ctx, a.addr)
	if err != nil && !chainclient.IsNotFound(err) {
		return fmt.Errorf("look up provider %s: %w", a.addr, err)
	}
	host, fp, attrs, inv := a.registration()
	if err != nil {
		bond, err := sdk.ParseCoinNormalized(a.cfg.Bond)
		if err != nil {
			return fmt.Errorf("provider config bond %q: %w (write it like 1000000000uhyp)", a.cfg.Bond, err)
		}
		a.log.Printf("registering provider %s with bond %s", a.addr, bond)
		res, err := a.chain.Broadcast(ctx, &types.MsgCreateProvider{Owner: a.addr, HostUri: host, TlsFingerprint: fp,
			Attributes: attrs, Inventory: inv, Bond: bond})
		if err != nil {
			return fmt.Errorf("register provider: %w", err)
		}
		a.log.Printf("provider %s registered in block %d (tx %s)", a.addr, res.Height, res.Hash)
		return nil
	}
	same := p.HostUri == host && p.TlsFingerprint == fp &&
		attrString(p.Attributes) == attrString(attrs) &&
		p.Inventory.CpuMillis == inv.CpuMillis && p.Inventory.MemoryBytes == inv.MemoryBytes &&
		fmt.Sprint(p.Inventory.Storage) == fmt.Sprint(inv.Storage) && fmt.Sprint(p.Inventory.Gpus) == fmt.Sprint(inv.Gpus)
	if same {
		a.log.Printf("provider %s is registered and up to date", a.addr)
		return nil
	}
	a.log.Printf("updating provider %s on chain (host, fingerprint, attributes or inventory changed)", a.addr)
	res, err := a.chain.Broadcast(ctx, &types.MsgUpdateProvider{Owner: a.addr, HostUri: host, TlsFingerprint: fp,
		Attributes: attrs, Inventory: inv, AddBond: sdk.Coin{Denom: p.Bond.Denom, Amount: sdkmath.ZeroInt()}})
	if err != nil {
		return fmt.Errorf("update provider: %w", err)
	}
	a.log.Printf("provider %s updated in block %d (tx %s)", a.addr, res.Height, res.Hash)
	return nil
}

// readopt takes over the workloads of leases that were running when the
// previous agent stopped.
func (a *Agent) readopt(ctx context.Context) error {
	recs, err := a.store.Leases()
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	// This runs before the lease API and the reconcile loop start, so no
	// one else touches the records yet and Adopt (which may restart an
	// instance) runs without a.mu.
	for _, rec := range recs {
		if rec.State != leaseRunning {
			continue
		}
		// A lease that closed while the agent was down is not restarted;
		// the first reconciliation stops what is left of it.
		if l, err := a.chain.Lease(ctx, rec.ID); chainclient.IsNotFound(err) || (err == nil && l.Lease.State != types.LeaseActive) {
			continue
		}
		for i := range rec.Instances {
			ir := &rec.Instances[i]
			h, err := a.rt.Adopt(ctx, ir.Instance, ir.Handle)
			if err != nil {
				a.log.Printf("lease %d: re-adopt %s: %v", rec.ID, ir.Instance.Name(), err)
				continue
			}
			ir.Handle = h
		}
		if err := a.store.PutLease(rec); err != nil {
			return fmt.Errorf("save lease %d: %w", rec.ID, err)
		}
	}
	return nil
}

// retryDelay is how long the agent waits before pricing or bidding again on
// an order after a failure.
const retryDelay = 30 * time.Second

const (
	leaseAwaiting = leaseapi.StateAwaitingManifest
	leaseRunning  = leaseapi.StateRunning
	leaseClosed   = leaseapi.StateClosed
)

// lockLease waits for lease id's token (see Agent.leaseOps) and returns its
// release.
func (a *Agent) lockLease(ctx context.Context, id uint64) (func(), error) {
	tok := a.leaseToken(id)
	select {
	case tok <- struct{}{}:
		return func() { <-tok }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// tryLockLease takes lease id's token if no start or stop holds it.
func (a *Agent) tryLockLease(id uint64) (func(), bool) {
	tok := a.leaseToken(id)
	select {
	case tok <- struct{}{}:
		return func() { <-tok }, true
	default:
		return nil, false
	}
}

func (a *Agent) leaseToken(id uint64) chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	tok, ok := a.leaseOps[id]
	if !ok {
		tok = make(chan struct{}, 1)
		a.leaseOps[id] = tok
	}
	return tok
}

// step reconciles with the chain once: leases (heartbeats, withdrawals,
// closures) then bids.
func (a *Agent) step(ctx context.Context) {
	height, err := a.chain.Height(ctx)
	if err != nil {
		a.log.Printf("%v", err)
		return
	}
	leases, err := a.chain.ActiveLeases(ctx, a.addr)
	if err != nil {
		a.log.Printf("list active leases: %v", err)
		return
	}
	active := map[uint64]types.Lease{}
	var due []leaseMsg
	for _, l := range leases {
		active[l.OrderId] = l
		due = append(due, a.serveLease(height, l)...)
	}
	a.sendDue(ctx, height, due)
	a.metrics.Set(metricActiveLeases, float64(len(active)))
	a.syncRecords(active)
	a.closeGone(ctx, active)
	a.bid(ctx, height, active)
}

// leaseMsg is a heartbeat or withdrawal due for one lease.
type leaseMsg struct {
	lease uint64
	msg   sdk.Msg
	note  string // for the log: e.g. "deadline was 120"
}

// serveLease records a newly won lease and returns the heartbeat and
// withdrawal due for it at height.
func (a *Agent) serveLease(height int64, l types.Lease) []leaseMsg {
	a.mu.Lock()
	rec, err := a.store.Lease(l.OrderId)
	if err == nil && rec == nil {
		rec = &LeaseRecord{ID: l.OrderId, Owner: l.Owner, State: leaseAwaiting, LastWithdrawHeight: l.StartHeight}
		err = a.store.PutLease(rec)
		if err == nil {
			a.log.Printf("won lease %d from %s at %s per block; waiting for the manifest", l.OrderId, l.Owner, l.Price)
			if b, _ := a.store.Bid(l.OrderId); b != nil && b.State != "won" {
				b.State = "won"
				_ = a.store.PutBid(b)
				a.metrics.Add(metricBidsWon, 1)
			}
		}
	}
	a.mu.Unlock()
	if err != nil {
		a.log.Printf("lease %d: state: %v", l.OrderId, err)
		return nil
	}
	var due []leaseMsg
	if l.HeartbeatDeadline-height <= a.cfg.HeartbeatMargin {
		due = append(due, leaseMsg{l.OrderId, &types.MsgLeaseHeartbeat{Provider: a.addr, OrderId: l.OrderId},
			fmt.Sprintf("deadline was %d", l.HeartbeatDeadline)})
	}
	if height-rec.LastWithdrawHeight >= a.cfg.WithdrawEvery {
		due = append(due, leaseMsg{l.OrderId, &types.MsgWithdrawLease{Provider: a.addr, OrderId: l.OrderId}, ""})
	}
	return due
}

// maxMsgsPerTx bounds the messages the agent puts in one transaction, well
// under the chain's per-transaction limit and block gas.
const maxMsgsPerTx = 50

// sendDue sends every heartbeat and withdrawal due in one transaction (in
// chunks of maxMsgsPerTx), so N leases cost one block, not N. If a batch is
// refused (one lease closed meanwhile, say), its messages go one by one, so
// one bad message does not starve the other leases' heartbeats.
func (a *Agent) sendDue(ctx context.Context, height int64, due []leaseMsg) {
	for len(due) > 0 {
		n := min(len(due), maxMsgsPerTx)
		batch := due[:n]
		due = due[n:]
		msgs := make([]sdk.Msg, n)
		for i, m := range batch {
			msgs[i] = m.msg
		}
		res, err := a.chain.Broadcast(ctx, msgs...)
		if err == nil {
			a.settled(height, batch, res)
			continue
		}
		if n == 1 {
			a.log.Printf("lease %d: %s: %v", batch[0].lease, kind(batch[0].msg), err)
			continue
		}
		a.log.Printf("batch of %d lease messages refused (%v); sending them one by one", n, err)
		for _, m := range batch {
			res, err := a.chain.Broadcast(ctx, m.msg)
			if err != nil {
				a.log.Printf("lease %d: %s: %v", m.lease, kind(m.msg), err)
				continue
			}
			a.settled(height, []leaseMsg{m}, res)
		}
	}
}

func kind(m sdk.Msg) string {
	if _, ok := m.(*types.MsgWithdrawLease); ok {
		return "withdraw"
	}
	return "heartbeat"
}

// settled logs what an included batch did and records the withdrawals.
func (a *Agent) settled(height int64, batch []leaseMsg, res *broadcast.Result) {
	for i, m := range batch {
		switch msg := m.msg.(type) {
		case *types.MsgLeaseHeartbeat:
			next := ""
			if r, err := broadcast.Response[*types.MsgLeaseHeartbeatResponse](res, i); err == nil {
				next = fmt.Sprintf(", next deadline %d", r.NextDeadline)
			}
			a.log.Printf("lease %d: heartbeat sent in block %d (%s%s)", msg.OrderId, res.Height, m.note, next)
		case *types.MsgWithdrawLease:
			a.metrics.Add(metricWithdrawals, 1)
			paid := "?"
			if r, err := broadcast.Response[*types.MsgWithdrawLeaseResponse](res, i); err == nil {
				paid = r.ProviderAmount.String()
			}
			a.log.Printf("lease %d: withdrew %s in block %d", msg.OrderId, paid, res.Height)
			a.mu.Lock()
			if cur, err := a.store.Lease(msg.OrderId); err == nil && cur != nil {
				cur.LastWithdrawHeight = height
				_ = a.store.PutLease(cur)
			}
			a.mu.Unlock()
		}
	}
}

// syncRecords saves what changed since a running lease was stored: the
// provider's earnings on chain, and re-adoption handles (a restarted process
// has a new pid, a re-created container a new id), so that a restarted agent
// adopts what really runs.
func (a *Agent) syncRecords(active map[uint64]types.Lease) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for id, l := range active { // order does not matter: each record is independent
		rec, err := a.store.Lease(id)
		if err != nil {
			a.log.Printf("lease %d: read state: %v", id, err)
			continue
		}
		if rec == nil || rec.State == leaseClosed {
			continue
		}
		changed := rec.setPaid(l)
		for i := range rec.Instances {
			ir := &rec.Instances[i]
			if h, ok := a.rt.Handle(ir.Instance.Name()); ok && !bytes.Equal(h, ir.Handle) {
				ir.Handle, changed = h, true
			}
		}
		if changed {
			if err := a.store.PutLease(rec); err != nil {
				a.log.Printf("lease %d: save: %v", rec.ID, err)
			}
		}
	}
}

// closeGone stops the workloads of recorded leases that are no longer
// active. The stops run in the background, so a slow one does not hold up
// the next heartbeats; a lease whose manifest is still starting is stopped
// at a later poll, once the start is over.
func (a *Agent) closeGone(ctx context.Context, active map[uint64]types.Lease) {
	a.mu.Lock()
	recs, err := a.store.Leases()
	a.mu.Unlock()
	if err != nil {
		a.log.Printf("read state: %v", err)
		return
	}
	for _, rec := range recs {
		if rec.State == leaseClosed {
			continue
		}
		if _, ok := active[rec.ID]; ok {
			continue
		}
		reason := "lease closed"
		if l, err := a.chain.Lease(ctx, rec.ID); err == nil {
			if l.Lease.State == types.LeaseActive {
				continue // raced with the listing
			}
			reason = l.Lease.CloseReason.String()
			a.mu.Lock()
			if cur, err := a.store.Lease(rec.ID); err == nil && cur != nil && cur.setPaid(l.Lease) {
				_ = a.store.PutLease(cur)
			}
			a.mu.Unlock()
		} else if !chainclient.IsNotFound(err) {
			a.log.Printf("lease %d: %v", rec.ID, err)
			continue
		}
		unlock, ok := a.tryLockLease(rec.ID)
		if !ok {
			continue // starting or already stopping
		}
		a.stops.Add(1)
		go func(id uint64) {
			defer a.stops.Done()
			defer unlock()
			a.stopLeaseLocked(context.WithoutCancel(ctx), id, reason)
		}(rec.ID)
	}
}

// stopLease stops a lease's workloads and marks it closed, after any start
// or stop of the same lease in progress.
func (a *Agent) stopLease(ctx context.Context, id uint64, reason string) {
	unlock, err := a.lockLease(ctx, id)
	if err != nil {
		a.log.Printf("lease %d: stop: %v", id, err)
		return
	}
	defer unlock()
	a.stopLeaseLocked(ctx, id, reason)
}

// stopLeaseLocked is stopLease with the lease's token held; a.mu is not.
func (a *Agent) stopLeaseLocked(ctx context.Context, id uint64, reason string) {
	a.mu.Lock()
	rec, err := a.store.Lease(id)
	a.mu.Unlock()
	if err != nil || rec == nil || rec.State == leaseClosed {
		return
	}
	for _, ir := range rec.Instances {
		if _, ok := a.rt.Status(ir.Instance.Name()); ok {
			_ = a.rt.Stop(ctx, ir.Instance.Name())
		} else {
			a.rt.StopOrphan(ctx, ir.Handle)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if cur, err := a.store.Lease(id); err == nil && cur != nil {
		rec = cur
	}
	rec.State, rec.ClosedReason = leaseClosed, reason
	if err := a.store.PutLease(rec); err != nil {
		a.log.Printf("lease %d: save: %v", id, err)
	}
	a.log.Printf("lease %d closed (%s): workloads stopped", id, reason)
}

// bid places bids on open orders the provider can serve and releases the
// reservations of bids that lost.
func (a *Agent) bid(ctx context.Context, height int64, active map[uint64]types.Lease) {
	orders, err := a.chain.OpenOrders(ctx)
	if err != nil {
		a.log.Printf("list open orders: %v", err)
		return
	}
	open := map[uint64]bool{}
	for _, o := range orders {
		open[o.Id] = true
	}
	bids, err := a.store.Bids()
	if err != nil {
		a.log.Printf("read bids: %v", err)
		return
	}
	reserved := types.Inventory{}
	for _, b := range bids {
		if b.State != "open" {
			continue
		}
		if !open[b.OrderID] {
			if _, won := active[b.OrderID]; !won {
				b.State = "lost"
				_ = a.store.PutBid(b)
				continue
			}
		}
		if alloc, ok := b.Resources.Allocate(a.inv); ok {
			sum, err := reserved.AddChecked(alloc)
			if err != nil {
				a.log.Printf("order %d: reserved resources: %v; not bidding this round", b.OrderID, err)
				return
			}
			reserved = sum
		}
	}
	p, err := a.chain.Provider(ctx, a.addr)
	if err != nil {
		a.log.Printf("read provider: %v", err)
		return
	}
	free, ok := a.inv.Sub(p.Allocated)
	if !ok {
		return
	}
	var sigs map[string]types.AuditorSignature // read once, when an order asks for auditors
	for _, o := range orders {
		if rec, _ := a.store.Bid(o.Id); rec != nil {
			continue
		}
		if t, ok := a.retryAt[o.Id]; ok && time.Now().Before(t) {
			continue
		}
		if o.Owner == a.addr {
			continue
		}
		// After a crash between broadcast and saving, the chain knows the bid.
		if b, err := a.chain.Bid(ctx, o.Id, a.addr); err == nil {
			_ = a.store.PutBid(&BidRecord{OrderID: o.Id, Price: b.Price.String(), Height: b.CreatedHeight, State: "open", Resources: o.Resources})
			continue
		}
		if !types.HasAttributes(p.Attributes, o.Placement) {
			continue
		}
		if len(o.RequiredAuditors) > 0 {
			if sigs == nil {
				list, err := a.chain.AuditorSignatures(ctx, a.addr)
				if err != nil {
					a.log.Printf("read auditor signatures: %v", err)
					continue
				}
				sigs = map[string]types.AuditorSignature{}
				for _, s := range list {
					sigs[s.Auditor] = s
				}
			}
			err := types.CheckAuditors(o.RequiredAuditors, o.Placement, func(aud string) (types.AuditorSignature, bool, error) {
				s, ok := sigs[aud]
				return s, ok, nil
			})
			if err != nil {
				a.log.Printf("order %d: not bidding: %v", o.Id, err)
				_ = a.store.PutBid(&BidRecord{OrderID: o.Id, Height: height, State: "skipped"})
				continue
			}
		}
		avail, ok := free.Sub(reserved)
		if !ok {
			continue
		}
		alloc, fits := o.Resources.Allocate(avail)
		if !fits {
			continue
		}
		price, ok, err := a.cfg.Pricing.Quote(ctx, o)
		if err != nil {
			a.log.Printf("order %d: %v; not bidding, retrying in %s", o.Id, err, retryDelay)
			a.retryAt[o.Id] = time.Now().Add(retryDelay)
			continue
		}
		if !ok || o.MaxPricePerBlock.Denom != a.cfg.Pricing.Denom || new(big.Int).SetUint64(price).Cmp(o.MaxPricePerBlock.Amount.BigInt()) > 0 {
			a.log.Printf("order %d: not bidding (our price %d%s, max %s)", o.Id, price, a.cfg.Pricing.Denom, o.MaxPricePerBlock)
			_ = a.store.PutBid(&BidRecord{OrderID: o.Id, Height: height, State: "skipped"})
			continue
		}
		bidPrice := sdk.NewCoin(a.cfg.Pricing.Denom, sdkmath.NewIntFromUint64(price))
		amount := bidPrice.String()
		if _, err := a.chain.Broadcast(ctx, &types.MsgCreateBid{Provider: a.addr, OrderId: o.Id, Price: bidPrice}); err != nil {
			a.log.Printf("order %d: bid: %v; retrying in %s", o.Id, err, retryDelay)
			a.retryAt[o.Id] = time.Now().Add(retryDelay)
			continue
		}
		_ = a.store.PutBid(&BidRecord{OrderID: o.Id, Price: amount, Height: height, State: "open", Resources: o.Resources})
		if sum, err := reserved.AddChecked(alloc); err == nil {
			reserved = sum
		} else {
			a.log.Printf("order %d: reserved resources: %v; not bidding again this round", o.Id, err)
			return
		}
		delete(a.retryAt, o.Id)
		a.metrics.Add(metricBidsPlaced, 1)
		a.log.Printf("placed bid on order %d at %s per block", o.Id, amount)
	}
}

// loadOrCreateCert returns the agent's TLS certificate and its fingerprint,
// creating a self-signed one for host_uri's host on first use.
func loadOrCreateCert(dir, hostURI string) (tls.Certificate, string, error) {
	certPath, keyPath := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if _, err := os.Stat(certPath); errors.Is(err, os.ErrNotExist) {
		if err := writeCert(certPath, keyPath, hostURI); err != nil {
			return tls.Certificate{}, "", fmt.Errorf("create TLS certificate: %w", err)
		}
	}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("load TLS certificate from %s: %w (delete both files to create new ones)", dir, err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	return cert, hex.EncodeToString(sum[:]), nil
}

func writeCert(certPath, keyPath, hostURI string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: "hypha provider"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if u, err := url.Parse(hostURI); err == nil {
		if ip := net.ParseIP(u.Hostname()); ip != nil {
			tmpl.IPAddresses = []net.IP{ip}
		} else if u.Hostname() != "" {
			tmpl.DNSNames = []string{u.Hostname()}
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}
