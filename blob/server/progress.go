package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/api"
)

// progressWriter moves the connection's write deadline forward by stall
// every chunk written, so a transfer runs as long as it makes progress.
type progressWriter struct {
	http.ResponseWriter
	stall   time.Duration
	written int
}

func (p *progressWriter) Write(b []byte) (int, error) {
	total := 0
	for len(b) > 0 {
		if p.written%blob.ChunkSize == 0 {
			_ = http.NewResponseController(p.ResponseWriter).SetWriteDeadline(time.Now().Add(p.stall))
		}
		k := min(len(b), blob.ChunkSize-p.written%blob.ChunkSize)
		n, err := p.ResponseWriter.Write(b[:k])
		total += n
		p.written += n
		if err != nil {
			return total, err
		}
		b = b[k:]
	}
	return total, nil
}

// Unwrap lets http.ResponseController reach the connection.
func (p *progressWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// progressReader moves the connection's read deadline forward by stall every
// chunk read from an upload's body.
type progressReader struct {
	r     io.ReadCloser
	rc    *http.ResponseController
	stall time.Duration
	read  int64
	next  int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	if p.read >= p.next {
		_ = p.rc.SetReadDeadline(time.Now().Add(p.stall))
		p.next = p.read + blob.ChunkSize
	}
	n, err := p.r.Read(b)
	p.read += int64(n)
	return n, err
}

// Close closes the body.
func (p *progressReader) Close() error { return p.r.Close() }

// jsonErrors rewrites the plain-text error responses of http.ServeContent
// (416 for a bad range, and others) as the API's JSON errors.
type jsonErrors struct {
	progressWriter
	failed bool
}

func (j *jsonErrors) WriteHeader(status int) {
	if status < 400 {
		j.progressWriter.ResponseWriter.WriteHeader(status)
		return
	}
	j.failed = true
	h := j.Header()
	h.Del("X-Content-Type-Options")
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json")
	code, msg := api.CodeInternal, http.StatusText(status)
	if status == http.StatusRequestedRangeNotSatisfiable {
		code, msg = api.CodeBadRange, "the Range header asks for bytes outside the blob ("+strings.TrimPrefix(h.Get("Content-Range"), "bytes */")+" bytes): ask for ranges within it"
	}
	j.progressWriter.ResponseWriter.WriteHeader(status)
	_ = json.NewEncoder(j.progressWriter.ResponseWriter).Encode(api.Error{Error: msg, Code: code})
}

func (j *jsonErrors) Write(b []byte) (int, error) {
	if j.failed {
		return len(b), nil // the JSON error replaced ServeContent's text
	}
	return j.progressWriter.Write(b)
}
