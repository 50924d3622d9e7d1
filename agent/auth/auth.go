// Package auth signs and verifies the HTTP requests Hypha's off-chain agents
// send each other: subnet validators and gateways calling miners, and tenants
// calling a provider's lease API. One scheme serves both so a request signed
// by any Hypha tool verifies anywhere.
//
// A request carries the caller's secp256k1 public key, a timestamp (unix
// seconds) and a signature over
//
//	METHOD + "\n" + PATH?QUERY + "\n" + TIMESTAMP + "\n" + hex(SHA-256(BODY))
//
// made with the caller's account key (SHA-256, then ECDSA, as the keyring
// signs). The receiver recomputes the message, checks the signature and the
// clock skew it allows, and derives the caller's account address from the
// public key; deciding whether that address may call is left to the receiver
// (for miners: a validator of the subnet or a configured gateway; for
// providers: the lease owner).
package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	cryptocodec "github.com/cosmos/cosmos-sdk/crypto/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/bech32"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
)

// Header names. They are part of the wire format: changing them breaks every
// deployed caller or receiver.
const (
	HeaderPubKey    = "X-Hypha-Pubkey"    // base64 compressed secp256k1 public key
	HeaderTimestamp = "X-Hypha-Timestamp" // unix seconds
	HeaderSignature = "X-Hypha-Signature" // base64 64-byte secp256k1 signature
)

// MaxBody bounds the request bodies VerifyRequest reads, so an unauthenticated
// caller cannot make a receiver buffer arbitrary amounts of data.
const MaxBody = 4 << 20

// ErrUnauthenticated reports a request that is unsigned or badly signed, so
// receivers can tell it apart from other failures and answer 401.
var ErrUnauthenticated = errors.New("auth: unauthenticated")

// SignBytes returns the bytes a request signature covers. The path includes
// the query string so a signed request cannot be redirected to other
// parameters; the timestamp is the header value as sent.
func SignBytes(method, pathQuery, timestamp string, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(method + "\n" + pathQuery + "\n" + timestamp + "\n" + hex.EncodeToString(sum[:]))
}

// Signer abstracts over where the account key lives (a keyring for the CLI
// and agents, memory for tests and tools).
type Signer interface {
	// Sign returns the signature of msg and the key's compressed public key.
	Sign(msg []byte) (sig, pubKey []byte, err error)
	// Address is the signer's raw 20-byte account address.
	Address() []byte
}

// KeyringSigner signs with a key of a Cosmos SDK keyring, so agents and the
// CLI use the same keys as hyphad transactions.
type KeyringSigner struct {
	kr   keyring.Keyring
	name string
	addr sdk.AccAddress
}

// OpenKeyring opens the keyring of a hyphad home (backend "test" for devnets,
// "file" or "os" otherwise) without a passphrase prompt, for agents that run
// unattended.
func OpenKeyring(home, backend string) (keyring.Keyring, error) {
	if backend == "" {
		backend = keyring.BackendTest
	}
	reg := codectypes.NewInterfaceRegistry()
	cryptocodec.RegisterInterfaces(reg)
	kr, err := keyring.New(sdk.KeyringServiceName(), backend, home, nil, codec.NewProtoCodec(reg))
	if err != nil {
		return nil, fmt.Errorf("auth: open the %s keyring in %s: %w", backend, home, err)
	}
	return kr, nil
}

// NewKeyringSigner returns a signer for the named key, failing early when the
// key is missing rather than on the first request.
func NewKeyringSigner(kr keyring.Keyring, name string) (*KeyringSigner, error) {
	rec, err := kr.Key(name)
	if err != nil {
		return nil, fmt.Errorf("auth: key %q: %w (list keys with `hyphad keys list --home HOME`)", name, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return nil, fmt.Errorf("auth: key %q: %w", name, err)
	}
	return &KeyringSigner{kr: kr, name: name, addr: addr}, nil
}

// Sign implements Signer.
func (s *KeyringSigner) Sign(msg []byte) ([]byte, []byte, error) {
	sig, pk, err := s.kr.Sign(s.name, msg, signing.SignMode_SIGN_MODE_DIRECT)
	if err != nil {
		return nil, nil, fmt.Errorf("auth: sign with key %q: %w", s.name, err)
	}
	return sig, pk.Bytes(), nil
}

// Address implements Signer.
func (s *KeyringSigner) Address() []byte { return s.addr }

// Bech32 returns the signer's address in the configured bech32 prefix, for
// logs and for comparing with addresses read from the chain.
func (s *KeyringSigner) Bech32() string { return s.addr.String() }

// PrivKeySigner signs with an in-memory secp256k1 key (tests, tools) that has
// no keyring behind it.
type PrivKeySigner struct{ Key *secp256k1.PrivKey }

// Sign implements Signer.
func (s PrivKeySigner) Sign(msg []byte) ([]byte, []byte, error) {
	sig, err := s.Key.Sign(msg)
	if err != nil {
		return nil, nil, fmt.Errorf("auth: sign: %w", err)
	}
	return sig, s.Key.PubKey().Bytes(), nil
}

// Address implements Signer.
func (s PrivKeySigner) Address() []byte { return s.Key.PubKey().Address() }

// SignRequest sets the authentication headers on req for body (which must be
// the request's body) at time now.
func SignRequest(s Signer, req *http.Request, body []byte, now time.Time) error {
	ts := strconv.FormatInt(now.Unix(), 10)
	sig, pk, err := s.Sign(SignBytes(req.Method, req.URL.RequestURI(), ts, body))
	if err != nil {
		return fmt.Errorf("sign %s %s: %w", req.Method, req.URL.RequestURI(), err)
	}
	req.Header.Set(HeaderPubKey, base64.StdEncoding.EncodeToString(pk))
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// Verify checks the signature of req over body, which the caller has already
// read, and returns the signer's raw account address. Requests whose
// timestamp is more than maxSkew away from now are refused: the window bounds
// how long a captured request can be replayed, and each receiver picks its
// own. Every failure wraps ErrUnauthenticated.
func Verify(req *http.Request, body []byte, now time.Time, maxSkew time.Duration) ([]byte, error) {
	pkB64, ts, sigB64 := req.Header.Get(HeaderPubKey), req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderSignature)
	if pkB64 == "" || ts == "" || sigB64 == "" {
		return nil, fmt.Errorf("%w: missing %s, %s or %s header: sign the request with the account key", ErrUnauthenticated, HeaderPubKey, HeaderTimestamp, HeaderSignature)
	}
	pkBytes, err := base64.StdEncoding.DecodeString(pkB64)
	if err != nil || len(pkBytes) != secp256k1.PubKeySize {
		return nil, fmt.Errorf("%w: %s is not a base64 compressed secp256k1 key", ErrUnauthenticated, HeaderPubKey)
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not base64", ErrUnauthenticated, HeaderSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not unix seconds", ErrUnauthenticated, HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return nil, fmt.Errorf("%w: request timestamp is %v away from the receiver's clock (max %v): check your clock", ErrUnauthenticated, d.Round(time.Second), maxSkew)
	}
	pk := &secp256k1.PubKey{Key: pkBytes}
	if !pk.VerifySignature(SignBytes(req.Method, req.URL.RequestURI(), ts, body), sig) {
		return nil, fmt.Errorf("%w: request signature does not verify", ErrUnauthenticated)
	}
	return pk.Address(), nil
}

// VerifyRequest reads the request body (at most MaxBody bytes), verifies it
// like Verify and returns the caller's raw account address and the body. The
// body is replaced so handlers can read it again.
func VerifyRequest(req *http.Request, now time.Time, maxSkew time.Duration) (addr, body []byte, err error) {
	body, err = io.ReadAll(io.LimitReader(req.Body, MaxBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: read body: %v", ErrUnauthenticated, err)
	}
	if len(body) > MaxBody {
		return nil, nil, fmt.Errorf("%w: body larger than %d bytes", ErrUnauthenticated, MaxBody)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	addr, err = Verify(req, body, now, maxSkew)
	return addr, body, err
}

// SameAccount reports whether the bech32 address addr (as stored on chain)
// has the raw address bytes bz (as Verify returns them), whatever the prefix.
func SameAccount(addr string, bz []byte) bool {
	_, b, err := bech32.DecodeAndConvert(addr)
	return err == nil && bytes.Equal(b, bz)
}
