package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// CursorTable holds the index's one-row cursor: the last height written, in
// the same database transaction as that height's rows, and the chain id.
const CursorTable = "index_cursor"

// VersionTable records the migrations applied.
const VersionTable = "index_schema_version"

// ErrNewerSchema means the database was written by a newer hyphad.
var ErrNewerSchema = errors.New("index database has a newer schema")

// Migration is one schema step. Migrations only ever append: a released one
// is never edited.
type Migration struct {
	Version int
	// Statements returns the DDL of this step in dialect d.
	Statements func(d Dialect) []string
}

// Migrations are the schema's steps in order.
var Migrations = []Migration{
	{Version: 1, Statements: func(d Dialect) []string {
		stmts := []string{
			fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (id %s NOT NULL PRIMARY KEY, height %s NOT NULL, chain_id %s NOT NULL)",
				CursorTable, d.intType, d.intType, d.textType),
		}
		for _, t := range All {
			stmts = append(stmts, d.CreateTable(t)...)
		}
		return stmts
	}},
}

// Version is the schema version this build writes.
func Version() int { return Migrations[len(Migrations)-1].Version }

// Migrate brings db to the current schema version, each step in its own
// transaction with its version row, so an interrupted migration is either
// applied or not. It refuses a database from a newer build.
func Migrate(ctx context.Context, db *sql.DB, d Dialect) error {
	if _, err := db.ExecContext(ctx, fmt.Sprintf(
		"CREATE TABLE IF NOT EXISTS %s (version %s NOT NULL PRIMARY KEY)", VersionTable, d.intType)); err != nil {
		return fmt.Errorf("create %s: %w", VersionTable, err)
	}
	var current sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT MAX(version) FROM "+VersionTable).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if int(current.Int64) > Version() {
		return fmt.Errorf("%w (version %d, this hyphad writes %d): upgrade hyphad, or index into another --db",
			ErrNewerSchema, current.Int64, Version())
	}
	for _, m := range Migrations {
		if m.Version <= int(current.Int64) {
			continue
		}
		if err := apply(ctx, db, d, m); err != nil {
			return err
		}
	}
	return nil
}

func apply(ctx context.Context, db *sql.DB, d Dialect, m Migration) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %d: %w", m.Version, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, s := range m.Statements(d) {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("migration %d: %w\n%s", m.Version, err, s)
		}
	}
	if _, err := tx.ExecContext(ctx, d.Rebind("INSERT INTO "+VersionTable+" (version) VALUES (?)"), m.Version); err != nil {
		return fmt.Errorf("migration %d: record version: %w", m.Version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %d: commit: %w", m.Version, err)
	}
	return nil
}
