package auth

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
)

func TestSignVerify(t *testing.T) {
	key := secp256k1.GenPrivKey()
	signer := PrivKeySigner{Key: key}
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"inputs":[[1,2,3]]}`)

	cases := []struct {
		name   string
		mutate func(r *http.Request)
		at     time.Time
		ok     bool
	}{
		{"valid", func(*http.Request) {}, now, true},
		{"valid within skew", func(*http.Request) {}, now.Add(MaxSkew - time.Second), true},
		{"unsigned", func(r *http.Request) { r.Header.Del(HeaderSignature) }, now, false},
		{"no pubkey", func(r *http.Request) { r.Header.Del(HeaderPubKey) }, now, false},
		{"tampered body", func(r *http.Request) { r.Body = httpBody([]byte(`{"inputs":[[9]]}`)) }, now, false},
		{"other path", func(r *http.Request) { r.URL.Path = "/v1/other" }, now, false},
		{"other key", func(r *http.Request) {
			r.Header.Set(HeaderPubKey, base64.StdEncoding.EncodeToString(secp256k1.GenPrivKey().PubKey().Bytes()))
		}, now, false},
		{"stale", func(*http.Request) {}, now.Add(MaxSkew + time.Second), false},
		{"future", func(*http.Request) {}, now.Add(-MaxSkew - time.Second), false},
		{"garbage timestamp", func(r *http.Request) { r.Header.Set(HeaderTimestamp, "soon") }, now, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/v1/query", bytes.NewReader(body))
			if err := SignRequest(signer, req, body, now); err != nil {
				t.Fatal(err)
			}
			tc.mutate(req)
			addr, got, err := VerifyRequest(req, tc.at)
			if tc.ok {
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				if !bytes.Equal(addr, key.PubKey().Address()) {
					t.Fatalf("address %X, want %X", addr, key.PubKey().Address().Bytes())
				}
				if !bytes.Equal(got, body) {
					t.Fatalf("body %q, want %q", got, body)
				}
				return
			}
			if !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("verify: got %v, want ErrUnauthenticated", err)
			}
		})
	}
}

func httpBody(b []byte) *nopCloser { return &nopCloser{bytes.NewReader(b)} }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
