package sqlq

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"github.com/hypha-network/hypha/index/schema"
	"github.com/hypha-network/hypha/index/store"
)

// Defaults of Options.
const (
	DefaultTimeout = 5 * time.Second
	DefaultMaxRows = 1000
)

// ErrNoIndex means the SQLite index file does not exist.
var ErrNoIndex = errors.New("no index database")

// Options limit a query.
type Options struct {
	// Timeout bounds the query's run time (default DefaultTimeout).
	Timeout time.Duration
	// MaxRows caps the rows returned (default DefaultMaxRows); the result
	// says when it was cut.
	MaxRows int
}

func (o *Options) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
}

// Result is a query's answer.
type Result struct {
	Columns []string
	// Rows hold int64, float64, string, []byte-as-string, bool or nil values.
	Rows [][]any
	// Cut is set when the query had more rows than Options.MaxRows.
	Cut     bool
	MaxRows int
	Elapsed time.Duration
}

// DB is a read-only connection to an index.
type DB struct {
	db      *sql.DB
	dialect schema.Dialect
}

// Open opens the index at dsn (a SQLite path or postgres:// URL) for reading
// only.
func Open(dsn string) (*DB, error) {
	d := schema.For(dsn)
	driverDSN := dsn
	if d == schema.SQLite {
		if _, err := os.Stat(dsn); err != nil {
			return nil, fmt.Errorf("%w at %s: run `hyphad index --db %s` (or the devnet) first, or pass --db", ErrNoIndex, dsn, dsn)
		}
		driverDSN = store.SQLiteDSN(dsn, true)
	}
	db, err := sql.Open(d.Driver, driverDSN)
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", store.Redact(dsn), err)
	}
	return &DB{db: db, dialect: d}, nil
}

// Close closes the connection.
func (d *DB) Close() error { return d.db.Close() }

// Query checks and runs query within opts' limits.
func (d *DB) Query(ctx context.Context, query string, opts Options) (*Result, error) {
	opts.defaults()
	if err := Check(query); err != nil {
		return nil, err
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	res, err := d.run(ctx, query, opts)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded || isTimeout(err) {
			return nil, fmt.Errorf("%w of %s: narrow the query (WHERE height > …, LIMIT) or pass a longer --timeout", ErrTimeout, opts.Timeout)
		}
		if isReadOnlyRefusal(err) {
			return nil, fmt.Errorf("%w: %v", ErrNotReadOnly, err)
		}
		return nil, fmt.Errorf("query: %w", err)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func (d *DB) run(ctx context.Context, query string, opts Options) (*Result, error) {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: d.dialect == schema.Postgres})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	if d.dialect == schema.Postgres {
		// The server enforces the limit too, so a query whose client is
		// gone does not keep running.
		ms := opts.Timeout.Milliseconds()
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d", ms)); err != nil {
			return nil, err
		}
	}
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	numeric := make([]bool, len(cols))
	for i, ct := range types {
		numeric[i] = ct.DatabaseTypeName() == "NUMERIC"
	}
	res := &Result{Columns: cols, MaxRows: opts.MaxRows}
	for rows.Next() {
		if len(res.Rows) == opts.MaxRows {
			res.Cut = true
			break
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = normalize(v, numeric[i])
		}
		res.Rows = append(res.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

// normalize maps driver values onto the few types the output writers know,
// the same for both databases. PostgreSQL's SUM of integers is NUMERIC,
// which its driver returns as text: an integral one becomes an integer, as
// SQLite returns it; others stay exact decimal text.
func normalize(v any, numeric bool) any {
	if s, ok := v.(string); ok && numeric {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	}
	switch x := v.(type) {
	case []byte:
		return string(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case float32:
		return float64(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	default:
		return v
	}
}

func isTimeout(err error) bool {
	s := err.Error()
	return strings.Contains(s, "interrupted") || strings.Contains(s, "statement timeout") ||
		strings.Contains(s, "canceling statement") || errors.Is(err, context.DeadlineExceeded)
}

func isReadOnlyRefusal(err error) bool {
	s := err.Error()
	return strings.Contains(s, "readonly") || strings.Contains(s, "read-only") || strings.Contains(s, "query_only")
}
