package server_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/api"
	"github.com/hypha-network/hypha/blob/server"
	"github.com/hypha-network/hypha/blob/store"
	"github.com/hypha-network/hypha/testutil/blobtest"
)

func start(t *testing.T, cfg server.Config) (*store.Store, string) {
	t.Helper()
	if cfg.Store == nil {
		s, err := store.Open(t.TempDir(), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Store = s
	}
	ts := httptest.NewServer(server.New(cfg))
	t.Cleanup(ts.Close)
	return cfg.Store, ts.URL
}

func do(t *testing.T, method, url string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// wantError checks an error answer's status and JSON code.
func wantError(t *testing.T, res *http.Response, b []byte, status int, code string) {
	t.Helper()
	var e api.Error
	if res.StatusCode != status || json.Unmarshal(b, &e) != nil || e.Code != code || e.Error == "" {
		t.Fatalf("want %d %s, got %d %s", status, code, res.StatusCode, b)
	}
}

func TestReadsAndRanges(t *testing.T) {
	s, url := start(t, server.Config{})
	data := blobtest.Bytes(2*blob.ChunkSize+100, 1)
	in, err := s.Put(bytes.NewReader(data), blob.ID{})
	if err != nil {
		t.Fatal(err)
	}
	u := url + api.BlobPath(in.ID)
	res, b := do(t, "GET", u, nil)
	if res.StatusCode != 200 || !bytes.Equal(b, data) || res.Header.Get("ETag") != `"`+in.ID.String()+`"` {
		t.Fatalf("get: %d, %d bytes", res.StatusCode, len(b))
	}
	res, b = do(t, "HEAD", u, nil)
	if res.StatusCode != 200 || len(b) != 0 || res.ContentLength != int64(len(data)) {
		t.Fatalf("head: %d %d", res.StatusCode, res.ContentLength)
	}
	res, b = do(t, "GET", u, nil, "Range", "bytes=1048570-1048585")
	if res.StatusCode != 206 || !bytes.Equal(b, data[1048570:1048586]) {
		t.Fatalf("range: %d %q", res.StatusCode, b)
	}
	res, b = do(t, "GET", u, nil, "Range", fmt.Sprintf("bytes=%d-", len(data)+5))
	wantError(t, res, b, 416, api.CodeBadRange)
	res, _ = do(t, "GET", u, nil, "If-None-Match", `"`+in.ID.String()+`"`)
	if res.StatusCode != 304 {
		t.Fatalf("if-none-match: %d", res.StatusCode)
	}

	res, b = do(t, "GET", url+api.ManifestPath(in.ID), nil)
	if m, err := blob.DecodeManifest(b, in.ID); res.StatusCode != 200 || err != nil || m.Size != in.Size {
		t.Fatalf("manifest: %d %v", res.StatusCode, err)
	}
	res, b = do(t, "GET", url+api.ChunkPath(in.ID, 2), nil)
	path, perr := blob.DecodePath(res.Header.Get(api.HeaderProof))
	leaf, lerr := blob.ParseID(res.Header.Get(api.HeaderLeaf))
	if res.StatusCode != 200 || perr != nil || lerr != nil || len(b) != 100 {
		t.Fatalf("chunk: %d %v %v %d", res.StatusCode, perr, lerr, len(b))
	}
	if err := (blob.ChunkProof{Index: 2, Size: in.Size, Leaf: [32]byte(leaf), Path: path}).Verify(in.ID, in.Size, b); err != nil {
		t.Fatal(err)
	}

	other := blob.IDOf([]byte("nope"))
	for _, p := range []string{api.BlobPath(other), api.ManifestPath(other), api.ChunkPath(other, 0), api.ChunkPath(in.ID, 3)} {
		res, b = do(t, "GET", url+p, nil)
		wantError(t, res, b, 404, api.CodeNotFound)
	}
	for _, p := range []string{api.Prefix + "/xyz", api.Prefix + "/xyz/manifest", api.Prefix + "/" + strings.Repeat("0", 63) + "g/chunks/0"} {
		res, b = do(t, "GET", url+p, nil)
		wantError(t, res, b, 400, api.CodeBadID)
	}
	res, b = do(t, "GET", url+api.BlobPath(in.ID)+"/chunks/-1", nil)
	wantError(t, res, b, 400, api.CodeBadRequest)
}

func TestListPages(t *testing.T) {
	s, url := start(t, server.Config{})
	var ids []string
	for i := 0; i < 5; i++ {
		in, err := s.Put(bytes.NewReader([]byte(strconv.Itoa(i))), blob.ID{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, in.ID.String())
	}
	var got []string
	after := ""
	for pages := 0; pages < 5; pages++ {
		res, b := do(t, "GET", url+api.Prefix+"?limit=2&after="+after, nil)
		var l api.List
		if res.StatusCode != 200 || json.Unmarshal(b, &l) != nil || l.Used != 5 {
			t.Fatalf("list: %d %s", res.StatusCode, b)
		}
		for _, in := range l.Blobs {
			got = append(got, in.ID.String())
		}
		if l.Next == "" {
			break
		}
		after = l.Next
	}
	if len(got) != 5 {
		t.Fatalf("listed %v", got)
	}
	res, b := do(t, "GET", url+api.Prefix+"?limit=0", nil)
	wantError(t, res, b, 400, api.CodeBadRequest)
}

func TestUploads(t *testing.T) {
	data := blobtest.Bytes(blob.ChunkSize+5, 3)
	id := blob.IDOf(data)

	_, off := start(t, server.Config{})
	res, b := do(t, "PUT", off+api.BlobPath(id), data)
	wantError(t, res, b, 403, api.CodeForbidden)

	denied := errors.New("not you")
	_, locked := start(t, server.Config{AllowUpload: true, Authorize: func(*http.Request) error { return denied }})
	res, b = do(t, "PUT", locked+api.BlobPath(id), data)
	wantError(t, res, b, 401, api.CodeUnauthorized)

	s, url := start(t, server.Config{AllowUpload: true})
	res, b = do(t, "PUT", url+api.BlobPath(blob.IDOf([]byte("other"))), data)
	wantError(t, res, b, 422, api.CodeMismatch)
	if files := blobtest.Files(t, s.Dir()); len(files) != 0 {
		t.Fatalf("a refused upload left %v", files)
	}
	res, b = do(t, "PUT", url+api.BlobPath(id), data)
	var p api.Put
	if res.StatusCode != 201 || json.Unmarshal(b, &p) != nil || p.ID != id || p.Existed {
		t.Fatalf("upload: %d %s", res.StatusCode, b)
	}
	res, b = do(t, "PUT", url+api.BlobPath(id), data)
	if res.StatusCode != 200 || json.Unmarshal(b, &p) != nil || !p.Existed {
		t.Fatalf("second upload: %d %s", res.StatusCode, b)
	}

	small, _ := store.Open(t.TempDir(), store.Options{Quota: blob.ChunkSize})
	_, q := start(t, server.Config{Store: small, AllowUpload: true})
	res, b = do(t, "PUT", q+api.BlobPath(id), data)
	wantError(t, res, b, 507, api.CodeQuota)

	_, capped := start(t, server.Config{AllowUpload: true, MaxUpload: 1000})
	res, b = do(t, "PUT", capped+api.BlobPath(id), data)
	wantError(t, res, b, 413, api.CodeTooLarge)
	if files := blobtest.Files(t, small.Dir()); len(files) != 0 {
		t.Fatalf("a refused upload left %v", files)
	}
}

// TestUploadCutShortIsNotStored sends a body shorter than its
// Content-Length and closes: the server stores nothing.
func TestUploadCutShortIsNotStored(t *testing.T) {
	s, url := start(t, server.Config{AllowUpload: true})
	data := blobtest.Bytes(3*blob.ChunkSize, 4)
	id := blob.IDOf(data)
	pr, pw := io.Pipe()
	go func() {
		pw.Write(data[:blob.ChunkSize+10])
		pw.CloseWithError(errors.New("client died"))
	}()
	req, _ := http.NewRequest("PUT", url+api.BlobPath(id), pr)
	req.ContentLength = int64(len(data))
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
	}
	if s.Has(id) {
		t.Fatal("stored a cut upload")
	}
	// The server has finished with the request once its store is clean.
	for i := 0; i < 100 && len(blobtest.Files(t, s.Dir())) != 0; i++ {
		httpWait()
	}
	if files := blobtest.Files(t, s.Dir()); len(files) != 0 {
		t.Fatalf("left %v", files)
	}
}
