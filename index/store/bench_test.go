package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hypha-network/hypha/index/decode"
	"github.com/hypha-network/hypha/index/store"
	"github.com/hypha-network/hypha/testutil/indextest"
	"github.com/hypha-network/hypha/testutil/pgtest"
)

// BenchmarkWrite measures the database side alone: batches of 50 blocks of
// 20 transactions each (blocks busier than the devnet's), written to SQLite
// and PostgreSQL. It reports blocks/s and rows/s.
func BenchmarkWrite(b *testing.B) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		b.Run(dialect, func(b *testing.B) {
			dsn := filepath.Join(b.TempDir(), "bench.db")
			if dialect == "postgres" {
				dsn = pgtest.Start(b).NewDB(b)
			}
			ctx := context.Background()
			s, err := store.Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.Bind(ctx, "bench-1"); err != nil {
				b.Fatal(err)
			}
			const batch, txs = 50, 20
			h, rows := int64(1), 0
			for b.Loop() {
				bs := make([]*decode.Block, batch)
				for i := range bs {
					bs[i] = indextest.FakeBlock(h, txs)
					rows += len(bs[i].Rows)
					h++
				}
				if err := s.Write(ctx, bs); err != nil {
					b.Fatal(err)
				}
			}
			secs := b.Elapsed().Seconds()
			b.ReportMetric(float64(h-1)/secs, "blocks/s")
			b.ReportMetric(float64(rows)/secs, "rows/s")
		})
	}
}
