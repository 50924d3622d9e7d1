// Package indextest holds helpers shared by the index packages' tests: small
// hand-made blocks, and a dump of every index table to compare two databases
// row for row.
package indextest

import (
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/hypha-network/hypha/index/decode"
	"github.com/hypha-network/hypha/index/schema"
)

// FakeBlock returns a block at height h with one block event, one attribute
// and n transactions, each with one message.
func FakeBlock(h int64, n int) *decode.Block {
	b := &decode.Block{Height: h, NumTxs: n, NumEvents: 1, Rows: []decode.Row{
		{Table: schema.Blocks, Values: []any{h, fmt.Sprintf("HASH%d", h), "2026-01-01T00:00:00Z", "P", int64(n), int64(1), "APP"}},
		{Table: schema.Events, Values: []any{h, int64(0), nil, "coinbase", schema.PhaseBegin}},
		{Table: schema.Attributes, Values: []any{h, int64(0), int64(0), "amount", "1uhyp"}},
	}}
	for i := 0; i < n; i++ {
		hash := fmt.Sprintf("TX%d_%d", h, i)
		b.Rows = append(b.Rows,
			decode.Row{Table: schema.Txs, Values: []any{hash, h, int64(i), int64(0), "", "", int64(100), int64(90), "", "hypha1x", "", "/t"}},
			decode.Row{Table: schema.Msgs, Values: []any{hash, int64(0), h, "/t", "hypha1x", `{"n":` + fmt.Sprint(i) + `}`}})
	}
	return b
}

// Dump returns every row of every index table (and the cursor) of db, each
// table sorted by all its columns, as text: two indexes of the same heights
// dump equal.
func Dump(t testing.TB, db *sql.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	tables := append([]string{schema.CursorTable}, tableNames()...)
	for _, name := range tables {
		rows, err := db.Query("SELECT * FROM " + name)
		if err != nil {
			t.Fatalf("dump %s: %v", name, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("dump %s: %v", name, err)
			}
			cells := make([]string, len(vals))
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				cells[i] = fmt.Sprintf("%v", v)
			}
			out[name] = append(out[name], strings.Join(cells, "|"))
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("dump %s: %v", name, err)
		}
		rows.Close()
		sort.Strings(out[name])
	}
	return out
}

func tableNames() []string {
	names := make([]string, len(schema.All))
	for i, t := range schema.All {
		names[i] = t.Name
	}
	return names
}

// Diff returns a description of the first differences between two dumps,
// or "" when they are equal.
func Diff(a, b map[string][]string) string {
	var d []string
	for _, name := range append([]string{schema.CursorTable}, tableNames()...) {
		x, y := a[name], b[name]
		if strings.Join(x, "\n") == strings.Join(y, "\n") {
			continue
		}
		d = append(d, fmt.Sprintf("%s: %d rows vs %d rows", name, len(x), len(y)))
		for i := 0; i < len(x) || i < len(y); i++ {
			var p, q string
			if i < len(x) {
				p = x[i]
			}
			if i < len(y) {
				q = y[i]
			}
			if p != q {
				d = append(d, fmt.Sprintf("  first difference at row %d:\n    %s\n    %s", i, p, q))
				break
			}
		}
	}
	return strings.Join(d, "\n")
}
