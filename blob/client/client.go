// Package client fetches blobs from blob servers and uploads to them. A
// download checks the manifest against the id and every chunk against the
// manifest, retries a bad, short or failed chunk (from the next source),
// resumes after a kill from what is on disk, and puts the file in place only
// once every chunk has verified: a corrupt or truncated transfer is never used.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/api"
)

// Defaults of a zero Client field.
const (
	DefaultRetries      = 4
	DefaultBackoff      = 200 * time.Millisecond
	MaxBackoff          = 5 * time.Second
	DefaultParallel     = 4
	DefaultChunkTimeout = 60 * time.Second
)

// Client talks to blob servers. The zero value works; fields left zero take
// the defaults above. Safe for concurrent use once configured.
type Client struct {
	// HTTP sends the requests (default: a client with connect and header
	// timeouts, and Expect: 100-continue support for uploads).
	HTTP *http.Client
	// Retries is how many more times a chunk (or the manifest, or an
	// upload) is tried after its first failure.
	Retries int
	// Backoff is the wait before the first retry, doubled on each further
	// one up to MaxBackoff.
	Backoff time.Duration
	// Parallel is how many chunks a download fetches at once.
	Parallel int
	// ChunkTimeout bounds one chunk request, so a stalled source is
	// abandoned and retried elsewhere.
	ChunkTimeout time.Duration
	// Progress, if set, is called after each verified chunk of a download
	// and each upload step (from one goroutine at a time).
	Progress func(Progress)
	// Sign, if set, is applied to every upload request before it is sent
	// (see blob/blobauth for agent-signed requests).
	Sign func(*http.Request) error
}

// Progress reports a transfer's state.
type Progress struct {
	ID          blob.ID
	Size        int64 // the blob's size
	Done        int64 // bytes verified (download) or sent (upload)
	Chunks      int   // chunks in the blob
	ChunksDone  int   // chunks verified, resumed ones included
	Resumed     int   // chunks found verified on disk at the start
	Retries     int   // failed attempts so far
	Source      string
	LastFailure error // the most recent failed attempt, if any
}

var defaultHTTP = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	MaxIdleConnsPerHost:   16,
	IdleConnTimeout:       90 * time.Second,
	ResponseHeaderTimeout: 30 * time.Second,
	ExpectContinueTimeout: 5 * time.Second,
}}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

func (c *Client) retries() int {
	if c.Retries > 0 {
		return c.Retries
	}
	if c.Retries < 0 {
		return 0
	}
	return DefaultRetries
}

func (c *Client) parallel() int {
	if c.Parallel > 0 {
		return c.Parallel
	}
	return DefaultParallel
}

func (c *Client) chunkTimeout() time.Duration {
	if c.ChunkTimeout > 0 {
		return c.ChunkTimeout
	}
	return DefaultChunkTimeout
}

// wait sleeps the backoff before retry number n (1, 2, ...) or until ctx ends.
func (c *Client) wait(ctx context.Context, n int) error {
	d := c.Backoff
	if d <= 0 {
		d = DefaultBackoff
	}
	for k := 1; k < n && d < MaxBackoff; k++ {
		d *= 2
	}
	d = min(d, MaxBackoff)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// StatusError is a server's error answer.
type StatusError struct {
	URL    string
	Status int
	Code   string // api.Code*, empty if the body was not the API's JSON
	Msg    string
}

// Error gives the URL, the status and the server's message.
func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: %d %s: %s", e.URL, e.Status, http.StatusText(e.Status), e.Msg)
}

// statusError reads the error body of res.
func statusError(res *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	e := &StatusError{URL: res.Request.URL.String(), Status: res.StatusCode}
	var body api.Error
	if json.Unmarshal(b, &body) == nil && body.Error != "" {
		e.Code, e.Msg = body.Code, body.Error
	} else {
		e.Msg = strings.TrimSpace(string(b))
	}
	return e
}

// ErrTransfer is what every failed download or upload wraps, after its retries.
var ErrTransfer = errors.New("blob client: transfer failed")

// TransferError reports a transfer that failed on every attempt.
type TransferError struct {
	ID       blob.ID
	Op       string // "manifest", "chunk", "upload"
	Chunk    int    // the chunk that failed (Op "chunk")
	Attempts int
	Err      error // the last attempt's failure
}

// Error says what failed, how often, and the last cause.
func (e *TransferError) Error() string {
	what := e.Op
	if e.Op == "chunk" {
		what = fmt.Sprintf("chunk %d", e.Chunk)
	}
	return fmt.Sprintf("blob client: %s of %s failed %d times, giving up (no file was written; try another --from source): last error: %v", what, e.ID, e.Attempts, e.Err)
}

// Unwrap makes errors.Is hold for ErrTransfer and for the last failure.
func (e *TransferError) Unwrap() []error { return []error{ErrTransfer, e.Err} }

// base normalizes a source URL to have no trailing slash.
func base(src string) string { return strings.TrimRight(src, "/") }

// getBytes GETs url and returns at most limit bytes of a 200 body (more is an error).
func (c *Client) getBytes(ctx context.Context, url string, limit int64) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("blob client: %w", err)
	}
	res, err := c.http().Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, nil, statusError(res)
	}
	if res.ContentLength > limit {
		return nil, nil, fmt.Errorf("%s: body of %d bytes, more than the %d expected", url, res.ContentLength, limit)
	}
	if res.ContentLength >= 0 {
		// The usual case (chunks): one allocation of the announced size. A body
		// that ends early is an error (io.ErrUnexpectedEOF), never short data.
		b := make([]byte, res.ContentLength)
		if n, err := io.ReadFull(res.Body, b); err != nil {
			return nil, nil, fmt.Errorf("%s: body cut after %d of %d bytes: %w", url, n, len(b), err)
		}
		return b, res.Header, nil
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: body cut after %d bytes: %w", url, len(b), err)
	}
	if int64(len(b)) > limit {
		return nil, nil, fmt.Errorf("%s: body longer than %d bytes", url, limit)
	}
	return b, res.Header, nil
}

// Manifest fetches the manifest of id from src and checks it against id.
func (c *Client) Manifest(ctx context.Context, src string, id blob.ID) (blob.Manifest, error) {
	b, _, err := c.getBytes(ctx, base(src)+api.ManifestPath(id), blob.MaxManifestBytes)
	if err != nil {
		return blob.Manifest{}, err
	}
	m, err := blob.DecodeManifest(b, id)
	if err != nil {
		return blob.Manifest{}, fmt.Errorf("%s: %w", src, err)
	}
	return m, nil
}

// Chunk fetches chunk i of blob id, whose size the caller knows (from the
// chain, or a manifest), from src and verifies it with the proof the server
// sends; it needs no manifest.
func (c *Client) Chunk(ctx context.Context, src string, id blob.ID, size int64, i int) ([]byte, blob.ChunkProof, error) {
	if size < 0 || size > blob.MaxSize {
		return nil, blob.ChunkProof{}, fmt.Errorf("%w: size %d outside 0..%d", blob.ErrBadProof, size, blob.MaxSize)
	}
	want := blob.ChunkLen(size, i)
	if want == 0 {
		return nil, blob.ChunkProof{}, fmt.Errorf("%w: chunk %d of a %d-byte blob", blob.ErrChunkRange, i, size)
	}
	data, hd, err := c.getBytes(ctx, base(src)+api.ChunkPath(id, i), int64(want))
	if err != nil {
		return nil, blob.ChunkProof{}, err
	}
	leaf, err := blob.ParseID(hd.Get(api.HeaderLeaf))
	if err != nil {
		return nil, blob.ChunkProof{}, fmt.Errorf("%w: %s header: %v", blob.ErrBadProof, api.HeaderLeaf, err)
	}
	path, err := blob.DecodePath(hd.Get(api.HeaderProof))
	if err != nil {
		return nil, blob.ChunkProof{}, err
	}
	var stated int64
	if _, err := fmt.Sscan(hd.Get(api.HeaderSize), &stated); err != nil {
		return nil, blob.ChunkProof{}, fmt.Errorf("%w: %s header %q", blob.ErrBadProof, api.HeaderSize, hd.Get(api.HeaderSize))
	}
	p := blob.ChunkProof{Index: i, Size: stated, Leaf: leaf, Path: path}
	if err := p.Verify(id, size, data); err != nil {
		return nil, blob.ChunkProof{}, fmt.Errorf("%s: %w", src, err)
	}
	return data, p, nil
}

// List returns every blob src holds, following the pages.
func (c *Client) List(ctx context.Context, src string) (api.List, error) {
	var all api.List
	after := ""
	for {
		url := base(src) + api.Prefix
		if after != "" {
			url += "?after=" + after
		}
		b, _, err := c.getBytes(ctx, url, 64<<20)
		if err != nil {
			return api.List{}, err
		}
		var page api.List
		if err := json.Unmarshal(b, &page); err != nil {
			return api.List{}, fmt.Errorf("%s: list: %w", src, err)
		}
		all.Blobs = append(all.Blobs, page.Blobs...)
		all.Used, all.Quota = page.Used, page.Quota
		if page.Next == "" || page.Next == after {
			return all, nil
		}
		after = page.Next
	}
}
