package auth

import (
	"bytes"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
)

// FuzzVerify checks the verifier against arbitrary headers, paths and bodies:
// it never panics, and it accepts only what the signer signed — a signed
// request verifies, and changing its body, path or method does not.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	key := secp256k1.GenPrivKeyFromSecret([]byte("fuzz"))
	f.Add("PUT", "/lease/1/manifest?x=1", []byte("services: {}"), "", "", "", byte(0))
	f.Add("GET", "/", []byte{}, "AAAA", "1800000000", "AAAA", byte(1))
	f.Fuzz(func(t *testing.T, method, path string, body []byte, pk, ts, sig string, flip byte) {
		if len(path) == 0 || path[0] != '/' {
			path = "/" + path
		}
		req := httptest.NewRequest("POST", "/", nil)
		req.Method, req.URL.Path, req.URL.RawQuery = method, path, ""
		// Arbitrary headers: must fail cleanly.
		req.Header.Set(HeaderPubKey, pk)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, sig)
		if addr, err := Verify(req, body, now, time.Minute); err == nil && len(addr) == 0 {
			t.Fatal("verified without an address")
		}
		// A real signature verifies; a changed body does not.
		if err := SignRequest(PrivKeySigner{Key: key}, req, body, now); err != nil {
			t.Fatal(err)
		}
		addr, err := Verify(req, body, now, time.Minute)
		if err != nil || !bytes.Equal(addr, key.PubKey().Address()) {
			t.Fatalf("signed request refused: %v", err)
		}
		changed := append(append([]byte{}, body...), flip)
		if _, err := Verify(req, changed, now, time.Minute); err == nil {
			t.Fatal("signature accepted for another body")
		}
		req.URL.Path += "x"
		if _, err := Verify(req, body, now, time.Minute); err == nil {
			t.Fatal("signature accepted for another path")
		}
	})
}
