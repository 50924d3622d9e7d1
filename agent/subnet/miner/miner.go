// Package miner is the subnet miner agent: it registers its hotkey on a subnet
// and serves a model over an authenticated HTTP/JSON axon.
//
// Endpoints:
//
//	POST /v1/query   the task's request JSON → the task's response JSON
//	                 (signed for this miner's hotkey, see package auth; 401
//	                 unsigned, bad signature, signed for another audience or
//	                 a replay, 403 signed by a key that is neither a subnet
//	                 validator nor a configured gateway, 503 when busy or the
//	                 replay cache is full, 504 on timeout)
//	GET  /metrics    Prometheus text
//	GET  /healthz    "ok"
package miner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/types/bech32"

	"github.com/hypha-network/hypha/agent/agentrun"
	"github.com/hypha-network/hypha/agent/auth"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/metrics"
	"github.com/hypha-network/hypha/agent/subnet"
	"github.com/hypha-network/hypha/agent/subnet/task"
	"github.com/hypha-network/hypha/client/broadcast"
	subnettypes "github.com/hypha-network/hypha/x/subnet/types"
)

// Config is a miner's YAML config.
type Config struct {
	subnet.Chain `yaml:",inline"`
	// Task is the subnet's task name (default "classify").
	Task string `yaml:"task"`
	// Model is the model path for the task (a checkpoint directory).
	Model string `yaml:"model"`
	// Listen is the address the axon listens on (default 127.0.0.1:8091).
	Listen string `yaml:"listen"`
	// Axon is the URL registered on chain (default http://LISTEN).
	Axon string `yaml:"axon"`
	// MaxBurn is the most uhyp the miner burns to register (default 100 HYP).
	MaxBurn uint64 `yaml:"max_burn"`
	// MaxConcurrent bounds queries answered at once (default 4); more wait up
	// to RequestTimeout for a slot, then get 503.
	MaxConcurrent int `yaml:"max_concurrent"`
	// RequestTimeout bounds one query (default 10s).
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// Gateways lists gateway account addresses allowed to query besides the
	// subnet's validators.
	Gateways []string `yaml:"gateways"`
	// MinValidatorStake is the least stake (uhyp) a validator-permit holder needs
	// to query (default 1: zero-stake permits are refused).
	MinValidatorStake uint64 `yaml:"min_validator_stake"`
	// Refresh is how often the allowed callers are re-read from the chain (default 5s).
	Refresh time.Duration `yaml:"refresh"`
	// Limits bound the axon's requests and connections (see agentrun.Limits;
	// defaults: the model's largest query as body limit, read 15s, write
	// request_timeout+5s, 32 connections per IP, 256 in all).
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
	if c.Model == "" {
		return errors.New("miner config: model is required (a checkpoint directory from `hyphad ml train`)")
	}
	c.Model = chainclient.ExpandHome(c.Model)
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8091"
	}
	if c.Axon == "" {
		c.Axon = "http://" + c.Listen
	}
	if c.MaxBurn == 0 {
		c.MaxBurn = 100_000_000
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = 4
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.MinValidatorStake == 0 {
		c.MinValidatorStake = 1
	}
	if c.Refresh <= 0 {
		c.Refresh = 5 * time.Second
	}
	for _, g := range c.Gateways {
		if _, _, err := bech32.DecodeAndConvert(g); err != nil {
			return fmt.Errorf("miner config: gateway %q is not a bech32 address: %w", g, err)
		}
	}
	return nil
}

// MetagraphSource reads a subnet's metagraph.
type MetagraphSource interface {
	Metagraph(ctx context.Context, netuid uint32) (*subnettypes.QueryMetagraphResponse, error)
}

// Server answers authenticated queries with a model.
type Server struct {
	cfg     Config
	model   task.Model
	shape   task.Shape
	chain   MetagraphSource
	sem     chan struct{}
	metrics *metrics.Registry
	log     *slog.Logger
	now     func() time.Time
	hotkey  string            // the audience queries must be signed for
	replay  *auth.ReplayCache // nonces seen within MaxSkew

	mu       sync.RWMutex
	allowed  map[string]string // raw address → role ("validator" or "gateway")
	gateways map[string]bool
}

// NewServer returns a server for a validated config. hotkey is the miner's
// bech32 hotkey address as registered on chain: callers sign queries for it.
func NewServer(cfg Config, hotkey string, model task.Model, chain MetagraphSource, log *slog.Logger) *Server {
	s := &Server{
		cfg: cfg, model: model, shape: task.ModelShape(model), chain: chain, log: log, now: time.Now,
		hotkey: hotkey, replay: auth.NewReplayCache(MaxSkew, auth.DefaultReplayEntries),
		sem: make(chan struct{}, cfg.MaxConcurrent), metrics: metrics.New(),
		allowed: map[string]string{}, gateways: map[string]bool{},
	}
	for _, g := range cfg.Gateways {
		if _, raw, err := bech32.DecodeAndConvert(g); err == nil {
			s.gateways[string(raw)] = true
			s.allowed[string(raw)] = "gateway"
		}
	}
	s.metrics.Describe("hypha_miner_requests_total", "counter", "Queries received, by HTTP status code.")
	s.metrics.Describe("hypha_miner_in_flight", "gauge", "Queries being answered now.")
	s.metrics.Describe("hypha_miner_answer_seconds_total", "counter", "Time spent answering successful queries.")
	s.metrics.Describe("hypha_miner_allowed_callers", "gauge", "Validators and gateways allowed to query.")
	return s
}

// Limits returns the axon's HTTP limits: the config's, with defaults from
// the model's shape and the request timeout.
func (s *Server) Limits() agentrun.Limits {
	body := int64(auth.MaxBody)
	if s.shape != nil {
		if n := int64(s.shape.MaxRequestBytes()); n > 0 && n < body {
			body = n
		}
	}
	return s.cfg.Limits.WithDefaults(agentrun.Limits{ReadTimeout: 15 * time.Second,
		WriteTimeout: s.cfg.RequestTimeout + 5*time.Second, MaxBodyBytes: body})
}

// Metrics returns the server's metrics registry.
func (s *Server) Metrics() *metrics.Registry { return s.metrics }

// Refresh re-reads the allowed callers (validators with a permit and at least
// the configured stake) from the chain.
func (s *Server) Refresh(ctx context.Context) error {
	mg, err := s.chain.Metagraph(ctx, s.cfg.Netuid)
	if err != nil {
		return fmt.Errorf("miner: read the metagraph of subnet %d: %w", s.cfg.Netuid, err)
	}
	allowed := map[string]string{}
	for g := range s.gateways {
		allowed[g] = "gateway"
	}
	for _, n := range mg.Neurons {
		if !n.ValidatorPermit || n.Stake < s.cfg.MinValidatorStake {
			continue
		}
		if _, raw, err := bech32.DecodeAndConvert(n.Hotkey); err == nil {
			allowed[string(raw)] = "validator"
		}
	}
	s.mu.Lock()
	s.allowed = allowed
	s.mu.Unlock()
	s.metrics.Set("hypha_miner_allowed_callers", float64(len(allowed)))
	return nil
}

func (s *Server) role(addr []byte) string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.allowed[string(addr)]
}

// Handler returns the miner's HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/query", s.serveQuery)
	mux.Handle("GET /metrics", s.metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	return mux
}

func (s *Server) fail(w http.ResponseWriter, code int, msg string) {
	s.metrics.Add("hypha_miner_requests_total", 1, "code", strconv.Itoa(code))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request) {
	signed, body, err := auth.VerifyRequest(r, s.now(), MaxSkew, s.hotkey)
	if err != nil {
		s.fail(w, http.StatusUnauthorized, err.Error())
		return
	}
	if s.role(signed.Addr) == "" {
		s.fail(w, http.StatusForbidden, "caller is neither a validator of this subnet nor a configured gateway")
		return
	}
	// Nonces are recorded only for allowed callers, so strangers cannot fill the cache.
	if err := s.replay.Use(signed, s.now()); err != nil {
		code := http.StatusUnauthorized
		if errors.Is(err, auth.ErrReplayCacheFull) {
			code = http.StatusServiceUnavailable
		}
		s.fail(w, code, err.Error())
		return
	}
	// The query must fit the model before it takes a slot or runs it.
	if s.shape != nil {
		if err := s.shape.Validate(body); err != nil {
			s.fail(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), task.ErrBadRequest.Error()+": "))
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		s.fail(w, http.StatusServiceUnavailable, "miner busy: too many concurrent queries")
		return
	}
	s.metrics.Add("hypha_miner_in_flight", 1)
	type result struct {
		out json.RawMessage
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		// The slot is held until the model returns, even after a timeout, so
		// the concurrency limit bounds real work.
		defer func() { <-s.sem; s.metrics.Add("hypha_miner_in_flight", -1) }()
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("model panicked: %v", p)}
			}
		}()
		out, err := s.model.Answer(body)
		done <- result{out, err}
	}()
	select {
	case res := <-done:
		if res.err != nil {
			s.fail(w, http.StatusBadRequest, res.err.Error())
			return
		}
		s.metrics.Add("hypha_miner_requests_total", 1, "code", "200")
		s.metrics.Add("hypha_miner_answer_seconds_total", time.Since(start).Seconds())
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(res.out)
	case <-ctx.Done():
		s.fail(w, http.StatusGatewayTimeout, "query timed out")
	}
}

// Register makes sure the hotkey holds a uid on the subnet with this axon,
// registering it with a signed transaction if it does not.
func Register(ctx context.Context, c *chainclient.Client, cfg Config, hotkey string, log *slog.Logger) (*subnettypes.Neuron, error) {
	n, err := c.FindNeuron(ctx, cfg.Netuid, hotkey)
	if err == nil {
		if n.Axon != cfg.Axon {
			log.Warn("hotkey is registered with another axon; validators will call that one", "registered", n.Axon, "configured", cfg.Axon)
		}
		log.Info("reusing registration", "uid", n.Uid, "hotkey", hotkey)
		return n, nil
	}
	if !errors.Is(err, chainclient.ErrNotFound) {
		return nil, err
	}
	log.Info("registering", "netuid", cfg.Netuid, "hotkey", hotkey, "axon", cfg.Axon)
	txCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	res, err := c.Broadcast(txCtx, &subnettypes.MsgRegister{Hotkey: hotkey, Netuid: cfg.Netuid, Axon: cfg.Axon, MaxBurn: cfg.MaxBurn})
	if err != nil {
		return nil, fmt.Errorf("miner: register on subnet %d: %w (check the key's balance and the price with `hyphad q subnet subnet %d`)", cfg.Netuid, err, cfg.Netuid)
	}
	if r, err := broadcast.Response[*subnettypes.MsgRegisterResponse](res, 0); err == nil {
		log.Info("registered", "uid", r.Uid, "burned_uhyp", r.Burned, "replaced", r.Replaced, "tx", res.Hash)
	}
	return c.FindNeuron(ctx, cfg.Netuid, hotkey)
}

// Run loads the model, registers, and serves until ctx is done.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	model, err := task.LoadModel(cfg.Task, cfg.Model)
	if err != nil {
		return err
	}
	signer, client, err := agentrun.Connect(ctx, cfg.Chain.Config)
	if err != nil {
		return err
	}
	n, err := Register(ctx, client, cfg, signer.Bech32(), log)
	if err != nil {
		return err
	}
	srv := NewServer(cfg, signer.Bech32(), model, client, log)
	if err := srv.Refresh(ctx); err != nil {
		return err
	}
	ln, err := agentrun.Listen("miner", cfg.Listen)
	if err != nil {
		return err
	}
	limits := srv.Limits()
	log.Info("miner serving", "uid", n.Uid, "listen", ln.Addr().String(), "task", cfg.Task, "model", cfg.Model,
		"max_body", limits.MaxBodyBytes, "max_conns_per_ip", limits.MaxConnsPerIP, "max_conns", limits.MaxConns)
	return agentrun.Server{Agent: "miner", Handler: srv.Handler(), Limits: limits,
		Every: cfg.Refresh, Refresh: srv.Refresh, RefreshWhat: "refresh allowed callers", Log: log}.Serve(ctx, ln)
}

// Caller sends signed queries to axons; validators and gateways use it.
type Caller struct {
	Signer auth.Signer
	HTTP   *http.Client
}

// MaxSkew is how far a query's timestamp may be from the miner's clock; it is
// also how long the miner remembers a query's nonce to refuse its replay.
// Validators and gateways are always-on hosts with synced clocks.
const MaxSkew = 30 * time.Second

// ErrStatus wraps non-200 answers.
var ErrStatus = errors.New("miner: query refused")

// Query POSTs request to axon's /v1/query, signed for the miner whose hotkey
// (bech32, as in the metagraph) is audience, and returns the answer body.
func (c *Caller) Query(ctx context.Context, axon, audience string, request []byte) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, axon+"/v1/query", bytes.NewReader(request))
	if err != nil {
		return nil, fmt.Errorf("miner: bad axon %q: %w", axon, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := auth.SignRequest(c.Signer, req, request, audience, time.Now()); err != nil {
		return nil, err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("miner: query %s: %w", axon, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, resp.Body, auth.MaxBody)); err != nil {
		return nil, fmt.Errorf("miner: read answer of %s: %w", axon, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s: HTTP %d: %s", ErrStatus, axon, resp.StatusCode, bytes.TrimSpace(buf.Bytes()))
	}
	return buf.Bytes(), nil
}
