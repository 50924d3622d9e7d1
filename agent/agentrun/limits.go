package agentrun

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Limits bound what one client can make an agent's HTTP server hold: time to
// send a request, time to take a response, header and body bytes, and open
// connections. A zero field takes the agent's default (see WithDefaults).
// Agents with a config file embed it under `limits:`.
type Limits struct {
	// ReadHeaderTimeout bounds reading the request headers.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading the whole request, body included; a slow
	// body is cut off (408) when it passes. It does not run on while the
	// handler works: the read deadline is cleared once the body is read.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds a request from the end of its headers to the end of
	// its response (streaming handlers lift it with Stream).
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout bounds a kept-alive connection between requests.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxHeaderBytes bounds the request line and headers.
	MaxHeaderBytes int `yaml:"max_header_bytes"`
	// MaxBodyBytes bounds a request body (413 beyond it); it is enforced
	// while reading, before any decoding.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxConnsPerIP bounds the open connections from one client IP; more
	// are closed as soon as they are accepted.
	MaxConnsPerIP int `yaml:"max_conns_per_ip"`
	// MaxConns bounds the open connections in total, likewise.
	MaxConns int `yaml:"max_conns"`
}

// DefaultLimits fills what neither a config nor an agent's own defaults set.
var DefaultLimits = Limits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       30 * time.Second,
	WriteTimeout:      60 * time.Second,
	IdleTimeout:       60 * time.Second,
	MaxHeaderBytes:    64 << 10,
	MaxBodyBytes:      1 << 20,
	MaxConnsPerIP:     32,
	MaxConns:          256,
}

// WithDefaults returns l with each zero (or negative) field taken from d,
// and then from DefaultLimits.
func (l Limits) WithDefaults(d Limits) Limits {
	for _, from := range []Limits{d, DefaultLimits} {
		if l.ReadHeaderTimeout <= 0 {
			l.ReadHeaderTimeout = from.ReadHeaderTimeout
		}
		if l.ReadTimeout <= 0 {
			l.ReadTimeout = from.ReadTimeout
		}
		if l.WriteTimeout <= 0 {
			l.WriteTimeout = from.WriteTimeout
		}
		if l.IdleTimeout <= 0 {
			l.IdleTimeout = from.IdleTimeout
		}
		if l.MaxHeaderBytes <= 0 {
			l.MaxHeaderBytes = from.MaxHeaderBytes
		}
		if l.MaxBodyBytes <= 0 {
			l.MaxBodyBytes = from.MaxBodyBytes
		}
		if l.MaxConnsPerIP <= 0 {
			l.MaxConnsPerIP = from.MaxConnsPerIP
		}
		if l.MaxConns <= 0 {
			l.MaxConns = from.MaxConns
		}
	}
	return l
}

// NewServer is how every agent builds its HTTP server: l (with DefaultLimits
// for its zero fields) sets the server's timeouts and header bound, and h is
// wrapped so that each request body is read in full, at most MaxBodyBytes,
// before h runs (see LimitBody). Serve it on LimitListener(ln, l) for the
// connection caps.
func NewServer(h http.Handler, l Limits) *http.Server {
	l = l.WithDefaults(Limits{})
	return &http.Server{
		Handler:           LimitBody(h, l.MaxBodyBytes),
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}

// LimitBody reads each request's body in full before calling h, at most max
// bytes (413 beyond, without reading the rest; 408 if the server's read
// timeout passes first), and hands h the buffered body. So h (and any
// concurrency slot it takes) never waits on a slow client, and nothing
// decodes a body larger than max. Once the body is read, the read deadline is
// cleared so a long handler is not cancelled by it.
func LimitBody(h http.Handler, max int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body exceeds %d bytes", max))
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
			if err != nil {
				var mbe *http.MaxBytesError
				var ne net.Error
				switch {
				case errors.As(err, &mbe):
					writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body exceeds %d bytes", max))
				case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
					writeError(w, http.StatusRequestTimeout, "the request body was not sent in time")
				default:
					writeError(w, http.StatusBadRequest, "read the request body: "+err.Error())
				}
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		h.ServeHTTP(w, r)
	})
}

// Stream lifts the write deadline of a streaming response (e.g. a log
// follow), which may last as long as the client stays connected.
func Stream(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Connection", "close")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// ConnLimiter is a listener that caps open connections per client IP and in
// total: a connection beyond either cap is closed as soon as it is accepted,
// and Accept goes on with the next.
type ConnLimiter struct {
	net.Listener
	perIP, total int

	mu      sync.Mutex
	open    map[string]int
	n       int
	refused atomic.Uint64
}

// LimitListener wraps ln with l's connection caps (DefaultLimits for zero fields).
func LimitListener(ln net.Listener, l Limits) *ConnLimiter {
	l = l.WithDefaults(Limits{})
	return &ConnLimiter{Listener: ln, perIP: l.MaxConnsPerIP, total: l.MaxConns, open: map[string]int{}}
}

// Accept returns the next connection within the caps.
func (l *ConnLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := c.RemoteAddr().String()
		if host, _, err := net.SplitHostPort(ip); err == nil {
			ip = host
		}
		l.mu.Lock()
		if l.n >= l.total || l.open[ip] >= l.perIP {
			l.mu.Unlock()
			l.refused.Add(1)
			_ = c.Close()
			continue
		}
		l.n++
		l.open[ip]++
		l.mu.Unlock()
		return &limitedConn{Conn: c, l: l, ip: ip}, nil
	}
}

func (l *ConnLimiter) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n--
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
}

// Open returns the connections open now, in total and from ip.
func (l *ConnLimiter) Open(ip string) (total, fromIP int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n, l.open[ip]
}

// Refused returns how many connections were closed for being over a cap.
func (l *ConnLimiter) Refused() uint64 { return l.refused.Load() }

type limitedConn struct {
	net.Conn
	l    *ConnLimiter
	ip   string
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}
