package merkle

import "fmt"

// MultiProof returns the sibling roots that, together with the leaf hashes at
// the strictly increasing indices idx, determine the root of hs. It is the
// compact form of several audit paths: a subtree with no proven leaf
// contributes its root once, a subtree with proven leaves contributes
// nothing, so a row of a matrix (adjacent leaves) costs O(log n) hashes and a
// column (strided leaves) O(len(idx) · log n). The roots are in depth-first,
// left-to-right order.
func MultiProof(hs []Hash, idx []int) ([]Hash, error) {
	if err := checkIndices(idx, len(hs)); err != nil {
		return nil, err
	}
	var out []Hash
	multiProof(hs, 0, idx, &out)
	return out, nil
}

func multiProof(hs []Hash, off int, idx []int, out *[]Hash) {
	if len(idx) == 0 {
		*out = append(*out, RootOfHashes(hs))
		return
	}
	if len(hs) == 1 {
		return
	}
	k := split(len(hs))
	j := 0
	for j < len(idx) && idx[j] < off+k {
		j++
	}
	multiProof(hs[:k], off, idx[:j], out)
	multiProof(hs[k:], off+k, idx[j:], out)
}

// VerifyMulti checks that leaves (the leaf hashes at the strictly increasing
// indices idx of an n-leaf tree) and proof (from MultiProof) give root. Its
// work is O((len(idx) + len(proof)) · log n).
func VerifyMulti(root Hash, n int, idx []int, leaves, proof []Hash) error {
	if err := checkIndices(idx, n); err != nil {
		return err
	}
	if len(leaves) != len(idx) {
		return fmt.Errorf("%w: %d leaves for %d indices", ErrProof, len(leaves), len(idx))
	}
	if len(idx) == 0 {
		return fmt.Errorf("%w: no leaves to prove", ErrProof)
	}
	got, lrest, prest, err := verifyMulti(n, 0, idx, leaves, proof)
	if err != nil {
		return err
	}
	if len(lrest) != 0 || len(prest) != 0 {
		return fmt.Errorf("%w: %d unused proof hashes", ErrProof, len(prest))
	}
	if got != root {
		return fmt.Errorf("%w: root mismatch", ErrProof)
	}
	return nil
}

func verifyMulti(n, off int, idx []int, leaves, proof []Hash) (Hash, []Hash, []Hash, error) {
	if len(idx) == 0 {
		if len(proof) == 0 {
			return Hash{}, nil, nil, fmt.Errorf("%w: proof too short", ErrProof)
		}
		return proof[0], leaves, proof[1:], nil
	}
	if n == 1 {
		return leaves[0], leaves[1:], proof, nil
	}
	k := split(n)
	j := 0
	for j < len(idx) && idx[j] < off+k {
		j++
	}
	l, leaves, proof, err := verifyMulti(k, off, idx[:j], leaves, proof)
	if err != nil {
		return Hash{}, nil, nil, err
	}
	r, leaves, proof, err := verifyMulti(n-k, off+k, idx[j:], leaves, proof)
	if err != nil {
		return Hash{}, nil, nil, err
	}
	return NodeHash(l, r), leaves, proof, nil
}

func checkIndices(idx []int, n int) error {
	for i, x := range idx {
		if x < 0 || x >= n {
			return fmt.Errorf("%w: index %d out of %d leaves", ErrProof, x, n)
		}
		if i > 0 && x <= idx[i-1] {
			return fmt.Errorf("%w: indices must be strictly increasing (%d after %d)", ErrProof, x, idx[i-1])
		}
	}
	return nil
}
