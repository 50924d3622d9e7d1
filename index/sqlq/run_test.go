package sqlq_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypha-network/hypha/index/decode"
	"github.com/hypha-network/hypha/index/sqlq"
	"github.com/hypha-network/hypha/index/store"
	"github.com/hypha-network/hypha/testutil/indextest"
	"github.com/hypha-network/hypha/testutil/pgtest"
)

// fill writes n fake blocks of 3 transactions each into a new index at dsn.
func fill(t *testing.T, dsn string, n int64) {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Bind(ctx, "test-1"); err != nil {
		t.Fatal(err)
	}
	var bs []*decode.Block
	for h := int64(1); h <= n; h++ {
		bs = append(bs, indextest.FakeBlock(h, 3))
	}
	if err := s.Write(ctx, bs); err != nil {
		t.Fatal(err)
	}
}

func testRun(t *testing.T, dsn string, longQuery string) {
	fill(t, dsn, 20)
	db, err := sqlq.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()

	res, err := db.Query(ctx, "SELECT height, num_txs, hash FROM blocks WHERE height <= 2 ORDER BY height", sqlq.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out, notes bytes.Buffer
	for _, f := range []string{"table", "csv", "json"} {
		if err := sqlq.Write(&out, &notes, res, f); err != nil {
			t.Fatal(err)
		}
	}
	want := "HEIGHT  NUM_TXS  HASH\n1       3        HASH1\n2       3        HASH2\n" +
		"height,num_txs,hash\n1,3,HASH1\n2,3,HASH2\n" +
		"[\n  {\"height\": 1, \"num_txs\": 3, \"hash\": \"HASH1\"},\n  {\"height\": 2, \"num_txs\": 3, \"hash\": \"HASH2\"}\n]\n"
	if out.String() != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out.String(), want)
	}

	// Huge results are cut, with a note.
	res, err = db.Query(ctx, "SELECT * FROM txs", sqlq.Options{MaxRows: 7})
	if err != nil {
		t.Fatal(err)
	}
	notes.Reset()
	if err := sqlq.Write(&out, &notes, res, "csv"); err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 7 || !res.Cut || !strings.Contains(notes.String(), "cut at 7 rows") {
		t.Fatalf("cut: %d rows, cut %v, note %q", len(res.Rows), res.Cut, notes.String())
	}

	// Long-running queries stop at the time limit.
	start := time.Now()
	_, err = db.Query(ctx, longQuery, sqlq.Options{Timeout: 300 * time.Millisecond})
	if !errors.Is(err, sqlq.ErrTimeout) || !strings.Contains(err.Error(), "--timeout") {
		t.Fatalf("long query: want ErrTimeout, got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("long query took %s to stop", d)
	}

	// Writes are refused, and leave the data alone.
	for _, q := range []string{"INSERT INTO blocks (height) VALUES (99)", "UPDATE blocks SET hash = 'x'",
		"DELETE FROM blocks", "DROP TABLE blocks", "ATTACH DATABASE 'x.db' AS x", "PRAGMA query_only = 0",
		"WITH d AS (DELETE FROM txs RETURNING hash) SELECT * FROM d"} {
		if _, err := db.Query(ctx, q, sqlq.Options{}); !errors.Is(err, sqlq.ErrNotReadOnly) {
			t.Errorf("%q: want ErrNotReadOnly, got %v", q, err)
		}
	}
	res, err = db.Query(ctx, "SELECT COUNT(*) AS n FROM txs", sqlq.Options{})
	if err != nil || res.Rows[0][0] != int64(60) {
		t.Fatalf("txs after refused writes: %v %v", res, err)
	}
}

func TestRunSQLite(t *testing.T) {
	testRun(t, filepath.Join(t.TempDir(), "index.db"),
		"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c")
}

func TestRunPostgres(t *testing.T) {
	testRun(t, pgtest.Start(t).NewDB(t), "SELECT COUNT(*) FROM generate_series(1, 10000000000)")
}

// TestSQLiteReadOnlyByTheDatabase runs a write past Check, straight on the
// read-only connection: SQLite itself refuses it.
func TestSQLiteReadOnlyByTheDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	fill(t, path, 1)
	db, err := sqlOpenRO(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("DELETE FROM blocks"); err == nil {
		t.Fatal("DELETE on the read-only connection succeeded")
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := sqlq.Open(filepath.Join(t.TempDir(), "none.db"))
	if !errors.Is(err, sqlq.ErrNoIndex) || !strings.Contains(err.Error(), "hyphad index") {
		t.Fatalf("missing index: %v", err)
	}
}

func sqlOpenRO(path string) (*sql.DB, error) { return sql.Open("sqlite", store.SQLiteDSN(path, true)) }
