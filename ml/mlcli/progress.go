package mlcli

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a one-line progress bar (step, loss, steps/s, ETA) on a
// terminal-like writer, redrawn at most ten times a second.
type progress struct {
	w          io.Writer
	off        bool
	first, end uint64
	start      time.Time
	last       time.Time
}

func newProgress(w io.Writer, off bool, first, end uint64) *progress {
	return &progress{w: w, off: off, first: first, end: end, start: time.Now()}
}

func (p *progress) update(step uint64, loss float32) {
	if p.off {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && step != p.end {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	rate := float64(step-p.first) / max(el, 1e-9)
	eta := time.Duration(float64(p.end-step)/max(rate, 1e-9)) * time.Second
	const width = 24
	done := int(float64(width) * float64(step) / float64(max(p.end, 1)))
	fmt.Fprintf(p.w, "\r[%s%s] step %d/%d  loss %.4f  %.1f steps/s  ETA %s   ",
		strings.Repeat("#", done), strings.Repeat(".", width-done), step, p.end, loss, rate, eta.Round(time.Second))
}

func (p *progress) done() {
	if !p.off {
		fmt.Fprintln(p.w)
	}
}
