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

func TestServerAuth(t *testing.T) {
	validator, gatewayKey, staked0, stranger := secp256k1.GenPrivKey(), secp256k1.GenPrivKey(), secp256k1.GenPrivKey(), secp256k1.GenPrivKey()
	chain := &fakeChain{mg: subnettypes.QueryMetagraphResponse{Neurons: []subnettypes.NeuronInfo{
		{Uid: 0, Hotkey: addr(t, validator), ValidatorPermit: true, Stake: 10},
		{Uid: 1, Hotkey: addr(t, staked0), ValidatorPermit: true, Stake: 0},
	}}}
	cfg := Config{MaxConcurrent: 2, RequestTimeout: time.Second, MinValidatorStake: 1, Gateways: []string{addr(t, gatewayKey)}}
	model := &echoModel{}
	s := NewServer(cfg, model, chain, slog.New(slog.NewTextHandler(io.Discard, nil)))
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
			out, err := c.Query(context.Background(), srv.URL, tc.body)
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
	s := NewServer(Config{MaxConcurrent: 1, RequestTimeout: 200 * time.Millisecond, MinValidatorStake: 1}, model, chain, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := s.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := &Caller{Signer: auth.PrivKeySigner{Key: validator}}

	// The first call times out (504) while the model keeps its slot; the
	// second finds no free slot within its timeout (503).
	_, err1 := c.Query(context.Background(), srv.URL, []byte(`1`))
	_, err2 := c.Query(context.Background(), srv.URL, []byte(`2`))
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
	s := NewServer(Config{MaxConcurrent: 1, RequestTimeout: time.Second, MinValidatorStake: 1, Gateways: []string{addr(t, gw)}},
		model, &fakeChain{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if got := s.Limits().MaxBodyBytes; got != int64(task.NewClassifyShape(4).MaxRequestBytes()) {
		t.Fatalf("body limit %d, want the model's largest query", got)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	c := &Caller{Signer: auth.PrivKeySigner{Key: gw}}
	if _, err := c.Query(context.Background(), srv.URL, []byte(`{"inputs":[[1,2,3]]}`)); err == nil || !strings.Contains(err.Error(), "HTTP 400") {
		t.Fatalf("3 features for a 4-feature model: %v", err)
	}
	if model.calls.Load() != 0 {
		t.Fatal("the model ran on a misshapen query")
	}
	if _, err := c.Query(context.Background(), srv.URL, []byte(`{"inputs":[[1,2,3,4]]}`)); err != nil {
		t.Fatal(err)
	}
}
