// Package live pushes explorer updates to open pages over server-sent
// events. A Hub polls a source for what is new (blocks, bids) and fans each
// event out to every subscriber; a slow subscriber loses events rather than
// holding the others back.
package live

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Event is one update: its SSE event name ("block", "bid") and a JSON body.
type Event struct {
	Name string
	Data any
}

// Source returns the events that happened since the last call.
type Source func(ctx context.Context) ([]Event, error)

// Hub fans events from a Source out to subscribers.
type Hub struct {
	src   Source
	every time.Duration

	mu   sync.Mutex
	subs map[chan Event]struct{}
}

// New returns a hub that polls src every period once Run is called.
func New(src Source, every time.Duration) *Hub {
	return &Hub{src: src, every: every, subs: map[chan Event]struct{}{}}
}

// Run polls until ctx ends. A source error is retried at the next period:
// the index may be briefly locked or not yet created.
func (h *Hub) Run(ctx context.Context) {
	t := time.NewTicker(h.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		evs, err := h.src(ctx)
		if err != nil {
			continue
		}
		for _, e := range evs {
			h.publish(e)
		}
	}
}

func (h *Hub) publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.subs {
		select {
		case c <- e:
		default: // a full subscriber skips this event; the page still reloads fine
		}
	}
}

func (h *Hub) subscribe() chan Event {
	c := make(chan Event, 64)
	h.mu.Lock()
	h.subs[c] = struct{}{}
	h.mu.Unlock()
	return c
}

func (h *Hub) unsubscribe(c chan Event) {
	h.mu.Lock()
	delete(h.subs, c)
	h.mu.Unlock()
}

// Subscribers reports how many streams are open.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// ServeHTTP streams events as text/event-stream until the client leaves.
// The caller lifts the server's write timeout for this handler.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // a stream lasts as long as the page is open
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	c := h.subscribe()
	defer h.unsubscribe(c)
	fmt.Fprint(w, "retry: 2000\n: connected\n\n")
	if err := rc.Flush(); err != nil {
		return // the connection cannot stream
	}
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keep.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case e := <-c:
			body, err := json.Marshal(e.Data)
			if err != nil {
				continue
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Name, body)
		}
		if rc.Flush() != nil {
			return
		}
	}
}
