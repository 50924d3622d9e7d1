package blobcli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/api"
	"github.com/hypha-network/hypha/testutil/blobtest"
)

// syncBuffer is a bytes.Buffer safe for the serve goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run executes `blob ARGS...` in-process and returns stdout and stderr.
func run(t *testing.T, ctx context.Context, args ...string) (string, string, error) {
	t.Helper()
	var out, errb syncBuffer
	cmd := NewCommand(t.TempDir())
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	err := cmd.ExecuteContext(ctx)
	return out.String(), errb.String(), err
}

func TestPutLsServeGet(t *testing.T) {
	ctx := context.Background()
	homeA, homeB := t.TempDir(), t.TempDir()
	small := blobtest.Bytes(100, 1)
	big := blobtest.Bytes(3*blob.ChunkSize+5, 2)
	fSmall := blobtest.WriteFile(t, "small.bin", small)
	fBig := blobtest.WriteFile(t, "big.bin", big)

	out, _, err := run(t, ctx, "put", fSmall, fBig, "--home", homeA)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{blob.IDOf(small).String() + "  100", blob.IDOf(big).String() + "  3145733"} {
		if !strings.Contains(out, want) {
			t.Fatalf("put output lacks %q:\n%s", want, out)
		}
	}

	out, _, err = run(t, ctx, "ls", "--home", homeA)
	if err != nil || !strings.Contains(out, blob.IDOf(big).String()) || !strings.Contains(out, "2 blobs, 3.0 MiB (no quota)") {
		t.Fatalf("ls: %v\n%s", err, out)
	}
	out, _, err = run(t, ctx, "ls", "--home", homeA, "-o", "json")
	var l api.List
	if err != nil || json.Unmarshal([]byte(out), &l) != nil || len(l.Blobs) != 2 || l.Used != int64(len(small)+len(big)) {
		t.Fatalf("ls json: %v\n%s", err, out)
	}

	// serve homeA on a free port, with uploads on.
	sctx, stop := context.WithCancel(ctx)
	var sout syncBuffer
	done := make(chan error, 1)
	go func() {
		cmd := NewCommand(t.TempDir())
		cmd.SetArgs([]string{"serve", "--home", homeA, "--listen", "127.0.0.1:0", "--allow-upload"})
		cmd.SetOut(&sout)
		cmd.SetErr(&sout)
		done <- cmd.ExecuteContext(sctx)
	}()
	t.Cleanup(func() { stop(); <-done })
	url := waitURL(t, &sout)

	out, _, err = run(t, ctx, "ls", "--from", url)
	if err != nil || !strings.Contains(out, "2 blobs") {
		t.Fatalf("ls --from: %v\n%s", err, out)
	}

	// get to a file, and into homeB's store.
	dst := filepath.Join(t.TempDir(), "big.out")
	out, stderr, err := run(t, ctx, "get", blob.IDOf(big).String(), "--from", url, "-o", dst)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, big) {
		t.Fatal("get -o wrote other bytes")
	}
	if want := blob.IDOf(big).String() + " 3145733 " + dst; strings.TrimSpace(out) != want {
		t.Fatalf("get printed %q, want %q", out, want)
	}
	if !strings.Contains(stderr, "4/4 chunks") {
		t.Fatalf("no progress on stderr: %q", stderr)
	}
	out, _, err = run(t, ctx, "get", blob.IDOf(big).String(), "--from", url, "--home", homeB)
	if err != nil || !strings.Contains(out, filepath.Join(homeB, "blobs")) {
		t.Fatalf("get into the store: %v %s", err, out)
	}
	out, _, err = run(t, ctx, "ls", "--home", homeB)
	if err != nil || !strings.Contains(out, blob.IDOf(big).String()) || !strings.Contains(out, "1 blobs") {
		t.Fatalf("ls homeB: %v\n%s", err, out)
	}

	// put --to uploads to the server; the new blob is then listed there.
	third := blobtest.Bytes(blob.ChunkSize+1, 3)
	out, _, err = run(t, ctx, "put", blobtest.WriteFile(t, "third", third), "--to", url, "-o", "json")
	var pr []putResult
	if err != nil || json.Unmarshal([]byte(out), &pr) != nil || len(pr) != 1 || pr[0].ID != blob.IDOf(third) {
		t.Fatalf("put --to: %v\n%s", err, out)
	}
	out, _, err = run(t, ctx, "ls", "--home", homeA)
	if err != nil || !strings.Contains(out, blob.IDOf(third).String()) {
		t.Fatalf("upload not in the served store: %v\n%s", err, out)
	}

	// rm, and the errors a user meets.
	out, _, err = run(t, ctx, "rm", blob.IDOf(big).String(), "--home", homeB)
	if err != nil || !strings.Contains(out, "deleted") {
		t.Fatalf("rm: %v %s", err, out)
	}
	if _, _, err := run(t, ctx, "get", "xyz", "--from", url); !errors.Is(err, blob.ErrBadID) {
		t.Fatalf("bad id: %v", err)
	}
	if _, _, err := run(t, ctx, "get", blob.IDOf(big).String()); err == nil || !strings.Contains(err.Error(), "--from URL is required") {
		t.Fatalf("no --from: %v", err)
	}
	_, _, err = run(t, ctx, "get", blob.IDOf([]byte("absent")).String(), "--from", url, "-o", filepath.Join(t.TempDir(), "x"), "--retries", "1")
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("absent blob: %v", err)
	}
	_, _, err = run(t, ctx, "put", fBig, "--home", t.TempDir(), "--quota", "1MiB")
	if err == nil || !strings.Contains(err.Error(), "quota exceeded") {
		t.Fatalf("quota: %v", err)
	}
	_, _, err = run(t, ctx, "get", blob.IDOf(big).String(), "--from", url, "--home", t.TempDir(), "--quota", "2MiB")
	if err == nil || !strings.Contains(err.Error(), "quota exceeded") {
		t.Fatalf("get past the quota: %v", err)
	}
	if _, _, err := run(t, ctx, "ls", "-o", "yaml", "--home", homeA); err == nil {
		t.Fatal("-o yaml accepted")
	}
}

var servingURL = regexp.MustCompile(`on (http://\S+) `)

func waitURL(t *testing.T, out *syncBuffer) string {
	t.Helper()
	for i := 0; i < 200; i++ {
		if m := servingURL.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("serve printed no address: %q", out.String())
	return ""
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1048576": 1 << 20, "512MiB": 512 << 20, "10GB": 10e9, "3 KiB": 3072} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Fatalf("%q: %d %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "-1", "1.5GiB", "ten", "99999999999TiB"} {
		if _, err := parseSize(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}
