package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/subnet"
	"github.com/hypha-network/hypha/agent/subnet/miner"
	"github.com/hypha-network/hypha/agent/subnet/task"
	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/testutil/e2e"
	"github.com/hypha-network/hypha/testutil/netutil"
)

type agentMetagraph struct {
	Neurons []struct {
		UID             uint32 `json:"uid"`
		Hotkey          string `json:"hotkey"`
		Axon            string `json:"axon"`
		Incentive       string `json:"incentive"`
		Emission        string `json:"emission"`
		ValidatorPermit bool   `json:"validator_permit"`
		TotalEmission   string `json:"total_emission"`
	} `json:"neurons"`
}

// agentProc is an agent process started by the test.
type agentProc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startAgent runs `hyphad ROLE run --config CONFIG` and stops it (SIGTERM, then
// SIGKILL) when the test ends.
func startAgent(t *testing.T, d *e2e.Devnet, name, role, config string) *agentProc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(d.Bin, role, "run", "--config", config)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	p := &agentProc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); f.Close(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			t.Logf("%s log tail:\n%s", name, b)
		}
	})
	return p
}

func (p *agentProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *agentProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

func agentWriteFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// agentTrainDigits trains the digits MLP for steps and returns the checkpoint
// directory and the model's accuracy on the held-out split.
func agentTrainDigits(t *testing.T, spec string, steps uint64) (string, float64) {
	t.Helper()
	s, err := train.LoadSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(s, s.Seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.StepTo(steps); err != nil {
		t.Fatal(err)
	}
	_, eval, err := s.LoadData()
	if err != nil {
		t.Fatal(err)
	}
	m, err := tr.Evaluate(eval)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), fmt.Sprintf("digits-%d", steps))
	if err := tr.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir, m.Accuracy
}

// TestSubnetAgents runs a digits subnet with real agent processes: three
// miners serving models trained for 0, 30 and 600 steps, a miner that hangs,
// an in-test miner that serves the best model and later answers at random,
// one validator and a gateway. It checks that unsigned queries are refused,
// that the miners' incentives and emissions end up ordered by their real
// accuracy (the hanging miner does not stop the validator), that the random
// miner falls behind within two tempos, and that the gateway answers with the
// best miner and falls back within one request when that miner dies.
func TestSubnetAgents(t *testing.T) {
	d := e2e.StartDevnet(t)
	spec, err := filepath.Abs("../../examples/ml/digits-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := mustTx(t, d, "subnet", "create-subnet", "digits", "--max-lock", "1000000000", "--tempo", "10",
		"--weights-rate-limit", "0", "--from", "alice")
	netuid, ok := res.Attr("subnet_created", "netuid")
	if !ok {
		t.Fatalf("no subnet_created event in %+v", res.Events)
	}

	// The validator's hotkey (bob) is registered and staked by the test.
	mustTx(t, d, "subnet", "register", netuid, "--max-burn", "100000000", "--from", "bob")
	mustTx(t, d, "subnet", "add-stake", netuid, d.Address(t, "bob"), "10000000000uhyp", "--from", "alice")

	// A miner that accepts connections and never answers.
	hang := make(chan struct{})
	hanging := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	})}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hanging.Serve(hl) }()
	t.Cleanup(func() { close(hang); hanging.Close() })
	mustTx(t, d, "subnet", "register", netuid, "--max-burn", "100000000", "--axon", "http://"+hl.Addr().String(), "--from", "validator")

	dir := t.TempDir()
	node := d.RPCURL()
	gatewayAddr := d.Address(t, "alice")
	miners := []struct {
		key   string
		steps uint64
	}{{"carol", 0}, {"provider1", 30}, {"provider2", 600}}
	type minerInfo struct {
		key    string
		ckpt   string
		axon   string
		acc    float64
		proc   *agentProc
		uid    uint32
		hotkey string
	}
	var ms []*minerInfo
	for _, m := range miners {
		ckpt, acc := agentTrainDigits(t, spec, m.steps)
		listen := netutil.FreeAddr(t)
		cfg := agentWriteFile(t, filepath.Join(dir, m.key+".yaml"), fmt.Sprintf(`home: %s
key: %s
node: %s
netuid: %s
task: classify
model: %s
listen: %s
max_concurrent: 4
request_timeout: 5s
refresh: 1s
gateways: [%s]
`, d.Home, m.key, node, netuid, ckpt, listen, gatewayAddr))
		ms = append(ms, &minerInfo{key: m.key, ckpt: ckpt, axon: "http://" + listen, acc: acc,
			proc: startAgent(t, d, "miner-"+m.key, "miner", cfg), hotkey: d.Address(t, m.key)})
		t.Logf("miner %s: %d steps, held-out accuracy %.3f", m.key, m.steps, acc)
	}
	if !(ms[0].acc < ms[1].acc && ms[1].acc < ms[2].acc) {
		t.Fatalf("training did not give increasing accuracies: %.3f %.3f %.3f", ms[0].acc, ms[1].acc, ms[2].acc)
	}

	// A fourth miner, run in this process, serves the best model until it
	// turns to random answers.
	d.CLI(t, "keys", "add", "dave", "--keyring-backend", "test")
	dave := d.Address(t, "dave")
	mustTx(t, d, "bank", "send", "alice", dave, "1000000000uhyp")
	good, err := task.Classify{}.LoadModel(ms[2].ckpt)
	if err != nil {
		t.Fatal(err)
	}
	nu, _ := strconv.ParseUint(netuid, 10, 32)
	turncoat := &turncoatModel{good: good, classes: 10}
	turncoatAxon := startTurncoat(t, d, uint32(nu), dave, turncoat)
	mustTx(t, d, "subnet", "register", netuid, "--max-burn", "100000000", "--axon", turncoatAxon, "--from", "dave")

	// Wait until every miner registered itself and serves.
	deadline := time.Now().Add(90 * time.Second)
	for {
		var mg agentMetagraph
		d.QueryJSON(t, &mg, "q", "subnet", "metagraph", netuid)
		found := 0
		for _, m := range ms {
			for _, n := range mg.Neurons {
				if n.Hotkey == m.hotkey {
					m.uid = n.UID
					if n.Axon != m.axon {
						t.Fatalf("miner %s registered axon %q, want %q", m.key, n.Axon, m.axon)
					}
					found++
				}
			}
		}
		if found == len(ms) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d miners registered within 90s", found, len(ms))
		}
		time.Sleep(time.Second)
	}
	for _, m := range ms {
		agentWaitHTTP(t, m.axon+"/healthz", 60*time.Second)
	}

	// Unsigned queries are refused.
	resp, err := http.Post(ms[2].axon+"/v1/query", "application/json", strings.NewReader(`{"inputs":[[0]]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned query: HTTP %d, want 401", resp.StatusCode)
	}

	validatorCfg := agentWriteFile(t, filepath.Join(dir, "validator.yaml"), fmt.Sprintf(`home: %s
key: bob
node: %s
netuid: %s
task: classify
data: %s
samples: 64
interval: 1s
timeout: 3s
alpha: 0.5
`, d.Home, node, netuid, spec))
	vproc := startAgent(t, d, "validator", "validator", validatorCfg)
	start := d.Height(t)

	// Within six tempos (three are needed: commit, reveal, epoch) the miners'
	// incentives must be ordered by accuracy; the hanging miner gets none.
	var mg agentMetagraph
	inc := map[string]float64{}
	emission := map[string]int64{}
	read := func() {
		d.QueryJSON(t, &mg, "q", "subnet", "metagraph", netuid)
		for _, n := range mg.Neurons {
			inc[n.Hotkey], _ = strconv.ParseFloat(n.Incentive, 64)
			emission[n.Hotkey], _ = strconv.ParseInt(n.Emission, 10, 64)
		}
	}
	ordered := false
	for h := start; h < start+6*11 && !ordered; h = d.Height(t) {
		d.WaitHeight(t, h+1)
		read()
		ordered = inc[ms[0].hotkey] < inc[ms[1].hotkey] && inc[ms[1].hotkey] < inc[ms[2].hotkey] && inc[ms[0].hotkey] > 0
		if ordered {
			t.Logf("height %d (%d blocks after the validator started): incentives %.3f < %.3f < %.3f (turncoat %.3f), last-epoch emissions %d < %d < %d uhyp",
				d.Height(t), d.Height(t)-start, inc[ms[0].hotkey], inc[ms[1].hotkey], inc[ms[2].hotkey], inc[dave],
				emission[ms[0].hotkey], emission[ms[1].hotkey], emission[ms[2].hotkey])
		}
	}
	select {
	case <-vproc.done:
		t.Fatal("the validator exited")
	default:
	}
	if !ordered {
		t.Fatalf("incentives not ordered by accuracy after 6 tempos: %+v", mg.Neurons)
	}
	for _, n := range mg.Neurons {
		if f, _ := strconv.ParseFloat(n.Incentive, 64); n.Axon == "http://"+hl.Addr().String() && f != 0 {
			t.Fatalf("the hanging miner earned incentive %s", n.Incentive)
		}
	}

	// Emissions follow the incentives.
	if !(emission[ms[0].hotkey] < emission[ms[1].hotkey] && emission[ms[1].hotkey] < emission[ms[2].hotkey]) {
		t.Fatalf("last-epoch emissions %d, %d, %d not ordered by accuracy", emission[ms[0].hotkey], emission[ms[1].hotkey], emission[ms[2].hotkey])
	}

	// The turncoat starts answering at random: it falls behind the 30-step
	// miner within two tempos, plus the validator's commit lead and a block or
	// two for its transactions (commit-reveal shows weights one tempo late).
	turncoat.lie.Store(true)
	flipped := d.Height(t)
	for {
		d.WaitHeight(t, d.Height(t)+1)
		read()
		if inc[dave] < inc[ms[1].hotkey] {
			t.Logf("turncoat fell behind %d blocks after turning: incentive %.3f < %.3f", d.Height(t)-flipped, inc[dave], inc[ms[1].hotkey])
			break
		}
		if d.Height(t) > flipped+2*11+6 {
			t.Fatalf("turncoat still at incentive %.3f (30-step miner %.3f) two tempos after turning", inc[dave], inc[ms[1].hotkey])
		}
	}

	// The gateway answers with the best miner, and falls back when it dies.
	gwListen := netutil.FreeAddr(t)
	gwCfg := agentWriteFile(t, filepath.Join(dir, "gateway.yaml"), fmt.Sprintf(`home: %s
key: alice
node: %s
netuid: %s
listen: %s
task: classify
data: %s
top_k: 2
timeout: 3s
refresh: 1s
`, d.Home, node, netuid, gwListen, spec))
	startAgent(t, d, "gateway", "gateway", gwCfg)
	agentWaitHTTP(t, "http://"+gwListen+"/healthz", 60*time.Second)
	features := func(n int) string {
		return fmt.Sprintf(`{"inputs":[[%s]]}`, strings.TrimSuffix(strings.Repeat("8,", n), ","))
	}
	query := features(64)
	gwQuery := func(q string) (string, int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("http://%s/v1/subnets/%s/query", gwListen, netuid), strings.NewReader(q))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp.Header.Get("Hypha-Miner-Uid"), resp.StatusCode, b.String()
	}
	gw := func() (string, int, string) { return gwQuery(query) }

	// A query with 3 features for the 64-feature digits model is refused by
	// the gateway itself: no miner is called and none is counted against.
	// (The validator keeps querying the miners with valid challenges, so
	// their refused-query counts are what must not move.)
	minerCalls := func() string {
		var out []string
		for _, m := range ms[:3] {
			out = append(out, fmt.Sprint(agentMetric(t, m.axon+"/metrics", `hypha_miner_requests_total{code="400"}`)))
		}
		return strings.Join(out, " ") + " gateway " + fmt.Sprint(agentMetric(t, "http://"+gwListen+"/metrics", "hypha_gateway_miner_calls_total"))
	}
	before := minerCalls()
	if _, code, body := gwQuery(features(3)); code != http.StatusBadRequest || !strings.Contains(body, "3 features; this subnet's model takes 64") {
		t.Fatalf("3-feature query: HTTP %d %s, want 400 naming the feature count", code, body)
	}
	if after := minerCalls(); after != before {
		t.Fatalf("a refused query moved the miners' call counters: %s -> %s", before, after)
	}
	best, second := strconv.Itoa(int(ms[2].uid)), strconv.Itoa(int(ms[1].uid))
	if uid, code, body := gw(); code != 200 || uid != best || !strings.Contains(body, "probabilities") {
		t.Fatalf("gateway: uid %s HTTP %d %s; want the best miner %s", uid, code, body, best)
	}
	ms[2].proc.kill()
	if uid, code, body := gw(); code != 200 || uid != second {
		t.Fatalf("gateway after killing the best miner: uid %s HTTP %d %s; want the fallback %s", uid, code, body, second)
	}
}

// turncoatModel answers with a real model until told to lie, then with random
// (well-formed) class probabilities.
type turncoatModel struct {
	good    task.Model
	classes int
	lie     atomic.Bool
}

func (m *turncoatModel) Answer(req json.RawMessage) (json.RawMessage, error) {
	if !m.lie.Load() {
		return m.good.Answer(req)
	}
	var q struct {
		Inputs [][]float32 `json:"inputs"`
	}
	if err := json.Unmarshal(req, &q); err != nil {
		return nil, err
	}
	var resp struct {
		Predictions []train.Prediction `json:"predictions"`
	}
	for range q.Inputs {
		p := make([]float32, m.classes)
		var sum float32
		for i := range p {
			p[i] = rand.Float32()
			sum += p[i]
		}
		for i := range p {
			p[i] /= sum
		}
		resp.Predictions = append(resp.Predictions, train.Prediction{Class: rand.IntN(m.classes), Probabilities: p})
	}
	return json.Marshal(resp)
}

// startTurncoat serves a turncoatModel with the miner package's server (real
// authentication against the chain) and returns its axon.
func startTurncoat(t *testing.T, d *e2e.Devnet, netuid uint32, hotkey string, m *turncoatModel) string {
	t.Helper()
	cfg := miner.Config{Chain: subnet.Chain{Netuid: netuid}, MaxConcurrent: 4, RequestTimeout: 5 * time.Second, MinValidatorStake: 1}
	chain, err := chainclient.New(chainclient.Config{Home: d.Home, Key: "alice", Node: d.RPCURL()})
	if err != nil {
		t.Fatal(err)
	}
	srv := miner.NewServer(cfg, hotkey, m, chain, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for ctx.Err() == nil {
			_ = srv.Refresh(ctx)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler()}
	go func() { _ = hs.Serve(l) }()
	t.Cleanup(func() { cancel(); hs.Close() })
	return "http://" + l.Addr().String()
}

func agentWaitHTTP(t *testing.T, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not up within %v: %v", url, timeout, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// agentMetric sums the samples of a Prometheus text endpoint whose series
// starts with name (a metric name, or a name with its labels).
func agentMetric(t *testing.T, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var sum float64
	for _, line := range strings.Split(string(b), "\n") {
		series, value, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") || !(series == name || strings.HasPrefix(series, name+"{")) {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("%s: bad sample %q", url, line)
		}
		sum += v
	}
	return sum
}
