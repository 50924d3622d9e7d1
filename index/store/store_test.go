package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/hypha-network/hypha/index/decode"
	"github.com/hypha-network/hypha/index/schema"
	"github.com/hypha-network/hypha/index/store"
	"github.com/hypha-network/hypha/testutil/indextest"
	"github.com/hypha-network/hypha/testutil/pgtest"
)

func fakeBlock(h int64) *decode.Block { return indextest.FakeBlock(h, 1) }

func count(t *testing.T, s *store.Store, table string) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testStore(t *testing.T, dsn string) {
	ctx := context.Background()
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, []*decode.Block{fakeBlock(1)}); err == nil {
		t.Fatal("write before Bind: want an error")
	}
	if err := s.Bind(ctx, "chain-a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, []*decode.Block{fakeBlock(1), fakeBlock(2), fakeBlock(3)}); err != nil {
		t.Fatal(err)
	}
	// A gap, a duplicate and a batch that jumps are refused and change nothing.
	for _, bad := range [][]*decode.Block{{fakeBlock(5)}, {fakeBlock(3)}, {fakeBlock(4), fakeBlock(6)}} {
		if err := s.Write(ctx, bad); !errors.Is(err, store.ErrGap) {
			t.Fatalf("write %d..: want ErrGap, got %v", bad[0].Height, err)
		}
	}
	// A failing row rolls back the whole batch, cursor included.
	broken := fakeBlock(5)
	broken.Rows = append(broken.Rows, decode.Row{Table: schema.Blocks, Values: []any{int64(5)}})
	if err := s.Write(ctx, []*decode.Block{fakeBlock(4), broken}); err == nil {
		t.Fatal("broken row: want an error")
	}
	if h, chain, _ := s.Cursor(ctx); h != 3 || chain != "chain-a" || count(t, s, "blocks") != 3 || count(t, s, "events") != 3 {
		t.Fatalf("after refused writes: cursor %d %q, %d blocks", h, chain, count(t, s, "blocks"))
	}
	if err := s.Bind(ctx, "chain-b"); !errors.Is(err, store.ErrOtherChain) {
		t.Fatalf("bind to another chain: %v", err)
	}
	if err := s.ReindexFrom(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := s.Cursor(ctx); h != 1 || count(t, s, "blocks") != 1 || count(t, s, "attributes") != 1 || count(t, s, "txs") != 1 {
		t.Fatalf("after reindex from 2: cursor %d, %d blocks", h, count(t, s, "blocks"))
	}
	if err := s.ReindexFrom(ctx, 0); err == nil {
		t.Fatal("reindex from 0: want an error")
	}
	s.Close()
	// Reopening migrates nothing twice and resumes at the cursor.
	s, err = store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write(ctx, []*decode.Block{fakeBlock(2)}); err != nil {
		t.Fatal(err)
	}
	if hash, ok, err := s.BlockHash(ctx, 2); err != nil || !ok || hash != "HASH2" {
		t.Fatalf("block hash %q %v %v", hash, ok, err)
	}
}

func TestStoreSQLite(t *testing.T) { testStore(t, filepath.Join(t.TempDir(), "sub", "index.db")) }

func TestStorePostgres(t *testing.T) { testStore(t, pgtest.Start(t).NewDB(t)) }

func TestRedact(t *testing.T) {
	if got := store.Redact("postgres://u:secret@h:5432/db"); got != "postgres://u:***@h:5432/db" {
		t.Fatal(got)
	}
	if got := store.Redact("postgres://u@h/db"); got != "postgres://u@h/db" {
		t.Fatal(got)
	}
}
