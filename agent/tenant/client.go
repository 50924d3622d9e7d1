package tenant

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hypha-network/hypha/agent/auth"
)

// Client calls a provider's lease API over TLS pinned to the certificate
// fingerprint registered on chain, signing each request so the provider can
// check that the caller owns the lease. Requests are signed for the
// provider's account address (the audience), so they are valid only there.
type Client struct {
	BaseURL  string
	Provider string // the provider's bech32 address: the audience requests are signed for
	Signer   auth.Signer
	HTTP     *http.Client
}

// NewClient returns a client for the provider at hostURI whose certificate has
// the hex SHA-256 fingerprint fp: providers use self-signed certificates, so
// the on-chain fingerprint replaces a CA. provider is the provider's account
// address as the chain has it (the lease's provider).
func NewClient(hostURI, fp, provider string, signer auth.Signer) *Client {
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
	return &Client{BaseURL: strings.TrimRight(hostURI, "/"), Provider: provider, Signer: signer, HTTP: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
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
		return nil, fmt.Errorf("build %s %s: %w", method, c.BaseURL+pathQuery, err)
	}
	if err := auth.SignRequest(c.Signer, req, body, c.Provider, time.Now()); err != nil {
		return nil, fmt.Errorf("sign request: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, c.BaseURL+pathQuery, err)
	}
	return resp, nil
}
