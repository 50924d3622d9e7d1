package auth

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
)

// FuzzVerify checks the verifier against arbitrary headers, paths and bodies:
// it never panics, and it accepts only what the signer signed — a signed
// request verifies for its audience, and changing its body, path, audience
// or nonce does not; a second use of it is refused by a replay cache.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	key := secp256k1.GenPrivKeyFromSecret([]byte("fuzz"))
	const aud = "hypha1server"
	f.Add("PUT", "/lease/1/manifest?x=1", []byte("services: {}"), "", "", "", "", "", byte(0))
	f.Add("GET", "/", []byte{}, "AAAA", "1800000000", "AAAA", aud, "00112233445566778899aabbccddeeff", byte(1))
	f.Fuzz(func(t *testing.T, method, path string, body []byte, pk, ts, sig, audience, nonce string, flip byte) {
		if len(path) == 0 || path[0] != '/' {
			path = "/" + path
		}
		req := httptest.NewRequest("POST", "/", nil)
		req.Method, req.URL.Path, req.URL.RawQuery = method, path, ""
		// Arbitrary headers: must fail cleanly.
		req.Header.Set(HeaderPubKey, pk)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, sig)
		req.Header.Set(HeaderAudience, audience)
		req.Header.Set(HeaderNonce, nonce)
		if sd, err := Verify(req, body, now, time.Minute, aud); err == nil && len(sd.Addr) == 0 {
			t.Fatal("verified without an address")
		}
		// A real signature verifies; a changed body does not.
		if err := SignRequest(PrivKeySigner{Key: key}, req, body, aud, now); err != nil {
			t.Fatal(err)
		}
		sd, err := Verify(req, body, now, time.Minute, aud)
		if err != nil || !bytes.Equal(sd.Addr, key.PubKey().Address()) {
			t.Fatalf("signed request refused: %v", err)
		}
		cache := NewReplayCache(time.Minute, 4)
		if err := cache.Use(sd, now); err != nil {
			t.Fatalf("first use refused: %v", err)
		}
		if err := cache.Use(sd, now); !errors.Is(err, ErrReplay) {
			t.Fatalf("second use: %v, want ErrReplay", err)
		}
		changed := append(append([]byte{}, body...), flip)
		if _, err := Verify(req, changed, now, time.Minute, aud); err == nil {
			t.Fatal("signature accepted for another body")
		}
		if audience != aud {
			if _, err := Verify(req, body, now, time.Minute, audience); err == nil {
				t.Fatalf("signature for %q accepted by audience %q", aud, audience)
			}
		}
		if validNonce(nonce) && nonce != sd.Nonce {
			req.Header.Set(HeaderNonce, nonce)
			if _, err := Verify(req, body, now, time.Minute, aud); err == nil {
				t.Fatal("signature accepted with another nonce")
			}
			req.Header.Set(HeaderNonce, sd.Nonce)
		}
		req.URL.Path += "x"
		if _, err := Verify(req, body, now, time.Minute, aud); err == nil {
			t.Fatal("signature accepted for another path")
		}
	})
}
