package explorer_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hypha-network/hypha/index/sqlq"
	"github.com/hypha-network/hypha/testutil/webtest"
	"github.com/hypha-network/hypha/web/explorer"
)

// start serves the explorer over a fixture index on a loopback port.
func start(t testing.TB, opts explorer.Options) (string, *webtest.Index) {
	t.Helper()
	x := webtest.New(t, t.TempDir(), 30)
	opts.Index = x.Path
	if opts.Poll == 0 {
		opts.Poll = 100 * time.Millisecond
	}
	s, err := explorer.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		s.Close()
	})
	return "http://" + ln.Addr().String(), x
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestPages(t *testing.T) {
	base, _ := start(t, explorer.Options{})
	for _, c := range []struct{ path, want string }{
		{"/", "Latest blocks"},
		{"/", "block time"},
		{"/blocks", webtest.TxHash("block 30")[:8]},
		{"/block/5", "coinbase"},
		{"/tx/" + webtest.TxHash("tx 5"), "MsgSend"},
		{"/account/" + webtest.Tenant, webtest.TxHash("tx 30")[:8]},
		{"/providers", "5000000uhyp"},
		{"/provider/" + webtest.Provider, "Leases"},
		{"/orders", "leased"},
		{"/order/1", "90uhyp"},
		{"/leases", "runs dry in 82 blocks"},
		{"/lease/1", "441uhyp"},
		{"/lease/1", "98010uhyp"}, // (1119-30) blocks × 90uhyp
		{"/subnets", webtest.Owner[:8]},
		{"/subnet/1", "Emission over time"},
		{"/subnet/1", "<svg"},
		{"/sql", "SELECT height"},
	} {
		code, body := get(t, base+c.path)
		if code != http.StatusOK {
			t.Errorf("GET %s: %d\n%s", c.path, code, body)
			continue
		}
		if !strings.Contains(strings.ToLower(body), strings.ToLower(c.want)) {
			t.Errorf("GET %s: no %q in the page", c.path, c.want)
		}
	}
}

func TestErrors(t *testing.T) {
	base, _ := start(t, explorer.Options{})
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/block/999", 404, "block 999: not found"},
		{"/block/abc", 400, "is not a number"},
		{"/tx/zz", 400, "is not hex"},
		{"/tx/" + webtest.TxHash("nope"), 404, "not found"},
		{"/account/bob", 400, "not an account address"},
		{"/order/77", 404, "order 77"},
		{"/lease/77", 404, "lease 77"},
		{"/subnet/9", 404, "subnet 9"},
		{"/search?q=", 400, "empty search"},
		{"/search?q=%3Chello%3E", 404, "&lt;hello&gt;"},
	} {
		code, body := get(t, base+c.path)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("GET %s: %d, want %d with %q\n%s", c.path, code, c.code, c.want, body)
		}
	}
}

func TestSearch(t *testing.T) {
	base, _ := start(t, explorer.Options{})
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for q, want := range map[string]string{
		"12":                                    "/block/12",
		"block 7":                               "/block/7",
		"order 1":                               "/order/1",
		"Lease 2":                               "/lease/2",
		"subnet 1":                              "/subnet/1",
		webtest.Tenant:                          "/account/" + webtest.Tenant,
		strings.ToLower(webtest.TxHash("tx 3")): "/tx/" + webtest.TxHash("tx 3"),
	} {
		res, err := cl.Get(base + "/search?q=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("search %q: %d to %q, want %q", q, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
}

func TestSQLPage(t *testing.T) {
	base, _ := start(t, explorer.Options{SQL: sqlq.Options{Timeout: 300 * time.Millisecond, MaxRows: 10}})
	sqlURL := func(q string) string { return base + "/sql?q=" + url.QueryEscape(q) }
	for _, c := range []struct{ q, want string }{
		{"DELETE FROM blocks", "only read-only queries are allowed"},
		{"SELECT 1; DROP TABLE blocks", "only read-only queries are allowed"},
		{"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n) SELECT COUNT(*) FROM n", "query ran past its time limit"},
		{"SELECT height FROM blocks", "Cut at 10 rows"},
		{"SELECT '<script>alert(1)</script>' AS x", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"SELECT COUNT(*) AS n FROM blocks", "<td>30</td>"},
	} {
		code, body := get(t, sqlURL(c.q))
		if code != 200 || !strings.Contains(body, c.want) {
			t.Errorf("SQL %q: %d, no %q\n%s", c.q, code, c.want, body)
		}
	}
	// The refused write changed nothing.
	if _, body := get(t, sqlURL("SELECT COUNT(*) AS n FROM blocks")); !strings.Contains(body, "<td>30</td>") {
		t.Error("blocks changed after a refused DELETE")
	}
}

// TestEvents reads the event stream while blocks and a bid are appended.
func TestEvents(t *testing.T) {
	base, x := start(t, explorer.Options{})
	res, err := http.Get(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	time.Sleep(300 * time.Millisecond) // the hub has noted the current height
	x.Append(t, webtest.Bid(2, webtest.Provider, "45uhyp", 0))
	want := map[string]bool{`event: block`: false, `"height":31`: false, `event: bid`: false, `"price":"45uhyp"`: false}
	deadline := time.After(3 * time.Second)
	for missing := len(want); missing > 0; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("stream ended")
			}
			for k, seen := range want {
				if !seen && strings.Contains(l, k) {
					want[k] = true
					missing--
				}
			}
		case <-deadline:
			t.Fatalf("not all events within 3 s: %v", want)
		}
	}
}
