package explorer_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hypha-network/hypha/testutil/webtest"
	"github.com/hypha-network/hypha/web/explorer"
)

// FuzzSearch sends any text to /search and to the pages that parse a path
// value: the answer is a redirect to a local page, a 400 or a 404, never a
// panic or a 500, and nothing typed is echoed unescaped.
func FuzzSearch(f *testing.F) {
	x := webtest.New(f, f.TempDir(), 20)
	s, err := explorer.New(explorer.Options{Index: x.Path})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	for _, seed := range []string{"", "12", "block 7", "order 1", "lease x", "subnet 99999999999999999999",
		webtest.Tenant, webtest.TxHash("tx 3"), "<script>", "hypha1<b>", "'; DROP TABLE blocks; --", "-1", "order -1"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, q string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/search?q="+url.QueryEscape(q), nil))
		switch w.Code {
		case http.StatusSeeOther:
			if loc := w.Header().Get("Location"); !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
				t.Fatalf("search %q redirects off site to %q", q, loc)
			}
		case http.StatusBadRequest, http.StatusNotFound:
			if strings.Contains(q, "<") && strings.Contains(w.Body.String(), q) {
				t.Fatalf("search %q echoed unescaped", q)
			}
		default:
			t.Fatalf("search %q: status %d: %s", q, w.Code, w.Body.String())
		}
		for _, p := range []string{"/block/", "/order/", "/lease/", "/subnet/", "/tx/", "/account/"} {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p+url.PathEscape(q), nil))
			if w.Code >= 500 {
				t.Fatalf("%s%q: status %d: %s", p, q, w.Code, w.Body.String())
			}
		}
	})
}
