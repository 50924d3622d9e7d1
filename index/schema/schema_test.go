package schema

import (
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	q := "SELECT a FROM t WHERE x = ? AND y = ?"
	if got := SQLite.Rebind(q); got != q {
		t.Fatal(got)
	}
	if got := Postgres.Rebind(q); got != "SELECT a FROM t WHERE x = $1 AND y = $2" {
		t.Fatal(got)
	}
}

func TestFor(t *testing.T) {
	for dsn, want := range map[string]string{"index.db": "sqlite", "/a/b.db": "sqlite",
		"postgres://u@h/db": "postgres", "postgresql://h/db": "postgres"} {
		if got := For(dsn).Name; got != want {
			t.Errorf("%s: %s, want %s", dsn, got, want)
		}
	}
}

// TestTables checks what the store and reindex rely on: every table has a
// height column, its key columns exist, names are unique, and module tables
// read each column from an attribute.
func TestTables(t *testing.T) {
	seen := map[string]bool{}
	for _, tb := range All {
		if seen[tb.Name] {
			t.Errorf("table %s twice", tb.Name)
		}
		seen[tb.Name] = true
		cols := map[string]bool{}
		for _, c := range tb.Columns {
			cols[c.Name] = true
		}
		if !cols["height"] {
			t.Errorf("%s has no height column", tb.Name)
		}
		for _, k := range append(append([]string{}, tb.Key...), flatten(tb.Indexes)...) {
			if !cols[k] {
				t.Errorf("%s: key or index column %s does not exist", tb.Name, k)
			}
		}
		if len(tb.Events) != len(tb.EventOrder) {
			t.Errorf("%s: events and their order differ", tb.Name)
		}
		for _, c := range tb.Columns {
			if len(tb.Events) > 0 && c.Name != "height" && c.Name != "event_idx" && c.Name != "kind" && c.Attr == "" {
				t.Errorf("%s.%s has no attribute", tb.Name, c.Name)
			}
		}
		for _, d := range []Dialect{SQLite, Postgres} {
			ddl := strings.Join(d.CreateTable(tb), ";\n")
			if !strings.Contains(ddl, "PRIMARY KEY ("+strings.Join(tb.Key, ", ")+")") || !strings.Contains(ddl, "height") {
				t.Errorf("%s DDL of %s:\n%s", d.Name, tb.Name, ddl)
			}
		}
	}
	for typ := range MarketOrders.Events {
		if tb, _ := ModuleTableFor(typ); tb != MarketOrders {
			t.Errorf("event %s maps to %v", typ, tb)
		}
	}
	if tb, _ := ModuleTableFor("transfer"); tb != nil {
		t.Errorf("transfer maps to %s", tb.Name)
	}
}

func flatten(ix [][]string) []string {
	var out []string
	for _, i := range ix {
		out = append(out, i...)
	}
	return out
}
