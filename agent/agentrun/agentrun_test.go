package agentrun

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestServeRefreshesAndShutsDown(t *testing.T) {
	ln, err := Listen("test", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var refreshes atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Server{Agent: "test", Every: 10 * time.Millisecond, RefreshWhat: "refresh",
			Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }),
			Refresh: func(context.Context) error { refreshes.Add(1); return nil },
			Log:     slog.New(slog.NewTextHandler(io.Discard, nil))}.Serve(ctx, ln)
	}()
	resp, err := http.Get("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Fatalf("body %q", b)
	}
	for refreshes.Load() < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel: %v", err)
		}
	case <-time.After(ShutdownTimeout + time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := Listen("miner", ln.Addr().String()+"x"); err == nil || !strings.Contains(err.Error(), "miner: listen on") {
		t.Fatalf("bad address: %v", err)
	}
}
