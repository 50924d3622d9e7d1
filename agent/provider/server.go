package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hypha-network/hypha/agent/agentrun"
	"github.com/hypha-network/hypha/agent/auth"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/leaseapi"
	"github.com/hypha-network/hypha/agent/provider/runtime"
	"github.com/hypha-network/hypha/x/market/types"
)

type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func errorf(code int, format string, args ...any) error {
	return &httpError{code: code, msg: fmt.Sprintf(format, args...)}
}

func (a *Agent) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(leaseapi.RouteManifest, a.api(a.putManifest))
	mux.HandleFunc(leaseapi.RouteStatus, a.api(a.getStatus))
	mux.HandleFunc(leaseapi.RouteLogs, a.api(a.getLogs))
	mux.HandleFunc(leaseapi.RouteClose, a.api(a.postClose))
	mux.HandleFunc(leaseapi.RouteMetrics, a.serveMetrics)
	return mux
}

// MaxClockSkew is how far a lease API request's timestamp may be from the
// provider's clock (docs/provider.md promises tenants 5 minutes). It is wider
// than the subnet agents' window because tenants sign from their own machines,
// whose clocks drift more than those of always-on agents.
const MaxClockSkew = 5 * time.Minute

// api wraps a signed lease API handler: it reads the body, checks the
// signature and that the signer owns the lease, and renders errors.
func (a *Agent) api(fn func(ctx context.Context, rec *LeaseRecord, lease types.Lease, body []byte, r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		out, err := func() (any, error) {
			body, err := io.ReadAll(io.LimitReader(r.Body, leaseapi.MaxManifestBytes+1))
			if err != nil {
				return nil, errorf(http.StatusBadRequest, "read request: %v", err)
			}
			if len(body) > leaseapi.MaxManifestBytes {
				return nil, errorf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", leaseapi.MaxManifestBytes)
			}
			// Signed for this provider's address (the lease's provider, as the tenant reads it from the chain).
			signed, err := auth.Verify(r, body, time.Now(), MaxClockSkew, a.addr)
			if err != nil {
				return nil, errorf(http.StatusUnauthorized, "%v", err)
			}
			id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
			if err != nil {
				return nil, errorf(http.StatusBadRequest, "lease id %q is not a number", r.PathValue("id"))
			}
			lr, err := a.chain.Lease(r.Context(), id)
			if chainclient.IsNotFound(err) || (err == nil && lr.Lease.Provider != a.addr) {
				return nil, errorf(http.StatusNotFound, "unknown lease %d: this provider does not serve it", id)
			}
			if err != nil {
				return nil, errorf(http.StatusBadGateway, "look up lease %d on chain: %v", id, err)
			}
			if !auth.SameAccount(lr.Lease.Owner, signed.Addr) {
				return nil, errorf(http.StatusForbidden, "the request is signed by another account than the lease owner %s", lr.Lease.Owner)
			}
			// Single use, recorded once the signer is known to own the lease.
			if err := a.replay.Use(signed, time.Now()); errors.Is(err, auth.ErrReplayCacheFull) {
				return nil, errorf(http.StatusServiceUnavailable, "%v", err)
			} else if err != nil {
				return nil, errorf(http.StatusUnauthorized, "%v", err)
			}
			rec, err := a.store.Lease(id)
			if err != nil {
				return nil, errorf(http.StatusInternalServerError, "read state: %v", err)
			}
			return fn(r.Context(), rec, lr.Lease, body, r)
		}()
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			code := http.StatusInternalServerError
			var he *httpError
			if errors.As(err, &he) {
				code = he.code
			}
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(leaseapi.Error{Error: err.Error()})
			return
		}
		if stream, ok := out.(streamFunc); ok {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			stream(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(out)
	}
}

// streamFunc is a handler result written as a stream instead of JSON.
type streamFunc func(w http.ResponseWriter, r *http.Request)

func (a *Agent) putManifest(ctx context.Context, _ *LeaseRecord, lease types.Lease, body []byte, _ *http.Request) (any, error) {
	if lease.State != types.LeaseActive {
		return nil, errorf(http.StatusConflict, "lease %d is closed", lease.OrderId)
	}
	m, err := leaseapi.ParseManifest(body)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	order, err := a.chain.Order(ctx, lease.OrderId)
	if err != nil {
		return nil, errorf(http.StatusBadGateway, "look up order %d: %v", lease.OrderId, err)
	}
	if err := m.FitsLease(lease.Allocation, order.Resources.Ports); err != nil {
		return nil, errorf(http.StatusUnprocessableEntity, "%v", err)
	}
	// One start or stop of this lease at a time (a second manifest waits for
	// the first to finish); other leases are not held up. a.mu is taken only
	// for the bookkeeping below, never across a runtime start or stop.
	unlock, err := a.lockLease(ctx, lease.OrderId)
	if err != nil {
		return nil, errorf(http.StatusServiceUnavailable, "lease %d: waiting for its previous manifest to finish starting: %v", lease.OrderId, err)
	}
	defer unlock()
	a.mu.Lock()
	plan, rec, answer, err := a.planManifest(lease, body, m)
	a.mu.Unlock()
	if err != nil || plan == nil {
		return answer, err
	}
	id := lease.OrderId
	defer a.releaseGPUs(id)
	ctx = context.WithoutCancel(ctx) // a tenant hanging up does not abandon a half-started workload

	// An update replaces the running instances: stop them, start the new
	// ones on the same host ports where the service and port are unchanged,
	// and if any new instance fails to start, bring the previous ones back.
	old := rec.Instances
	oldPorts := map[string]map[uint32]int{}
	for _, ir := range old {
		oldPorts[ir.Instance.Name()] = ir.Instance.Ports
		if err := a.rt.Stop(ctx, ir.Instance.Name()); err != nil {
			a.log.Printf("lease %d: update: stop %s: %v", id, ir.Instance.Name(), err)
		}
	}
	var started []InstanceRecord
	fail := func(err error) (any, error) {
		for _, ir := range started {
			_ = a.rt.Stop(ctx, ir.Instance.Name())
		}
		if len(old) == 0 {
			return nil, err
		}
		for i := range old {
			h, serr := a.rt.Start(ctx, old[i].Instance)
			if serr != nil {
				a.log.Printf("lease %d: restore %s after a failed update: %v", id, old[i].Instance.Name(), serr)
				continue
			}
			old[i].Handle = h
		}
		a.mu.Lock()
		if _, perr := a.recordInstances(id, "", nil, old); perr != nil {
			a.log.Printf("lease %d: save: %v", id, perr)
		}
		a.mu.Unlock()
		var he *httpError
		if errors.As(err, &he) {
			he.msg += "; the previous manifest runs again"
		}
		return nil, err
	}
	for _, p := range plan {
		in := p.inst
		var err error
		if in.Ports, err = allocPorts(p.svc.Expose, oldPorts[in.Name()]); err != nil {
			return fail(errorf(http.StatusServiceUnavailable, "allocate host ports: %v", err))
		}
		in.Env, in.Command, in.Args = a.serviceEnv(in, p.svc)
		h, err := a.rt.Start(ctx, in)
		if err != nil {
			return fail(errorf(http.StatusUnprocessableEntity, "start service %s: %v", in.Service, err))
		}
		started = append(started, InstanceRecord{Instance: in, Handle: h})
	}
	verb := "accepted"
	if rec.State == leaseRunning {
		verb = "updated"
	}
	a.mu.Lock()
	cur, err := a.recordInstances(id, leaseRunning, body, started)
	a.mu.Unlock()
	if err != nil {
		return fail(errorf(http.StatusInternalServerError, "save lease: %v", err))
	}
	a.log.Printf("lease %d: manifest %s, %d instance(s) started", id, verb, len(started))
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status(cur), nil
}

// plannedInstance is an instance a manifest asks for, before its host ports
// and environment are chosen.
type plannedInstance struct {
	inst runtime.Instance
	svc  *leaseapi.Service
}

// planManifest checks a manifest against the lease's record and the runtime
// and picks each instance's GPUs, reserving them until releaseGPUs. It
// returns a nil plan with the answer when there is nothing to start (the
// same manifest again). a.mu is held.
func (a *Agent) planManifest(lease types.Lease, body []byte, m *leaseapi.Manifest) (plan []plannedInstance, rec *LeaseRecord, answer any, err error) {
	rec, err = a.store.Lease(lease.OrderId)
	if err != nil {
		return nil, nil, nil, errorf(http.StatusInternalServerError, "read state: %v", err)
	}
	if rec == nil {
		rec = &LeaseRecord{ID: lease.OrderId, Owner: lease.Owner, State: leaseAwaiting, LastWithdrawHeight: lease.StartHeight}
		if err := a.store.PutLease(rec); err != nil {
			return nil, nil, nil, errorf(http.StatusInternalServerError, "save lease: %v", err)
		}
	}
	switch rec.State {
	case leaseClosed:
		return nil, nil, nil, errorf(http.StatusConflict, "lease %d is closed", lease.OrderId)
	case leaseRunning:
		if bytes.Equal(rec.Manifest, body) {
			return nil, nil, a.status(rec), nil
		}
	}
	// Build every instance first, so that a manifest this runtime cannot run
	// is refused before anything stops.
	usedGPUs, err := a.gpusInUse(lease.OrderId)
	if err != nil {
		return nil, nil, nil, errorf(http.StatusInternalServerError, "read state: %v", err)
	}
	var mine []string
	for _, name := range m.ServiceNames() {
		s := m.Services[name]
		p := m.Profiles[s.Profile]
		inst, err := a.instance(lease.OrderId, name, s, p)
		if err != nil {
			return nil, nil, nil, err
		}
		req, err := p.GPURequirement()
		if err != nil {
			return nil, nil, nil, errorf(http.StatusBadRequest, "service %s: %v", name, err)
		}
		for i := 0; i < s.Count; i++ {
			inst.Index = i
			inst.GPUs = nil
			if req.Count > 0 {
				if inst.GPUs, err = allocGPUs(a.devices, usedGPUs, req, req.Count); err != nil {
					return nil, nil, nil, errorf(http.StatusServiceUnavailable, "service %s: %v", name, err)
				}
				for _, id := range inst.GPUs {
					usedGPUs[id] = true
				}
				mine = append(mine, inst.GPUs...)
			}
			plan = append(plan, plannedInstance{inst: inst, svc: s})
		}
	}
	if len(mine) > 0 {
		a.startingGPUs[lease.OrderId] = mine
	}
	// The caller reads the old instances from rec; it saves the new ones
	// into the then current record (see recordInstances), since earnings
	// and withdrawals change the stored one while the workload starts.
	return plan, rec, nil, nil
}

// recordInstances saves a lease's instances (and, when state is set, its
// state and manifest) into the current record, keeping what other steps
// changed meanwhile. a.mu is held.
func (a *Agent) recordInstances(id uint64, state string, manifest []byte, inst []InstanceRecord) (*LeaseRecord, error) {
	cur, err := a.store.Lease(id)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return nil, fmt.Errorf("lease %d has no record", id)
	}
	if state != "" {
		cur.State, cur.Manifest = state, manifest
	}
	cur.Instances = inst
	return cur, a.store.PutLease(cur)
}

// releaseGPUs drops the GPU reservation of a lease's manifest start.
func (a *Agent) releaseGPUs(id uint64) {
	a.mu.Lock()
	delete(a.startingGPUs, id)
	a.mu.Unlock()
}

func (a *Agent) instance(lease uint64, name string, s *leaseapi.Service, p *leaseapi.Profile) (runtime.Instance, error) {
	switch kind := a.rt.Kind(); {
	case kind == "process" && len(s.Command) == 0:
		return runtime.Instance{}, errorf(http.StatusUnprocessableEntity, "service %s names an image, but this provider runs the process runtime: give a command", name)
	case kind == "docker" && s.Image == "":
		return runtime.Instance{}, errorf(http.StatusUnprocessableEntity, "service %s has no image, but this provider runs the docker runtime: give an image", name)
	}
	cpu, _ := types.ParseCPU(p.CPU)
	mem, _ := types.ParseSize(orZero(p.Memory))
	disk, _ := types.ParseSize(orZero(p.Storage))
	inst := runtime.Instance{Lease: lease, Service: name, CPUMillis: cpu, MemoryBytes: mem, StorageBytes: disk}
	if a.rt.Kind() == "docker" {
		inst.Image = s.Image
	}
	return inst, nil
}

func orZero(s string) string {
	if strings.TrimSpace(s) == "" {
		return "0"
	}
	return s
}

// gpusInUse returns the IDs of the GPUs held by the instances of running
// leases other than lease (whose own GPUs an update may reuse), and those
// reserved by manifests still starting. a.mu is held.
func (a *Agent) gpusInUse(lease uint64) (map[string]bool, error) {
	used := map[string]bool{}
	if len(a.devices) == 0 {
		return used, nil
	}
	for id, gpus := range a.startingGPUs {
		if id == lease {
			continue
		}
		for _, g := range gpus {
			used[g] = true
		}
	}
	recs, err := a.store.Leases()
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		if rec.ID == lease || rec.State != leaseRunning {
			continue
		}
		for _, ir := range rec.Instances {
			for _, id := range ir.Instance.GPUs {
				used[id] = true
			}
		}
	}
	return used, nil
}

// allocPorts picks a host port for each exposed port: the one in keep when
// there is one (an updated instance keeps its endpoints), else a free one.
func allocPorts(expose []leaseapi.Expose, keep map[uint32]int) (map[uint32]int, error) {
	out := map[uint32]int{}
	for _, e := range expose {
		if hp, ok := keep[e.Port]; ok {
			out[e.Port] = hp
			continue
		}
		l, err := net.Listen("tcp", ":0")
		if err != nil {
			return nil, err
		}
		out[e.Port] = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	return out, nil
}

// serviceEnv builds the environment, expanded command and expanded args of
// an instance: the manifest env plus PORT (the first exposed port),
// PORT_<port> for each exposed port, HYPHA_LEASE_ID, HYPHA_SERVICE and
// HYPHA_INSTANCE. A host process listens on the host ports the provider
// allocated and gets the agent's PATH and a HOME, and, on a provider with
// GPUs, CUDA_VISIBLE_DEVICES naming its own (empty: none); a container
// listens on its own ports (Docker publishes them), keeps its image's PATH
// and gets its GPUs through a device request.
func (a *Agent) serviceEnv(inst runtime.Instance, s *leaseapi.Service) (env, cmd, args []string) {
	lease, name, idx, ports := inst.Lease, inst.Service, inst.Index, inst.Ports
	vars := map[string]string{}
	for k, v := range s.Env {
		vars[k] = v
	}
	container := a.rt.Kind() == "docker"
	if !container {
		vars["PATH"] = os.Getenv("PATH")
		if _, ok := vars["HOME"]; !ok {
			vars["HOME"] = "."
		}
		if len(a.devices) > 0 {
			vars["CUDA_VISIBLE_DEVICES"] = strings.Join(inst.GPUs, ",")
		}
	}
	vars["HYPHA_LEASE_ID"] = strconv.FormatUint(lease, 10)
	vars["HYPHA_SERVICE"] = name
	vars["HYPHA_INSTANCE"] = strconv.Itoa(idx)
	for i, e := range s.Expose {
		p := strconv.Itoa(ports[e.Port])
		if container {
			p = strconv.FormatUint(uint64(e.Port), 10)
		}
		vars["PORT_"+strconv.FormatUint(uint64(e.Port), 10)] = p
		if i == 0 {
			vars["PORT"] = p
		}
	}
	env = make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	expand := func(in []string) []string {
		var out []string
		for _, arg := range in {
			out = append(out, os.Expand(arg, func(k string) string { return vars[k] }))
		}
		return out
	}
	return env, expand(s.Command), expand(s.Args)
}

func (a *Agent) status(rec *LeaseRecord) leaseapi.Status {
	st := leaseapi.Status{Lease: rec.ID, State: rec.State, Reason: rec.ClosedReason, Services: []leaseapi.InstanceStatus{}}
	host := "127.0.0.1"
	if u, err := url.Parse(a.cfg.HostURI); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	for _, ir := range rec.Instances {
		ss := leaseapi.InstanceStatus{Name: ir.Instance.Service, Index: ir.Instance.Index, Endpoints: map[string]string{}}
		if rs, ok := a.rt.Status(ir.Instance.Name()); ok {
			ss.Running, ss.PID, ss.Restarts, ss.LastExit = rs.Running, rs.PID, rs.Restarts, rs.LastExit
		}
		for cp, hp := range ir.Instance.Ports {
			ss.Endpoints[strconv.FormatUint(uint64(cp), 10)] = net.JoinHostPort(host, strconv.Itoa(hp))
		}
		st.Services = append(st.Services, ss)
	}
	return st
}

func (a *Agent) getStatus(_ context.Context, rec *LeaseRecord, lease types.Lease, _ []byte, _ *http.Request) (any, error) {
	if rec == nil {
		return leaseapi.Status{Lease: lease.OrderId, State: leaseAwaiting, Services: []leaseapi.InstanceStatus{}}, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status(rec), nil
}

func (a *Agent) getLogs(_ context.Context, rec *LeaseRecord, _ types.Lease, _ []byte, r *http.Request) (any, error) {
	n := 100
	if t := r.URL.Query().Get("tail"); t != "" {
		v, err := strconv.Atoi(t)
		if err != nil || v < 1 || v > 10000 {
			return nil, errorf(http.StatusBadRequest, "tail must be within 1..10000")
		}
		n = v
	}
	want := r.URL.Query().Get("service")
	lines := []string{}
	if rec == nil {
		return leaseapi.Logs{Lines: lines}, nil
	}
	if r.URL.Query().Get("follow") == "1" {
		return a.followLogs(rec, want, n), nil
	}
	for _, ir := range rec.Instances {
		if want != "" && ir.Instance.Service != want {
			continue
		}
		ls, err := a.rt.Logs(ir.Instance.Name(), n)
		if err != nil {
			return nil, err
		}
		prefix := fmt.Sprintf("[%s-%d] ", ir.Instance.Service, ir.Instance.Index)
		for _, l := range ls {
			lines = append(lines, prefix+l)
		}
	}
	return leaseapi.Logs{Lines: lines}, nil
}

func (a *Agent) postClose(ctx context.Context, rec *LeaseRecord, lease types.Lease, _ []byte, _ *http.Request) (any, error) {
	if lease.State == types.LeaseActive {
		_, err := a.chain.Broadcast(ctx, &types.MsgCloseLease{Sender: a.addr, OrderId: lease.OrderId, Reason: "closed by the tenant through the lease API"})
		if err != nil {
			return nil, errorf(http.StatusBadGateway, "close lease %d on chain: %v", lease.OrderId, err)
		}
	}
	a.stopLease(ctx, lease.OrderId, "closed by the tenant")
	if rec, _ = a.store.Lease(lease.OrderId); rec == nil {
		rec = &LeaseRecord{ID: lease.OrderId, State: leaseClosed}
	}
	return a.status(rec), nil
}

// serveMetrics refreshes the earnings (read from the state the chain sync
// keeps) and serves the agent's metrics registry.
func (a *Agent) serveMetrics(w http.ResponseWriter, r *http.Request) {
	earned := map[string]*big.Int{}
	if recs, err := a.store.Leases(); err == nil {
		for _, rec := range recs {
			n, ok := new(big.Int).SetString(rec.Paid.Amount, 10)
			if !ok || rec.Paid.Denom == "" {
				continue
			}
			if earned[rec.Paid.Denom] == nil {
				earned[rec.Paid.Denom] = new(big.Int)
			}
			earned[rec.Paid.Denom].Add(earned[rec.Paid.Denom], n)
		}
	}
	if len(earned) == 0 {
		earned[a.cfg.Pricing.Denom] = new(big.Int)
	}
	for d, n := range earned { // each denomination is its own series: order does not matter
		v, _ := new(big.Float).SetInt(n).Float64()
		a.metrics.Set(metricEarnings, v, "denom", d)
	}
	a.metrics.ServeHTTP(w, r)
}

// followLogs streams the last n lines of each instance, then every new line,
// until the client goes away or the lease closes.
func (a *Agent) followLogs(rec *LeaseRecord, service string, n int) streamFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		agentrun.Stream(w) // a follow lasts as long as the tenant watches
		type follower struct {
			prefix, path string
			offset       int64
			partial      []byte
		}
		var fs []*follower
		for _, ir := range rec.Instances {
			if service != "" && ir.Instance.Service != service {
				continue
			}
			name := ir.Instance.Name()
			f := &follower{prefix: fmt.Sprintf("[%s-%d] ", ir.Instance.Service, ir.Instance.Index), path: a.rt.LogFile(name)}
			if fi, err := os.Stat(f.path); err == nil {
				f.offset = fi.Size()
			}
			ls, _ := a.rt.Logs(name, n)
			for _, l := range ls {
				fmt.Fprintln(w, f.prefix+l)
			}
			fs = append(fs, f)
		}
		flusher, _ := w.(http.Flusher)
		for {
			for _, f := range fs {
				fh, err := os.Open(f.path)
				if err != nil {
					continue
				}
				if _, err := fh.Seek(f.offset, io.SeekStart); err == nil {
					bz, _ := io.ReadAll(io.LimitReader(fh, 1<<20))
					f.offset += int64(len(bz))
					buf := append(f.partial, bz...)
					for {
						i := bytes.IndexByte(buf, '\n')
						if i < 0 {
							break
						}
						fmt.Fprintln(w, f.prefix+string(buf[:i]))
						buf = buf[i+1:]
					}
					f.partial = append([]byte(nil), buf...)
				}
				fh.Close()
			}
			if flusher != nil {
				flusher.Flush()
			}
			if cur, err := a.store.Lease(rec.ID); err != nil || cur == nil || cur.State == leaseClosed {
				fmt.Fprintf(w, "-- lease %d closed --\n", rec.ID)
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
}
