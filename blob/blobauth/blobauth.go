// Package blobauth makes blob uploads require agent-signed requests
// (agent/auth, the scheme every Hypha agent speaks). It is its own package so
// that blob/server and blob/client stay free of the chain's key types.
//
// An upload is signed over an empty body: the id in the signed path
// (PUT /v1/blobs/ID) commits to the content, which the server checks against
// the id anyway, so hashing a multi-GiB body a second time for the signature
// would add nothing.
package blobauth

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/hypha-network/hypha/agent/auth"
	"github.com/hypha-network/hypha/blob/server"
)

// Policy says which signed uploads a server accepts.
type Policy struct {
	// Audience is the server's own identity (its bech32 account address),
	// which callers sign for.
	Audience string
	// MaxSkew bounds the difference between a request's timestamp and the
	// server's clock (default 60 s).
	MaxSkew time.Duration
	// Replay, if set, makes each signed request single use.
	Replay *auth.ReplayCache
	// Allow decides whether the signer's raw account address may upload;
	// nil allows any valid signature.
	Allow func(addr []byte) bool
}

// Authorizer returns the server.Config.Authorize hook that enforces p.
func Authorizer(p Policy) server.Authorizer {
	if p.MaxSkew <= 0 {
		p.MaxSkew = 60 * time.Second
	}
	return func(r *http.Request) error {
		now := time.Now()
		s, err := auth.Verify(r, nil, now, p.MaxSkew, p.Audience)
		if err != nil {
			return err
		}
		if p.Allow != nil && !p.Allow(s.Addr) {
			return fmt.Errorf("%w: account %s may not upload to this server", auth.ErrUnauthenticated, hex.EncodeToString(s.Addr))
		}
		if p.Replay != nil {
			if err := p.Replay.Use(s, now); err != nil {
				return err
			}
		}
		return nil
	}
}

// Signer returns the client.Client.Sign hook that signs uploads with s for
// the server whose identity is audience.
func Signer(s auth.Signer, audience string) func(*http.Request) error {
	return func(r *http.Request) error {
		return auth.SignRequest(s, r, nil, audience, time.Now())
	}
}
