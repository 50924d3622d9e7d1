package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hypha-network/hypha/testutil/e2e"
	"github.com/hypha-network/hypha/testutil/netutil"
)

// Provider e2e test (issue 4): a devnet, a real provider agent process and
// `hyphad deploy` of a manifest that runs a small HTTP server.

type provAgent struct {
	bin, config, log string
	cmd              *exec.Cmd
	done             chan struct{}
}

func (a *provAgent) start(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(a.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	a.cmd = exec.Command(a.bin, "provider", "run", "--config", a.config)
	a.cmd.Stdout, a.cmd.Stderr = f, f
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a.done = make(chan struct{})
	go func() { _ = a.cmd.Wait(); f.Close(); close(a.done) }()
}

// kill stops the agent with SIGKILL (a crash).
func (a *provAgent) kill() {
	if a.cmd == nil {
		return
	}
	_ = a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.done
	a.cmd = nil
}

func (a *provAgent) output() string {
	b, _ := os.ReadFile(a.log)
	return string(b)
}

func (a *provAgent) waitLog(t *testing.T, substr string, timeout time.Duration) {
	t.Helper()
	a.waitLogAfter(t, 0, substr, timeout)
}

// waitLogAfter waits for substr in the agent's output past byte offset from.
func (a *provAgent) waitLogAfter(t *testing.T, from int, substr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(a.output()[from:], substr) {
		if time.Now().After(deadline) {
			t.Fatalf("provider agent did not log %q in %s:\n%s", substr, timeout, a.output())
		}
		time.Sleep(250 * time.Millisecond)
	}
}

type deployJSON struct {
	Lease    uint64 `json:"lease"`
	Provider string `json:"provider"`
	Status   struct {
		Services []struct {
			Name      string            `json:"name"`
			Index     int               `json:"index"`
			Running   bool              `json:"running"`
			PID       int               `json:"pid"`
			Endpoints map[string]string `json:"endpoints"`
		} `json:"services"`
	} `json:"status"`
}

func TestProviderDeployEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is needed for the workload of this test")
	}
	d := e2e.StartDevnet(t)
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", netutil.FreePort(t))
	config := filepath.Join(dir, "provider.yaml")
	provMust(t, os.WriteFile(config, []byte(fmt.Sprintf(`chain:
  node: %s
  home: %s
  key: provider1
listen: %s
data_dir: data
attributes: {region: local}
inventory:
  cpu: 4
  memory: 8Gi
  gpus: [{vendor: nvidia, model: a100, vram: 80Gi, interface: sxm, count: 2}]
pricing: {cpu_per_core: 20, memory_per_gib: 40, gpu: {a100: 5}}
poll_interval: 1s
withdraw_every: 5
heartbeat_margin: 95
`, d.RPCURL(), d.Home, listen)), 0o600))
	agent := &provAgent{bin: d.Bin, config: config, log: filepath.Join(dir, "agent.log")}
	agent.start(t)
	t.Cleanup(agent.kill)
	agent.waitLog(t, "serving the lease API", 90*time.Second)
	p1 := d.Address(t, "provider1")

	app, err := filepath.Abs("../../examples/deploy/web.yaml")
	provMust(t, err)
	provManifest, err := os.ReadFile(app)
	provMust(t, err)

	// Bad input first: malformed YAML changes nothing.
	bad := filepath.Join(dir, "bad.yaml")
	provMust(t, os.WriteFile(bad, []byte("services: ["), 0o600))
	if out, err := d.TryCLI("deploy", bad, "--deposit", "10000000uhyp", "--from", "alice"); err == nil || !strings.Contains(err.Error(), "malformed manifest") {
		t.Fatalf("malformed manifest: %v\n%s", err, out)
	}

	start := time.Now()
	out, err := d.TryCLI("deploy", app, "--deposit", "10000000uhyp", "--from", "alice", "--json", "--timeout", "3m")
	if err != nil {
		t.Fatalf("deploy: %v\nagent log:\n%s", err, agent.output())
	}
	var dep deployJSON
	if err := json.Unmarshal(out, &dep); err != nil {
		t.Fatalf("deploy output: %v\n%s", err, out)
	}
	t.Logf("deployed lease %d in %s", dep.Lease, time.Since(start).Round(time.Second))
	if dep.Provider != p1 || len(dep.Status.Services) != 1 || !dep.Status.Services[0].Running {
		t.Fatalf("deploy result: %+v", dep)
	}
	pid := dep.Status.Services[0].PID
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) }) // only if the test failed before closing
	endpoint := "http://" + dep.Status.Services[0].Endpoints["8080"] + "/index.html"
	body := provWaitHTTP(t, endpoint)
	if strings.TrimSpace(body) != "hello from hypha" {
		t.Fatalf("endpoint %s answered %q", endpoint, body)
	}
	id := strconv.FormatUint(dep.Lease, 10)

	// The lease API: logs for the owner, refusal for anyone else.
	logs := string(d.CLI(t, "deploy", "logs", id, "--from", "alice"))
	if !strings.Contains(logs, "serving on") || !strings.Contains(logs, "GET /index.html") {
		t.Fatalf("lease logs:\n%s", logs)
	}
	if _, err := d.TryCLI("deploy", "status", id, "--from", "bob"); err == nil || !strings.Contains(err.Error(), "another account than the lease owner") {
		t.Fatalf("status signed by bob: %v", err)
	}
	if _, err := d.TryCLI("deploy", "status", "999", "--from", "alice"); err == nil || !strings.Contains(err.Error(), "unknown lease 999") {
		t.Fatalf("unknown lease: %v", err)
	}

	// A lease whose manifest is refused: larger than the lease, or signed by
	// another account. Nothing starts.
	res := mktTx(t, d, "create-order", "--from", "carol", "--cpu", "500", "--memory", "256Mi", "--ports", "8080",
		"--placement", "region=local", "--max-price", "50uhyp", "--deposit", "5000000uhyp", "--bid-window", "2")
	id2, _ := res.Attr("market_order_created", "order_id")
	agent.waitLog(t, "won lease "+id2+" ", 60*time.Second)
	big := filepath.Join(dir, "big.yaml")
	provMust(t, os.WriteFile(big, []byte(strings.Replace(string(provManifest), "cpu: 0.5", "cpu: 2", 1)), 0o600))
	if _, err := d.TryCLI("deploy", "manifest", id2, big, "--from", "carol"); err == nil || !strings.Contains(err.Error(), "more than the lease holds") {
		t.Fatalf("manifest larger than the lease: %v", err)
	}
	if _, err := d.TryCLI("deploy", "manifest", id2, app, "--from", "bob"); err == nil || !strings.Contains(err.Error(), "another account than the lease owner") {
		t.Fatalf("manifest signed by bob: %v", err)
	}
	if st := string(d.CLI(t, "deploy", "status", id2, "--from", "carol")); !strings.Contains(st, "state: awaiting-manifest") || strings.Contains(st, "web-") {
		t.Fatalf("lease %s after refused manifests:\n%s", id2, st)
	}
	mktTx(t, d, "close-order", id2, "--from", "carol")
	agent.waitLog(t, "lease "+id2+" closed", 30*time.Second)

	// An order that requires an auditor gets no bid until the auditor has
	// signed the provider's placement attributes, then it does.
	orderArgs := []string{"create-order", "--from", "carol", "--cpu", "500", "--memory", "256Mi", "--placement", "region=local",
		"--max-price", "50uhyp", "--deposit", "5000000uhyp", "--bid-window", "30", "--auditors", d.Address(t, "bob")}
	res = mktTx(t, d, orderArgs...)
	unsigned, _ := res.Attr("market_order_created", "order_id")
	agent.waitLog(t, "order "+unsigned+": not bidding: ", 30*time.Second)
	if !strings.Contains(agent.output(), "no signature from "+d.Address(t, "bob")) {
		t.Fatalf("agent log does not say which auditor is missing:\n%s", agent.output())
	}
	mktTx(t, d, "sign-attributes", p1, "--attributes", "region=local", "--from", "bob")
	res = mktTx(t, d, orderArgs...)
	signed, _ := res.Attr("market_order_created", "order_id")
	agent.waitLog(t, "placed bid on order "+signed+" ", 30*time.Second)
	mktTx(t, d, "close-order", unsigned, "--from", "carol")
	mktTx(t, d, "close-order", signed, "--from", "carol")

	// A GPU lease: the instance gets one of the provider's two GPUs (declared
	// in the config, so numbered 0 and 1) through CUDA_VISIBLE_DEVICES.
	gpuApp := filepath.Join(dir, "gpu.yaml")
	provMust(t, os.WriteFile(gpuApp, []byte(`services:
  train:
    command: ["sh", "-c", "echo gpus=$CUDA_VISIBLE_DEVICES; exec sleep 600"]
    profile: gpu
profiles:
  gpu: {cpu: 0.5, memory: 256Mi, gpu: {count: 1, vendor: nvidia, model: a100}}
pricing: {max_price: 50uhyp, bid_window: 2}
`), 0o600))
	out, err = d.TryCLI("deploy", gpuApp, "--deposit", "5000000uhyp", "--from", "carol", "--json", "--timeout", "2m")
	if err != nil {
		t.Fatalf("deploy GPU manifest: %v\n%s", err, agent.output())
	}
	var gpuDep deployJSON
	provMust(t, json.Unmarshal(out, &gpuDep))
	gpuID := strconv.FormatUint(gpuDep.Lease, 10)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(string(d.CLI(t, "lease", "logs", gpuID, "--from", "carol")), "gpus=0") {
		if time.Now().After(deadline) {
			t.Fatalf("GPU instance logs:\n%s", d.CLI(t, "lease", "logs", gpuID, "--from", "carol"))
		}
		time.Sleep(500 * time.Millisecond)
	}
	d.CLI(t, "lease", "close", gpuID, "--from", "carol")

	// Earnings reach the provider's account through periodic withdrawals.
	before := balance(t, d, p1)
	agent.waitLog(t, "lease "+id+": withdrew", 60*time.Second)
	deadline = time.Now().Add(60 * time.Second)
	for balance(t, d, p1) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("provider balance did not grow from %d\n%s", before, agent.output())
		}
		time.Sleep(time.Second)
	}
	l := mktLease(t, d, id)
	if l.Lease.ProviderPaid == "" || l.Lease.ProviderPaid == "0" {
		t.Fatalf("lease provider_paid = %q", l.Lease.ProviderPaid)
	}
	t.Logf("provider balance %d -> %d, lease paid %s at %s/block", before, balance(t, d, p1), l.Lease.ProviderPaid, l.Lease.Price.Amount)

	// Crash and restart the agent mid-lease: the workload keeps running, is
	// re-adopted, heartbeats resume, and the agent does not bid again.
	bidLine := "placed bid on order " + id + " "
	if n := strings.Count(agent.output(), bidLine); n != 1 {
		t.Fatalf("%d bids on order %s before restart, want 1", n, id)
	}
	agent.kill()
	restartAt := len(agent.output())
	if body, err := netutil.Get(endpoint); err != nil || !strings.Contains(body, "hello") {
		t.Fatalf("workload died with the agent: %v", err)
	}

	agent.start(t)
	agent.waitLog(t, "re-adopted instance "+id+"-web-0", 60*time.Second)
	h := d.Height(t)
	d.WaitHeight(t, h+8)
	if n := strings.Count(agent.output(), bidLine); n != 1 {
		t.Fatalf("%d bids on order %s after restart, want 1\n%s", n, id, agent.output())
	}
	st := string(d.CLI(t, "deploy", "status", id, "--from", "alice", "--json"))
	if !strings.Contains(st, fmt.Sprintf(`"pid":%d`, pid)) || !strings.Contains(st, `"running":true`) {
		t.Fatalf("status after restart (want pid %d running): %s", pid, st)
	}
	var lease struct {
		Lease struct {
			State         string `json:"state"`
			LastHeartbeat string `json:"last_heartbeat"`
		} `json:"lease"`
	}
	d.QueryJSON(t, &lease, "q", "market", "lease", id)
	if lease.Lease.State != "LEASE_STATE_ACTIVE" {
		t.Fatalf("lease state after restart: %s", lease.Lease.State)
	}

	agent.waitLogAfter(t, restartAt, "lease "+id+": heartbeat sent", 30*time.Second)

	// Follow the logs: a new request shows up, and the stream ends when the lease closes.
	follow := exec.Command(d.Bin, "deploy", "logs", id, "--follow", "--tail", "1", "--from", "alice", "--home", d.Home)
	followOut := &lockedBuffer{}
	follow.Stdout, follow.Stderr = followOut, followOut
	provMust(t, follow.Start())
	followDone := make(chan error, 1)
	go func() { followDone <- follow.Wait() }()
	t.Cleanup(func() { _ = follow.Process.Kill() })
	deadline = time.Now().Add(30 * time.Second)
	for !strings.Contains(followOut.String(), "GET /index.html?follow") {
		if time.Now().After(deadline) {
			t.Fatalf("logs --follow did not show a new request:\n%s", followOut.String())
		}
		_, _ = netutil.Get(endpoint + "?follow")
		time.Sleep(500 * time.Millisecond)
	}

	// The tenant closes the order on chain: the agent stops the workload.
	mktTx(t, d, "close-order", id, "--from", "alice")
	agent.waitLog(t, "lease "+id+" closed", 30*time.Second)
	select {
	case err := <-followDone:
		if err != nil || !strings.Contains(followOut.String(), "lease "+id+" closed") {
			t.Fatalf("logs --follow ended with %v:\n%s", err, followOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("logs --follow did not end when the lease closed")
	}
	if _, err := netutil.Get(endpoint); err == nil {
		t.Fatal("workload still answers after the lease closed")
	}
	if provProcessLive(pid) {
		t.Fatalf("workload process %d still runs", pid)
	}
}

// provProcessLive reports whether pid runs (a zombie left for a reaper that is
// not us does not count).
func provProcessLive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

func provWaitHTTP(t *testing.T, url string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		body, err := netutil.Get(url)
		if err == nil {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer safe for a writing process and a reading test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func provMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestProviderRunDry deploys the two-instance JSON example to a provider that
// prices with an external script, at a price the deposit pays for only a few
// blocks: the chain closes the lease for insufficient funds and the agent
// stops both instances.
func TestProviderRunDry(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is needed for the workload of this test")
	}
	d := e2e.StartDevnet(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "price.sh")
	provMust(t, os.WriteFile(script, []byte("#!/bin/sh\ngrep -q '\"cpu_millis\":500' && echo 1000000uhyp\n"), 0o755))
	config := filepath.Join(dir, "provider.yaml")
	provMust(t, os.WriteFile(config, []byte(fmt.Sprintf(`chain: {node: %s, home: %s, key: provider2}
listen: 127.0.0.1:%d
data_dir: data
attributes: {region: local}
inventory: {cpu: 2, memory: 4Gi}
pricing: {script: %s}
poll_interval: 1s
`, d.RPCURL(), d.Home, netutil.FreePort(t), script)), 0o600))
	agent := &provAgent{bin: d.Bin, config: config, log: filepath.Join(dir, "agent.log")}
	agent.start(t)
	t.Cleanup(agent.kill)
	agent.waitLog(t, "serving the lease API", 90*time.Second)

	example, err := os.ReadFile("../../examples/deploy/json-api.yaml")
	provMust(t, err)
	app := filepath.Join(dir, "api.yaml")
	provMust(t, os.WriteFile(app, []byte(strings.Replace(string(example), "max_price: 50uhyp", "max_price: 2000000uhyp", 1)), 0o600))
	out, err := d.TryCLI("deploy", app, "--deposit", "6000000uhyp", "--from", "bob", "--json", "--timeout", "90s")
	if err != nil {
		t.Fatalf("deploy: %v\nagent log:\n%s", err, agent.output())
	}
	var dep deployJSON
	provMust(t, json.Unmarshal(out, &dep))
	if len(dep.Status.Services) != 2 {
		t.Fatalf("want 2 instances: %+v", dep.Status)
	}
	for i, s := range dep.Status.Services {
		pid := s.PID
		t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
		body := provWaitHTTP(t, "http://"+s.Endpoints["8000"]+"/hi")
		want := fmt.Sprintf(`"instance": %d`, i)
		if !strings.Contains(body, `"path": "/hi"`) || !strings.Contains(body, want) {
			t.Fatalf("instance %d answered %s", i, body)
		}
	}
	id := strconv.FormatUint(dep.Lease, 10)
	agent.waitLog(t, "lease "+id+" closed (CLOSE_REASON_INSUFFICIENT_FUNDS)", 60*time.Second)
	l := mktLease(t, d, id)
	if l.Lease.CloseReason != "CLOSE_REASON_INSUFFICIENT_FUNDS" || l.Lease.Streamed != "6000000" {
		t.Fatalf("lease after running dry: %+v", l.Lease)
	}
	for _, s := range dep.Status.Services {
		if _, err := netutil.Get("http://" + s.Endpoints["8000"] + "/"); err == nil || provProcessLive(s.PID) {
			t.Fatalf("instance %s-%d still runs after the lease ran dry", s.Name, s.Index)
		}
	}
}
