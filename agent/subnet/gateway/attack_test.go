package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/hypha-network/hypha/agent/agentrun"
	"github.com/hypha-network/hypha/agent/auth"
	"github.com/hypha-network/hypha/agent/subnet/miner"
	"github.com/hypha-network/hypha/agent/subnet/task"
	subnettypes "github.com/hypha-network/hypha/x/subnet/types"
)

// shapedModel is a 4-feature classifier stand-in that counts its calls.
type shapedModel struct{ calls atomic.Int32 }

func (m *shapedModel) Answer(req json.RawMessage) (json.RawMessage, error) {
	m.calls.Add(1)
	return json.RawMessage(`{"predictions":[{"class":0,"probabilities":[1,0]}]}`), nil
}

func (m *shapedModel) Shape() task.Shape { return task.NewClassifyShape(4) }

// testbed is a real miner axon and a real gateway in front of it, both
// served by agentrun on loopback with small caps.
type testbed struct {
	gwURL, minerURL string
	gwLim, minerLim *agentrun.ConnLimiter
	model           *shapedModel
	gwKey           *secp256k1.PrivKey
}

var attackLimits = agentrun.Limits{ReadTimeout: 2 * time.Second, MaxConnsPerIP: 8, MaxConns: 48}

func serveOn(t *testing.T, h http.Handler, l agentrun.Limits) (string, *agentrun.ConnLimiter) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := agentrun.LimitListener(ln, l)
	hs := agentrun.NewServer(h, l)
	go func() { _ = hs.Serve(cl) }()
	t.Cleanup(func() { _ = hs.Close() })
	return "http://" + ln.Addr().String(), cl
}

func newTestbed(t *testing.T, gwShape task.Shape) *testbed {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tb := &testbed{model: &shapedModel{}, gwKey: secp256k1.GenPrivKey()}
	gwAddr, err := bech32.ConvertAndEncode("hypha", tb.gwKey.PubKey().Address())
	if err != nil {
		t.Fatal(err)
	}
	mcfg := miner.Config{MaxConcurrent: 2, RequestTimeout: 5 * time.Second, MinValidatorStake: 1,
		Gateways: []string{gwAddr}, Limits: attackLimits}
	ms := miner.NewServer(mcfg, "miner", tb.model, &fakeChain{}, log)
	if err := ms.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	tb.minerURL, tb.minerLim = serveOn(t, ms.Handler(), ms.Limits())

	chain := &fakeChain{mg: subnettypes.QueryMetagraphResponse{Neurons: []subnettypes.NeuronInfo{
		{Uid: 1, Hotkey: "miner", Axon: tb.minerURL, IncentiveFixed: 1 << 58}}}}
	cfg := Config{TopK: 1, Timeout: 5 * time.Second, MaxConcurrent: 4, Limits: attackLimits}
	cfg.Netuid = 1
	g := New(cfg, gwAddr, chain, &miner.Caller{Signer: auth.PrivKeySigner{Key: tb.gwKey}, HTTP: &http.Client{}}, gwShape, log)
	if err := g.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	tb.gwURL, tb.gwLim = serveOn(t, g.Handler(), g.Limits())
	return tb
}

func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// slowClient keeps a connection from ip to addr sending a POST body one byte
// at a time, reconnecting whenever the server drops it, until stop closes.
func slowClient(addr, path, ip string, stop <-chan struct{}, held *atomic.Int32) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: time.Second}
	for {
		select {
		case <-stop:
			return
		default:
		}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		held.Add(1)
		_, err = fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", path)
		for err == nil {
			select {
			case <-stop:
				err = io.EOF
			case <-time.After(300 * time.Millisecond):
				_, err = c.Write([]byte(" "))
			}
		}
		_ = c.Close()
		held.Add(-1)
		time.Sleep(100 * time.Millisecond)
	}
}

// TestSlowBodyAttack: 64 connections to the gateway and 64 to the miner, each
// trickling a request body from one of four attacker IPs, while a real client
// (another IP) keeps querying through the gateway. Every real query must get
// 200 within 5s, the server-side connections stay within the caps (8 per IP,
// 48 in all) and the process's file descriptors within baseline + the
// attackers' own sockets + the caps.
func TestSlowBodyAttack(t *testing.T) {
	if c, err := (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).Dial("tcp", "127.0.0.1:1"); err != nil &&
		strings.Contains(err.Error(), "assign requested address") {
		t.Skip("cannot bind 127.0.0.2 here")
	} else if c != nil {
		c.Close()
	}
	tb := newTestbed(t, task.NewClassifyShape(4))
	baseFDs := openFDs()
	stop := make(chan struct{})
	var held atomic.Int32
	var wg sync.WaitGroup
	const perTarget = 64
	for i := range 2 * perTarget {
		target, path := tb.gwURL, "/v1/subnets/1/query"
		if i >= perTarget {
			target, path = tb.minerURL, "/v1/query"
		}
		ip := fmt.Sprintf("127.0.0.%d", 2+i%4)
		wg.Add(1)
		go func() { defer wg.Done(); slowClient(strings.TrimPrefix(target, "http://"), path, ip, stop, &held) }()
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(time.Second) // let the attack take hold

	client := &http.Client{Timeout: 10 * time.Second}
	var answered, maxPerIP, maxTotal, maxFDs int
	var slowest time.Duration
	deadline := time.Now().Add(6 * time.Second)
	for time.Now().Before(deadline) {
		start := time.Now()
		resp, err := client.Post(tb.gwURL+"/v1/subnets/1/query", "application/json", strings.NewReader(`{"inputs":[[1,2,3,4]]}`))
		if err != nil {
			t.Fatalf("real query during the attack: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("real query during the attack: HTTP %d %s", resp.StatusCode, b)
		}
		answered++
		slowest = max(slowest, time.Since(start))
		for _, lim := range []*agentrun.ConnLimiter{tb.gwLim, tb.minerLim} {
			for k := 2; k < 6; k++ {
				total, fromIP := lim.Open(fmt.Sprintf("127.0.0.%d", k))
				maxPerIP, maxTotal = max(maxPerIP, fromIP), max(maxTotal, total)
			}
		}
		maxFDs = max(maxFDs, openFDs())
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%d real queries answered 200 during the attack, slowest %v; server conns max %d per IP, %d per server; "+
		"refused gateway %d, miner %d; fds %d → max %d (attacker sockets ≤ %d)",
		answered, slowest, maxPerIP, maxTotal, tb.gwLim.Refused(), tb.minerLim.Refused(), baseFDs, maxFDs, 2*perTarget)
	if slowest > 5*time.Second || answered < 10 {
		t.Fatalf("real queries: %d answered, slowest %v", answered, slowest)
	}
	if maxPerIP > attackLimits.MaxConnsPerIP || maxTotal > attackLimits.MaxConns {
		t.Fatalf("server connections %d per IP, %d in all: over the caps %d, %d", maxPerIP, maxTotal, attackLimits.MaxConnsPerIP, attackLimits.MaxConns)
	}
	if tb.gwLim.Refused() == 0 || tb.minerLim.Refused() == 0 {
		t.Fatal("the connection caps were never hit")
	}
	if limit := baseFDs + 2*perTarget + 2*attackLimits.MaxConns + 32; maxFDs > limit {
		t.Fatalf("open fds %d, over %d", maxFDs, limit)
	}
	if tb.model.calls.Load() == 0 {
		t.Fatal("the real queries never reached the miner's model")
	}
}

// bogusQuery is the finding's query: one input of n features ("0," each).
func bogusQuery(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"inputs":[[`)
	b.WriteString(strings.Repeat("0,", n-1))
	b.WriteString(`0]]}`)
	return b.Bytes()
}

// allocDuring returns the bytes allocated (TotalAlloc) while fn runs.
func allocDuring(fn func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	fn()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

func post(t *testing.T, url string, body []byte, signer auth.Signer) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	if signer != nil {
		if err := auth.SignRequest(signer, req, body, "miner", time.Now()); err != nil { // the testbed miner's hotkey
			t.Error(err)
			return 0
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// A server may close the connection after a 413 while the body is
		// still being sent; that is a refusal too.
		return http.StatusRequestEntityTooLarge
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestAmplificationQuery: the 3.8 MB query of one input with 1.9 M features,
// three at once, to a gateway that knows the task's shape, to one that does
// not, and straight to a miner (signed by an allowed gateway). Each is refused
// (400/413, or 502 from the unconfigured gateway, whose miner refuses it) and
// the model never runs; the allocations of the whole round stay under 64 MB
// (the shape-aware ones) and 160 MB (the shapeless gateway, which must
// read and forward the body: about ten times its size for three).
func TestAmplificationQuery(t *testing.T) {
	body := bogusQuery(1_900_000)
	t.Logf("query: %d bytes", len(body))
	run := func(name string, n int, url string, body []byte, signer auth.Signer, ok map[int]bool, bound uint64, tb *testbed) {
		alloc := allocDuring(func() {
			var wg sync.WaitGroup
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if code := post(t, url, body, signer); !ok[code] {
						t.Errorf("%s: HTTP %d", name, code)
					}
				}()
			}
			wg.Wait()
		})
		t.Logf("%s: %d queries allocated %.1f MB (bound %d MB)", name, n, float64(alloc)/(1<<20), bound>>20)
		if alloc > bound {
			t.Errorf("%s: allocated %d bytes, over %d", name, alloc, bound)
		}
		if c := tb.model.calls.Load(); c != 0 {
			t.Errorf("%s: the model ran %d times", name, c)
		}
	}
	refused := map[int]bool{400: true, 413: true}
	tb := newTestbed(t, task.NewClassifyShape(4))
	run("gateway with the task's shape", 3, tb.gwURL+"/v1/subnets/1/query", body, nil, refused, 64<<20, tb)
	run("miner", 3, tb.minerURL+"/v1/query", body, auth.PrivKeySigner{Key: tb.gwKey}, refused, 64<<20, tb)
	// Within the body limit of a 64-feature model (1.6 MB), 700 k features
	// are refused by counting, without decoding them.
	wide := newTestbed(t, task.NewClassifyShape(64))
	run("gateway, 1.4 MB within the body limit", 3, wide.gwURL+"/v1/subnets/1/query", bogusQuery(700_000), nil, map[int]bool{400: true}, 64<<20, wide)
	shapeless := newTestbed(t, task.NewClassifyShape(0))
	run("gateway without a data source", 3, shapeless.gwURL+"/v1/subnets/1/query", body, nil, map[int]bool{502: true}, 160<<20, shapeless)
	if code := post(t, tb.gwURL+"/v1/subnets/1/query", []byte(`{"inputs":[[1,2,3,4]]}`), nil); code != 200 {
		t.Fatalf("valid query after the bogus ones: HTTP %d", code)
	}
}
