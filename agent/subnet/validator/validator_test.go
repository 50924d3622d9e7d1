package validator

import (
	"context"
	"encoding/json"
	"errors"
	subnettypes "github.com/hypha-network/hypha/x/subnet/types"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/subnet"
	"github.com/hypha-network/hypha/agent/subnet/task"
)

// fixedChallenge expects the answer "good"; "half" scores 0.5.
type fixedChallenge struct{}

func (fixedChallenge) Request() json.RawMessage { return json.RawMessage(`{}`) }
func (fixedChallenge) Score(a json.RawMessage) (task.Score, error) {
	switch string(a) {
	case `"good"`:
		return task.Score{Quality: 1}, nil
	case `"half"`:
		return task.Score{Quality: 0.5}, nil
	}
	return task.Score{}, task.ErrBadAnswer
}

type fixedChallenger struct{}

func (fixedChallenger) Challenge(*rand.Rand, int) (task.Challenge, error) {
	return fixedChallenge{}, nil
}

// axonQuerier answers by axon: "good", "half", "garbage", "error" or "hang".
type axonQuerier struct{}

func (axonQuerier) Query(ctx context.Context, axon, _ string, _ []byte) ([]byte, error) {
	switch axon {
	case "http://good":
		return []byte(`"good"`), nil
	case "http://half":
		return []byte(`"half"`), nil
	case "http://garbage":
		return []byte(`{"predictions":"lol"}`), nil
	case "http://hang":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, errors.New("connection refused")
}

func TestScorerRound(t *testing.T) {
	lw := 0.0
	cfg := Config{Samples: 1, Timeout: 200 * time.Millisecond, Alpha: 0.5, LatencyWeight: &lw, Chain: subnet.Chain{Netuid: 1}}
	s := NewScorer(cfg, fixedChallenger{}, axonQuerier{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	neurons := []subnettypes.NeuronInfo{
		{Uid: 0, Hotkey: "self", Axon: "http://good"},
		{Uid: 1, Hotkey: "a", Axon: "http://good"},
		{Uid: 2, Hotkey: "b", Axon: "http://half"},
		{Uid: 3, Hotkey: "c", Axon: "http://garbage"},
		{Uid: 4, Hotkey: "d", Axon: "http://hang"},
		{Uid: 5, Hotkey: "e", Axon: "http://down"},
		{Uid: 6, Hotkey: "f", Axon: ""},
	}
	start := time.Now()
	res, err := s.Round(context.Background(), neurons, "self")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("a hanging miner held the round for %v", d)
	}
	if len(res) != 5 {
		t.Fatalf("%d results, want 5 (self and the axon-less uid skipped)", len(res))
	}
	want := map[uint32]float64{1: 1, 2: 0.5, 3: 0, 4: 0, 5: 0}
	for uid, w := range want {
		if got := s.EMA()[uid]; got != w {
			t.Errorf("uid %d: ema %v, want %v", uid, got, w)
		}
	}
	uids, values := s.Weights(neurons)
	if len(uids) != 2 || uids[0] != 1 || uids[1] != 2 || values[0] != 65535 || values[1] != 32768 {
		t.Fatalf("weights %v %v, want [1 2] [65535 32768]", uids, values)
	}

	// Miner 1 turns to garbage: its average halves each round and falls below
	// the honest half-quality miner after two rounds.
	neurons[1].Axon = "http://garbage"
	for range 2 {
		if _, err := s.Round(context.Background(), neurons, "self"); err != nil {
			t.Fatal(err)
		}
	}
	if e := s.EMA(); !(e[1] < e[2]) {
		t.Fatalf("after two garbage rounds uid 1 has %v, uid 2 %v", e[1], e[2])
	}

	// A new hotkey on uid 2 starts afresh.
	neurons[2].Hotkey = "b2"
	neurons[2].Axon = "http://down"
	if _, err := s.Round(context.Background(), neurons, "self"); err != nil {
		t.Fatal(err)
	}
	if e := s.EMA()[2]; e != 0 {
		t.Fatalf("replaced uid kept its average: %v", e)
	}
}

func TestLatencyPenalty(t *testing.T) {
	lw := 0.5
	cfg := Config{Samples: 1, Timeout: 100 * time.Millisecond, Alpha: 1, LatencyWeight: &lw}
	s := NewScorer(cfg, fixedChallenger{}, slowQuerier{60 * time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := s.Round(context.Background(), []subnettypes.NeuronInfo{{Uid: 1, Hotkey: "a", Axon: "http://x"}}, "self"); err != nil {
		t.Fatal(err)
	}
	if e := s.EMA()[1]; !(e < 0.75 && e > 0.5) {
		t.Fatalf("score %v for a 60%%-of-deadline answer, want in (0.5, 0.75)", e)
	}
}

type slowQuerier struct{ d time.Duration }

func (q slowQuerier) Query(context.Context, string, string, []byte) ([]byte, error) {
	time.Sleep(q.d)
	return []byte(`"good"`), nil
}

func TestConfigValidate(t *testing.T) {
	bad := 2.0
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"minimal", Config{Data: "spec.yaml", Chain: subnet.Chain{Config: chainclient.Config{Home: "/h", Key: "k"}, Netuid: 1}}, true},
		{"no data", Config{Chain: subnet.Chain{Config: chainclient.Config{Home: "/h", Key: "k"}, Netuid: 1}}, false},
		{"bad alpha", Config{Data: "s", Alpha: 1.5, Chain: subnet.Chain{Config: chainclient.Config{Home: "/h", Key: "k"}, Netuid: 1}}, false},
		{"bad latency weight", Config{Data: "s", LatencyWeight: &bad, Chain: subnet.Chain{Config: chainclient.Config{Home: "/h", Key: "k"}, Netuid: 1}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestBlocksLeft(t *testing.T) {
	// tempo 10, netuid 1: intervals of 11 blocks starting at 9, 20, 31, …;
	// a commit at h in [9, 19] reveals in [20, 30] (period 1) or [31, 41] (period 2).
	cases := []struct {
		h, start, end, want int64
	}{
		{9, 20, 30, 11},
		{15, 20, 30, 5},
		{19, 20, 30, 1},
		{19, 31, 41, 1},
		{9, 31, 41, 11},
		{20, 31, 41, 11},
		{5, 0, -1, 0},
	}
	for _, tc := range cases {
		if got := blocksLeft(tc.h, tc.start, tc.end); got != tc.want {
			t.Errorf("blocksLeft(%d, %d, %d) = %d, want %d", tc.h, tc.start, tc.end, got, tc.want)
		}
	}
}

func TestHangingMinerSkippedWhileInFlight(t *testing.T) {
	lw := 0.0
	cfg := Config{Samples: 1, Timeout: 500 * time.Millisecond, Alpha: 0.5, LatencyWeight: &lw}
	s := NewScorer(cfg, fixedChallenger{}, axonQuerier{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	neurons := []subnettypes.NeuronInfo{{Uid: 1, Hotkey: "a", Axon: "http://hang"}, {Uid: 2, Hotkey: "b", Axon: "http://good"}}
	first := make(chan []Result)
	go func() {
		res, _ := s.Round(context.Background(), neurons, "self")
		first <- res
	}()
	time.Sleep(50 * time.Millisecond)
	if e, ok := s.EMA()[2]; !ok || e != 1 {
		t.Fatalf("the good miner's score waited for the hanging one: ema %v, %v", e, ok)
	}
	start := time.Now()
	res, err := s.Round(context.Background(), neurons, "self")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 200*time.Millisecond || len(res) != 1 || res[0].UID != 2 {
		t.Fatalf("second round took %v with %+v; want only uid 2, at once", d, res)
	}
	if r := <-first; len(r) != 2 {
		t.Fatalf("first round: %+v", r)
	}
	if e := s.EMA()[1]; e != 0 {
		t.Fatalf("hanging miner ema %v, want 0", e)
	}
}
