package sqlq

import (
	"errors"
	"testing"
)

func TestCheck(t *testing.T) {
	ok := []string{
		"SELECT 1",
		"  select height from blocks where hash = 'DROP TABLE x; --' order by height",
		"WITH t AS (SELECT * FROM txs) SELECT count(*) FROM t;",
		"-- a comment with DELETE\nSELECT \"delete\" FROM blocks",
		"/* INSERT */ VALUES (1, 2)",
		"EXPLAIN SELECT * FROM events",
		"SELECT 'it''s' AS s",
	}
	for _, q := range ok {
		if err := Check(q); err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
	refused := []string{
		"INSERT INTO blocks VALUES (1)", "update txs set code = 0", "DELETE FROM events", "DROP TABLE blocks",
		"ATTACH DATABASE '/tmp/x.db' AS x", "PRAGMA journal_mode = DELETE", "PRAGMA query_only = 0",
		"SELECT 1; DELETE FROM blocks", "SELECT 1; SELECT 2", "WITH x AS (DELETE FROM txs RETURNING *) SELECT * FROM x",
		"SELECT * INTO copy FROM blocks", "CREATE TABLE t (x int)", "VACUUM", "SELECT $$x$$", "SELECT 'open",
		"BEGIN", "SET statement_timeout = 0", "REPLACE INTO blocks VALUES (1)",
	}
	for _, q := range refused {
		if err := Check(q); !errors.Is(err, ErrNotReadOnly) {
			t.Errorf("%q: want ErrNotReadOnly, got %v", q, err)
		}
	}
	for _, q := range []string{"", "  ;; -- nothing\n"} {
		if err := Check(q); !errors.Is(err, ErrEmpty) {
			t.Errorf("%q: want ErrEmpty, got %v", q, err)
		}
	}
}

// FuzzCheck: Check never panics, and what it accepts starts with a read verb
// and holds a single statement.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"SELECT 1", "select 'a;b' from x", "DELETE FROM x", "/* */ --\n", "SELECT [x] FROM \"y\"", "$a$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if Check(q) != nil {
			return
		}
		words, stmts, err := scan(q)
		if err != nil || stmts != 1 || !readVerbs[words[0]] {
			t.Fatalf("accepted %q: words %v, %d statements, %v", q, words, stmts, err)
		}
	})
}
