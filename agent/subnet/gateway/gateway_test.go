package gateway

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
	"sync"
	"testing"
	"time"
)

type fakeChain struct {
	mg subnettypes.QueryMetagraphResponse
}

func (f *fakeChain) Metagraph(context.Context, uint32) (*subnettypes.QueryMetagraphResponse, error) {
	return &f.mg, nil
}

type fakeMiners struct {
	mu   sync.Mutex
	down map[string]bool
}

func (f *fakeMiners) Query(ctx context.Context, axon string, _ []byte) (json.RawMessage, error) {
	f.mu.Lock()
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
	g := New(Config{TopK: 2, Timeout: 200 * time.Millisecond, MaxConcurrent: 4, Listen: "x"}, "gw", chain, miners, slog.New(slog.NewTextHandler(io.Discard, nil)))
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
