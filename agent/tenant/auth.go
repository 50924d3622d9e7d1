package tenant

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// Headers carrying a request signature.
const (
	HeaderPubKey    = "X-Hypha-Pubkey"    // base64 compressed secp256k1 public key
	HeaderTimestamp = "X-Hypha-Timestamp" // unix seconds
	HeaderSignature = "X-Hypha-Signature" // base64 64-byte secp256k1 signature
)

// MaxClockSkew is how far a signed request's timestamp may be from the
// provider's clock.
const MaxClockSkew = 5 * time.Minute

// SignBytes is what a request signature covers: method, path with query,
// timestamp and the SHA-256 of the body, one per line.
func SignBytes(method, pathQuery, timestamp string, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(method + "\n" + pathQuery + "\n" + timestamp + "\n" + hex.EncodeToString(sum[:]))
}

// Signer signs bytes with an account key (the keyring's secp256k1 key: SHA-256
// then ECDSA) and returns the signature and compressed public key.
type Signer func(msg []byte) (sig, pubKey []byte, err error)

// Verify checks a signed request and returns the signer's address bytes.
func Verify(r *http.Request, body []byte, now time.Time) ([]byte, error) {
	pkB, err := base64.StdEncoding.DecodeString(r.Header.Get(HeaderPubKey))
	if err != nil || len(pkB) != secp256k1.PubKeySize {
		return nil, errors.New("missing or malformed " + HeaderPubKey + " header: sign the request with the tenant's account key")
	}
	ts := r.Header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, errors.New("missing or malformed " + HeaderTimestamp + " header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxClockSkew || d < -MaxClockSkew {
		return nil, fmt.Errorf("request timestamp is %s away from the provider's clock (max %s): check your clock", d.Round(time.Second), MaxClockSkew)
	}
	sig, err := base64.StdEncoding.DecodeString(r.Header.Get(HeaderSignature))
	if err != nil || len(sig) == 0 {
		return nil, errors.New("missing or malformed " + HeaderSignature + " header")
	}
	pk := &secp256k1.PubKey{Key: pkB}
	if !pk.VerifySignature(SignBytes(r.Method, r.URL.RequestURI(), ts, body), sig) {
		return nil, errors.New("request signature does not verify")
	}
	return pk.Address(), nil
}

// SameAccount reports whether the bech32 address addr has the given address bytes.
func SameAccount(addr string, bz []byte) bool {
	_, b, err := bech32.DecodeAndConvert(addr)
	return err == nil && bytes.Equal(b, bz)
}

// Client calls a provider's lease API over TLS pinned to the certificate
// fingerprint registered on chain, signing each request.
type Client struct {
	BaseURL string
	Sign    Signer
	HTTP    *http.Client
}

// NewClient returns a client for the provider at hostURI whose certificate has
// the hex SHA-256 fingerprint fp.
func NewClient(hostURI, fp string, sign Signer) *Client {
	want := strings.ToLower(fp)
	tr := &http.Transport{TLSClientConfig: &tls.Config{
		InsecureSkipVerify: true, // replaced by the fingerprint pin below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("provider presented no certificate")
			}
			sum := sha256.Sum256(raw[0])
			if hex.EncodeToString(sum[:]) != want {
				return fmt.Errorf("provider certificate fingerprint %x does not match the one on chain (%s): refusing to talk to it", sum, want)
			}
			return nil
		},
	}}
	return &Client{BaseURL: strings.TrimRight(hostURI, "/"), Sign: sign, HTTP: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// Do sends a signed request and returns the response body; a non-2xx status
// is an error carrying the provider's message.
func (c *Client) Do(ctx context.Context, method, pathQuery string, body []byte) ([]byte, error) {
	resp, err := c.send(ctx, c.HTTP, method, pathQuery, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("read response of %s %s: %w", method, pathQuery, err)
	}
	if resp.StatusCode/100 != 2 {
		return out, fmt.Errorf("provider answered %s: %s", resp.Status, strings.TrimSpace(string(out)))
	}
	return out, nil
}

// Stream sends a signed GET and copies the response body to w as it arrives,
// until the provider ends it or ctx is done.
func (c *Client) Stream(ctx context.Context, pathQuery string, w io.Writer) error {
	hc := *c.HTTP
	hc.Timeout = 0
	resp, err := c.send(ctx, &hc, "GET", pathQuery, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return fmt.Errorf("provider answered %s: %s", resp.Status, strings.TrimSpace(string(out)))
	}
	if _, err := io.Copy(w, resp.Body); err != nil && ctx.Err() == nil {
		return fmt.Errorf("log stream from %s: %w", c.BaseURL, err)
	}
	return nil
}

func (c *Client) send(ctx context.Context, hc *http.Client, method, pathQuery string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+pathQuery, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig, pk, err := c.Sign(SignBytes(method, req.URL.RequestURI(), ts, body))
	if err != nil {
		return nil, fmt.Errorf("sign request: %w", err)
	}
	req.Header.Set(HeaderPubKey, base64.StdEncoding.EncodeToString(pk))
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, c.BaseURL+pathQuery, err)
	}
	return resp, nil
}
