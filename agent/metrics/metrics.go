// Package metrics is a minimal Prometheus text-format registry for the Hypha
// agents: counters and gauges with fixed label sets, served at /metrics.
package metrics

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// Registry holds metric values; the zero value is not usable, use New.
type Registry struct {
	mu    sync.Mutex
	help  map[string]string
	kind  map[string]string
	value map[string]map[string]float64 // name -> rendered labels -> value
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{help: map[string]string{}, kind: map[string]string{}, value: map[string]map[string]float64{}}
}

// Describe declares a metric with its type ("counter" or "gauge") and help text.
func (r *Registry) Describe(name, kind, help string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.help[name], r.kind[name] = help, kind
	if r.value[name] == nil {
		r.value[name] = map[string]float64{}
	}
}

// labels renders alternating key, value pairs as {k="v",…}.
func labels(kv []string) string {
	if len(kv) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", kv[i], kv[i+1])
	}
	b.WriteByte('}')
	return b.String()
}

// Add adds delta to the metric with the given label pairs.
func (r *Registry) Add(name string, delta float64, kv ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.value[name] == nil {
		r.value[name] = map[string]float64{}
	}
	r.value[name][labels(kv)] += delta
}

// Set sets the metric with the given label pairs.
func (r *Registry) Set(name string, v float64, kv ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.value[name] == nil {
		r.value[name] = map[string]float64{}
	}
	r.value[name][labels(kv)] = v
}

// Get returns the metric's current value (0 if unset).
func (r *Registry) Get(name string, kv ...string) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.value[name][labels(kv)]
}

// WriteTo writes every metric in the Prometheus text exposition format, sorted
// by name and labels.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.value))
	for n := range r.value {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		if h := r.help[n]; h != "" {
			fmt.Fprintf(&b, "# HELP %s %s\n", n, h)
		}
		if k := r.kind[n]; k != "" {
			fmt.Fprintf(&b, "# TYPE %s %s\n", n, k)
		}
		ls := make([]string, 0, len(r.value[n]))
		for l := range r.value[n] {
			ls = append(ls, l)
		}
		sort.Strings(ls)
		for _, l := range ls {
			v := r.value[n][l]
			if v == math.Trunc(v) && math.Abs(v) < 1e15 {
				fmt.Fprintf(&b, "%s%s %d\n", n, l, int64(v))
			} else {
				fmt.Fprintf(&b, "%s%s %g\n", n, l, v)
			}
		}
	}
	m, err := io.WriteString(w, b.String())
	return int64(m), err
}

// ServeHTTP serves the registry as text/plain; version=0.0.4.
func (r *Registry) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = r.WriteTo(w)
}
