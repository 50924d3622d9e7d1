package client

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/api"
)

// Result describes a finished download.
type Result struct {
	ID      blob.ID `json:"id"`
	Size    int64   `json:"size"`
	Path    string  `json:"path"`
	Fetched int     `json:"fetched_chunks"` // chunks downloaded by this call
	Resumed int     `json:"resumed_chunks"` // chunks found verified on disk
	Retries int     `json:"retries"`        // failed attempts that were retried
}

// PartPath is where Get keeps the bytes of a download to dst until it completes.
func PartPath(dst string) string { return dst + ".part" }

// StatePath is where Get records which chunks of PartPath(dst) have verified.
func StatePath(dst string) string { return dst + ".part.state" }

// state is the resume record beside a partial file. It may lag the file
// (chunks written but not yet recorded are fetched again) or claim more than
// the disk holds after a power loss: Get re-verifies every recorded chunk.
type state struct {
	ID       blob.ID `json:"id"`
	Size     int64   `json:"size"`
	Verified string  `json:"verified"` // hex bitmap, bit i = chunk i
}

// Get downloads blob id from the sources (base URLs of blob servers, tried in
// turn) to the file dst. It fetches the manifest and checks it against id,
// then fetches the chunks not yet on disk, each checked against the manifest
// and retried (after a backoff, from the next source) when it is corrupt,
// short or fails; dst appears only when every chunk has verified. If ctx ends
// the partial file stays (PartPath, StatePath) and a later Get resumes it; if
// a chunk fails on every attempt, Get removes the partial file and returns a
// *TransferError. An existing dst is replaced.
func (c *Client) Get(ctx context.Context, id blob.ID, dst string, sources ...string) (Result, error) {
	if len(sources) == 0 {
		return Result{}, errors.New("blob client: get: no source URL given (pass --from http://HOST:PORT)")
	}
	res := Result{ID: id, Path: dst}
	prog := Progress{ID: id}
	m, err := c.manifest(ctx, id, sources, &prog)
	if err != nil {
		return res, err
	}
	res.Size = m.Size
	prog.Size, prog.Chunks = m.Size, m.Chunks()

	part := PartPath(dst)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return res, fmt.Errorf("blob client: get %s: %w", id, err)
	}
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return res, fmt.Errorf("blob client: get %s: %w", id, err)
	}
	closed := false
	defer func() {
		if !closed {
			f.Close()
		}
	}()
	verified := c.resume(f, dst, m)
	if st, err := f.Stat(); err == nil && st.Size() != m.Size {
		if err := f.Truncate(m.Size); err != nil {
			return res, fmt.Errorf("blob client: get %s: size the partial file: %w", id, err)
		}
	}
	for i, ok := range verified {
		if ok {
			res.Resumed++
			prog.ChunksDone++
			prog.Done += int64(blob.ChunkLen(m.Size, i))
		}
	}
	prog.Resumed = res.Resumed
	c.report(prog)

	if err := c.fetchMissing(ctx, f, dst, m, verified, sources, &prog, &res); err != nil {
		if ctx.Err() == nil {
			// A permanent failure: nothing is kept, nothing is used.
			f.Close()
			closed = true
			_ = os.Remove(part)
			_ = os.Remove(StatePath(dst))
		}
		return res, err
	}
	if err := f.Sync(); err != nil {
		return res, fmt.Errorf("blob client: get %s: sync: %w", id, err)
	}
	if err := f.Close(); err != nil {
		return res, fmt.Errorf("blob client: get %s: close: %w", id, err)
	}
	closed = true
	if err := os.Rename(part, dst); err != nil {
		return res, fmt.Errorf("blob client: get %s: move into place: %w", id, err)
	}
	_ = os.Remove(StatePath(dst))
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return res, nil
}

func (c *Client) report(p Progress) {
	if c.Progress != nil {
		c.Progress(p)
	}
}

// manifest fetches and checks the manifest, trying the sources in turn.
func (c *Client) manifest(ctx context.Context, id blob.ID, sources []string, prog *Progress) (blob.Manifest, error) {
	var last error
	attempts := c.retries() + 1
	for a := 0; a < attempts; a++ {
		if a > 0 {
			prog.Retries++
			prog.LastFailure = last
			c.report(*prog)
			if err := c.wait(ctx, a); err != nil {
				return blob.Manifest{}, fmt.Errorf("blob client: get %s: %w", id, err)
			}
		}
		src := sources[a%len(sources)]
		m, err := c.Manifest(ctx, src, id)
		if err == nil {
			return m, nil
		}
		if ctx.Err() != nil {
			return blob.Manifest{}, fmt.Errorf("blob client: get %s: %w", id, ctx.Err())
		}
		last = err
	}
	return blob.Manifest{}, &TransferError{ID: id, Op: "manifest", Attempts: attempts, Err: last}
}

// resume returns which chunks of the partial file verify: those its state
// record lists, each hashed again against the manifest.
func (c *Client) resume(f *os.File, dst string, m blob.Manifest) []bool {
	verified := make([]bool, m.Chunks())
	b, err := os.ReadFile(StatePath(dst))
	if err != nil {
		return verified
	}
	var st state
	if json.Unmarshal(b, &st) != nil || st.ID != m.ID || st.Size != m.Size {
		return verified
	}
	bits, err := hex.DecodeString(st.Verified)
	if err != nil {
		return verified
	}
	buf := make([]byte, blob.ChunkSize)
	for i := range verified {
		if i/8 >= len(bits) || bits[i/8]&(1<<(i%8)) == 0 {
			continue
		}
		n := blob.ChunkLen(m.Size, i)
		if k, err := f.ReadAt(buf[:n], blob.ChunkOffset(i)); k != n && err != nil {
			continue
		}
		verified[i] = m.CheckChunk(i, buf[:n]) == nil
	}
	return verified
}

// saveState records the verified chunks, atomically (temp file + rename).
func saveState(dst string, m blob.Manifest, verified []bool) error {
	bits := make([]byte, (len(verified)+7)/8)
	for i, ok := range verified {
		if ok {
			bits[i/8] |= 1 << (i % 8)
		}
	}
	b, _ := json.Marshal(state{ID: m.ID, Size: m.Size, Verified: hex.EncodeToString(bits)})
	tmp := StatePath(dst) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, StatePath(dst))
}

// fetchMissing downloads the chunks not yet verified with Parallel workers.
func (c *Client) fetchMissing(ctx context.Context, f *os.File, dst string, m blob.Manifest, verified []bool,
	sources []string, prog *Progress, res *Result) error {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	todo := make(chan int)
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	for w := 0; w < c.parallel(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range todo {
				data, err := c.fetchChunk(ctx, m, i, sources, prog, &mu)
				if err == nil {
					if _, werr := f.WriteAt(data, blob.ChunkOffset(i)); werr != nil {
						err = fmt.Errorf("blob client: get %s: write chunk %d: %w", m.ID, i, werr)
					}
				}
				mu.Lock()
				if err != nil {
					if first == nil {
						first = err
					}
					cancel()
					mu.Unlock()
					continue
				}
				verified[i] = true
				res.Fetched++
				prog.ChunksDone++
				prog.Done += int64(len(data))
				prog.Source = ""
				serr := saveState(dst, m, verified)
				c.report(*prog)
				if serr != nil && first == nil {
					first = fmt.Errorf("blob client: get %s: record progress: %w", m.ID, serr)
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i, ok := range verified {
		if ok {
			continue
		}
		select {
		case todo <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(todo)
	wg.Wait()
	res.Retries = prog.Retries
	if err := parent.Err(); err != nil {
		return fmt.Errorf("blob client: get %s: %w (%d of %d chunks verified and kept: run the same get again to resume)", m.ID, err, prog.ChunksDone, m.Chunks())
	}
	return first // a chunk that failed every attempt, or a local write failure
}

// fetchChunk downloads and verifies chunk i, retrying across the sources.
func (c *Client) fetchChunk(ctx context.Context, m blob.Manifest, i int, sources []string, prog *Progress, mu *sync.Mutex) ([]byte, error) {
	attempts := c.retries() + 1
	var last error
	for a := 0; a < attempts; a++ {
		if a > 0 {
			mu.Lock()
			prog.Retries++
			prog.LastFailure = last
			c.report(*prog)
			mu.Unlock()
			if err := c.wait(ctx, a); err != nil {
				return nil, err
			}
		}
		src := sources[(i+a)%len(sources)]
		cctx, cancel := context.WithTimeout(ctx, c.chunkTimeout())
		data, _, err := c.getBytes(cctx, base(src)+api.ChunkPath(m.ID, i), int64(blob.ChunkLen(m.Size, i)))
		cancel()
		if err == nil {
			err = m.CheckChunk(i, data)
		}
		if err == nil {
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		last = fmt.Errorf("%s: %w", src, err)
	}
	return nil, &TransferError{ID: m.ID, Op: "chunk", Chunk: i, Attempts: attempts, Err: last}
}
