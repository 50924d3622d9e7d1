package client_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/api"
	"github.com/hypha-network/hypha/blob/client"
	"github.com/hypha-network/hypha/blob/server"
	"github.com/hypha-network/hypha/blob/store"
	"github.com/hypha-network/hypha/testutil/blobtest"
)

// serve starts a blob server on loopback over a new store, behind a Faulty
// handler, and returns the store, the fault injector and the base URL.
func serve(t *testing.T, quota int64) (*store.Store, *blobtest.Faulty, string) {
	t.Helper()
	s, err := store.Open(t.TempDir(), store.Options{Quota: quota})
	if err != nil {
		t.Fatal(err)
	}
	f := &blobtest.Faulty{Inner: server.New(server.Config{Store: s, AllowUpload: true})}
	ts := httptest.NewServer(f)
	t.Cleanup(ts.Close)
	return s, f, ts.URL
}

// fast is a client whose retries wait milliseconds.
func fast() *client.Client {
	return &client.Client{Backoff: time.Millisecond, Retries: 4, ChunkTimeout: 5 * time.Second}
}

func put(t *testing.T, s *store.Store, data []byte) blob.ID {
	t.Helper()
	in, err := s.Put(bytes.NewReader(data), blob.ID{})
	if err != nil {
		t.Fatal(err)
	}
	return in.ID
}

func TestUploadDownloadRoundTrip(t *testing.T) {
	_, _, url := serve(t, 0)
	c := fast()
	sizes := append(append([]int(nil), blobtest.Sizes...), 5*blob.ChunkSize)
	for i, n := range sizes {
		data := blobtest.Bytes(n, uint64(i))
		up, err := c.Put(context.Background(), url, bytes.NewReader(data))
		if err != nil {
			t.Fatalf("size %d: put: %v", n, err)
		}
		if up.ID != blob.IDOf(data) || up.Size != int64(n) || up.Existed {
			t.Fatalf("size %d: %+v", n, up)
		}
		again, err := c.Put(context.Background(), url, bytes.NewReader(data))
		if err != nil || !again.Existed {
			t.Fatalf("size %d: second put: %+v %v", n, again, err)
		}
		dst := filepath.Join(t.TempDir(), "out")
		res, err := c.Get(context.Background(), up.ID, dst, url)
		if err != nil {
			t.Fatalf("size %d: get: %v", n, err)
		}
		got, _ := os.ReadFile(dst)
		if !bytes.Equal(got, data) || res.Size != int64(n) || res.Fetched != blob.ChunkCount(int64(n)) {
			t.Fatalf("size %d: got %d bytes, %+v", n, len(got), res)
		}
		assertNoPartial(t, dst)
	}
}

func assertNoPartial(t *testing.T, dst string) {
	t.Helper()
	for _, p := range []string{client.PartPath(dst), client.StatePath(dst)} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s left behind", p)
		}
	}
}

func TestCorruptTruncatedAndDroppedChunksAreRetried(t *testing.T) {
	s, f, url := serve(t, 0)
	data := blobtest.Bytes(7*blob.ChunkSize+999, 42)
	id := put(t, s, data)
	faults := map[int][]blobtest.Fault{
		0: {blobtest.Flip},
		1: {blobtest.Truncate},
		2: {blobtest.Drop, blobtest.Drop},
		3: {blobtest.Short},
		4: {blobtest.Fail, blobtest.Flip, blobtest.Truncate},
		7: {blobtest.Flip}, // the short last chunk
	}
	f.SetPlan(func(path string, n int) blobtest.Fault {
		if path == api.ManifestPath(id) && n == 0 {
			return blobtest.Flip // a corrupt manifest is refused and fetched again
		}
		for i, fs := range faults {
			if path == api.ChunkPath(id, i) && n < len(fs) {
				return fs[n]
			}
		}
		return blobtest.OK
	})
	dst := filepath.Join(t.TempDir(), "blob")
	var retries int
	c := fast()
	c.Progress = func(p client.Progress) { retries = p.Retries }
	res, err := c.Get(context.Background(), id, dst, url)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	if !bytes.Equal(got, data) {
		t.Fatal("downloaded other bytes")
	}
	// Ten faults, each costing one request. Go's transport itself resends a
	// GET whose reused connection was dropped before any answer, so a Drop
	// may be retried below the client: at least 8 retries are the client's.
	if res.Retries != retries || res.Retries < 8 || res.Retries > 10 {
		t.Fatalf("retries %d (progress %d), want 8..10", res.Retries, retries)
	}
	if f.ChunkRequests() != 8+9 {
		t.Fatalf("%d chunk requests, want 17", f.ChunkRequests())
	}
	assertNoPartial(t, dst)
}

func TestPermanentlyBadSourceFailsAndLeavesNoFile(t *testing.T) {
	s, f, url := serve(t, 0)
	id := put(t, s, blobtest.Bytes(4*blob.ChunkSize, 1))
	f.SetPlan(func(path string, n int) blobtest.Fault {
		if path == api.ChunkPath(id, 2) {
			return blobtest.Flip
		}
		return blobtest.OK
	})
	dir := t.TempDir()
	dst := filepath.Join(dir, "blob")
	c := fast()
	c.Retries = 3
	_, err := c.Get(context.Background(), id, dst, url)
	var te *client.TransferError
	if !errors.As(err, &te) || !errors.Is(err, client.ErrTransfer) || !errors.Is(err, blob.ErrBadProof) {
		t.Fatalf("want a transfer error, got %v", err)
	}
	if te.Chunk != 2 || te.Attempts != 4 || f.Requests(api.ChunkPath(id, 2)) != 4 {
		t.Fatalf("%+v, %d requests", te, f.Requests(api.ChunkPath(id, 2)))
	}
	if files := blobtest.Files(t, dir); len(files) != 0 {
		t.Fatalf("left behind: %v", files)
	}

	// A source that does not have the blob: a typed error too.
	_, err = c.Get(context.Background(), blob.IDOf([]byte("absent")), dst, url)
	var se *client.StatusError
	if !errors.As(err, &te) || te.Op != "manifest" || !errors.As(err, &se) || se.Status != 404 {
		t.Fatalf("absent blob: %v", err)
	}
	if files := blobtest.Files(t, dir); len(files) != 0 {
		t.Fatalf("left behind: %v", files)
	}
}

func TestBadChunkIsFetchedFromAnotherSource(t *testing.T) {
	data := blobtest.Bytes(3*blob.ChunkSize+1, 5)
	sa, fa, urlA := serve(t, 0)
	sb, fb, urlB := serve(t, 0)
	id := put(t, sa, data)
	put(t, sb, data)
	fa.SetPlan(func(path string, n int) blobtest.Fault {
		if strings.Contains(path, "/chunks/") {
			return blobtest.Flip // source A serves garbage for every chunk
		}
		return blobtest.OK
	})
	dst := filepath.Join(t.TempDir(), "blob")
	c := fast()
	c.Parallel = 1
	if _, err := c.Get(context.Background(), id, dst, urlA, urlB); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	if !bytes.Equal(got, data) || fb.ChunkRequests() == 0 {
		t.Fatal("not fetched from the good source")
	}
}

func TestResumeFetchesOnlyMissingChunks(t *testing.T) {
	s, f, url := serve(t, 0)
	const chunks = 12
	data := blobtest.Bytes(chunks*blob.ChunkSize-10, 8)
	id := put(t, s, data)
	dst := filepath.Join(t.TempDir(), "blob")

	ctx, cancel := context.WithCancel(context.Background())
	c := fast()
	c.Parallel = 2
	c.Progress = func(p client.Progress) {
		if p.ChunksDone >= 5 {
			cancel()
		}
	}
	_, err := c.Get(ctx, id, dst, url)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want the cancellation, got %v", err)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Fatal("an incomplete download was put in place")
	}
	if _, err := os.Stat(client.PartPath(dst)); err != nil {
		t.Fatal("the partial file was not kept")
	}
	// A request cancelled in flight may still be arriving at the server.
	firstRun := settle(f)

	// Damage one verified chunk on disk: resuming must re-verify and refetch it.
	pf, _ := os.OpenFile(client.PartPath(dst), os.O_RDWR, 0)
	pf.WriteAt([]byte{^data[0]}, 0)
	pf.Close()

	c2 := fast()
	res, err := c2.Get(context.Background(), id, dst, url)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	if !bytes.Equal(got, data) {
		t.Fatal("resumed download has other bytes")
	}
	second := f.ChunkRequests() - firstRun
	if res.Resumed < 4 || res.Fetched != chunks-res.Resumed || second != res.Fetched {
		t.Fatalf("resumed %d, fetched %d, %d chunk requests on resume", res.Resumed, res.Fetched, second)
	}
	if firstRun+second > chunks+c.Parallel+1 {
		t.Fatalf("%d chunk requests in all for %d chunks", firstRun+second, chunks)
	}
	t.Logf("first run %d chunk requests; resume: %d kept, %d fetched", firstRun, res.Resumed, res.Fetched)
	assertNoPartial(t, dst)
}

func TestChunkWithProof(t *testing.T) {
	s, _, url := serve(t, 0)
	data := blobtest.Bytes(3*blob.ChunkSize+7, 2)
	id := put(t, s, data)
	c := fast()
	for i := 0; i < 4; i++ {
		got, p, err := c.Chunk(context.Background(), url, id, int64(len(data)), i)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data[blob.ChunkOffset(i):blob.ChunkOffset(i)+int64(blob.ChunkLen(int64(len(data)), i))]) || p.Index != i {
			t.Fatalf("chunk %d", i)
		}
	}
	// The wrong size (as a lying server might state it) is refused.
	if _, _, err := c.Chunk(context.Background(), url, id, int64(len(data))+blob.ChunkSize, 3); !errors.Is(err, blob.ErrBadProof) {
		t.Fatalf("wrong size: %v", err)
	}
	list, err := c.List(context.Background(), url)
	if err != nil || len(list.Blobs) != 1 || list.Blobs[0].ID != id || list.Used != int64(len(data)) {
		t.Fatalf("list: %+v %v", list, err)
	}
}

func TestUploadRefusals(t *testing.T) {
	s, _, url := serve(t, 2*blob.ChunkSize)
	c := fast()
	_, err := c.Put(context.Background(), url, bytes.NewReader(blobtest.Bytes(3*blob.ChunkSize, 1)))
	var se *client.StatusError
	if !errors.As(err, &se) || se.Status != 507 || se.Code != api.CodeQuota {
		t.Fatalf("quota: %v", err)
	}
	if files := blobtest.Files(t, s.Dir()); len(files) != 0 {
		t.Fatalf("left behind: %v", files)
	}
}

// settle waits until the server's chunk request count stops changing.
func settle(f *blobtest.Faulty) int {
	n := f.ChunkRequests()
	for {
		time.Sleep(50 * time.Millisecond)
		m := f.ChunkRequests()
		if m == n {
			return n
		}
		n = m
	}
}
