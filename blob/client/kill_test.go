package client_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/client"
	"github.com/hypha-network/hypha/testutil/blobtest"
)

// TestResumeAfterKill9 kills a process in the middle of a download with
// SIGKILL, then resumes the download here: only the chunks the killed
// process had not verified are fetched, and the result is the blob.
func TestResumeAfterKill9(t *testing.T) {
	s, f, url := serve(t, 0)
	const chunks = 10
	data := blobtest.Bytes(chunks*blob.ChunkSize, 21)
	id := put(t, s, data)
	f.SetChunkDelay(40 * time.Millisecond) // so the kill lands mid-download
	dst := filepath.Join(t.TempDir(), "blob")

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperGet$")
	cmd.Env = append(os.Environ(), "BLOB_GET_URL="+url, "BLOB_GET_ID="+id.String(), "BLOB_GET_DST="+dst)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for f.ChunkRequests() < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Fatal("the killed download left a complete-looking file")
	}
	before := settle(f)

	res, err := fast().Get(context.Background(), id, dst, url)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dst)
	if !bytes.Equal(got, data) {
		t.Fatal("resumed download has other bytes")
	}
	after := f.ChunkRequests() - before
	if res.Resumed < 2 || after != chunks-res.Resumed || res.Fetched != after {
		t.Fatalf("killed after %d chunk requests; resume kept %d, fetched %d with %d requests", before, res.Resumed, res.Fetched, after)
	}
	t.Logf("killed after %d chunk requests; resume kept %d chunks and fetched %d", before, res.Resumed, after)
}

// TestHelperGet is the download TestResumeAfterKill9 kills.
func TestHelperGet(t *testing.T) {
	url := os.Getenv("BLOB_GET_URL")
	if url == "" {
		t.Skip("helper process of TestResumeAfterKill9")
	}
	id, err := blob.ParseID(os.Getenv("BLOB_GET_ID"))
	if err != nil {
		t.Fatal(err)
	}
	c := &client.Client{Parallel: 1}
	_, _ = c.Get(context.Background(), id, os.Getenv("BLOB_GET_DST"), url)
	time.Sleep(time.Minute) // finished early: wait for the kill
}
