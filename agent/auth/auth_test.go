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
	"sync"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"
)

const (
	testSkew = 30 * time.Second
	testAud  = "hypha1server"
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
		{"no audience", func(r *http.Request) { r.Header.Del(HeaderAudience) }, now, false},
		{"no nonce", func(r *http.Request) { r.Header.Del(HeaderNonce) }, now, false},
		{"other audience header", func(r *http.Request) { r.Header.Set(HeaderAudience, "hypha1other") }, now, false},
		{"other nonce", func(r *http.Request) { r.Header.Set(HeaderNonce, strings.Repeat("0", NonceLen)) }, now, false},
		{"uppercase nonce", func(r *http.Request) { r.Header.Set(HeaderNonce, strings.ToUpper(r.Header.Get(HeaderNonce))) }, now, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/v1/query?x=1", bytes.NewReader(body))
			if err := SignRequest(signer, req, body, testAud, now); err != nil {
				t.Fatal(err)
			}
			tc.mutate(req)
			sd, got, err := VerifyRequest(req, tc.at, testSkew, testAud)
			if tc.ok {
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				if !bytes.Equal(sd.Addr, key.PubKey().Address()) {
					t.Fatalf("address %X, want %X", sd.Addr, key.PubKey().Address().Bytes())
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
	if err := SignRequest(PrivKeySigner{Key: key}, req, nil, testAud, now); err != nil {
		t.Fatal(err)
	}
	later := now.Add(2 * time.Minute)
	if _, err := Verify(req, nil, later, 5*time.Minute, testAud); err != nil {
		t.Fatalf("5 min window: %v", err)
	}
	if _, err := Verify(req, nil, later, 30*time.Second, testAud); !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "clock") {
		t.Fatalf("30 s window: got %v, want a clock skew error", err)
	}
}

// TestSignBytes pins the signed message layout: changing it breaks every
// deployed caller and receiver (docs/manifest.md documents it).
func TestSignBytes(t *testing.T) {
	body := []byte("services: {}")
	sum := sha256.Sum256(body)
	want := "hypha-request-v2\nhypha1prov\n00112233445566778899aabbccddeeff\nPUT\n/lease/7/manifest?x=1\n1700000000\n" + hex.EncodeToString(sum[:])
	if got := string(SignBytes("hypha1prov", "00112233445566778899aabbccddeeff", "PUT", "/lease/7/manifest?x=1", "1700000000", body)); got != want {
		t.Fatalf("SignBytes = %q, want %q", got, want)
	}
}

// TestVerifyHandBuilt cross-checks Verify against a request signed by hand
// from the documented format, without SignRequest.
func TestVerifyHandBuilt(t *testing.T) {
	key := secp256k1.GenPrivKey()
	body := []byte("services: {}")
	now := time.Now()
	const nonce = "0123456789abcdef0123456789abcdef"
	mk := func(signBody []byte, ts time.Time, k *secp256k1.PrivKey) error {
		r := httptest.NewRequest("PUT", "/lease/7/manifest?x=1", bytes.NewReader(body))
		tss := strconv.FormatInt(ts.Unix(), 10)
		sig, err := k.Sign(SignBytes(testAud, nonce, "PUT", "/lease/7/manifest?x=1", tss, signBody))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set(HeaderPubKey, base64.StdEncoding.EncodeToString(key.PubKey().Bytes()))
		r.Header.Set(HeaderTimestamp, tss)
		r.Header.Set(HeaderAudience, testAud)
		r.Header.Set(HeaderNonce, nonce)
		r.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
		sd, err := Verify(r, body, now, 5*time.Minute, testAud)
		if err == nil && !bytes.Equal(sd.Addr, key.PubKey().Address()) {
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
	if _, err := Verify(r, nil, now, 5*time.Minute, testAud); !errors.Is(err, ErrUnauthenticated) {
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

func signedAt(t *testing.T, key *secp256k1.PrivKey, aud string, at time.Time) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/query", bytes.NewReader([]byte("{}")))
	if err := SignRequest(PrivKeySigner{Key: key}, req, []byte("{}"), aud, at); err != nil {
		t.Fatal(err)
	}
	return req
}

// TestAudience: a request signed for one server is refused by another, with
// a message naming both.
func TestAudience(t *testing.T) {
	key := secp256k1.GenPrivKey()
	now := time.Unix(1_700_000_000, 0)
	req := signedAt(t, key, "hypha1minera", now)
	if _, err := Verify(req, []byte("{}"), now, testSkew, "hypha1minera"); err != nil {
		t.Fatalf("own audience: %v", err)
	}
	_, err := Verify(req, []byte("{}"), now, testSkew, "hypha1minerb")
	if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), `signed for "hypha1minera", not for this server (hypha1minerb)`) {
		t.Fatalf("other audience: got %v", err)
	}
	// Rewriting the audience header to the new server breaks the signature.
	req.Header.Set(HeaderAudience, "hypha1minerb")
	if _, err := Verify(req, []byte("{}"), now, testSkew, "hypha1minerb"); !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("rewritten audience: got %v", err)
	}
	if _, err := Verify(req, []byte("{}"), now, testSkew, ""); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("no expected audience: got %v", err)
	}
	if err := SignRequest(PrivKeySigner{Key: key}, httptest.NewRequest("GET", "/", nil), nil, "", now); err == nil {
		t.Fatal("signed without an audience")
	}
	// An old-scheme request (no audience, no nonce) gets an upgrade hint.
	req.Header.Del(HeaderAudience)
	req.Header.Del(HeaderNonce)
	if _, err := Verify(req, []byte("{}"), now, testSkew, "hypha1minerb"); !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("old scheme: got %v", err)
	}
}

// TestReplayCache: a request is accepted once, its replay is refused, fresh
// nonces are accepted; entries expire with the window and the cache refuses
// rather than forgets when full.
func TestReplayCache(t *testing.T) {
	key, other := secp256k1.GenPrivKey(), secp256k1.GenPrivKey()
	now := time.Unix(1_700_000_000, 0)
	c := NewReplayCache(testSkew, 3)
	verify := func(req *http.Request, at time.Time) *Signed {
		t.Helper()
		sd, err := Verify(req, []byte("{}"), at, testSkew, testAud)
		if err != nil {
			t.Fatal(err)
		}
		return sd
	}
	first := verify(signedAt(t, key, testAud, now), now)
	if err := c.Use(first, now); err != nil {
		t.Fatalf("fresh request: %v", err)
	}
	if err := c.Use(first, now.Add(time.Second)); !errors.Is(err, ErrReplay) || !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("replay: got %v, want ErrReplay", err)
	}
	// A fresh nonce from the same key, and the same nonce from another key.
	if err := c.Use(verify(signedAt(t, key, testAud, now), now), now); err != nil {
		t.Fatalf("fresh nonce: %v", err)
	}
	sameNonce := *first
	sameNonce.PubKey = other.PubKey().Bytes()
	if err := c.Use(&sameNonce, now); err != nil {
		t.Fatalf("same nonce, other key: %v", err)
	}
	// Full: a fourth live request is refused, not let in by forgetting one.
	fourth := verify(signedAt(t, key, testAud, now), now)
	if err := c.Use(fourth, now); !errors.Is(err, ErrReplayCacheFull) {
		t.Fatalf("full cache: got %v, want ErrReplayCacheFull", err)
	}
	if c.Len() != 3 {
		t.Fatalf("cache holds %d entries, want 3", c.Len())
	}
	// The replay stays refused until its timestamp leaves the window...
	if err := c.Use(first, now.Add(testSkew)); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay at the window's edge: got %v", err)
	}
	// ...after which it is stale anyway, and the entries are dropped.
	later := now.Add(testSkew + time.Second)
	if err := c.Use(first, later); !errors.Is(err, ErrUnauthenticated) || errors.Is(err, ErrReplay) || !strings.Contains(err.Error(), "clock") {
		t.Fatalf("stale replay: got %v", err)
	}
	fresh := verify(signedAt(t, key, testAud, later), later)
	if err := c.Use(fresh, later); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if c.Len() != 1 {
		t.Fatalf("after expiry the cache holds %d entries, want 1", c.Len())
	}
	// A request dated ahead of the clock lives until its own timestamp
	// leaves the window.
	ahead := verify(signedAt(t, key, testAud, later.Add(testSkew)), later)
	if err := c.Use(ahead, later); err != nil {
		t.Fatal(err)
	}
	if err := c.Use(ahead, later.Add(2*testSkew)); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay of a request dated ahead: got %v", err)
	}
}

// TestReplayCacheConcurrent: of many concurrent uses of one request exactly
// one is accepted (run with -race).
func TestReplayCacheConcurrent(t *testing.T) {
	key := secp256k1.GenPrivKey()
	now := time.Now()
	sd, err := Verify(signedAt(t, key, testAud, now), []byte("{}"), now, testSkew, testAud)
	if err != nil {
		t.Fatal(err)
	}
	c := NewReplayCache(testSkew, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.Use(sd, now) == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
			n := *sd
			n.Nonce = strconv.Itoa(i)
			_ = c.Use(&n, now)
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Fatalf("%d uses accepted, want 1", ok)
	}
}
