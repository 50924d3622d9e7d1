// Package auth signs and verifies the HTTP requests Hypha's off-chain agents
// send each other: subnet validators and gateways calling miners, and tenants
// calling a provider's lease API. One scheme serves both so a request signed
// by any Hypha tool verifies anywhere.
//
// A request carries the caller's secp256k1 public key, a timestamp (unix
// seconds), the audience (the identity of the server it is meant for), a
// random 128-bit nonce (32 lowercase hex digits) and a signature over
//
//	"hypha-request-v2" + "\n" + AUDIENCE + "\n" + NONCE + "\n" +
//	METHOD + "\n" + PATH?QUERY + "\n" + TIMESTAMP + "\n" + hex(SHA-256(BODY))
//
// made with the caller's account key (SHA-256, then ECDSA, as the keyring
// signs). The audience is the server's bech32 account address as the caller
// reads it from the chain: a miner's hotkey (from the metagraph), a
// provider's address (from the lease). The receiver recomputes the message,
// checks the signature, that the audience is its own, the clock skew it
// allows, and — with a ReplayCache — that the (public key, nonce) pair was
// not used before within that window; it derives the caller's account
// address from the public key. Deciding whether that address may call is left
// to the receiver (for miners: a validator of the subnet or a configured
// gateway; for providers: the lease owner).
//
// Version 2 (audience and nonce) replaced the unversioned first scheme;
// receivers refuse requests without the audience and nonce headers, so
// callers and receivers upgrade together.
package auth

import (
	"bytes"
	"container/heap"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
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
	HeaderAudience  = "X-Hypha-Audience"  // bech32 address of the server the request is for
	HeaderNonce     = "X-Hypha-Nonce"     // 32 lowercase hex digits, random per request
)

// Version is the scheme's version marker, the first line of the signed
// message. A change to the message layout changes it.
const Version = "hypha-request-v2"

// NonceLen is the length of a nonce in hex digits (128 bits).
const NonceLen = 32

// MaxBody bounds the request bodies VerifyRequest reads, so an unauthenticated
// caller cannot make a receiver buffer arbitrary amounts of data.
const MaxBody = 4 << 20

// ErrUnauthenticated reports a request that is unsigned or badly signed, so
// receivers can tell it apart from other failures and answer 401.
var ErrUnauthenticated = errors.New("auth: unauthenticated")

// SignBytes returns the bytes a request signature covers. The path includes
// the query string so a signed request cannot be redirected to other
// parameters; the audience binds it to one server and the nonce makes it
// single use; the timestamp is the header value as sent.
func SignBytes(audience, nonce, method, pathQuery, timestamp string, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(Version + "\n" + audience + "\n" + nonce + "\n" + method + "\n" + pathQuery + "\n" + timestamp + "\n" + hex.EncodeToString(sum[:]))
}

// NewNonce returns a random 128-bit nonce in hex.
func NewNonce() (string, error) {
	var b [NonceLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("auth: nonce: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func validNonce(n string) bool {
	if len(n) != NonceLen {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
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
// the request's body) at time now, for the server whose identity is audience
// (its bech32 account address as registered on chain), with a fresh nonce.
func SignRequest(s Signer, req *http.Request, body []byte, audience string, now time.Time) error {
	if audience == "" {
		return fmt.Errorf("sign %s %s: no audience: the server's account address is needed", req.Method, req.URL.RequestURI())
	}
	nonce, err := NewNonce()
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	sig, pk, err := s.Sign(SignBytes(audience, nonce, req.Method, req.URL.RequestURI(), ts, body))
	if err != nil {
		return fmt.Errorf("sign %s %s: %w", req.Method, req.URL.RequestURI(), err)
	}
	req.Header.Set(HeaderPubKey, base64.StdEncoding.EncodeToString(pk))
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderAudience, audience)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return nil
}

// Signed is what a verified request proves.
type Signed struct {
	Addr   []byte    // the signer's raw 20-byte account address
	PubKey []byte    // the signer's compressed public key
	Nonce  string    // the request's nonce
	Time   time.Time // the request's timestamp
}

// Verify checks the signature of req over body, which the caller has already
// read, and that it was signed for audience (the receiver's own identity).
// Requests whose timestamp is more than maxSkew away from now are refused.
// Verify holds no state: a receiver makes requests single use by passing the
// result to its ReplayCache once it has decided the caller may call. Every
// failure wraps ErrUnauthenticated.
func Verify(req *http.Request, body []byte, now time.Time, maxSkew time.Duration, audience string) (*Signed, error) {
	pkB64, ts, sigB64 := req.Header.Get(HeaderPubKey), req.Header.Get(HeaderTimestamp), req.Header.Get(HeaderSignature)
	if pkB64 == "" || ts == "" || sigB64 == "" {
		return nil, fmt.Errorf("%w: missing %s, %s or %s header: sign the request with the account key", ErrUnauthenticated, HeaderPubKey, HeaderTimestamp, HeaderSignature)
	}
	aud, nonce := req.Header.Get(HeaderAudience), req.Header.Get(HeaderNonce)
	if aud == "" || nonce == "" {
		return nil, fmt.Errorf("%w: missing %s or %s header: the caller signs with an older scheme than %s; upgrade it", ErrUnauthenticated, HeaderAudience, HeaderNonce, Version)
	}
	if audience == "" {
		return nil, fmt.Errorf("%w: this server has no audience configured to check requests against", ErrUnauthenticated)
	}
	if aud != audience {
		return nil, fmt.Errorf("%w: request is signed for %q, not for this server (%s): sign for the server you call", ErrUnauthenticated, aud, audience)
	}
	if !validNonce(nonce) {
		return nil, fmt.Errorf("%w: %s is not %d lowercase hex digits", ErrUnauthenticated, HeaderNonce, NonceLen)
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
	at := time.Unix(sec, 0)
	if d := now.Sub(at); d > maxSkew || d < -maxSkew {
		return nil, fmt.Errorf("%w: request timestamp is %v away from the receiver's clock (max %v): check your clock", ErrUnauthenticated, d.Round(time.Second), maxSkew)
	}
	pk := &secp256k1.PubKey{Key: pkBytes}
	if !pk.VerifySignature(SignBytes(aud, nonce, req.Method, req.URL.RequestURI(), ts, body), sig) {
		return nil, fmt.Errorf("%w: request signature does not verify", ErrUnauthenticated)
	}
	return &Signed{Addr: pk.Address(), PubKey: pkBytes, Nonce: nonce, Time: at}, nil
}

// VerifyRequest reads the request body (at most MaxBody bytes), verifies it
// like Verify and returns what it proves and the body. The body is replaced
// so handlers can read it again.
func VerifyRequest(req *http.Request, now time.Time, maxSkew time.Duration, audience string) (*Signed, []byte, error) {
	body, err := io.ReadAll(io.LimitReader(req.Body, MaxBody+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: read body: %v", ErrUnauthenticated, err)
	}
	if len(body) > MaxBody {
		return nil, nil, fmt.Errorf("%w: body larger than %d bytes", ErrUnauthenticated, MaxBody)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	s, err := Verify(req, body, now, maxSkew, audience)
	return s, body, err
}

// ErrReplay reports a request whose (public key, nonce) was already used.
var ErrReplay = fmt.Errorf("%w: request already used (a replay): sign every request anew", ErrUnauthenticated)

// ErrReplayCacheFull reports that a ReplayCache holds its maximum of live
// entries; receivers answer 503 so the caller retries after entries expire.
var ErrReplayCacheFull = errors.New("auth: too many signed requests within the skew window: retry shortly")

// DefaultReplayEntries is the replay cache bound the agents use: about 10 MB
// of entries, far more than validators, gateways or tenants send within a
// skew window.
const DefaultReplayEntries = 65536

// ReplayCache remembers the (public key, nonce) pairs of requests accepted
// within the skew window, so each signed request is used once per server. An
// entry lives until its request's timestamp falls out of the window
// (timestamp + window), after which Use refuses the request as stale anyway.
// Memory is bounded: at most max live entries; when full, Use refuses new
// requests (ErrReplayCacheFull) rather than forget an entry that could then
// be replayed. Receivers should call Use only for callers they authorize, so
// strangers cannot fill it. Safe for concurrent use.
type ReplayCache struct {
	window time.Duration
	max    int

	mu   sync.Mutex
	seen map[string]struct{}
	exp  expiryHeap
}

// NewReplayCache returns a cache for requests accepted within ±window of the
// receiver's clock (the receiver's maxSkew) holding at most max entries
// (DefaultReplayEntries if max <= 0).
func NewReplayCache(window time.Duration, max int) *ReplayCache {
	if max <= 0 {
		max = DefaultReplayEntries
	}
	return &ReplayCache{window: window, max: max, seen: map[string]struct{}{}}
}

// Use records s's (public key, nonce) at time now and fails if it was
// recorded before (ErrReplay), if s's timestamp is outside the window, or if
// the cache is full (ErrReplayCacheFull).
func (c *ReplayCache) Use(s *Signed, now time.Time) error {
	if d := now.Sub(s.Time); d > c.window || d < -c.window {
		return fmt.Errorf("%w: request timestamp is %v away from the receiver's clock (max %v)", ErrUnauthenticated, d.Round(time.Second), c.window)
	}
	key := string(s.PubKey) + "/" + s.Nonce
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.exp) > 0 && c.exp[0].at.Before(now) {
		delete(c.seen, heap.Pop(&c.exp).(expiry).key)
	}
	if _, ok := c.seen[key]; ok {
		return ErrReplay
	}
	if len(c.seen) >= c.max {
		return ErrReplayCacheFull
	}
	c.seen[key] = struct{}{}
	heap.Push(&c.exp, expiry{at: s.Time.Add(c.window), key: key})
	return nil
}

// Len returns the number of entries held (expired ones included until the
// next Use drops them).
func (c *ReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

type expiry struct {
	at  time.Time
	key string
}

// expiryHeap is a min-heap of entries by expiry time.
type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// SameAccount reports whether the bech32 address addr (as stored on chain)
// has the raw address bytes bz (as Verify returns them), whatever the prefix.
func SameAccount(addr string, bz []byte) bool {
	_, b, err := bech32.DecodeAndConvert(addr)
	return err == nil && bytes.Equal(b, bz)
}
