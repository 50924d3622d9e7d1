package blobtest

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is what a Faulty handler does to one response.
type Fault int

// The faults a Faulty handler injects.
const (
	// OK passes the response through.
	OK Fault = iota
	// Flip flips one bit in the middle of the body.
	Flip
	// Short sends a well-formed response with half the body (and a
	// matching Content-Length).
	Short
	// Truncate announces the full length, sends half the body and cuts the
	// connection.
	Truncate
	// Drop closes the connection without answering.
	Drop
	// Fail answers 503.
	Fail
)

// Faulty wraps a blob server's handler and damages the responses its plan
// picks; it counts the requests by path. Set the plan with SetPlan, which is
// safe while the server runs.
type Faulty struct {
	Inner http.Handler

	mu     sync.Mutex
	plan   func(path string, n int) Fault
	delay  time.Duration
	counts map[string]int
	chunks atomic.Int64
}

// SetPlan sets the function that returns the fault for the n-th request
// (0-based) of path; nil means no faults.
func (f *Faulty) SetPlan(plan func(path string, n int) Fault) {
	f.mu.Lock()
	f.plan = plan
	f.mu.Unlock()
}

// SetChunkDelay makes every chunk request wait d before it is served, so a
// test can interrupt a download midway.
func (f *Faulty) SetChunkDelay(d time.Duration) {
	f.mu.Lock()
	f.delay = d
	f.mu.Unlock()
}

// ChunkRequests returns how many chunk requests arrived.
func (f *Faulty) ChunkRequests() int { return int(f.chunks.Load()) }

// Requests returns how many requests path received.
func (f *Faulty) Requests(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[path]
}

// ServeHTTP implements http.Handler.
func (f *Faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if f.counts == nil {
		f.counts = map[string]int{}
	}
	n := f.counts[r.URL.Path]
	f.counts[r.URL.Path]++
	plan, delay := f.plan, f.delay
	f.mu.Unlock()
	if strings.Contains(r.URL.Path, "/chunks/") {
		f.chunks.Add(1)
		time.Sleep(delay)
	}
	fault := OK
	if plan != nil {
		fault = plan(r.URL.Path, n)
	}
	if fault == OK {
		f.Inner.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	f.Inner.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	switch fault {
	case Flip:
		if len(body) > 0 {
			body[len(body)/2] ^= 0x10
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	case Short:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)/2))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body[:len(body)/2])
	case Truncate:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler) // the server closes the connection mid-body
	case Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case Fail:
		http.Error(w, "injected failure", http.StatusServiceUnavailable)
	}
}
