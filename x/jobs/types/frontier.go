package types

import "github.com/hypha-network/hypha/ml/merkle"

// AppendLeaf adds one commitment to the incremental RFC 6962 Merkle state of
// count leaves: frontier holds the roots of the perfect subtrees of the tree,
// largest first, one per set bit of count. It returns the new frontier. Work
// and storage are O(log count), so a job's root is kept as commitments arrive.
func AppendLeaf(frontier [][]byte, count uint64, leaf []byte) [][]byte {
	h := merkle.LeafHash(leaf)
	out := append([][]byte(nil), frontier...)
	out = append(out, h[:])
	// Each trailing 1 bit of count is a subtree of the new leaf's size: merge.
	for c := count; c&1 == 1; c >>= 1 {
		n := len(out)
		var l, r merkle.Hash
		copy(l[:], out[n-2])
		copy(r[:], out[n-1])
		m := merkle.NodeHash(l, r)
		out = append(out[:n-2], m[:])
	}
	return out
}

// FrontierRoot is the RFC 6962 root of the leaves a frontier summarizes: the
// subtree roots folded from the smallest (rightmost) up, which is how RFC 6962
// splits a tree at its largest power of two. It equals merkle.Root over the
// same leaves. An empty frontier has no root (nil).
func FrontierRoot(frontier [][]byte) []byte {
	if len(frontier) == 0 {
		return nil
	}
	var r merkle.Hash
	copy(r[:], frontier[len(frontier)-1])
	for i := len(frontier) - 2; i >= 0; i-- {
		var l merkle.Hash
		copy(l[:], frontier[i])
		r = merkle.NodeHash(l, r)
	}
	return r[:]
}

// VerifyLeaf checks that leaf is leaf index of count leaves under root, with
// the RFC 6962 audit path proof (merkle.Proof's order).
func VerifyLeaf(root, leaf []byte, index, count uint64, proof [][]byte) error {
	if len(root) != 32 || count == 0 || index >= count || len(proof) > 64 {
		return ErrInvalidProof
	}
	var rt merkle.Hash
	copy(rt[:], root)
	path := make([]merkle.Hash, len(proof))
	for i, p := range proof {
		if len(p) != 32 {
			return ErrInvalidProof
		}
		copy(path[i][:], p)
	}
	if err := merkle.Verify(rt, merkle.LeafHash(leaf), int(index), int(count), path); err != nil {
		return ErrInvalidProof
	}
	return nil
}
