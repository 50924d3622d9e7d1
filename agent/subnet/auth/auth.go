// Package auth signs and verifies the HTTP requests subnet agents send each
// other. A request carries the caller's secp256k1 public key, a timestamp and
// a signature over
//
//	"hypha-axon-v1\n" + METHOD + "\n" + PATH + "\n" + TIMESTAMP + "\n" + hex(SHA-256(BODY))
//
// made with the caller's account key. The receiver recomputes the message,
// checks the signature and the clock skew, and derives the caller's account
// address from the public key; deciding whether that address may call is left
// to an Authorizer (for miners: a validator of the subnet or a configured
// gateway).
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
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
)

// Header names.
const (
	HeaderPubKey    = "Hypha-Pubkey"
	HeaderTimestamp = "Hypha-Timestamp"
	HeaderSignature = "Hypha-Signature"
)

// MaxSkew is how far a request's timestamp may be from the receiver's clock.
const MaxSkew = 30 * time.Second

// MaxBody bounds the request bodies a verifier reads.
const MaxBody = 4 << 20

// ErrUnauthenticated reports a request that is unsigned or badly signed.
var ErrUnauthenticated = errors.New("auth: unauthenticated")

// Message returns the bytes a request signature covers.
func Message(method, path string, timestamp int64, body []byte) []byte {
	sum := sha256.Sum256(body)
	return fmt.Appendf(nil, "hypha-axon-v1\n%s\n%s\n%d\n%s", method, path, timestamp, hex.EncodeToString(sum[:]))
}

// Signer signs requests with a key.
type Signer interface {
	// Sign returns the signature of msg and the key's compressed public key.
	Sign(msg []byte) (sig, pubKey []byte, err error)
	// Address is the signer's raw 20-byte account address.
	Address() []byte
}

// KeyringSigner signs with a key of a Cosmos SDK keyring.
type KeyringSigner struct {
	kr   keyring.Keyring
	name string
	addr sdk.AccAddress
}

// OpenKeyring opens the keyring of a hyphad home (backend "test" for devnets,
// "file" or "os" otherwise).
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

// NewKeyringSigner returns a signer for the named key.
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

// Bech32 returns the signer's address in the configured bech32 prefix.
func (s *KeyringSigner) Bech32() string { return s.addr.String() }

// PrivKeySigner signs with an in-memory secp256k1 key (tests, tools).
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
	ts := now.UnixMilli()
	sig, pk, err := s.Sign(Message(req.Method, req.URL.Path, ts, body))
	if err != nil {
		return err
	}
	req.Header.Set(HeaderPubKey, base64.StdEncoding.EncodeToString(pk))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// VerifyRequest reads and returns the request body, checks the signature and
// timestamp, and returns the caller's raw account address. The body is
// replaced so handlers can read it again.
func VerifyRequest(req *http.Request, now time.Time) (addr, body []byte, err error) {
	body, err = io.ReadAll(io.LimitReader(req.Body, MaxBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: read body: %v", ErrUnauthenticated, err)
	}
	if len(body) > MaxBody {
		return nil, nil, fmt.Errorf("%w: body larger than %d bytes", ErrUnauthenticated, MaxBody)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	pkB64, tsStr, sigB64 := req.Header.Get(HeaderPubKey), req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderSignature)
	if pkB64 == "" || tsStr == "" || sigB64 == "" {
		return nil, body, fmt.Errorf("%w: missing %s, %s or %s header", ErrUnauthenticated, HeaderPubKey, HeaderTimestamp, HeaderSignature)
	}
	pkBytes, err := base64.StdEncoding.DecodeString(pkB64)
	if err != nil || len(pkBytes) != secp256k1.PubKeySize {
		return nil, body, fmt.Errorf("%w: %s is not a base64 compressed secp256k1 key", ErrUnauthenticated, HeaderPubKey)
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return nil, body, fmt.Errorf("%w: %s is not base64", ErrUnauthenticated, HeaderSignature)
	}
	ts, err := strconv.ParseInt(tsStr, 10, 64)
	if err != nil {
		return nil, body, fmt.Errorf("%w: %s is not unix milliseconds", ErrUnauthenticated, HeaderTimestamp)
	}
	if d := now.Sub(time.UnixMilli(ts)); d > MaxSkew || d < -MaxSkew {
		return nil, body, fmt.Errorf("%w: timestamp is %v off the receiver's clock (max %v): check the caller's clock", ErrUnauthenticated, d.Round(time.Second), MaxSkew)
	}
	pk := &secp256k1.PubKey{Key: pkBytes}
	if !pk.VerifySignature(Message(req.Method, req.URL.Path, ts, body), sig) {
		return nil, body, fmt.Errorf("%w: bad signature", ErrUnauthenticated)
	}
	return pk.Address(), body, nil
}
