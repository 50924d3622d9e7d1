package miner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	subnettypes "github.com/hypha-network/hypha/x/subnet/types"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/hypha-network/hypha/agent/auth"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/subnet"
	"github.com/hypha-network/hypha/agent/subnet/task"
)

type fakeChain struct {
	mg subnettypes.QueryMetagraphResponse
}

func (f *fakeChain) Metagraph(context.Context, uint32) (*subnettypes.QueryMetagraphResponse, error) {
	return &f.mg, nil
}

type echoModel struct {
	delay time.Duration
	calls atomic.Int32
}

func (m *echoModel) Answer(req json.RawMessage) (json.RawMessage, error) {
	m.calls.Add(1)
	time.Sleep(m.delay)
	if bytes.Contains(req, []byte("fail")) {
		return nil, errors.New("cannot answer")
	}
	return req, nil
}

func addr(t *testing.T, k *secp256k1.PrivKey) string {
	t.Helper()
	s, err := bech32.ConvertAndEncode("hypha", k.PubKey().Address())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// minerHotkey is the hotkey of the miners the tests run (the audience).
const minerHotkey = "hypha1minerhotkey"

func TestServerAuth(t *testing.T) {
	validator, gatewayKey, staked0, stranger := secp256k1.GenPrivKey(), secp256k1.GenPrivKey(), secp256k1.GenPrivKey(), secp256k1.GenPrivKey()
	chain := &fakeChain{mg: subnettypes.QueryMetagraphResponse{Neurons: []subnettypes.NeuronInfo{
		{Uid: 0, Hotkey: addr(t, validator), ValidatorPermit: true, Stake: 10},
		{Uid: 1, Hotkey: addr(t, staked0), ValidatorPermit: true, Stake: 0},
	}}}
	cfg := Config{MaxConcurrent: 2, RequestTimeout: time.Second, MinValidatorStake: 1, Gateways: []string{addr(t, gatewayKey)}}
	model := &echoModel{}
	s := NewServer(cfg, minerHotkey, model, chain, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	body := []byte(`{"inputs":[[1]]}`)
	cases := []struct {
		name string
		key  *secp256k1.PrivKey // nil: unsigned
		body []byte
		want int
	}{
		{"validator", validator, body, http.StatusOK},
		{"gateway", gatewayKey, body, http.StatusOK},
		{"unsigned", nil, body, http.StatusUnauthorized},
		{"stranger", stranger, body, http.StatusForbidden},
		{"permit without stake", staked0, body, http.StatusForbidden},
		{"model error", validator, []byte(`"fail"`), http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.key == nil {
				resp, err := http.Post(srv.URL+"/v1/query", "application/json", bytes.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
				}
				return
			}
			c := &Caller{Signer: auth.PrivKeySigner{Key: tc.key}}
			out, err := c.Query(context.Background(), srv.URL, minerHotkey, tc.body)
			if tc.want == http.StatusOK {
				if err != nil || !bytes.Equal(out, tc.body) {
					t.Fatalf("got %s, %v", out, err)
				}
				return
			}
			if !errors.Is(err, ErrStatus) || !strings.Contains(err.Error(), "HTTP "+strconv.Itoa(tc.want)) {
				t.Fatalf("got %v, want HTTP %d", err, tc.want)
			}
		})
	}

	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`hypha_miner_requests_total{code="200"} 2`, `hypha_miner_requests_total{code="401"} 1`, `hypha_miner_requests_total{code="403"} 2`, "# TYPE hypha_miner_in_flight gauge"} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
}

func TestServerLimits(t *testing.T) {
	validator := secp256k1.GenPrivKey()
	chain := &fakeChain{mg: subnettypes.QueryMetagraphResponse{Neurons: []subnettypes.NeuronInfo{{Hotkey: addr(t, validator), ValidatorPermit: true, Stake: 1}}}}
	model := &echoModel{delay: 800 * time.Millisecond}
	s := NewServer(Config{MaxConcurrent: 1, RequestTimeout: 200 * time.Millisecond, MinValidatorStake: 1}, minerHotkey, model, chain, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := &Caller{Signer: auth.PrivKeySigner{Key: validator}}

	// The first call times out (504) while the model keeps its slot; the
	// second finds no free slot within its timeout (503).
	_, err1 := c.Query(context.Background(), srv.URL, minerHotkey, []byte(`1`))
	_, err2 := c.Query(context.Background(), srv.URL, minerHotkey, []byte(`2`))
	if err1 == nil || !strings.Contains(err1.Error(), "HTTP 504") {
		t.Fatalf("slow model: %v, want HTTP 504", err1)
	}
	if err2 == nil || !strings.Contains(err2.Error(), "HTTP 503") {
		t.Fatalf("busy miner: %v, want HTTP 503", err2)
	}
	if n := model.calls.Load(); n != 1 {
		t.Fatalf("model ran %d times, want 1 (concurrency limit)", n)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"minimal", Config{Model: "/m", Chain: chainOf("k", 1)}, true},
		{"no model", Config{Chain: chainOf("k", 1)}, false},
		{"no key", Config{Model: "/m", Chain: chainOf("", 1)}, false},
		{"no netuid", Config{Model: "/m", Chain: chainOf("k", 0)}, false},
		{"bad gateway", Config{Model: "/m", Chain: chainOf("k", 1), Gateways: []string{"nope"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate: %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && (tc.cfg.Axon != "http://127.0.0.1:8091" || tc.cfg.MaxConcurrent != 4 || tc.cfg.Task != "classify") {
				t.Fatalf("defaults not applied: %+v", tc.cfg)
			}
		})
	}
}

func chainOf(key string, netuid uint32) subnet.Chain {
	return subnet.Chain{Config: chainclient.Config{Home: "/h", Key: key}, Netuid: netuid}
}

type shapedEcho struct{ echoModel }

func (*shapedEcho) Shape() task.Shape { return task.NewClassifyShape(4) }

func TestServerChecksShapeBeforeModel(t *testing.T) {
	gw := secp256k1.GenPrivKey()
	model := &shapedEcho{}
	hotkey := addr(t, secp256k1.GenPrivKey())
	s := NewServer(Config{MaxConcurrent: 1, RequestTimeout: time.Second, MinValidatorStake: 1, Gateways: []string{addr(t, gw)}},
		hotkey, model, &fakeChain{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if got := s.Limits().MaxBodyBytes; got != int64(task.NewClassifyShape(4).MaxRequestBytes()) {
		t.Fatalf("body limit %d, want the model's largest query", got)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := &Caller{Signer: auth.PrivKeySigner{Key: gw}}
	if _, err := c.Query(context.Background(), srv.URL, hotkey, []byte(`{"inputs":[[1,2,3]]}`)); err == nil || !strings.Contains(err.Error(), "HTTP 400") {
		t.Fatalf("3 features for a 4-feature model: %v", err)
	}
	if model.calls.Load() != 0 {
		t.Fatal("the model ran on a misshapen query")
	}
	if _, err := c.Query(context.Background(), srv.URL, hotkey, []byte(`{"inputs":[[1,2,3,4]]}`)); err != nil {
		t.Fatal(err)
	}
}

// TestQueryReplay reproduces the devnet finding: a validator's signed query,
// harvested by the miner it was sent to, is refused when that miner re-sends
// it to other miners (signed for another audience) and when it is replayed to
// the miner it was meant for (single use). Real miner servers on loopback.
func TestQueryReplay(t *testing.T) {
	validator := secp256k1.GenPrivKey()
	hotkeys := []*secp256k1.PrivKey{secp256k1.GenPrivKey(), secp256k1.GenPrivKey(), secp256k1.GenPrivKey()}
	neurons := []subnettypes.NeuronInfo{{Uid: 0, Hotkey: addr(t, validator), ValidatorPermit: true, Stake: 10}}
	for i, k := range hotkeys {
		neurons = append(neurons, subnettypes.NeuronInfo{Uid: uint32(i + 1), Hotkey: addr(t, k)})
	}
	chain := &fakeChain{mg: subnettypes.QueryMetagraphResponse{Neurons: neurons}}
	cfg := Config{MaxConcurrent: 2, RequestTimeout: time.Second, MinValidatorStake: 1}

	type captured struct {
		header http.Header
		body   []byte
	}
	var harvest []captured
	var harvestMu sync.Mutex
	models := make([]*echoModel, len(hotkeys))
	urls := make([]string, len(hotkeys))
	for i, k := range hotkeys {
		models[i] = &echoModel{}
		s := NewServer(cfg, addr(t, k), models[i], chain, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err := s.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
		h := s.Handler()
		if i == 0 { // the first miner records every query it receives
			inner := h
			h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				harvestMu.Lock()
				harvest = append(harvest, captured{r.Header.Clone(), body})
				harvestMu.Unlock()
				r.Body = io.NopCloser(bytes.NewReader(body))
				inner.ServeHTTP(w, r)
			})
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		urls[i] = srv.URL
	}

	c := &Caller{Signer: auth.PrivKeySigner{Key: validator}}
	body := []byte(`{"inputs":[[1,2,3]]}`)
	if out, err := c.Query(context.Background(), urls[0], addr(t, hotkeys[0]), body); err != nil || !bytes.Equal(out, body) {
		t.Fatalf("genuine query: %s, %v", out, err)
	}
	if len(harvest) != 1 {
		t.Fatalf("harvested %d queries, want 1", len(harvest))
	}
	resend := func(url string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, url+"/v1/query", bytes.NewReader(harvest[0].body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = harvest[0].header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		msg, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(msg)
	}
	for i := 1; i < len(urls); i++ {
		if code, msg := resend(urls[i]); code != http.StatusUnauthorized || !strings.Contains(msg, "not for this server") {
			t.Fatalf("miner %d answered a query signed for miner 0: %d %s", i, code, msg)
		}
		if n := models[i].calls.Load(); n != 0 {
			t.Fatalf("miner %d ran its model %d times on a harvested query", i, n)
		}
	}
	if code, msg := resend(urls[0]); code != http.StatusUnauthorized || !strings.Contains(msg, "already used") {
		t.Fatalf("miner 0 answered a replay: %d %s", code, msg)
	}
	if n := models[0].calls.Load(); n != 1 {
		t.Fatalf("miner 0 ran its model %d times, want 1", n)
	}
	// The validator's next query (a fresh nonce) is still answered.
	if _, err := c.Query(context.Background(), urls[0], addr(t, hotkeys[0]), body); err != nil {
		t.Fatalf("fresh query after the replay: %v", err)
	}
	// And a query signed for another miner's hotkey is refused by this one.
	if _, err := c.Query(context.Background(), urls[0], addr(t, hotkeys[1]), body); !errors.Is(err, ErrStatus) || !strings.Contains(err.Error(), "HTTP 401") {
		t.Fatalf("query signed for miner 1 sent to miner 0: %v", err)
	}
}
