package follow_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hypha-network/hypha/testutil/e2e"
	"github.com/hypha-network/hypha/testutil/pgtest"
)

// BenchmarkIndexDevnet measures index throughput on devnet data: a devnet
// with bank, market and subnet traffic is indexed from height 1 into a fresh
// SQLite file or PostgreSQL database per iteration, RPC fetches included.
// It reports blocks/s and events/s (docs/explorer.md has figures).
func BenchmarkIndexDevnet(b *testing.B) {
	d := e2e.StartDevnet(b)
	traffic(b, d)
	top := max(d.Height(b)+2, 40)
	d.WaitHeight(b, top)
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			var pg *pgtest.Server
			if dialect == "postgres" {
				pg = pgtest.Start(b)
			}
			var blocks, events int64
			var secs float64
			n := 0
			for b.Loop() {
				n++
				dsn := filepath.Join(b.TempDir(), fmt.Sprintf("bench%d.db", n))
				if pg != nil {
					dsn = pg.NewDB(b)
				}
				st := index(b, d.RPCURL(), dsn, 0, top)
				blocks, events, secs = blocks+st.Blocks, events+st.Evts, secs+st.Elapsed.Seconds()
			}
			b.ReportMetric(float64(blocks)/secs, "blocks/s")
			b.ReportMetric(float64(events)/secs, "events/s")
			b.ReportMetric(float64(events)/float64(blocks), "events/block")
		})
	}
}
