package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"
)

const testSkew = 30 * time.Second

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
		{"valid within skew", func(*http.Request) {}, now.Add(testSkew - time.Second), true},
		{"unsigned", func(r *http.Request) { r.Header.Del(HeaderSignature) }, now, false},
		{"no pubkey", func(r *http.Request) { r.Header.Del(HeaderPubKey) }, now, false},
		{"tampered body", func(r *http.Request) { r.Body = httpBody([]byte(`{"inputs":[[9]]}`)) }, now, false},
		{"other path", func(r *http.Request) { r.URL.Path = "/v1/other" }, now, false},
		{"other query", func(r *http.Request) { r.URL.RawQuery = "x=2" }, now, false},
		{"other method", func(r *http.Request) { r.Method = http.MethodPut }, now, false},
		{"other key", func(r *http.Request) {
			r.Header.Set(HeaderPubKey, base64.StdEncoding.EncodeToString(secp256k1.GenPrivKey().PubKey().Bytes()))
		}, now, false},
		{"stale", func(*http.Request) {}, now.Add(testSkew + time.Second), false},
		{"future", func(*http.Request) {}, now.Add(-testSkew - time.Second), false},
		{"garbage timestamp", func(r *http.Request) { r.Header.Set(HeaderTimestamp, "soon") }, now, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/v1/query?x=1", bytes.NewReader(body))
			if err := SignRequest(signer, req, body, now); err != nil {
				t.Fatal(err)
			}
			tc.mutate(req)
			addr, got, err := VerifyRequest(req, tc.at, testSkew)
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

// TestSkewIsAParameter checks that the same request passes a wide window and
// fails a narrow one, as the provider (5 min) and miners (30 s) rely on.
func TestSkewIsAParameter(t *testing.T) {
	key := secp256k1.GenPrivKey()
	now := time.Unix(1_700_000_000, 0)
	req := httptest.NewRequest(http.MethodGet, "/lease/1/status", nil)
	if err := SignRequest(PrivKeySigner{Key: key}, req, nil, now); err != nil {
		t.Fatal(err)
	}
	later := now.Add(2 * time.Minute)
	if _, err := Verify(req, nil, later, 5*time.Minute); err != nil {
		t.Fatalf("5 min window: %v", err)
	}
	if _, err := Verify(req, nil, later, 30*time.Second); !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "clock") {
		t.Fatalf("30 s window: got %v, want a clock skew error", err)
	}
}

// TestSignBytes pins the signed message layout: changing it breaks every
// deployed caller and receiver (docs/manifest.md documents it).
func TestSignBytes(t *testing.T) {
	body := []byte("services: {}")
	sum := sha256.Sum256(body)
	want := "PUT\n/lease/7/manifest?x=1\n1700000000\n" + hex.EncodeToString(sum[:])
	if got := string(SignBytes("PUT", "/lease/7/manifest?x=1", "1700000000", body)); got != want {
		t.Fatalf("SignBytes = %q, want %q", got, want)
	}
}

// TestVerifyHandBuilt cross-checks Verify against a request signed by hand
// from the documented format, without SignRequest.
func TestVerifyHandBuilt(t *testing.T) {
	key := secp256k1.GenPrivKey()
	body := []byte("services: {}")
	now := time.Now()
	mk := func(signBody []byte, ts time.Time, k *secp256k1.PrivKey) error {
		r := httptest.NewRequest("PUT", "/lease/7/manifest?x=1", bytes.NewReader(body))
		tss := strconv.FormatInt(ts.Unix(), 10)
		sig, err := k.Sign(SignBytes("PUT", "/lease/7/manifest?x=1", tss, signBody))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set(HeaderPubKey, base64.StdEncoding.EncodeToString(key.PubKey().Bytes()))
		r.Header.Set(HeaderTimestamp, tss)
		r.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
		addr, err := Verify(r, body, now, 5*time.Minute)
		if err == nil && !bytes.Equal(addr, key.PubKey().Address()) {
			t.Fatal("wrong signer address")
		}
		return err
	}
	if err := mk(body, now, key); err != nil {
		t.Fatalf("valid request rejected: %v", err)
	}
	if err := mk([]byte("other"), now, key); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("tampered body: %v", err)
	}
	if err := mk(body, now.Add(-time.Hour), key); err == nil || !strings.Contains(err.Error(), "clock") {
		t.Fatalf("old timestamp: %v", err)
	}
	if err := mk(body, now, secp256k1.GenPrivKey()); err == nil {
		t.Fatal("signature by another key accepted")
	}
	r := httptest.NewRequest("GET", "/lease/1/status", nil)
	if _, err := Verify(r, nil, now, 5*time.Minute); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("unsigned request: got %v, want ErrUnauthenticated", err)
	}
}

func TestSameAccount(t *testing.T) {
	key := secp256k1.GenPrivKey()
	addr, err := bech32.ConvertAndEncode("hypha", key.PubKey().Address())
	if err != nil {
		t.Fatal(err)
	}
	if !SameAccount(addr, key.PubKey().Address()) || SameAccount(addr, secp256k1.GenPrivKey().PubKey().Address()) {
		t.Fatal("SameAccount")
	}
}

func httpBody(b []byte) *nopCloser { return &nopCloser{bytes.NewReader(b)} }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
