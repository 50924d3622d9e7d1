package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypha-network/hypha/agent/subnet/task"
	subnettypes "github.com/hypha-network/hypha/x/subnet/types"
)

type fakeChain struct {
	mg subnettypes.QueryMetagraphResponse
}

func (f *fakeChain) Metagraph(context.Context, uint32) (*subnettypes.QueryMetagraphResponse, error) {
	return &f.mg, nil
}

type fakeMiners struct {
	mu    sync.Mutex
	down  map[string]bool
	calls int
}

func (f *fakeMiners) Query(ctx context.Context, axon, _ string, _ []byte) (json.RawMessage, error) {
	f.mu.Lock()
	f.calls++
	down := f.down[axon]
	f.mu.Unlock()
	switch {
	case down:
		return nil, errors.New("connection refused")
	case axon == "http://hang":
		<-ctx.Done()
		return nil, ctx.Err()
	case axon == "http://garbage":
		return json.RawMessage(`not json`), nil
	}
	return json.RawMessage(`{"from":"` + axon + `"}`), nil
}

func TestRank(t *testing.T) {
	ns := []subnettypes.NeuronInfo{
		{Uid: 0, Hotkey: "gw", Axon: "http://gw", IncentiveFixed: 9 << 58},
		{Uid: 1, Axon: "http://a", IncentiveFixed: 1 << 58},
		{Uid: 2, Axon: "http://b", IncentiveFixed: 5 << 58},
		{Uid: 3, Axon: "http://c", IncentiveFixed: 1 << 58},
		{Uid: 4, Axon: "", IncentiveFixed: 9 << 58},
	}
	got := Rank(ns, "gw")
	var uids []uint32
	for _, n := range got {
		uids = append(uids, n.Uid)
	}
	if len(uids) != 3 || uids[0] != 2 || uids[1] != 1 || uids[2] != 3 {
		t.Fatalf("ranking %v, want [2 1 3]", uids)
	}
}

func TestRouteFallback(t *testing.T) {
	chain := &fakeChain{mg: subnettypes.QueryMetagraphResponse{Neurons: []subnettypes.NeuronInfo{
		{Uid: 1, Hotkey: "h1", Axon: "http://best", IncentiveFixed: 6 << 58},
		{Uid: 2, Hotkey: "h2", Axon: "http://second", IncentiveFixed: 3 << 58},
		{Uid: 3, Hotkey: "h3", Axon: "http://third", IncentiveFixed: 1 << 58},
	}}}
	miners := &fakeMiners{down: map[string]bool{}}
	g := New(Config{TopK: 2, Timeout: 200 * time.Millisecond, MaxConcurrent: 4, Listen: "x"}, "gw", chain, miners, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	g.cfg.Netuid = 1
	if err := g.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()

	query := func() (string, int) {
		resp, err := http.Post(srv.URL+"/v1/subnets/1/query", "application/json", bytes.NewReader([]byte(`{"inputs":[[1]]}`)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return resp.Header.Get("Hypha-Miner-Uid"), resp.StatusCode
	}
	cases := []struct {
		name    string
		down    []string
		axonOf3 string
		wantUID string
		code    int
	}{
		{"best answers", nil, "http://third", "1", 200},
		{"best down: second", []string{"http://best"}, "http://third", "2", 200},
		{"top k down: next batch", []string{"http://best", "http://second"}, "http://third", "3", 200},
		{"garbage is skipped", []string{"http://best", "http://second"}, "http://garbage", "", 502},
		{"hanging is bounded", []string{"http://best", "http://second"}, "http://hang", "", 502},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			miners.mu.Lock()
			miners.down = map[string]bool{}
			for _, d := range tc.down {
				miners.down[d] = true
			}
			miners.mu.Unlock()
			chain.mg.Neurons[2].Axon = tc.axonOf3
			if err := g.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			uid, code := query()
			if uid != tc.wantUID || code != tc.code {
				t.Fatalf("answered by uid %q with %d, want %q with %d", uid, code, tc.wantUID, tc.code)
			}
		})
	}
	resp, err := http.Post(srv.URL+"/v1/subnets/1/query", "application/json", bytes.NewReader([]byte(`{bad`)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("malformed query: %d, want 400", resp.StatusCode)
	}
}

// TestQueryValidation checks that queries that do not fit the subnet's task
// are refused before any miner is called, and count against no miner.
func TestQueryValidation(t *testing.T) {
	chain := &fakeChain{mg: subnettypes.QueryMetagraphResponse{Neurons: []subnettypes.NeuronInfo{
		{Uid: 1, Hotkey: "h1", Axon: "http://best", IncentiveFixed: 6 << 58},
		{Uid: 2, Hotkey: "h2", Axon: "http://second", IncentiveFixed: 3 << 58},
	}}}
	miners := &fakeMiners{down: map[string]bool{}}
	shape := task.NewClassifyShape(64)
	g := New(Config{TopK: 2, Timeout: time.Second, MaxConcurrent: 4, Listen: "x"}, "gw", chain, miners, shape,
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	g.cfg.Netuid = 1
	if err := g.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()
	row := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("8,", n), ",") + "]" }
	post := func(body string) (int, string) {
		resp, err := http.Post(srv.URL+"/v1/subnets/1/query", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	cases := []struct {
		name string
		body string
		code int
		msg  string
	}{
		{"3 features for a 64-feature model", `{"inputs":[` + row(3) + `]}`, 400, "input 0 has 3 features; this subnet's model takes 64"},
		{"second input short", `{"inputs":[` + row(64) + `,` + row(63) + `]}`, 400, "input 1 has 63 features"},
		{"no inputs", `{"inputs":[]}`, 400, "0 inputs"},
		{"not a classify query", `{"prompts":["ab"],"length":2}`, 400, "0 inputs"},
		{"too many inputs", `{"inputs":[` + strings.TrimSuffix(strings.Repeat(row(1)+",", task.MaxClassifyInputs+1), ",") + `]}`, 400, "1025 inputs"},
		{"wrong types", `{"inputs":[["a"]]}`, 400, "the query must be"},
		{"not JSON", `{bad`, 400, "JSON"},
		{"larger than the task's largest query", `{"inputs":[` + row(shape.MaxRequestBytes()/2) + `]}`, 413, "exceeds"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(tc.body)
			if code != tc.code || !strings.Contains(body, tc.msg) {
				t.Fatalf("HTTP %d %s, want %d mentioning %q", code, body, tc.code, tc.msg)
			}
		})
	}
	miners.mu.Lock()
	calls := miners.calls
	miners.mu.Unlock()
	if calls != 0 {
		t.Fatalf("rejected queries made %d miner calls", calls)
	}
	for _, uid := range []string{"1", "2"} {
		for _, outcome := range []string{"ok", "error"} {
			if v := g.metrics.Get("hypha_gateway_miner_calls_total", "uid", uid, "outcome", outcome); v != 0 {
				t.Fatalf("miner %s %s calls %v after rejected queries", uid, outcome, v)
			}
		}
	}
	if got := g.metrics.Get("hypha_gateway_requests_total", "code", "400"); got != float64(len(cases)-1) {
		t.Fatalf("400s counted %v, want %d", got, len(cases)-1)
	}
	if code, body := post(`{"inputs":[` + row(64) + `,` + row(64) + `]}`); code != 200 || !strings.Contains(body, "best") {
		t.Fatalf("valid query: HTTP %d %s", code, body)
	}
}
