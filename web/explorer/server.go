// Package explorer serves the Hypha explorer: server-rendered pages over the
// SQL index (blocks, transactions, accounts, market, subnets, a read-only
// SQL page) and, when a chain connection is given, live chain state (the
// subnet metagraph). Pages read without JavaScript; a small embedded script
// applies live updates pushed over server-sent events.
package explorer

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/hypha-network/hypha/agent/agentrun"
	"github.com/hypha-network/hypha/index/schema"
	"github.com/hypha-network/hypha/index/sqlq"
	"github.com/hypha-network/hypha/index/store"
	"github.com/hypha-network/hypha/web/live"
	subnettypes "github.com/hypha-network/hypha/x/subnet/types"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*
var staticFS embed.FS

// Chain is the live chain state the explorer reads beside the index;
// *chainclient.Client implements it.
type Chain interface {
	Metagraph(ctx context.Context, netuid uint32) (*subnettypes.QueryMetagraphResponse, error)
}

// Options configure a Server.
type Options struct {
	// Index is the SQL index: a SQLite path or a postgres:// URL.
	Index string
	// Chain, if set, supplies live chain state (the metagraph).
	Chain Chain
	// Poll is how often live updates look for new blocks and bids (default 500ms).
	Poll time.Duration
	// SQL limits the SQL page (defaults: 5s, 1,000 rows).
	SQL sqlq.Options
}

// Server renders the explorer's pages.
type Server struct {
	opts  Options
	idx   *index
	sqlDB *sqlq.DB
	pages map[string]*template.Template
	hub   *live.Hub
	mux   *http.ServeMux
}

// New opens the index read-only and parses the pages. The index must exist
// (the devnet and `hyphad index` create it).
func New(opts Options) (*Server, error) {
	if opts.Poll <= 0 {
		opts.Poll = 500 * time.Millisecond
	}
	if opts.SQL.Timeout <= 0 {
		opts.SQL.Timeout = sqlq.DefaultTimeout
	}
	if opts.SQL.MaxRows <= 0 {
		opts.SQL.MaxRows = sqlq.DefaultMaxRows
	}
	d := schema.For(opts.Index)
	dsn := opts.Index
	if d == schema.SQLite {
		if _, err := os.Stat(opts.Index); err != nil {
			return nil, fmt.Errorf("%w at %s: run `hyphad index --db %s` (or the devnet) first, or pass --index", sqlq.ErrNoIndex, opts.Index, opts.Index)
		}
		dsn = store.SQLiteDSN(opts.Index, true)
	}
	db, err := sql.Open(d.Driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", store.Redact(opts.Index), err)
	}
	db.SetMaxOpenConns(8)
	sqlDB, err := sqlq.Open(opts.Index)
	if err != nil {
		db.Close()
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		db.Close()
		sqlDB.Close()
		return nil, err
	}
	s := &Server{opts: opts, idx: &index{db: db, d: d}, sqlDB: sqlDB, pages: pages}
	s.hub = live.New(s.updates(), opts.Poll)
	s.routes()
	return s, nil
}

// Close closes the index connections.
func (s *Server) Close() error {
	return errors.Join(s.idx.db.Close(), s.sqlDB.Close())
}

// Handler serves the pages, the static files and the event stream.
func (s *Server) Handler() http.Handler { return s.mux }

// Serve serves on ln until ctx ends, pushing live updates meanwhile, with
// the agents' request and connection limits.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	go s.hub.Run(ctx)
	return agentrun.Server{Agent: "explorer", Handler: s.mux, Limits: agentrun.Limits{
		WriteTimeout: s.opts.SQL.Timeout + 10*time.Second, MaxBodyBytes: 64 << 10,
	}}.Serve(ctx, ln)
}

// RunLive pushes updates to open event streams until ctx ends; Serve runs
// it, a caller serving Handler itself (a test) runs it.
func (s *Server) RunLive(ctx context.Context) { s.hub.Run(ctx) }

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.Handle("GET /events", s.hub)
	m.HandleFunc("GET /{$}", s.page("overview", s.overview))
	m.HandleFunc("GET /blocks", s.page("blocks", s.blocks))
	m.HandleFunc("GET /block/{height}", s.page("block", s.block))
	m.HandleFunc("GET /tx/{hash}", s.page("tx", s.tx))
	m.HandleFunc("GET /account/{addr}", s.page("account", s.account))
	m.HandleFunc("GET /providers", s.page("providers", s.providers))
	m.HandleFunc("GET /provider/{addr}", s.page("provider", s.provider))
	m.HandleFunc("GET /orders", s.page("orders", s.orders))
	m.HandleFunc("GET /order/{id}", s.page("order", s.order))
	m.HandleFunc("GET /leases", s.page("leases", s.leases))
	m.HandleFunc("GET /lease/{id}", s.page("lease", s.lease))
	m.HandleFunc("GET /subnets", s.page("subnets", s.subnets))
	m.HandleFunc("GET /subnet/{netuid}", s.page("subnet", s.subnet))
	m.HandleFunc("GET /sql", s.page("sql", s.sqlPage))
	m.HandleFunc("GET /search", s.search)
	s.mux = m
}
