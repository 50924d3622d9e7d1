package store

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/testutil/blobtest"
)

func open(t *testing.T, dir string, quota int64) *Store {
	t.Helper()
	s, err := Open(dir, Options{Quota: quota})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPutReadRoundTrip(t *testing.T) {
	s := open(t, t.TempDir(), 0)
	for i, n := range blobtest.Sizes {
		data := blobtest.Bytes(n, uint64(i))
		in, err := s.Put(bytes.NewReader(data), blob.ID{})
		if err != nil {
			t.Fatal(err)
		}
		if in.ID != blob.IDOf(data) || in.Size != int64(n) || in.Chunks != blob.ChunkCount(int64(n)) {
			t.Fatalf("size %d: %+v", n, in)
		}
		r, err := s.Open(in.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: read back other bytes", n)
		}
		for c := 0; c < in.Chunks; c++ {
			chunk, p, err := s.ReadChunk(in.ID, c)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Verify(in.ID, in.Size, chunk); err != nil {
				t.Fatalf("size %d chunk %d: %v", n, c, err)
			}
		}
		if n > 10 {
			part, err := s.ReadRange(in.ID, 3, 7)
			if err != nil || !bytes.Equal(part, data[3:10]) {
				t.Fatalf("range: %v", err)
			}
		}
		if _, err := s.ReadRange(in.ID, 0, int64(n)+1); !errors.Is(err, ErrRange) {
			t.Fatalf("range past the end: %v", err)
		}
	}
	list, err := s.List()
	if err != nil || len(list) != len(blobtest.Sizes) {
		t.Fatalf("list: %d, %v", len(list), err)
	}
	for i := 1; i < len(list); i++ {
		if bytes.Compare(list[i-1].ID[:], list[i].ID[:]) >= 0 {
			t.Fatal("list not ordered by id")
		}
	}
	// Reopening finds the same blobs and usage.
	used, _ := s.Usage()
	s2 := open(t, s.Dir(), 0)
	if used2, _ := s2.Usage(); used2 != used || len(mustList(t, s2)) != len(list) {
		t.Fatalf("reopen: used %d, want %d", used2, used)
	}
}

func mustList(t *testing.T, s *Store) []Info {
	t.Helper()
	l, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestMismatchLeavesNothing(t *testing.T) {
	s := open(t, t.TempDir(), 0)
	data := blobtest.Bytes(2*blob.ChunkSize+5, 1)
	wrong := blob.IDOf([]byte("something else"))
	_, err := s.Put(bytes.NewReader(data), wrong)
	var me *blob.MismatchError
	if !errors.As(err, &me) || me.Got != blob.IDOf(data) || !errors.Is(err, blob.ErrMismatch) {
		t.Fatalf("want a mismatch error, got %v", err)
	}
	if files := blobtest.Files(t, s.Dir()); len(files) != 0 {
		t.Fatalf("left behind: %v", files)
	}
	if used, _ := s.Usage(); used != 0 || s.Has(wrong) {
		t.Fatal("mismatch changed the store")
	}
	if s.reserved != 0 {
		t.Fatalf("reservation leaked: %d", s.reserved)
	}
}

func TestQuotaRefusalLeavesNothing(t *testing.T) {
	s := open(t, t.TempDir(), 3*blob.ChunkSize)
	first := blobtest.Bytes(2*blob.ChunkSize, 1)
	if _, err := s.Put(bytes.NewReader(first), blob.ID{}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(bytes.NewReader(blobtest.Bytes(2*blob.ChunkSize, 2)), blob.ID{})
	var qe *QuotaError
	if !errors.As(err, &qe) || !errors.Is(err, ErrQuota) {
		t.Fatalf("want a quota error, got %v", err)
	}
	if qe.Quota != 3*blob.ChunkSize || qe.Used != 2*blob.ChunkSize || qe.Need != 2*blob.ChunkSize {
		t.Fatalf("figures: %+v", qe)
	}
	if files := blobtest.Files(t, s.Dir()); len(files) != 2 { // the first blob's data and manifest
		t.Fatalf("files: %v", files)
	}
	if err := s.Fits(blob.ChunkSize); err != nil {
		t.Fatalf("one chunk should fit: %v", err)
	}
	if err := s.Fits(blob.ChunkSize + 1); !errors.Is(err, ErrQuota) {
		t.Fatalf("fits: %v", err)
	}
	// Deleting frees the quota.
	if err := s.Delete(blob.IDOf(first)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(bytes.NewReader(blobtest.Bytes(3*blob.ChunkSize, 3)), blob.ID{}); err != nil {
		t.Fatalf("after delete: %v", err)
	}
	if err := s.Delete(blob.IDOf(first)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestConcurrentPutsOfTheSameBlob(t *testing.T) {
	s := open(t, t.TempDir(), 0)
	data := blobtest.Bytes(3*blob.ChunkSize+1, 9)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in, err := s.Put(bytes.NewReader(data), blob.ID{})
			if err == nil && in.ID != blob.IDOf(data) {
				err = errors.New("wrong id")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if used, _ := s.Usage(); used != int64(len(data)) || s.reserved != 0 {
		t.Fatalf("used %d reserved %d, want %d and 0", used, s.reserved, len(data))
	}
	if files := blobtest.Files(t, s.Dir()); len(files) != 2 {
		t.Fatalf("files: %v", files)
	}
}

func TestCorruptChunkIsNotServed(t *testing.T) {
	s := open(t, t.TempDir(), 0)
	data := blobtest.Bytes(2*blob.ChunkSize, 4)
	in, err := s.Put(bytes.NewReader(data), blob.ID{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(s.dataPath(in.ID), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{data[blob.ChunkSize+10] ^ 1}, blob.ChunkSize+10)
	f.Close()
	if _, _, err := s.ReadChunk(in.ID, 0); err != nil {
		t.Fatalf("intact chunk: %v", err)
	}
	if _, _, err := s.ReadChunk(in.ID, 1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt chunk: %v", err)
	}
	if err := s.Verify(in.ID); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("verify: %v", err)
	}
}

func TestOpenRemovesWhatACrashLeft(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 0)
	keep, err := s.Put(bytes.NewReader(blobtest.Bytes(100, 1)), blob.ID{})
	if err != nil {
		t.Fatal(err)
	}
	// A put killed after its data rename, one killed while writing, and a
	// manifest whose data was truncated behind the store's back.
	orphan := blob.IDOf([]byte("orphan"))
	os.WriteFile(filepath.Join(dir, dataDir, orphan.String()), []byte("orphan"), 0o600)
	os.WriteFile(filepath.Join(dir, tmpDir, "put-123"), []byte("half"), 0o600)
	trunc, err := s.Put(bytes.NewReader(blobtest.Bytes(5000, 2)), blob.ID{})
	if err != nil {
		t.Fatal(err)
	}
	os.Truncate(s.dataPath(trunc.ID), 10)

	s2 := open(t, dir, 0)
	list := mustList(t, s2)
	if len(list) != 1 || list[0].ID != keep.ID {
		t.Fatalf("after recovery: %+v", list)
	}
	if files := blobtest.Files(t, dir); len(files) != 2 {
		t.Fatalf("left: %v", files)
	}
	if used, _ := s2.Usage(); used != 100 {
		t.Fatalf("used %d", used)
	}
}

func TestImport(t *testing.T) {
	s := open(t, t.TempDir(), 0)
	data := blobtest.Bytes(blob.ChunkSize+3, 5)
	p := filepath.Join(s.PartialDir(), "x")
	os.WriteFile(p, data, 0o600)
	if _, err := s.Import(p, blob.IDOf([]byte("no"))); !errors.Is(err, blob.ErrMismatch) {
		t.Fatalf("import mismatch: %v", err)
	}
	if _, err := os.Stat(p); err != nil || s.Has(blob.IDOf(data)) {
		t.Fatal("a refused import moved the file or stored it")
	}
	in, err := s.Import(p, blob.IDOf(data))
	if err != nil || in.ID != blob.IDOf(data) {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatal("import left the source")
	}
}

// TestKill9DuringPuts kills a process that is putting blobs in a loop with
// SIGKILL, then checks that every blob the reopened store lists is complete
// and verifies, and that nothing else is left.
func TestKill9DuringPuts(t *testing.T) {
	if os.Getenv("BLOB_STORE_PUT_LOOP") != "" {
		return
	}
	dir := t.TempDir()
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPutLoop$")
		cmd.Env = append(os.Environ(), "BLOB_STORE_PUT_LOOP="+dir, "BLOB_STORE_SEED="+strconv.Itoa(round))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(300+150*round) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()

		s := open(t, dir, 0)
		list := mustList(t, s)
		for _, in := range list {
			if err := s.Verify(in.ID); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if files := blobtest.Files(t, dir); len(files) != 2*len(list) {
			t.Fatalf("round %d: %d files for %d blobs: %v", round, len(files), len(list), files)
		}
		t.Logf("round %d: %d complete blobs after kill -9", round, len(list))
	}
}

// TestHelperPutLoop is the process TestKill9DuringPuts kills.
func TestHelperPutLoop(t *testing.T) {
	dir := os.Getenv("BLOB_STORE_PUT_LOOP")
	if dir == "" {
		t.Skip("helper process of TestKill9DuringPuts")
	}
	seed, _ := strconv.Atoi(os.Getenv("BLOB_STORE_SEED"))
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		data := blobtest.Bytes(2*blob.ChunkSize+i, uint64(seed*1000+i))
		if _, err := s.Put(bytes.NewReader(data), blob.ID{}); err != nil {
			t.Fatal(err)
		}
	}
}

// cutReader yields n bytes and then fails as a request body cut short does.
type cutReader struct {
	r io.Reader
}

func (c cutReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func TestTruncatedStreamIsNotStored(t *testing.T) {
	s := open(t, t.TempDir(), 0)
	data := blobtest.Bytes(blob.ChunkSize+100, 3)
	if _, err := s.Put(cutReader{bytes.NewReader(data)}, blob.ID{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("want the read error, got %v", err)
	}
	if files := blobtest.Files(t, s.Dir()); len(files) != 0 {
		t.Fatalf("left: %v", files)
	}
}
