// Package agentrun is what every long-running agent does around its own
// work: connect to the chain with its key (keyring signer, chain client,
// wait for the node) and serve HTTP until its context ends, with a periodic
// refresh and a graceful shutdown.
package agentrun

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hypha-network/hypha/agent/auth"
	"github.com/hypha-network/hypha/agent/chainclient"
)

// ShutdownTimeout bounds the graceful shutdown of a server when its context ends.
const ShutdownTimeout = 5 * time.Second

// Connect opens the key cfg names as a request signer, builds a chain client
// that signs with it, and waits until the node answers. cfg must be validated.
func Connect(ctx context.Context, cfg chainclient.Config) (*auth.KeyringSigner, *chainclient.Client, error) {
	kr, err := auth.OpenKeyring(cfg.Home, cfg.KeyringBackend)
	if err != nil {
		return nil, nil, err
	}
	signer, err := auth.NewKeyringSigner(kr, cfg.Key)
	if err != nil {
		return nil, nil, err
	}
	client, err := chainclient.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	if err := client.WaitReady(ctx); err != nil {
		return nil, nil, err
	}
	return signer, client, nil
}

// Listen listens on addr; agent names the agent in the error.
func Listen(agent, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w (choose another listen address)", agent, addr, err)
	}
	return ln, nil
}

// Server is an agent's HTTP server and the refresh it runs beside it.
type Server struct {
	// Agent names the agent in errors and logs, e.g. "miner".
	Agent string
	// Handler serves the requests.
	Handler http.Handler
	// Limits bound requests and connections (DefaultLimits for zero fields).
	Limits Limits
	// Every is the refresh period; Refresh is called each period (a failure
	// is logged as a warning with RefreshWhat and the serving goes on).
	Every       time.Duration
	Refresh     func(ctx context.Context) error
	RefreshWhat string
	Log         *slog.Logger
}

// Serve serves on ln until ctx is done, then shuts down gracefully and
// returns nil; it returns an error if serving fails.
func (s Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := NewServer(s.Handler, s.Limits)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(LimitListener(ln, s.Limits)) }()
	var tick <-chan time.Time
	if s.Refresh != nil && s.Every > 0 {
		t := time.NewTicker(s.Every)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
			defer cancel()
			_ = hs.Shutdown(sctx)
			return nil
		case err := <-errc:
			return fmt.Errorf("%s: serve: %w", s.Agent, err)
		case <-tick:
			if err := s.Refresh(ctx); err != nil {
				s.Log.Warn(s.RefreshWhat, "err", err)
			}
		}
	}
}

// BackgroundLimits are the limits of a Background server: a metrics scrape
// sends no body and takes one short answer.
var BackgroundLimits = Limits{ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
	WriteTimeout: 10 * time.Second, MaxBodyBytes: 64 << 10, MaxConnsPerIP: 8, MaxConns: 32}

// Background serves h on addr in the background (e.g. an optional metrics
// endpoint) with BackgroundLimits and returns the function that stops it.
func Background(agent, addr string, h http.Handler) (stop func(), err error) {
	ln, err := Listen(agent, addr)
	if err != nil {
		return nil, err
	}
	hs := NewServer(h, BackgroundLimits)
	go func() { _ = hs.Serve(LimitListener(ln, BackgroundLimits)) }()
	return func() { _ = hs.Close() }, nil
}
