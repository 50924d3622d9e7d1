package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// Dialect is everything that differs between the SQL databases the index
// writes: the driver, column types and placeholders. All such differences
// live here.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// Driver is the database/sql driver name.
	Driver string
	// intType and textType are the column types for Int and Text.
	intType, textType string
	// numbered placeholders ($1, $2) instead of ?.
	numbered bool
}

// The two dialects.
var (
	SQLite   = Dialect{Name: "sqlite", Driver: "sqlite", intType: "INTEGER", textType: "TEXT"}
	Postgres = Dialect{Name: "postgres", Driver: "pgx", intType: "BIGINT", textType: "TEXT", numbered: true}
)

// IsPostgres reports whether dsn names a PostgreSQL database
// (postgres:// or postgresql://); anything else is a SQLite file path.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// For returns the dialect of dsn.
func For(dsn string) Dialect {
	if IsPostgres(dsn) {
		return Postgres
	}
	return SQLite
}

// Rebind rewrites the ? placeholders of query for the dialect. Queries in the
// index never hold a literal ?, so a plain scan is enough.
func (d Dialect) Rebind(query string) string {
	if !d.numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (d Dialect) typeName(t Type) string {
	if t == Int {
		return d.intType
	}
	return d.textType
}

// CreateTable returns the CREATE TABLE and CREATE INDEX statements of t.
func (d Dialect) CreateTable(t *Table) []string {
	var cols []string
	for _, c := range t.Columns {
		col := c.Name + " " + d.typeName(c.Type)
		if !c.Null {
			col += " NOT NULL"
		}
		cols = append(cols, col)
	}
	cols = append(cols, "PRIMARY KEY ("+strings.Join(t.Key, ", ")+")")
	stmts := []string{fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (\n  %s\n)", t.Name, strings.Join(cols, ",\n  "))}
	for _, ix := range t.Indexes {
		stmts = append(stmts, fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s_%s ON %s (%s)",
			t.Name, strings.Join(ix, "_"), t.Name, strings.Join(ix, ", ")))
	}
	if !hasHeightIndex(t) {
		stmts = append(stmts, fmt.Sprintf("CREATE INDEX IF NOT EXISTS %s_height ON %s (height)", t.Name, t.Name))
	}
	return stmts
}

// hasHeightIndex reports whether a key or index of t starts with height, so
// that the reindex DELETE by height needs no extra index.
func hasHeightIndex(t *Table) bool {
	if t.Key[0] == "height" {
		return true
	}
	for _, ix := range t.Indexes {
		if ix[0] == "height" {
			return true
		}
	}
	return false
}

// Insert returns the INSERT statement of one row of t.
func (d Dialect) Insert(t *Table) string {
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(t.Columns)), ", ")
	return d.Rebind(fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", t.Name, strings.Join(t.ColumnNames(), ", "), marks))
}
