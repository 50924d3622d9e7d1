// Package e2e runs end-to-end tests against a real hyphad devnet: it builds the
// binary once per test binary, starts `hyphad devnet` in a temporary home on free
// loopback ports, drives the CLI and reads results as JSON.
package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hypha-network/hypha/devnet"
)

// BinaryEnv names an environment variable holding a prebuilt hyphad to test
// instead of building one.
const BinaryEnv = "HYPHAD_BIN"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary returns the path of a hyphad binary built from this checkout, building it
// on first use in this test binary (or using $HYPHAD_BIN when set).
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if p := os.Getenv(BinaryEnv); p != "" {
			binPath, buildErr = filepath.Abs(p)
			return
		}
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "hyphad-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "hyphad")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/hyphad")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/hyphad: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("hyphad binary: %v", buildErr)
	}
	return binPath
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the hypha Go module")
	}
	return filepath.Dir(mod), nil
}

// Devnet is a running (or stopped) `hyphad devnet` process owned by one test.
type Devnet struct {
	Bin   string
	Home  string
	Ports devnet.Ports
	// Log is the file receiving the devnet process's stdout and stderr.
	Log string
	// Flags are extra `hyphad devnet` flags, passed at every start.
	Flags []string

	t    testing.TB
	cmd  *exec.Cmd
	done chan error
}

// StartDevnet creates a devnet in a fresh temporary home on free ports, waits for
// it to produce blocks, and stops it when the test ends. It skips the test under
// `go test -short`.
func StartDevnet(t testing.TB) *Devnet {
	t.Helper()
	return StartDevnetWith(t, "--demo=false", "--provider=false")
}

// StartDevnetWith is StartDevnet with extra `hyphad devnet` flags; unlike
// StartDevnet it leaves the devnet's own agents on unless flags turn them off
// (give them free ports, e.g. "--demo-port", "18080", "--provider-port", "18443").
func StartDevnetWith(t testing.TB, flags ...string) *Devnet {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	ports, err := freePorts()
	if err != nil {
		t.Fatalf("free ports: %v", err)
	}
	// The devnet's jobs agents (a solver and two auditors) would claim the
	// tests' jobs and move the auditors' balances: on only when asked.
	if !hasFlag(flags, "--jobs") {
		flags = append(flags, "--jobs=false")
	}
	// The explorer's fixed default port would clash between devnets that test
	// packages run at the same time: off unless a test asks for it.
	if !hasFlag(flags, "--explorer-port") {
		flags = append(flags, "--explorer-port=0")
	}
	dir := t.TempDir()
	d := &Devnet{
		Bin:   Binary(t),
		Home:  filepath.Join(dir, "home"),
		Ports: ports,
		Log:   filepath.Join(dir, "devnet.out"),
		Flags: flags,
		t:     t,
	}
	d.Start(t)
	t.Cleanup(func() { d.stop() })
	return d
}

// Start starts the devnet process (creating or resuming its chain) and waits
// until it has committed a block.
func (d *Devnet) Start(t testing.TB) {
	t.Helper()
	if d.cmd != nil {
		t.Fatal("devnet already running")
	}
	logf, err := os.OpenFile(d.Log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatalf("devnet log: %v", err)
	}
	args := append([]string{"devnet", "--home", d.Home,
		"--rpc-port", strconv.Itoa(d.Ports.RPC), "--p2p-port", strconv.Itoa(d.Ports.P2P),
		"--grpc-port", strconv.Itoa(d.Ports.GRPC), "--api-port", strconv.Itoa(d.Ports.API)}, d.Flags...)
	cmd := exec.Command(d.Bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start devnet: %v", err)
	}
	d.cmd, d.done = cmd, make(chan error, 1)
	go func() { d.done <- cmd.Wait(); logf.Close() }()

	deadline := time.Now().Add(90 * time.Second)
	for {
		if h, err := d.height(); err == nil && h >= 2 {
			return
		}
		select {
		case err := <-d.done:
			d.cmd = nil
			t.Fatalf("devnet exited before producing blocks: %v\n%s", err, d.tail())
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("devnet produced no block in 90s\n%s", d.tail())
		}
	}
}

// Stop sends SIGTERM and waits for the devnet to exit cleanly.
func (d *Devnet) Stop(t testing.TB) {
	t.Helper()
	if err := d.stop(); err != nil {
		t.Fatalf("stop devnet: %v\n%s", err, d.tail())
	}
}

func (d *Devnet) stop() error {
	if d.cmd == nil {
		return nil
	}
	defer func() { d.cmd = nil }()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.done:
		return err
	case <-time.After(30 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
		return errors.New("devnet did not exit within 30s of SIGTERM")
	}
}

// Output returns everything the devnet process printed so far.
func (d *Devnet) Output() string {
	b, _ := os.ReadFile(d.Log)
	return string(b)
}

func (d *Devnet) tail() string {
	out := d.Output()
	if len(out) > 4000 {
		out = "…" + out[len(out)-4000:]
	}
	nodeLog, _ := os.ReadFile(filepath.Join(d.Home, "devnet.log"))
	if len(nodeLog) > 4000 {
		nodeLog = nodeLog[len(nodeLog)-4000:]
	}
	return "devnet output:\n" + out + "\nnode log tail:\n" + string(nodeLog)
}

// TryCLI runs hyphad with args against this devnet's home and returns stdout;
// the error carries stderr.
func (d *Devnet) TryCLI(args ...string) ([]byte, error) {
	cmd := exec.Command(d.Bin, append(args, "--home", d.Home)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("hyphad %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// CLI runs hyphad with args and fails the test if it fails.
func (d *Devnet) CLI(t testing.TB, args ...string) []byte {
	t.Helper()
	out, err := d.TryCLI(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// QueryJSON runs a query command with JSON output and decodes it into out.
func (d *Devnet) QueryJSON(t testing.TB, out any, args ...string) {
	t.Helper()
	bz := d.CLI(t, append(args, "-o", "json")...)
	if err := json.Unmarshal(bz, out); err != nil {
		t.Fatalf("decode output of %v: %v\n%s", args, err, bz)
	}
}

// Address returns the bech32 address of a key in the devnet keyring.
func (d *Devnet) Address(t testing.TB, name string) string {
	t.Helper()
	return strings.TrimSpace(string(d.CLI(t, "keys", "show", name, "-a")))
}

// TxResult is the outcome of a transaction once included in a block (or rejected
// by CheckTx, in which case Height is 0).
type TxResult struct {
	Hash string
	// Codespace and Code identify a failed transaction's registered error
	// (Code 0 is success).
	Codespace string
	Code      uint32
	RawLog    string
	Height    int64
	Events    []Event
}

// Event is a transaction event with its attributes in order.
type Event struct {
	Type       string
	Attributes []Attribute
}

// Attribute is one key/value of an event.
type Attribute struct{ Key, Value string }

// Attr returns the first value of key in the first event of typ, and whether it was found.
func (r TxResult) Attr(typ, key string) (string, bool) {
	for _, e := range r.Events {
		if e.Type != typ {
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == key {
				return a.Value, true
			}
		}
	}
	return "", false
}

type txResponse struct {
	Height    string `json:"height"`
	TxHash    string `json:"txhash"`
	Codespace string `json:"codespace"`
	Code      uint32 `json:"code"`
	RawLog    string `json:"raw_log"`
	Events    []struct {
		Type       string `json:"type"`
		Attributes []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"attributes"`
	} `json:"events"`
}

// TryTx broadcasts a transaction (args as after `hyphad tx`, including --from or
// the positional sender), waits for it to be included, and returns its result.
// Unless args set --gas, gas is estimated by simulation, so a transaction that
// would fail returns an error before broadcast.
func (d *Devnet) TryTx(args ...string) (TxResult, error) {
	full := append([]string{"tx"}, args...)
	if !hasFlag(args, "--gas") {
		full = append(full, "--gas", "auto", "--gas-adjustment", "1.5")
	}
	full = append(full, "--yes", "-o", "json")
	out, err := d.TryCLI(full...)
	var res txResponse
	if err != nil {
		// A transaction refused in its block exits non-zero but prints its
		// response: it was included, so it is a result, not an error.
		if json.Unmarshal(lastJSON(out), &res) == nil && res.TxHash != "" && res.Height != "" && res.Height != "0" {
			return toResult(res), nil
		}
		return TxResult{}, err
	}
	if err := json.Unmarshal(lastJSON(out), &res); err != nil {
		return TxResult{}, fmt.Errorf("decode broadcast result: %w: %s", err, out)
	}
	if res.Code != 0 {
		return toResult(res), nil
	}
	return d.waitTx(res.TxHash)
}

// waitTx waits until the transaction hash is in a block and returns its result.
// `q wait-tx` subscribes to the transaction's event and can miss one included
// while it subscribes, so a failed wait falls back to looking the hash up.
func (d *Devnet) waitTx(hash string) (TxResult, error) {
	var res txResponse
	out, err := d.TryCLI("q", "wait-tx", hash, "--timeout", "30s", "-o", "json")
	for i := 0; err != nil && i < 30; i++ {
		time.Sleep(time.Second)
		out, err = d.TryCLI("q", "tx", hash, "-o", "json")
	}
	if err != nil {
		return TxResult{}, fmt.Errorf("transaction %s was not included: %w", hash, err)
	}
	if err := json.Unmarshal(lastJSON(out), &res); err != nil {
		return TxResult{}, fmt.Errorf("decode tx result: %w: %s", err, out)
	}
	return toResult(res), nil
}

// Tx is TryTx that fails the test on a CLI error (not on a non-zero result code).
func (d *Devnet) Tx(t testing.TB, args ...string) TxResult {
	t.Helper()
	res, err := d.TryTx(args...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func toResult(r txResponse) TxResult {
	h, _ := strconv.ParseInt(r.Height, 10, 64)
	res := TxResult{Hash: r.TxHash, Codespace: r.Codespace, Code: r.Code, RawLog: r.RawLog, Height: h}
	for _, e := range r.Events {
		ev := Event{Type: e.Type}
		for _, a := range e.Attributes {
			ev.Attributes = append(ev.Attributes, Attribute{Key: a.Key, Value: a.Value})
		}
		res.Events = append(res.Events, ev)
	}
	return res
}

// lastJSON returns the last line of out that looks like a JSON object: the CLI may
// print a gas estimate before the result.
func lastJSON(out []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		if bytes.HasPrefix(bytes.TrimSpace(lines[i]), []byte("{")) {
			return lines[i]
		}
	}
	return out
}

func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// Height returns the latest committed height.
func (d *Devnet) Height(t testing.TB) int64 {
	t.Helper()
	h, err := d.height()
	if err != nil {
		t.Fatalf("devnet height: %v", err)
	}
	return h
}

// WaitHeight blocks until the chain reaches height h.
func (d *Devnet) WaitHeight(t testing.TB, h int64) {
	t.Helper()
	deadline := time.Now().Add(time.Duration(h-d.Height(t)+30) * 2 * time.Second)
	for d.Height(t) < h {
		if time.Now().After(deadline) {
			t.Fatalf("devnet did not reach height %d\n%s", h, d.tail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// RPCURL is the devnet's CometBFT RPC endpoint.
func (d *Devnet) RPCURL() string {
	return fmt.Sprintf("http://%s:%d", devnet.Host, d.Ports.RPC)
}

func (d *Devnet) height() (int64, error) {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(d.RPCURL() + "/status")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var st struct {
		Result struct {
			SyncInfo struct {
				LatestBlockHeight string `json:"latest_block_height"`
			} `json:"sync_info"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, err
	}
	return strconv.ParseInt(st.Result.SyncInfo.LatestBlockHeight, 10, 64)
}

// freePorts asks the kernel for four distinct free loopback ports.
func freePorts() (devnet.Ports, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ps [4]int
	for i := range ps {
		l, err := net.Listen("tcp", net.JoinHostPort(devnet.Host, "0"))
		if err != nil {
			return devnet.Ports{}, err
		}
		ls = append(ls, l)
		ps[i] = l.Addr().(*net.TCPAddr).Port
	}
	return devnet.Ports{RPC: ps[0], P2P: ps[1], GRPC: ps[2], API: ps[3]}, nil
}
