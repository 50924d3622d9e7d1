package groth

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	curve "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
)

// Errors of the decoders: each says which part of the bytes is wrong.
var (
	ErrProof  = errors.New("zk/groth: malformed proof")
	ErrKey    = errors.New("zk/groth: malformed verifying key")
	ErrPublic = errors.New("zk/groth: malformed public inputs")
)

// Limits on untrusted encodings, so no decoder allocates beyond them.
const (
	// MaxCommitments is the most BSB22 commitments a proof may carry; the
	// circuits here use one (the range checks).
	MaxCommitments = 2
	// MaxPublic is the most public inputs a statement may have.
	MaxPublic = 256
	// MaxVerifyingKey bounds an encoded verifying key.
	MaxVerifyingKey = 64 << 10
)

const (
	g1 = curve.SizeOfG1AffineCompressed
	g2 = curve.SizeOfG2AffineCompressed
)

// ProofSize is the encoded size of a proof with n commitments:
// Ar, Bs, Krs, a uint32 count, n commitments and the commitment proof.
func ProofSize(n int) int { return g1 + g2 + g1 + 4 + n*g1 + g1 }

// EncodeProof is the canonical proof encoding: gnark's compressed
// Proof.WriteTo (196 bytes with one commitment).
func EncodeProof(p groth16.Proof) ([]byte, error) {
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("zk/groth: encode proof: %w", err)
	}
	return b.Bytes(), nil
}

// DecodeProof parses a canonical proof. It checks the commitment count and
// the exact length before gnark allocates anything, that every point is on
// the curve and in its subgroup (gnark's decoder), and that re-encoding
// gives the same bytes, so one proof has one encoding.
func DecodeProof(b []byte) (groth16.Proof, error) {
	head := g1 + g2 + g1
	if len(b) < head+4 {
		return nil, fmt.Errorf("%w: %d bytes, a proof has at least %d", ErrProof, len(b), ProofSize(0))
	}
	n := binary.BigEndian.Uint32(b[head:])
	if n > MaxCommitments {
		return nil, fmt.Errorf("%w: %d commitments, at most %d", ErrProof, n, MaxCommitments)
	}
	if len(b) != ProofSize(int(n)) {
		return nil, fmt.Errorf("%w: %d bytes, a proof with %d commitments has %d", ErrProof, len(b), n, ProofSize(int(n)))
	}
	p := new(groth16bn254.Proof)
	if _, err := p.ReadFrom(bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProof, err)
	}
	if again, err := EncodeProof(p); err != nil || !bytes.Equal(again, b) {
		return nil, fmt.Errorf("%w: not the canonical compressed encoding", ErrProof)
	}
	return p, nil
}

// EncodeVerifyingKey is the canonical key encoding: gnark's compressed
// VerifyingKey.WriteTo.
func EncodeVerifyingKey(vk groth16.VerifyingKey) ([]byte, error) {
	var b bytes.Buffer
	if _, err := vk.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("zk/groth: encode verifying key: %w", err)
	}
	return b.Bytes(), nil
}

// KeyID is the SHA-256 of the canonical verifying-key encoding: the id
// x/infer registers a model's key under.
func KeyID(vk groth16.VerifyingKey) ([32]byte, error) {
	b, err := EncodeVerifyingKey(vk)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// DecodeVerifyingKey parses a canonical verifying key. Every length prefix
// is checked against the bytes left before gnark allocates for it, points
// are subgroup-checked, and the key must re-encode to the same bytes.
func DecodeVerifyingKey(b []byte) (groth16.VerifyingKey, error) {
	if len(b) > MaxVerifyingKey {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrKey, len(b), MaxVerifyingKey)
	}
	if err := walkVerifyingKey(b); err != nil {
		return nil, err
	}
	vk := new(groth16bn254.VerifyingKey)
	if _, err := vk.ReadFrom(bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	if again, err := EncodeVerifyingKey(vk); err != nil || !bytes.Equal(again, b) {
		return nil, fmt.Errorf("%w: not the canonical compressed encoding", ErrKey)
	}
	return vk, nil
}

// walkVerifyingKey checks the length prefixes of gnark's compressed
// verifying-key layout: α1 β1 β2 γ2 δ1 δ2, []G1 K, [][]uint64 committed
// indices, uint32 commitment-key count, then per key two G2 points.
func walkVerifyingKey(b []byte) error {
	r := b
	take := func(n uint64, what string) error {
		if n > uint64(len(r)) {
			return fmt.Errorf("%w: %s needs %d bytes, %d left", ErrKey, what, n, len(r))
		}
		r = r[n:]
		return nil
	}
	u32 := func(what string) (uint64, error) {
		if len(r) < 4 {
			return 0, fmt.Errorf("%w: truncated at %s", ErrKey, what)
		}
		v := binary.BigEndian.Uint32(r)
		r = r[4:]
		return uint64(v), nil
	}
	if err := take(3*g1+3*g2, "the fixed points"); err != nil {
		return err
	}
	n, err := u32("K")
	if err != nil {
		return err
	}
	if n > MaxPublic+MaxCommitments+1 {
		return fmt.Errorf("%w: %d public-input points, at most %d", ErrKey, n, MaxPublic+MaxCommitments+1)
	}
	if err := take(n*g1, "K"); err != nil {
		return err
	}
	if n, err = u32("committed indices"); err != nil {
		return err
	}
	if n > MaxCommitments {
		return fmt.Errorf("%w: %d commitments, at most %d", ErrKey, n, MaxCommitments)
	}
	for i := uint64(0); i < n; i++ {
		m, err := u32("committed indices")
		if err != nil {
			return err
		}
		if err := take(8*m, "committed indices"); err != nil {
			return err
		}
	}
	if n, err = u32("commitment keys"); err != nil {
		return err
	}
	if n > MaxCommitments {
		return fmt.Errorf("%w: %d commitment keys, at most %d", ErrKey, n, MaxCommitments)
	}
	return take(n*2*g2, "commitment keys")
}

// EncodePublic is the public-input wire format: each element as 32
// big-endian bytes, in the statement's order (encode.Shape.Elements).
func EncodePublic(pub []fr.Element) []byte {
	out := make([]byte, 0, 32*len(pub))
	for i := range pub {
		b := pub[i].Bytes()
		out = append(out, b[:]...)
	}
	return out
}

// DecodePublic parses the public-input wire format; each element must be
// canonical (below the field modulus).
func DecodePublic(b []byte) ([]fr.Element, error) {
	if len(b)%fr.Bytes != 0 || len(b)/fr.Bytes > MaxPublic {
		return nil, fmt.Errorf("%w: %d bytes, want a multiple of %d up to %d elements", ErrPublic, len(b), fr.Bytes, MaxPublic)
	}
	out := make([]fr.Element, len(b)/fr.Bytes)
	for i := range out {
		if err := out[i].SetBytesCanonical(b[i*fr.Bytes : (i+1)*fr.Bytes]); err != nil {
			return nil, fmt.Errorf("%w: element %d: %v", ErrPublic, i, err)
		}
	}
	return out, nil
}
