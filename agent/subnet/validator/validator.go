// Package validator is the subnet validator agent. It keeps querying every
// miner of its subnet with held-out challenges, scores the answers, keeps an
// exponential moving average (EMA) of each uid's score, and each tempo commits
// then reveals weights proportional to those averages.
//
// Scoring: a round starts every interval and sends the same challenge to
// every miner concurrently with a deadline (a miner still busy with an
// earlier round's call is skipped, so hanging miners slow nobody). An answer
// scores
//
//	quality × (1 − latency_weight × min(1, latency / timeout))
//
// where quality in [0, 1] comes from the task (see package task); a timeout, a
// refused or failed call, or a malformed answer scores 0. The uid's EMA is
// ema ← alpha·score + (1−alpha)·ema, starting from its first score, and is
// reset when the uid changes hotkey. Weights are round(ema × 65535) for every
// other uid with a non-zero weight; they are committed in the last commit_lead
// blocks of a tempo interval and revealed as early as possible in the window.
package validator

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	subnettypes "github.com/hypha-network/hypha/x/subnet/types"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hypha-network/hypha/agent/agentrun"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/metrics"
	"github.com/hypha-network/hypha/agent/subnet"
	"github.com/hypha-network/hypha/agent/subnet/miner"
	"github.com/hypha-network/hypha/agent/subnet/task"
)

// Config is a validator's YAML config.
type Config struct {
	subnet.Chain `yaml:",inline"`
	// Task is the subnet's task name (default "classify").
	Task string `yaml:"task"`
	// Data is the task's challenge source (for classify: a training spec whose
	// eval split is held out).
	Data string `yaml:"data"`
	// Samples is the number of examples in one challenge (default 32).
	Samples int `yaml:"samples"`
	// Interval is the pause between scoring rounds (default 2s).
	Interval time.Duration `yaml:"interval"`
	// Timeout is the deadline of one miner call (default 5s).
	Timeout time.Duration `yaml:"timeout"`
	// Alpha is the EMA factor in (0, 1] (default 0.3).
	Alpha float64 `yaml:"alpha"`
	// LatencyWeight in [0, 1] is the share of the score lost by an answer at
	// the deadline (default 0.2).
	LatencyWeight *float64 `yaml:"latency_weight"`
	// CommitLead is how many blocks before the end of a tempo interval the
	// weights are committed (default 4): committing late makes the revealed
	// weights as fresh as commit-reveal allows.
	CommitLead int `yaml:"commit_lead"`
	// MaxBurn is the most uhyp burnt to register the hotkey if needed (default 100 HYP).
	MaxBurn uint64 `yaml:"max_burn"`
	// MetricsListen optionally serves Prometheus metrics at this address.
	MetricsListen string `yaml:"metrics_listen"`
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if err := c.Chain.Validate(); err != nil {
		return err
	}
	if c.Task == "" {
		c.Task = "classify"
	}
	if c.Data == "" {
		return errors.New("validator config: data is required (for classify: a training spec with an eval split)")
	}
	c.Data = chainclient.ExpandHome(c.Data)
	if c.Samples <= 0 {
		c.Samples = 32
	}
	if c.Interval <= 0 {
		c.Interval = 2 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Alpha == 0 {
		c.Alpha = 0.3
	}
	if c.Alpha < 0 || c.Alpha > 1 {
		return fmt.Errorf("validator config: alpha %v must be in (0, 1]", c.Alpha)
	}
	if c.LatencyWeight == nil {
		lw := 0.2
		c.LatencyWeight = &lw
	}
	if *c.LatencyWeight < 0 || *c.LatencyWeight > 1 {
		return fmt.Errorf("validator config: latency_weight %v must be in [0, 1]", *c.LatencyWeight)
	}
	if c.MaxBurn == 0 {
		c.MaxBurn = 100_000_000
	}
	if c.CommitLead <= 0 {
		c.CommitLead = 4
	}
	return nil
}

// Querier calls a miner's axon; hotkey is the miner's hotkey, the audience
// the query is signed for.
type Querier interface {
	Query(ctx context.Context, axon, hotkey string, request []byte) ([]byte, error)
}

type callerQuerier struct{ c *miner.Caller }

func (q callerQuerier) Query(ctx context.Context, axon, hotkey string, request []byte) ([]byte, error) {
	return q.c.Query(ctx, axon, hotkey, request)
}

// Scorer keeps per-uid moving averages of miner scores.
type Scorer struct {
	cfg        Config
	challenger task.Challenger
	querier    Querier
	rng        *rand.Rand
	metrics    *metrics.Registry
	log        *slog.Logger

	mu       sync.Mutex
	ema      map[uint32]float64
	hotkey   map[uint32]string
	inflight map[uint32]bool
}

// NewScorer returns a scorer for a validated config.
func NewScorer(cfg Config, ch task.Challenger, q Querier, log *slog.Logger) *Scorer {
	var seed [16]byte
	_, _ = crand.Read(seed[:])
	s := &Scorer{
		cfg: cfg, challenger: ch, querier: q, log: log, metrics: metrics.New(),
		rng: rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:]))),
		ema: map[uint32]float64{}, hotkey: map[uint32]string{}, inflight: map[uint32]bool{},
	}
	s.metrics.Describe("hypha_validator_rounds_total", "counter", "Scoring rounds run.")
	s.metrics.Describe("hypha_validator_calls_total", "counter", "Miner calls, by outcome (ok, error, bad_answer).")
	s.metrics.Describe("hypha_validator_score_ema", "gauge", "Moving average score per uid.")
	s.metrics.Describe("hypha_validator_weight_txs_total", "counter", "Weight transactions, by kind and outcome.")
	return s
}

// Metrics returns the scorer's registry.
func (s *Scorer) Metrics() *metrics.Registry { return s.metrics }

// Result is one miner's outcome in a round.
type Result struct {
	UID     uint32
	Score   float64
	Latency time.Duration
	Err     error
}

// Round challenges every neuron except self that advertises an http(s) axon,
// concurrently, and folds each score into the uid's EMA as soon as it is in,
// so a slow miner delays nobody else. A uid whose call from an earlier round
// is still running is skipped. Round returns when its calls are done.
func (s *Scorer) Round(ctx context.Context, neurons []subnettypes.NeuronInfo, self string) ([]Result, error) {
	s.mu.Lock()
	ch, err := s.challenger.Challenge(s.rng, s.cfg.Samples)
	var targets []subnettypes.NeuronInfo
	if err == nil {
		for _, n := range neurons {
			if n.Hotkey == self || !(strings.HasPrefix(n.Axon, "http://") || strings.HasPrefix(n.Axon, "https://")) || s.inflight[n.Uid] {
				continue
			}
			s.inflight[n.Uid] = true
			targets = append(targets, n)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("validator: make a challenge: %w", err)
	}
	results := make([]Result, len(targets))
	var wg sync.WaitGroup
	for i, n := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.record(n, s.call(ctx, ch, n))
		}()
	}
	wg.Wait()
	s.metrics.Add("hypha_validator_rounds_total", 1)
	return results, nil
}

// record applies the latency penalty to r and folds it into n's EMA.
func (s *Scorer) record(n subnettypes.NeuronInfo, r Result) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.inflight, n.Uid)
	if s.hotkey[n.Uid] != n.Hotkey {
		delete(s.ema, n.Uid)
		s.hotkey[n.Uid] = n.Hotkey
	}
	if r.Err == nil {
		frac := math.Min(1, float64(r.Latency)/float64(s.cfg.Timeout))
		r.Score *= 1 - *s.cfg.LatencyWeight*frac
	}
	if prev, ok := s.ema[n.Uid]; ok {
		s.ema[n.Uid] = s.cfg.Alpha*r.Score + (1-s.cfg.Alpha)*prev
	} else {
		s.ema[n.Uid] = r.Score
	}
	s.metrics.Set("hypha_validator_score_ema", s.ema[n.Uid], "uid", strconv.Itoa(int(n.Uid)))
	return r
}

func (s *Scorer) call(ctx context.Context, ch task.Challenge, n subnettypes.NeuronInfo) Result {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	start := time.Now()
	ans, err := s.querier.Query(ctx, n.Axon, n.Hotkey, ch.Request())
	r := Result{UID: n.Uid, Latency: time.Since(start)}
	if err != nil {
		r.Err = err
		s.metrics.Add("hypha_validator_calls_total", 1, "outcome", "error")
		return r
	}
	sc, err := ch.Score(ans)
	if err != nil {
		r.Err = err
		s.metrics.Add("hypha_validator_calls_total", 1, "outcome", "bad_answer")
		return r
	}
	r.Score = sc.Quality
	s.metrics.Add("hypha_validator_calls_total", 1, "outcome", "ok")
	return r
}

// Weights returns the uids (increasing) and weights from the current EMAs,
// leaving out zeros and uids no longer in neurons.
func (s *Scorer) Weights(neurons []subnettypes.NeuronInfo) (uids, values []uint32) {
	live := map[uint32]string{}
	for _, n := range neurons {
		live[n.Uid] = n.Hotkey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for uid, e := range s.ema {
		if hk, ok := live[uid]; !ok || hk != s.hotkey[uid] {
			continue
		}
		if w := uint32(math.Round(math.Min(1, math.Max(0, e)) * 65535)); w > 0 {
			uids = append(uids, uid)
		}
	}
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	for _, uid := range uids {
		values = append(values, uint32(math.Round(math.Min(1, math.Max(0, s.ema[uid]))*65535)))
	}
	return uids, values
}

// EMA returns a copy of the moving averages.
func (s *Scorer) EMA() map[uint32]float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[uint32]float64, len(s.ema))
	for k, v := range s.ema {
		out[k] = v
	}
	return out
}

// pendingCommit is a commitment this process made and must reveal.
type pendingCommit struct {
	uids, values []uint32
	salt         []byte
	start, end   int64
}

func joinU32(v []uint32) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatUint(uint64(x), 10)
	}
	return strings.Join(s, ",")
}

// Run scores miners and sets weights until ctx is done.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	ch, err := task.LoadChallenger(cfg.Task, cfg.Data)
	if err != nil {
		return err
	}
	signer, client, err := agentrun.Connect(ctx, cfg.Chain.Config)
	if err != nil {
		return err
	}
	self := signer.Bech32()
	if _, err := client.FindNeuron(ctx, cfg.Netuid, self); errors.Is(err, chainclient.ErrNotFound) {
		log.Info("registering", "netuid", cfg.Netuid, "hotkey", self)
		txCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
		_, err := client.Broadcast(txCtx, &subnettypes.MsgRegister{Hotkey: self, Netuid: cfg.Netuid, MaxBurn: cfg.MaxBurn})
		cancel()
		if err != nil {
			return fmt.Errorf("validator: register on subnet %d: %w", cfg.Netuid, err)
		}
	} else if err != nil {
		return err
	}
	caller := &miner.Caller{Signer: signer, HTTP: &http.Client{}}
	sc := NewScorer(cfg, ch, callerQuerier{caller}, log)
	if cfg.MetricsListen != "" {
		stop, err := agentrun.Background("validator metrics", cfg.MetricsListen, sc.Metrics())
		if err != nil {
			return err
		}
		defer stop()
	}
	log.Info("validator running", "netuid", cfg.Netuid, "hotkey", self, "task", cfg.Task, "data", cfg.Data)

	var (
		mu      sync.Mutex
		neurons []subnettypes.NeuronInfo
	)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // scoring loop: a round starts every interval, whatever the stragglers
		defer wg.Done()
		var rounds sync.WaitGroup
		defer rounds.Wait()
		for ctx.Err() == nil {
			mg, err := client.Metagraph(ctx, cfg.Netuid)
			if err != nil {
				log.Warn("read metagraph", "err", err)
			} else {
				mu.Lock()
				neurons = mg.Neurons
				mu.Unlock()
				rounds.Add(1)
				go func() {
					defer rounds.Done()
					res, err := sc.Round(ctx, mg.Neurons, self)
					if err != nil {
						log.Warn("scoring round", "err", err)
					}
					for _, r := range res {
						if r.Err != nil {
							log.Info("miner failed", "uid", r.UID, "latency", r.Latency.Round(time.Millisecond), "err", r.Err)
						} else {
							log.Debug("miner scored", "uid", r.UID, "score", r.Score, "latency", r.Latency.Round(time.Millisecond))
						}
					}
				}()
			}
			select {
			case <-ctx.Done():
			case <-time.After(cfg.Interval):
			}
		}
	}()

	// Weight loop: commit, reveal in the window, commit again.
	var pending *pendingCommit
	for ctx.Err() == nil {
		mu.Lock()
		ns := neurons
		mu.Unlock()
		if err := stepWeights(ctx, client, cfg, self, sc, ns, &pending, log); err != nil {
			log.Warn("weights", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	wg.Wait()
	return nil
}

// blocksLeft returns how many blocks remain in the tempo interval containing h
// (1 at its last block), given the reveal window [start, end] of a commit made
// at h: intervals are end-start+1 blocks long and start on the window's start.
func blocksLeft(h, start, end int64) int64 {
	l := end - start + 1
	if l <= 0 || start <= h {
		return 0
	}
	return (start-h-1)%l + 1
}

func stepWeights(ctx context.Context, client *chainclient.Client, cfg Config, self string, sc *Scorer,
	neurons []subnettypes.NeuronInfo, pending **pendingCommit, log *slog.Logger) error {
	rw, err := client.RevealWindow(ctx, cfg.Netuid, self)
	if err != nil {
		return err
	}
	h := int64(rw.Height)
	if p := *pending; p != nil {
		switch {
		case h < p.start:
			return nil
		case h > p.end:
			log.Warn("missed the reveal window; committing afresh", "start", p.start, "end", p.end, "height", h)
			*pending = nil
		default:
			txCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			_, err := client.Broadcast(txCtx, &subnettypes.MsgRevealWeights{Hotkey: self, Netuid: cfg.Netuid,
				Uids: p.uids, Values: p.values, Salt: p.salt})
			cancel()
			if err != nil {
				sc.metrics.Add("hypha_validator_weight_txs_total", 1, "kind", "reveal", "outcome", "error")
				return fmt.Errorf("reveal: %w", err)
			}
			sc.metrics.Add("hypha_validator_weight_txs_total", 1, "kind", "reveal", "outcome", "ok")
			log.Info("revealed weights", "uids", joinU32(p.uids), "weights", joinU32(p.values))
			*pending = nil
			return nil
		}
	}
	if rw.Pending != nil && int64(rw.Pending.RevealEnd) >= h {
		// A commit this process cannot reveal (e.g. made before a restart): wait it out.
		return nil
	}
	if left := blocksLeft(h, int64(rw.RevealStartIfCommittedNow), int64(rw.RevealEndIfCommittedNow)); left > int64(cfg.CommitLead) {
		return nil // commit near the end of the interval, with the freshest scores
	}
	uids, values := sc.Weights(neurons)
	if len(uids) == 0 {
		return nil
	}
	salt := make([]byte, 16)
	_, _ = crand.Read(salt)
	p := &pendingCommit{uids: uids, values: values, salt: salt}
	txCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	_, err = client.Broadcast(txCtx, &subnettypes.MsgCommitWeights{Hotkey: self, Netuid: cfg.Netuid,
		Hash: subnettypes.WeightsHash(cfg.Netuid, client.AccAddress(), uids, values, salt)})
	cancel()
	if err != nil {
		sc.metrics.Add("hypha_validator_weight_txs_total", 1, "kind", "commit", "outcome", "error")
		return fmt.Errorf("commit: %w", err)
	}
	sc.metrics.Add("hypha_validator_weight_txs_total", 1, "kind", "commit", "outcome", "ok")
	after, err := client.RevealWindow(ctx, cfg.Netuid, self)
	if err != nil || after.Pending == nil {
		return fmt.Errorf("committed, but cannot read the reveal window: %v", err)
	}
	p.start, p.end = int64(after.Pending.RevealStart), int64(after.Pending.RevealEnd)
	*pending = p
	log.Info("committed weights", "uids", joinU32(uids), "weights", joinU32(values), "reveal_start", p.start, "reveal_end", p.end)
	return nil
}
