package follow_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/index/follow"
	"github.com/hypha-network/hypha/index/sqlq"
	"github.com/hypha-network/hypha/index/store"
	"github.com/hypha-network/hypha/testutil/e2e"
	"github.com/hypha-network/hypha/testutil/indextest"
	"github.com/hypha-network/hypha/testutil/pgtest"
	markettypes "github.com/hypha-network/hypha/x/market/types"
	subnettypes "github.com/hypha-network/hypha/x/subnet/types"
)

// traffic sends bank, market and subnet transactions from alice and returns
// the height the chain must reach for all of them to be in blocks.
func traffic(t testing.TB, d *e2e.Devnet) {
	t.Helper()
	ctx := context.Background()
	alice, err := chainclient.New(chainclient.Config{Home: d.Home, Key: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := alice.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	bob := sdk.MustAccAddressFromBech32(d.Address(t, "bob"))
	uhyp := func(n int64) sdk.Coin { return sdk.NewCoin("uhyp", sdkmath.NewInt(n)) }
	msgs := [][]sdk.Msg{
		{banktypes.NewMsgSend(alice.AccAddress(), bob, sdk.NewCoins(uhyp(1000)))},
		{banktypes.NewMsgSend(alice.AccAddress(), bob, sdk.NewCoins(uhyp(2000))), banktypes.NewMsgSend(alice.AccAddress(), bob, sdk.NewCoins(uhyp(3)))},
		{&markettypes.MsgCreateOrder{Owner: alice.Address(), Resources: markettypes.ResourceSpec{CpuMillis: 500, MemoryBytes: 256 << 20},
			MaxPricePerBlock: uhyp(100), Deposit: uhyp(5_000_000)}},
		{&subnettypes.MsgCreateSubnet{Owner: alice.Address(), Name: "index-test", MaxLock: 1 << 62}},
	}
	for _, m := range msgs {
		if _, err := alice.Broadcast(ctx, m...); err != nil {
			t.Fatalf("broadcast %T: %v", m[0], err)
		}
	}
}

// nodeTxHashes returns the hashes of every transaction in heights 1..h, as the node reports them.
func nodeTxHashes(t testing.TB, rpc string, h int64) []string {
	t.Helper()
	c, err := rpchttp.New(rpc, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := int64(1); i <= h; i++ {
		b, err := c.Block(context.Background(), &i)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range b.Block.Txs {
			out = append(out, fmt.Sprintf("%X", tx.Hash()))
		}
	}
	sort.Strings(out)
	return out
}

func index(t testing.TB, rpc, dsn string, reindexFrom, to int64) follow.Stats {
	t.Helper()
	st, err := follow.Index(context.Background(), rpc, dsn, reindexFrom, follow.Options{To: to})
	if err != nil {
		t.Fatalf("index %s: %v", dsn, err)
	}
	return st
}

func openDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.DB()
}

// queries are asked of both databases; their answers must agree.
var queries = []string{
	"SELECT COUNT(*) AS n, SUM(num_txs) AS txs, MAX(height) AS top FROM blocks",
	"SELECT hash, height, idx, code, gas_wanted, gas_used, fee, signer, msg_types FROM txs ORDER BY height, idx",
	"SELECT type_url, COUNT(*) AS n FROM msgs GROUP BY type_url ORDER BY type_url",
	"SELECT phase, COUNT(*) AS n FROM events GROUP BY phase ORDER BY phase",
	"SELECT e.type, a.key, COUNT(*) AS n FROM events e JOIN attributes a ON a.height = e.height AND a.event_idx = e.idx WHERE e.tx_hash IS NOT NULL GROUP BY e.type, a.key ORDER BY e.type, a.key",
	"SELECT address, MIN(height) AS first_seen, COUNT(*) AS blocks FROM accounts GROUP BY address ORDER BY address",
	"SELECT kind, order_id, owner, price, amount FROM market_orders ORDER BY height, event_idx",
	"SELECT kind, netuid, owner FROM subnets ORDER BY height, event_idx",
	"SELECT t.signer, COUNT(*) AS n FROM txs t WHERE t.code = 0 GROUP BY t.signer ORDER BY n DESC, t.signer",
}

func answers(t testing.TB, dsn string) []string {
	t.Helper()
	db, err := sqlq.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, q := range queries {
		res, err := db.Query(context.Background(), q, sqlq.Options{})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		bz, _ := json.Marshal(res.Rows)
		out = append(out, string(bz))
	}
	return out
}

// TestIndexDevnet indexes a real devnet with bank, market and subnet traffic
// into SQLite and PostgreSQL; kills a real `hyphad index` with SIGKILL several
// times mid-run and checks its index equals a fresh one; reindexes from a
// height; and runs `hyphad sql` against the result.
func TestIndexDevnet(t *testing.T) {
	d := e2e.StartDevnet(t)
	traffic(t, d)
	top := max(d.Height(t)+2, 25)
	d.WaitHeight(t, top)
	rpc := d.RPCURL()

	fresh := filepath.Join(t.TempDir(), "fresh.db")
	st := index(t, rpc, fresh, 0, top)
	if st.First != 1 || st.Last != top || st.Blocks != top {
		t.Fatalf("stats %+v, want heights 1-%d", st, top)
	}
	freshDump := indextest.Dump(t, openDB(t, fresh))
	t.Logf("indexed %d blocks, %d txs, %d events in %s", st.Blocks, st.Txs, st.Evts, st.Elapsed)

	// The index holds exactly the node's transactions.
	var hashes []string
	for _, r := range freshDump["txs"] {
		hashes = append(hashes, strings.SplitN(r, "|", 2)[0])
	}
	if got, want := strings.Join(hashes, ","), strings.Join(nodeTxHashes(t, rpc, top), ","); got != want {
		t.Fatalf("indexed tx hashes\n %s\nnode's\n %s", got, want)
	}
	if len(hashes) < 4 {
		t.Fatalf("only %d txs indexed", len(hashes))
	}
	if len(freshDump["market_orders"]) == 0 || len(freshDump["subnets"]) == 0 || len(freshDump["accounts"]) == 0 {
		t.Fatalf("module tables: %d orders, %d subnets, %d accounts", len(freshDump["market_orders"]),
			len(freshDump["subnets"]), len(freshDump["accounts"]))
	}

	t.Run("kill -9 and resume", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "killed.db")
		bin := e2e.Binary(t)
		args := []string{"index", "--node", rpc, "--db", db, "--to", fmt.Sprint(top), "--batch", "1"}
		kills := 0
		for round := 1; round <= 4; round++ {
			cmd := exec.Command(bin, args...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			target := top * int64(round) / 5
			killed := false
			for !killed {
				select {
				case err := <-done:
					// The machine was fast: it finished first. The final
					// comparison still holds; the kills so far count.
					t.Logf("round %d: indexer finished before the kill at height %d (%v)", round, target, err)
					killed = true
					continue
				case <-time.After(5 * time.Millisecond):
				}
				if cursorOf(db) >= target {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					<-done
					killed, kills = true, kills+1
				}
			}
			t.Logf("round %d: killed at cursor %d", round, cursorOf(db))
		}
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("final run: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), fmt.Sprintf("-%d,", top)) {
			t.Errorf("final run output: %s", out)
		}
		if diff := indextest.Diff(freshDump, indextest.Dump(t, openDB(t, db))); diff != "" {
			t.Fatalf("after %d kills the index differs from a fresh one:\n%s", kills, diff)
		}
	})

	t.Run("reindex from a height", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "reindex.db")
		index(t, rpc, db, 0, top)
		st := index(t, rpc, db, top/2, top)
		if st.First != top/2 {
			t.Fatalf("reindex started at %d, want %d", st.First, top/2)
		}
		if diff := indextest.Diff(freshDump, indextest.Dump(t, openDB(t, db))); diff != "" {
			t.Fatalf("reindexed index differs from a fresh one:\n%s", diff)
		}
	})

	t.Run("a reset chain is refused", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "reset.db")
		index(t, rpc, db, 0, 5)
		// As if the chain was reset under the same id: block 5 differs.
		if _, err := openDB(t, db).Exec("UPDATE blocks SET hash = 'OLD' WHERE height = 5"); err != nil {
			t.Fatal(err)
		}
		_, err := follow.Index(context.Background(), rpc, db, 0, follow.Options{To: 8})
		if !errors.Is(err, follow.ErrForked) || !strings.Contains(err.Error(), "--reindex-from 1") {
			t.Fatalf("want ErrForked, got %v", err)
		}
		if h := cursorOf(db); h != 5 {
			t.Fatalf("refused run moved the cursor to %d", h)
		}
	})

	t.Run("hyphad sql", func(t *testing.T) {
		bin := e2e.Binary(t)
		run := func(args ...string) (string, error) {
			out, err := exec.Command(bin, append([]string{"sql", "--db", fresh}, args...)...).CombinedOutput()
			return string(out), err
		}
		out, err := run("-o", "json", "SELECT height, num_txs FROM blocks ORDER BY height LIMIT 3")
		var rows []map[string]any
		if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 3 || rows[0]["height"] != float64(1) {
			t.Fatalf("json query: %v\n%s", err, out)
		}
		out, err = run("--max-rows", "2", "SELECT * FROM events")
		if err != nil || !strings.Contains(out, "cut at 2 rows") {
			t.Fatalf("max rows: %v\n%s", err, out)
		}
		for _, q := range []string{"DELETE FROM blocks", "INSERT INTO blocks (height) VALUES (0)", "DROP TABLE txs", "PRAGMA journal_mode=DELETE"} {
			out, err = run(q)
			if err == nil || !strings.Contains(out, "read-only") {
				t.Errorf("%s: want a refusal, got %v\n%s", q, err, out)
			}
		}
		out, err = run("--timeout", "200ms", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT COUNT(*) FROM c")
		if err == nil || !strings.Contains(out, "time limit") {
			t.Errorf("long query: want a timeout, got %v\n%s", err, out)
		}
	})

	t.Run("postgres", func(t *testing.T) {
		pg := pgtest.Start(t)
		dsn := pg.NewDB(t)
		index(t, rpc, dsn, 0, top)
		if diff := indextest.Diff(freshDump, indextest.Dump(t, openDB(t, dsn))); diff != "" {
			t.Fatalf("PostgreSQL index differs from SQLite's:\n%s", diff)
		}
		sqlite, postgres := answers(t, fresh), answers(t, dsn)
		for i := range queries {
			if sqlite[i] != postgres[i] {
				t.Errorf("%s\n sqlite:   %s\n postgres: %s", queries[i], sqlite[i], postgres[i])
			}
		}
	})
}

// cursorOf reads the cursor of the SQLite index at path (0 if unreadable).
func cursorOf(path string) int64 {
	db, err := sql.Open("sqlite", store.SQLiteDSN(path, true))
	if err != nil {
		return 0
	}
	defer db.Close()
	var h int64
	_ = db.QueryRow("SELECT height FROM index_cursor WHERE id = 1").Scan(&h)
	return h
}

// TestDevnetBuiltinIndex checks the devnet's built-in indexer: it fills
// HOME/index.db while the chain runs, and after a stop and a second start
// it resumes the same index.
func TestDevnetBuiltinIndex(t *testing.T) {
	d := e2e.StartDevnet(t)
	maxHeight := func() int64 {
		out, err := d.TryCLI("sql", "-o", "csv", "SELECT MAX(height) AS h FROM blocks")
		if err != nil {
			return 0
		}
		var h int64
		fmt.Sscanf(strings.TrimPrefix(string(out), "h\n"), "%d", &h)
		return h
	}
	waitIndexed := func(h int64) {
		deadline := time.Now().Add(60 * time.Second)
		for maxHeight() < h {
			if time.Now().After(deadline) {
				t.Fatalf("the devnet's index did not reach height %d (at %d)\n%s", h, maxHeight(), d.Output())
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	waitIndexed(3)
	d.Stop(t)
	before := maxHeight()
	d.Start(t)
	waitIndexed(before + 3)
	if out := d.Output(); !strings.Contains(out, "Indexing the chain into") || strings.Contains(out, "indexer:") {
		t.Fatalf("devnet output:\n%s", out)
	}
	// One row per height, none missing, none twice, across the restart.
	out := d.CLI(t, "sql", "-o", "csv", "SELECT COUNT(*) AS n, COUNT(DISTINCT height) AS d, MIN(height) AS lo, MAX(height) AS hi FROM blocks")
	var n, distinct, lo, hi int64
	fmt.Sscanf(strings.Split(string(out), "\n")[1], "%d,%d,%d,%d", &n, &distinct, &lo, &hi)
	if n != distinct || lo != 1 || hi-lo+1 != n {
		t.Fatalf("blocks after restart: %s", out)
	}
}
