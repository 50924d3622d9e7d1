package blobcli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hypha-network/hypha/blob/client"
)

// progress draws a one-line transfer status on stderr, at most ten times a
// second and always for the last chunk.
type progress struct {
	w    io.Writer
	verb string

	mu    sync.Mutex
	start time.Time
	last  time.Time
	drawn bool
}

func newProgress(w io.Writer, verb string) *progress {
	return &progress{w: w, verb: verb, start: time.Now()}
}

func (p *progress) update(s client.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && s.Done != s.Size {
		return
	}
	p.last = now
	rate := float64(s.Done) / max(now.Sub(p.start).Seconds(), 1e-3)
	line := fmt.Sprintf("\r%s %s: %d/%d chunks, %s of %s, %s/s", p.verb, s.ID.Short(), s.ChunksDone, s.Chunks,
		human(s.Done), human(s.Size), human(int64(rate)))
	if s.Resumed > 0 {
		line += fmt.Sprintf(", %d resumed", s.Resumed)
	}
	if s.Retries > 0 {
		line += fmt.Sprintf(", %d retried (last: %v)", s.Retries, s.LastFailure)
	}
	fmt.Fprint(p.w, line+"   ")
	p.drawn = true
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
