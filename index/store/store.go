// Package store writes decoded blocks (index/decode) into the index database,
// SQLite (embedded, pure Go) or PostgreSQL. Each batch of blocks is one
// database transaction that also moves the cursor, so a process killed at any
// moment leaves every block either whole or absent, and a restart resumes at
// the block after the cursor with no gap and no duplicate row.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"github.com/hypha-network/hypha/index/decode"
	"github.com/hypha-network/hypha/index/schema"
)

var (
	// ErrGap means a batch does not start right after the cursor.
	ErrGap = errors.New("blocks do not follow the index cursor")
	// ErrOtherChain means the database indexes another chain.
	ErrOtherChain = errors.New("index database belongs to another chain")
)

// rowsPerInsert bounds one multi-row INSERT: 500 rows of at most 12 columns
// stay well under both databases' limits on bound parameters.
const rowsPerInsert = 500

// Store is an open index database.
type Store struct {
	db      *sql.DB
	dialect schema.Dialect
	dsn     string
}

// SQLiteDSN returns the modernc.org/sqlite DSN of the index file at path:
// WAL (readers such as `hyphad sql` do not block the writer), synchronous
// NORMAL (in WAL mode a killed process loses no committed transaction), and
// a busy timeout instead of immediate "database is locked" errors.
func SQLiteDSN(path string, readOnly bool) string {
	q := "?_pragma=busy_timeout(10000)"
	if readOnly {
		q += "&mode=ro&_pragma=query_only(1)"
	} else {
		q += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	}
	return "file:" + path + q
}

// Open opens (creating if needed) the index at dsn, a SQLite file path or a
// postgres:// URL, and migrates it to the current schema.
func Open(ctx context.Context, dsn string) (*Store, error) {
	d := schema.For(dsn)
	driverDSN := dsn
	if d == schema.SQLite {
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("index database directory %s: %w", dir, err)
			}
		}
		driverDSN = SQLiteDSN(dsn, false)
	}
	db, err := sql.Open(d.Driver, driverDSN)
	if err != nil {
		return nil, fmt.Errorf("open index database %s: %w", Redact(dsn), err)
	}
	if d == schema.SQLite {
		db.SetMaxOpenConns(1) // one writer; SQLite serialises writes anyway
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to index database %s: %w", Redact(dsn), err)
	}
	if err := schema.Migrate(ctx, db, d); err != nil {
		db.Close()
		return nil, fmt.Errorf("index database %s: %w", Redact(dsn), err)
	}
	return &Store{db: db, dialect: d, dsn: dsn}, nil
}

// Redact returns dsn with any password replaced, for messages.
func Redact(dsn string) string {
	if !schema.IsPostgres(dsn) {
		return dsn
	}
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://") + 3
	if at < scheme {
		return dsn
	}
	if colon := strings.Index(dsn[scheme:at], ":"); colon >= 0 {
		return dsn[:scheme+colon+1] + "***" + dsn[at:]
	}
	return dsn
}

// DB returns the underlying database, for tests and read queries.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the database's dialect.
func (s *Store) Dialect() schema.Dialect { return s.dialect }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Cursor returns the last height written (0 before the first block) and the
// chain id the index belongs to ("" before Bind).
func (s *Store) Cursor(ctx context.Context) (int64, string, error) {
	return cursor(ctx, s.db, s.dialect)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func cursor(ctx context.Context, q querier, d schema.Dialect) (int64, string, error) {
	var h int64
	var chain string
	err := q.QueryRowContext(ctx, "SELECT height, chain_id FROM "+schema.CursorTable+" WHERE id = 1").Scan(&h, &chain)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("read index cursor: %w", err)
	}
	return h, chain, nil
}

// Bind ties the index to chainID on first use and refuses, with
// ErrOtherChain, a database that indexes another chain.
func (s *Store) Bind(ctx context.Context, chainID string) error {
	h, have, err := s.Cursor(ctx)
	if err != nil {
		return err
	}
	switch {
	case have == chainID:
		return nil
	case have != "":
		return fmt.Errorf("%w: %s indexes %q up to height %d, the node is on %q: index into another --db",
			ErrOtherChain, Redact(s.dsn), have, h, chainID)
	}
	_, err = s.db.ExecContext(ctx, s.dialect.Rebind("INSERT INTO "+schema.CursorTable+" (id, height, chain_id) VALUES (1, 0, ?)"), chainID)
	if err != nil {
		return fmt.Errorf("bind index to chain %s: %w", chainID, err)
	}
	return nil
}

// BlockHash returns the hash of indexed block h, and whether it is indexed.
func (s *Store) BlockHash(ctx context.Context, h int64) (string, bool, error) {
	var hash string
	err := s.db.QueryRowContext(ctx, s.dialect.Rebind("SELECT hash FROM blocks WHERE height = ?"), h).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read block %d: %w", h, err)
	}
	return hash, true, nil
}

// Write stores blocks, which must be consecutive and, unless the index is
// empty, start right after the cursor, in one transaction that also moves the
// cursor to the last of them.
func (s *Store) Write(ctx context.Context, blocks []*decode.Block) error {
	if len(blocks) == 0 {
		return nil
	}
	for i := 1; i < len(blocks); i++ {
		if blocks[i].Height != blocks[i-1].Height+1 {
			return fmt.Errorf("%w: batch jumps from %d to %d", ErrGap, blocks[i-1].Height, blocks[i].Height)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin index transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	cur, chain, err := cursor(ctx, tx, s.dialect)
	if err != nil {
		return err
	}
	if chain == "" {
		return errors.New("index is not bound to a chain: call Bind first")
	}
	first, last := blocks[0].Height, blocks[len(blocks)-1].Height
	if cur != 0 && first != cur+1 {
		return fmt.Errorf("%w: the index is at height %d, the batch starts at %d", ErrGap, cur, first)
	}
	byTable := map[*schema.Table][][]any{}
	for _, b := range blocks {
		for _, r := range b.Rows {
			byTable[r.Table] = append(byTable[r.Table], r.Values)
		}
	}
	for _, t := range schema.All { // fixed order, not map order
		if err := s.insert(ctx, tx, t, byTable[t]); err != nil {
			return fmt.Errorf("write blocks %d-%d: %w", first, last, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.dialect.Rebind("UPDATE "+schema.CursorTable+" SET height = ? WHERE id = 1"), last); err != nil {
		return fmt.Errorf("move index cursor to %d: %w", last, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit blocks %d-%d: %w", first, last, err)
	}
	return nil
}

// insert writes rows into t with multi-row INSERTs of up to rowsPerInsert.
func (s *Store) insert(ctx context.Context, tx *sql.Tx, t *schema.Table, rows [][]any) error {
	for len(rows) > 0 {
		n := min(len(rows), rowsPerInsert)
		chunk := rows[:n]
		rows = rows[n:]
		var b strings.Builder
		b.WriteString("INSERT INTO " + t.Name + " (" + strings.Join(t.ColumnNames(), ", ") + ") VALUES ")
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(t.Columns)), ", ") + ")"
		args := make([]any, 0, n*len(t.Columns))
		for i, r := range chunk {
			if len(r) != len(t.Columns) {
				return fmt.Errorf("%s: row has %d values for %d columns", t.Name, len(r), len(t.Columns))
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, s.dialect.Rebind(b.String()), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", t.Name, err)
		}
	}
	return nil
}

// ReindexFrom deletes every row at height h or above and moves the cursor to
// h-1, in one transaction: the next Write starts at h.
func (s *Store) ReindexFrom(ctx context.Context, h int64) error {
	if h < 1 {
		return fmt.Errorf("reindex from height %d: heights start at 1", h)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin reindex: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, t := range schema.All {
		if _, err := tx.ExecContext(ctx, s.dialect.Rebind("DELETE FROM "+t.Name+" WHERE height >= ?"), h); err != nil {
			return fmt.Errorf("reindex from %d: clear %s: %w", h, t.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.dialect.Rebind("UPDATE "+schema.CursorTable+" SET height = ? WHERE id = 1 AND height >= ?"), h-1, h-1); err != nil {
		return fmt.Errorf("reindex from %d: move cursor: %w", h, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("reindex from %d: commit: %w", h, err)
	}
	return nil
}
