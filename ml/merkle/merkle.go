// Package merkle computes the SHA-256 Merkle trees that CE-v1 uses for every
// commitment (checkpoints, dataset manifests, op traces).
//
// The tree follows RFC 6962 (Certificate Transparency): a leaf hash is
// SHA-256(0x00 || leaf), an interior node is SHA-256(0x01 || left || right),
// and a list of n > 1 leaves is split at the largest power of two below n.
// The prefixes separate the leaf and node domains, so a node can never be
// passed off as a leaf. The root of an empty list is SHA-256 of nothing.
package merkle

import (
	"crypto/sha256"
	"errors"
	"fmt"
)

// Hash is a SHA-256 digest.
type Hash = [32]byte

// ErrProof reports a malformed or non-matching inclusion proof.
var ErrProof = errors.New("merkle: invalid proof")

// LeafHash is the domain-separated hash of one leaf.
func LeafHash(leaf []byte) Hash {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(leaf)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash is the domain-separated hash of an interior node.
func NodeHash(left, right Hash) Hash {
	var buf [65]byte
	buf[0] = 1
	copy(buf[1:], left[:])
	copy(buf[33:], right[:])
	return sha256.Sum256(buf[:])
}

// Root returns the Merkle root of the leaves.
func Root(leaves [][]byte) Hash {
	hs := make([]Hash, len(leaves))
	for i, l := range leaves {
		hs[i] = LeafHash(l)
	}
	return RootOfHashes(hs)
}

// RootOfHashes returns the root of a tree whose leaf hashes are already known.
func RootOfHashes(hs []Hash) Hash {
	switch len(hs) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return hs[0]
	}
	k := split(len(hs))
	return NodeHash(RootOfHashes(hs[:k]), RootOfHashes(hs[k:]))
}

// split is the largest power of two strictly below n (n >= 2).
func split(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// Proof returns the audit path for leaf i among the leaf hashes hs, ordered
// from the leaf up to the root.
func Proof(hs []Hash, i int) ([]Hash, error) {
	if i < 0 || i >= len(hs) {
		return nil, fmt.Errorf("%w: index %d out of %d leaves", ErrProof, i, len(hs))
	}
	var path []Hash
	for len(hs) > 1 {
		k := split(len(hs))
		if i < k {
			path = append(path, RootOfHashes(hs[k:]))
			hs = hs[:k]
		} else {
			path = append(path, RootOfHashes(hs[:k]))
			hs = hs[k:]
			i -= k
		}
	}
	// Collected root-down; callers verify leaf-up.
	for a, b := 0, len(path)-1; a < b; a, b = a+1, b-1 {
		path[a], path[b] = path[b], path[a]
	}
	return path, nil
}

// Verify checks that leafHash is leaf i of n leaves under root.
func Verify(root, leafHash Hash, i, n int, path []Hash) error {
	if i < 0 || i >= n {
		return fmt.Errorf("%w: index %d out of %d leaves", ErrProof, i, n)
	}
	got, rest, err := climb(leafHash, i, n, path)
	if err != nil {
		return err
	}
	if len(rest) != 0 || got != root {
		return fmt.Errorf("%w: root mismatch", ErrProof)
	}
	return nil
}

// climb recomputes the root of an n-leaf tree from leaf i, consuming the path
// from its end (the sibling nearest the root) as it descends.
func climb(h Hash, i, n int, path []Hash) (Hash, []Hash, error) {
	if n == 1 {
		return h, path, nil
	}
	if len(path) == 0 {
		return Hash{}, nil, fmt.Errorf("%w: path too short", ErrProof)
	}
	sib := path[len(path)-1]
	path = path[:len(path)-1]
	k := split(n)
	if i < k {
		sub, rest, err := climb(h, i, k, path)
		return NodeHash(sub, sib), rest, err
	}
	sub, rest, err := climb(h, i-k, n-k, path)
	return NodeHash(sib, sub), rest, err
}
