package blobauth

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"

	"github.com/hypha-network/hypha/agent/auth"
	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/api"
	"github.com/hypha-network/hypha/blob/client"
	"github.com/hypha-network/hypha/blob/server"
	"github.com/hypha-network/hypha/blob/store"
	"github.com/hypha-network/hypha/testutil/blobtest"
)

func TestSignedUploads(t *testing.T) {
	const audience = "hypha1server"
	good := auth.PrivKeySigner{Key: secp256k1.GenPrivKey()}
	other := auth.PrivKeySigner{Key: secp256k1.GenPrivKey()}
	s, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	policy := Policy{Audience: audience, Replay: auth.NewReplayCache(time.Minute, 0),
		Allow: func(addr []byte) bool { return bytes.Equal(addr, good.Address()) }}
	ts := httptest.NewServer(server.New(server.Config{Store: s, AllowUpload: true, Authorize: Authorizer(policy)}))
	defer ts.Close()
	data := blobtest.Bytes(blob.ChunkSize+9, 1)
	ctx := context.Background()

	for name, sign := range map[string]func(*http.Request) error{
		"unsigned":     nil,
		"not allowed":  Signer(other, audience),
		"wrong server": Signer(good, "hypha1elsewhere"),
	} {
		c := &client.Client{Sign: sign, Backoff: time.Millisecond}
		_, err := c.Put(ctx, ts.URL, bytes.NewReader(data))
		var se *client.StatusError
		if !errors.As(err, &se) || se.Status != 401 || se.Code != api.CodeUnauthorized {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if files := blobtest.Files(t, s.Dir()); len(files) != 0 {
		t.Fatalf("refused uploads left %v", files)
	}
	c := &client.Client{Sign: Signer(good, audience)}
	res, err := c.Put(ctx, ts.URL, bytes.NewReader(data))
	if err != nil || res.ID != blob.IDOf(data) {
		t.Fatalf("signed upload: %v", err)
	}

	// A signed request used twice is refused the second time.
	req, _ := http.NewRequest(http.MethodPut, ts.URL+api.BlobPath(blob.IDOf([]byte("x"))), bytes.NewReader([]byte("x")))
	if err := Signer(good, audience)(req); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{201, 401} {
		again := req.Clone(ctx)
		again.Body, again.ContentLength = nopBody("x"), 1
		r, err := http.DefaultClient.Do(again)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != want {
			t.Fatalf("use %d: %d, want %d", i+1, r.StatusCode, want)
		}
	}
}

type body struct{ *bytes.Reader }

func (body) Close() error { return nil }

func nopBody(s string) body { return body{bytes.NewReader([]byte(s))} }
