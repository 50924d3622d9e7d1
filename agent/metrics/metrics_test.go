package metrics

import (
	"net/http/httptest"
	"testing"
)

func TestExposition(t *testing.T) {
	r := New()
	r.Describe("b_total", "counter", "Bs.")
	r.Describe("a", "gauge", "As.")
	r.Add("b_total", 1, "code", "200")
	r.Add("b_total", 2, "code", "200")
	r.Add("b_total", 1, "code", "401")
	r.Set("a", 0.5)
	r.Add("c", 1) // undescribed metrics are exposed without HELP/TYPE
	if got := r.Get("b_total", "code", "200"); got != 3 {
		t.Fatalf("Get = %v, want 3", got)
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	want := "# HELP a As.\n# TYPE a gauge\na 0.5\n" +
		"# HELP b_total Bs.\n# TYPE b_total counter\nb_total{code=\"200\"} 3\nb_total{code=\"401\"} 1\n" +
		"c 1\n"
	if got := rec.Body.String(); got != want {
		t.Fatalf("exposition:\n%s\nwant:\n%s", got, want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain; version=0.0.4" {
		t.Fatalf("content type %q", ct)
	}
}
