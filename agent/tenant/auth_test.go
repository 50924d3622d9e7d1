package tenant

import (
	"bytes"
	"encoding/base64"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"
)

func TestSignVerify(t *testing.T) {
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
		addr, err := Verify(r, body, now)
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
	if _, err := Verify(r, nil, now); err == nil {
		t.Fatal("unsigned request accepted")
	}
	addr, err := bech32.ConvertAndEncode("hypha", key.PubKey().Address())
	if err != nil {
		t.Fatal(err)
	}
	if !SameAccount(addr, key.PubKey().Address()) || SameAccount(addr, secp256k1.GenPrivKey().PubKey().Address()) {
		t.Fatal("SameAccount")
	}
}
