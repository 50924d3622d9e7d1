// Package gateway is the consumer-facing endpoint of a subnet: it routes each
// query to the subnet's best miners and returns one answer.
//
// Routing rule: miners (neurons with an http(s) axon, other than the gateway's
// own hotkey) are ranked by incentive at the last epoch, highest first, ties
// by lower uid. A query goes concurrently to the top k; the answer returned is
// that of the highest-ranked miner that answers with HTTP 200 and valid JSON
// within the deadline. If all k fail, the next k are tried, and so on; if every
// miner fails the gateway answers 502. The chosen miner is named in the
// Hypha-Miner-Uid and Hypha-Miner-Hotkey response headers.
//
// A query is first checked against the subnet's task (see task.Shape): a body
// larger than the task's largest query gets 413 and a query that does not fit
// it (e.g. the wrong number of features for the subnet's model) gets 400, in
// both cases without calling any miner.
//
// Endpoints:
//
//	POST /v1/subnets/{netuid}/query   the task's request JSON → the best miner's answer
//	GET  /v1/subnets/{netuid}/miners  the current ranking
//	GET  /metrics, GET /healthz
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	subnettypes "github.com/hypha-network/hypha/x/subnet/types"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hypha-network/hypha/agent/agentrun"
	"github.com/hypha-network/hypha/agent/auth"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/metrics"
	"github.com/hypha-network/hypha/agent/subnet"
	"github.com/hypha-network/hypha/agent/subnet/miner"
	"github.com/hypha-network/hypha/agent/subnet/task"
)

// Config is a gateway's YAML config. Its key signs the queries it forwards;
// miners must list that key's address under gateways.
type Config struct {
	subnet.Chain `yaml:",inline"`
	// Task is the subnet's task name (default "classify"); queries are checked
	// against it before any miner is called.
	Task string `yaml:"task"`
	// Data is the task's data source, as in the validator's config (for
	// classify: a training spec, which fixes the number of features).
	// Optional: without it only the task's own limits are checked.
	Data string `yaml:"data"`
	// Listen is the consumer endpoint's address (default 127.0.0.1:8080).
	Listen string `yaml:"listen"`
	// TopK is how many miners are queried at once (default 3).
	TopK int `yaml:"top_k"`
	// Timeout bounds each miner call (default 10s).
	Timeout time.Duration `yaml:"timeout"`
	// Refresh is how often the ranking is re-read from the chain (default 5s).
	Refresh time.Duration `yaml:"refresh"`
	// MaxConcurrent bounds consumer queries handled at once (default 32); a
	// query takes a slot only once its body is read and checked.
	MaxConcurrent int `yaml:"max_concurrent"`
	// Limits bound the consumer endpoint's requests and connections (see
	// agentrun.Limits; defaults: the task's largest query as body limit, read
	// 15s, write 4×timeout+5s, 32 connections per IP, 256 in all).
	Limits agentrun.Limits `yaml:"limits"`
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if err := c.Chain.Validate(); err != nil {
		return err
	}
	if c.Task == "" {
		c.Task = "classify"
	}
	if c.Data != "" {
		c.Data = chainclient.ExpandHome(c.Data)
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.TopK <= 0 {
		c.TopK = 3
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Refresh <= 0 {
		c.Refresh = 5 * time.Second
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = 32
	}
	return nil
}

// Querier calls a miner's axon; hotkey is the miner's hotkey, the audience
// the query is signed for (*miner.Caller implements it).
type Querier interface {
	Query(ctx context.Context, axon, hotkey string, request []byte) (json.RawMessage, error)
}

// MetagraphSource reads a subnet's metagraph.
type MetagraphSource interface {
	Metagraph(ctx context.Context, netuid uint32) (*subnettypes.QueryMetagraphResponse, error)
}

// Gateway routes queries for one subnet.
type Gateway struct {
	cfg     Config
	self    string
	chain   MetagraphSource
	querier Querier
	shape   task.Shape
	sem     chan struct{}
	metrics *metrics.Registry
	log     *slog.Logger

	mu     sync.RWMutex
	ranked []subnettypes.NeuronInfo
}

// New returns a gateway for a validated config; self is its own hotkey and
// shape checks queries before they are routed (nil: only that they are JSON).
func New(cfg Config, self string, chain MetagraphSource, q Querier, shape task.Shape, log *slog.Logger) *Gateway {
	g := &Gateway{cfg: cfg, self: self, chain: chain, querier: q, shape: shape, log: log,
		sem: make(chan struct{}, cfg.MaxConcurrent), metrics: metrics.New()}
	g.metrics.Describe("hypha_gateway_requests_total", "counter", "Consumer queries, by HTTP status code.")
	g.metrics.Describe("hypha_gateway_miner_calls_total", "counter", "Miner calls, by uid and outcome.")
	g.metrics.Describe("hypha_gateway_fallbacks_total", "counter", "Queries answered by a miner other than the top-ranked one.")
	return g
}

// Rank orders miners by incentive (highest first), ties by lower uid,
// leaving out neurons without an http(s) axon and self.
func Rank(neurons []subnettypes.NeuronInfo, self string) []subnettypes.NeuronInfo {
	var out []subnettypes.NeuronInfo
	for _, n := range neurons {
		if n.Hotkey == self || !(strings.HasPrefix(n.Axon, "http://") || strings.HasPrefix(n.Axon, "https://")) {
			continue
		}
		out = append(out, n)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].IncentiveFixed != out[j].IncentiveFixed {
			return out[i].IncentiveFixed > out[j].IncentiveFixed
		}
		return out[i].Uid < out[j].Uid
	})
	return out
}

// Refresh re-reads the ranking from the chain.
func (g *Gateway) Refresh(ctx context.Context) error {
	mg, err := g.chain.Metagraph(ctx, g.cfg.Netuid)
	if err != nil {
		return fmt.Errorf("gateway: read the metagraph of subnet %d: %w", g.cfg.Netuid, err)
	}
	r := Rank(mg.Neurons, g.self)
	g.mu.Lock()
	g.ranked = r
	g.mu.Unlock()
	return nil
}

func (g *Gateway) ranking() []subnettypes.NeuronInfo {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.ranked
}

// Handler returns the gateway's HTTP handler.
func (g *Gateway) Handler() http.Handler {
	mux := http.NewServeMux()
	prefix := fmt.Sprintf("/v1/subnets/%d/", g.cfg.Netuid)
	mux.HandleFunc("POST "+prefix+"query", g.serveQuery)
	mux.HandleFunc("GET "+prefix+"miners", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"netuid": g.cfg.Netuid, "miners": g.ranking()})
	})
	mux.Handle("GET /metrics", g.metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	return mux
}

func (g *Gateway) fail(w http.ResponseWriter, code int, msg string) {
	g.metrics.Add("hypha_gateway_requests_total", 1, "code", strconv.Itoa(code))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// Answer is the gateway's routing result.
type Answer struct {
	Miner subnettypes.NeuronInfo
	Body  json.RawMessage
	// Rank is the chosen miner's 0-based position in the ranking.
	Rank int
}

// Route sends request to the ranked miners by the package's rule.
func (g *Gateway) Route(ctx context.Context, request []byte) (Answer, error) {
	ranked := g.ranking()
	if len(ranked) == 0 {
		return Answer{}, errors.New("gateway: the subnet has no miners with an axon")
	}
	var errs []string
	for lo := 0; lo < len(ranked); lo += g.cfg.TopK {
		batch := ranked[lo:min(lo+g.cfg.TopK, len(ranked))]
		type res struct {
			body json.RawMessage
			err  error
		}
		chans := make([]chan res, len(batch))
		cctx, cancel := context.WithTimeout(ctx, g.cfg.Timeout)
		for i, n := range batch {
			chans[i] = make(chan res, 1)
			go func() {
				body, err := g.querier.Query(cctx, n.Axon, n.Hotkey, request)
				if err == nil && !json.Valid(body) {
					err = errors.New("answer is not valid JSON")
				}
				chans[i] <- res{body, err}
			}()
		}
		for i, n := range batch {
			r := <-chans[i]
			uid := strconv.Itoa(int(n.Uid))
			if r.err != nil {
				g.metrics.Add("hypha_gateway_miner_calls_total", 1, "uid", uid, "outcome", "error")
				errs = append(errs, fmt.Sprintf("uid %d: %v", n.Uid, r.err))
				continue
			}
			g.metrics.Add("hypha_gateway_miner_calls_total", 1, "uid", uid, "outcome", "ok")
			cancel() // the lower-ranked calls are no longer needed
			return Answer{Miner: n, Body: r.body, Rank: lo + i}, nil
		}
		cancel()
	}
	return Answer{}, fmt.Errorf("gateway: every miner failed: %s", strings.Join(errs, "; "))
}

func (g *Gateway) serveQuery(w http.ResponseWriter, r *http.Request) {
	// Read and check first: a slow or bogus query holds no slot.
	body, ok := g.readQuery(w, r)
	if !ok {
		return
	}
	select {
	case g.sem <- struct{}{}:
		defer func() { <-g.sem }()
	default:
		g.fail(w, http.StatusServiceUnavailable, "gateway busy: try again")
		return
	}
	// Routing ends before the write deadline, so the consumer gets the 502.
	ctx, cancel := context.WithTimeout(r.Context(), max(g.Limits().WriteTimeout-2*time.Second, time.Second))
	defer cancel()
	ans, err := g.Route(ctx, body)
	if err != nil {
		g.fail(w, http.StatusBadGateway, err.Error())
		return
	}
	if ans.Rank > 0 {
		g.metrics.Add("hypha_gateway_fallbacks_total", 1)
	}
	g.metrics.Add("hypha_gateway_requests_total", 1, "code", "200")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Hypha-Miner-Uid", strconv.Itoa(int(ans.Miner.Uid)))
	w.Header().Set("Hypha-Miner-Hotkey", ans.Miner.Hotkey)
	_, _ = w.Write(ans.Body)
}

// maxBody is the largest query body accepted: the task's bound, at most auth.MaxBody.
func (g *Gateway) maxBody() int {
	if g.shape != nil {
		if n := g.shape.MaxRequestBytes(); n > 0 && n < auth.MaxBody {
			return n
		}
	}
	return auth.MaxBody
}

// Limits returns the consumer endpoint's HTTP limits: the config's, with
// defaults from the task's shape and the miner timeout.
func (g *Gateway) Limits() agentrun.Limits {
	return g.cfg.Limits.WithDefaults(agentrun.Limits{ReadTimeout: 15 * time.Second,
		WriteTimeout: 4*g.cfg.Timeout + 5*time.Second, MaxBodyBytes: int64(g.maxBody())})
}

// readQuery reads and checks a consumer's query; on failure it has answered
// 413 or 400 and no miner is called.
func (g *Gateway) readQuery(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	limit := g.maxBody()
	tooLarge := fmt.Sprintf("the request body exceeds %d bytes, the largest query of this subnet's task", limit)
	if r.ContentLength > int64(limit) {
		g.fail(w, http.StatusRequestEntityTooLarge, tooLarge)
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		g.fail(w, http.StatusBadRequest, "read the request body: "+err.Error())
		return nil, false
	}
	if len(body) > limit {
		g.fail(w, http.StatusRequestEntityTooLarge, tooLarge)
		return nil, false
	}
	if !json.Valid(body) {
		g.fail(w, http.StatusBadRequest, "the request body must be the task's JSON query")
		return nil, false
	}
	if g.shape != nil {
		if err := g.shape.Validate(body); err != nil {
			g.fail(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), task.ErrBadRequest.Error()+": "))
			return nil, false
		}
	}
	return body, true
}

// Run serves the gateway until ctx is done.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	shape, err := task.LoadShape(cfg.Task, cfg.Data)
	if err != nil {
		return err
	}
	signer, client, err := agentrun.Connect(ctx, cfg.Chain.Config)
	if err != nil {
		return err
	}
	g := New(cfg, signer.Bech32(), client, &miner.Caller{Signer: signer, HTTP: &http.Client{}}, shape, log)
	if err := g.Refresh(ctx); err != nil {
		return err
	}
	ln, err := agentrun.Listen("gateway", cfg.Listen)
	if err != nil {
		return err
	}
	log.Info("gateway serving", "netuid", cfg.Netuid, "listen", ln.Addr().String(), "hotkey", signer.Bech32(),
		"endpoint", fmt.Sprintf("http://%s/v1/subnets/%d/query", ln.Addr(), cfg.Netuid), "task", cfg.Task, "max_body", g.maxBody(), "max_conns_per_ip", g.Limits().MaxConnsPerIP, "max_conns", g.Limits().MaxConns)
	return agentrun.Server{Agent: "gateway", Handler: g.Handler(), Limits: g.Limits(),
		Every: cfg.Refresh, Refresh: g.Refresh, RefreshWhat: "refresh ranking", Log: log}.Serve(ctx, ln)
}
