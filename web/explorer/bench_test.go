package explorer_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/hypha-network/hypha/testutil/webtest"
	"github.com/hypha-network/hypha/web/explorer"
)

// BenchmarkRender renders each page in process (handler, index queries and
// template, no network) over a 500-block fixture and reports the p95 and
// p50 render time besides the mean.
func BenchmarkRender(b *testing.B) {
	x := webtest.New(b, b.TempDir(), 500)
	s, err := explorer.New(explorer.Options{Index: x.Path})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	for _, p := range []struct{ name, path string }{
		{"overview", "/"},
		{"blocks", "/blocks"},
		{"block", "/block/250"},
		{"tx", "/tx/" + webtest.TxHash("tx 250")},
		{"account", "/account/" + webtest.Tenant},
		{"order", "/order/1"},
		{"leases", "/leases"},
		{"subnet", "/subnet/1"},
		{"sql", "/sql?q=SELECT+COUNT(*)+FROM+txs"},
	} {
		b.Run(p.name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p.path, nil))
				if w.Code != http.StatusOK {
					b.Fatalf("%s: %d", p.path, w.Code)
				}
				_, _ = io.Copy(io.Discard, w.Body)
				times = append(times, time.Since(start))
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)*95/100].Microseconds()), "p95-µs")
			b.ReportMetric(float64(times[len(times)/2].Microseconds()), "p50-µs")
		})
	}
}
