package explorer_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/hypha-network/hypha/testutil/webtest"
	"github.com/hypha-network/hypha/web/explorer"
)

// browser starts headless Chromium (Debian's package, installed by .ci/run)
// or skips the test, saying how to get one.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("no Chromium on PATH: `apt-get install -y chromium` (as .ci/run does) to run the browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Skipf("Chromium at %s does not start: %v", path, err)
	}
	return ctx
}

// consoleErrors collects the console errors and uncaught exceptions of a tab.
type consoleErrors struct {
	mu   sync.Mutex
	errs []string
}

func (c *consoleErrors) listen(t *testing.T, ctx context.Context) {
	t.Helper()
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				c.mu.Lock()
				c.errs = append(c.errs, m.String()+" ("+m.URL+")")
				c.mu.Unlock()
			}
		}
	}()
}

func (c *consoleErrors) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.errs
	c.errs = nil
	return out
}

// TestBrowserPages loads every page in Chromium, checks that none logs a
// console error, and writes a screenshot of each to the test's artifact
// directory (go test -artifacts keeps them under -outputdir).
func TestBrowserPages(t *testing.T) {
	ctx := browser(t)
	base, _ := start(t, explorer.Options{})
	var ce consoleErrors
	ce.listen(t, ctx)
	dir := t.ArtifactDir()
	pages := []struct{ name, path, sel string }{
		{"overview", "/", "#blocks-live"},
		{"blocks", "/blocks", "#blocks-live"},
		{"block", "/block/5", "dl"},
		{"tx", "/tx/" + webtest.TxHash("tx 5"), "pre"},
		{"account", "/account/" + webtest.Tenant, "table"},
		{"providers", "/providers", "table"},
		{"provider", "/provider/" + webtest.Provider, "table"},
		{"orders", "/orders", "table"},
		{"order", "/order/2", "#bids-live"},
		{"leases", "/leases", ".alert"},
		{"lease", "/lease/2", ".alert"},
		{"subnets", "/subnets", "table"},
		{"subnet", "/subnet/1", "svg.heat"},
		{"sql", "/sql?q=SELECT+height,+hash+FROM+blocks+LIMIT+5", "#sql-result"},
		{"search-miss", "/search?q=nothing", "#error"},
	}
	for _, p := range pages {
		began := time.Now()
		err := chromedp.Do(ctx,
			chromedp.Navigate(base+p.path),
			chromedp.WaitVisible(chromedp.CSS(p.sel)),
			chromedp.Sleep(150*time.Millisecond), // let the live script connect
		)
		loaded := time.Since(began)
		var shot []byte
		if err == nil {
			shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(80))
		}
		t.Logf("%s: loaded in %v, screenshot in %v", p.name, loaded, time.Since(began)-loaded)
		if err != nil {
			t.Errorf("%s (%s): %v", p.name, p.path, err)
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, p.name+".jpg"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
		if errs := ce.take(); len(errs) > 0 && p.name != "search-miss" { // the miss is a 404 by design
			t.Errorf("%s (%s): console errors: %v", p.name, p.path, errs)
		}
	}
	ce.take()
	t.Logf("screenshots of %d pages in %s", len(pages), dir)
}

// TestBrowserLive opens the overview and an order in two tabs, appends a
// block with a bid to the index, and requires both to show up within 3 s.
func TestBrowserLive(t *testing.T) {
	ctx := browser(t)
	base, x := start(t, explorer.Options{Poll: 200 * time.Millisecond})
	orderTab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	var ce consoleErrors
	if err := chromedp.Do(orderTab); err != nil {
		t.Fatal(err)
	}
	ce.listen(t, ctx)
	ce.listen(t, orderTab)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#blocks-live"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(orderTab, chromedp.Navigate(base+"/order/2"), chromedp.WaitVisible(chromedp.CSS("#bids-live"))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // both streams are open and the hub has the height
	h := x.Append(t, webtest.Bid(2, webtest.Provider, "44uhyp", 0))
	appended := time.Now()

	wctx, wcancel := context.WithTimeout(ctx, 3*time.Second)
	defer wcancel()
	err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#blocks-live tr[data-height="%d"]`, h))))
	var height string
	if err == nil {
		height, err = chromedp.Run(wctx, chromedp.Text(chromedp.CSS("#live-height")))
	}
	if err != nil {
		t.Fatalf("block %d not on the overview within 3 s: %v", h, err)
	}
	if height != fmt.Sprint(h) {
		t.Errorf("header height %q, want %d", height, h)
	}
	bctx, bcancel := context.WithTimeout(orderTab, 3*time.Second-time.Since(appended))
	defer bcancel()
	bid, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`#bids-live tr.fresh`)))
	if err != nil {
		t.Fatalf("bid not on the order page within 3 s: %v", err)
	}
	if !strings.Contains(bid, "44uhyp") {
		t.Errorf("live bid row %q, want the 44uhyp bid", bid)
	}
	t.Logf("block %d and its bid shown %v after the index write", h, time.Since(appended).Round(time.Millisecond))
	if errs := ce.take(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// TestBrowserNoScript reads pages with JavaScript disabled.
func TestBrowserNoScript(t *testing.T) {
	ctx := browser(t)
	base, _ := start(t, explorer.Options{})
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ path, sel, want string }{
		{"/", "#blocks-live", "30"},
		{"/leases", ".alert", "runs dry in"},
		{"/order/1", "#bids-live", "90uhyp"},
	} {
		err := chromedp.Do(ctx, chromedp.Navigate(base+p.path))
		var text string
		if err == nil {
			text, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(p.sel)))
		}
		if err != nil {
			t.Fatalf("%s without JavaScript: %v", p.path, err)
		}
		if !strings.Contains(text, p.want) {
			t.Errorf("%s without JavaScript: %q lacks %q", p.path, text, p.want)
		}
	}
}
