package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/api"
)

// Put uploads the blob read from r to the server at dst (a base URL) and
// returns what the server stored. r is read twice: once to compute the id
// (which names the upload and which the server checks the bytes against),
// then from its start to send it. A failed attempt (network error, 5xx) is
// retried after a backoff; a refusal (4xx: mismatch, quota, uploads off) is
// returned at once as a *StatusError inside the *TransferError.
func (c *Client) Put(ctx context.Context, dst string, r io.ReadSeeker) (api.Put, error) {
	h := blob.NewHasher()
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return api.Put{}, fmt.Errorf("blob client: put: %w", err)
	}
	if _, err := io.Copy(h, r); err != nil {
		return api.Put{}, fmt.Errorf("blob client: put: hash the content: %w", err)
	}
	m := h.Manifest()
	attempts := c.retries() + 1
	var last error
	for a := 0; a < attempts; a++ {
		if a > 0 {
			if err := c.wait(ctx, a); err != nil {
				return api.Put{}, fmt.Errorf("blob client: put %s: %w", m.ID, err)
			}
		}
		out, retry, err := c.putOnce(ctx, dst, m, r)
		if err == nil {
			return out, nil
		}
		last = err
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return api.Put{}, &TransferError{ID: m.ID, Op: "upload", Attempts: attempts, Err: last}
}

// PutFile uploads the file at path.
func (c *Client) PutFile(ctx context.Context, dst, path string) (api.Put, error) {
	f, err := os.Open(path)
	if err != nil {
		return api.Put{}, fmt.Errorf("blob client: put %s: %w", path, err)
	}
	defer f.Close()
	return c.Put(ctx, dst, f)
}

// putOnce sends one upload; retry says whether a failure is worth retrying.
func (c *Client) putOnce(ctx context.Context, dst string, m blob.Manifest, r io.ReadSeeker) (api.Put, bool, error) {
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return api.Put{}, false, err
	}
	body := &countingReader{r: io.LimitReader(r, m.Size), report: func(n int64) {
		c.report(Progress{ID: m.ID, Size: m.Size, Done: n, Chunks: m.Chunks(), ChunksDone: int(n / blob.ChunkSize)})
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, base(dst)+api.BlobPath(m.ID), io.NopCloser(body))
	if err != nil {
		return api.Put{}, false, err
	}
	req.ContentLength = m.Size
	if m.Size == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Expect", "100-continue")
	if c.Sign != nil {
		if err := c.Sign(req); err != nil {
			return api.Put{}, false, fmt.Errorf("blob client: sign the upload: %w", err)
		}
	}
	res, err := c.http().Do(req)
	if err != nil {
		return api.Put{}, true, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
		return api.Put{}, res.StatusCode >= 500 && res.StatusCode != http.StatusInsufficientStorage, statusError(res)
	}
	var out api.Put
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&out); err != nil {
		return api.Put{}, true, fmt.Errorf("%s: decode the answer: %w", dst, err)
	}
	if out.ID != m.ID || out.Size != m.Size {
		return api.Put{}, false, fmt.Errorf("%s: stored %s (%d bytes), not the %s (%d bytes) sent", dst, out.ID, out.Size, m.ID, m.Size)
	}
	return out, false, nil
}

// countingReader reports the bytes read through it every chunk.
type countingReader struct {
	r      io.Reader
	n      int64
	report func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	before := c.n
	c.n += int64(n)
	if c.n/blob.ChunkSize != before/blob.ChunkSize || err == io.EOF {
		c.report(c.n)
	}
	return n, err
}
