package merkle

import "fmt"

// Span is the leaf range [Lo, Hi) of one subtree of an RFC 6962 tree. Every
// interior node of an n-leaf tree is the root of exactly one span, found by
// splitting at the largest power of two below the span's size.
type Span struct{ Lo, Hi int }

// Size is the number of leaves under the span.
func (s Span) Size() int { return s.Hi - s.Lo }

// Pieces returns the subtrees r levels below s, left to right: at most 2^r
// spans (fewer where the tree is unbalanced, since a single leaf is not split
// further). A dispute round reveals the roots of these spans, so a b-ary
// round with b = 2^r descends r levels of the binary tree at once.
func Pieces(s Span, r int) []Span {
	if r == 0 || s.Size() <= 1 {
		return []Span{s}
	}
	k := split(s.Size())
	return append(Pieces(Span{s.Lo, s.Lo + k}, r-1), Pieces(Span{s.Lo + k, s.Hi}, r-1)...)
}

// Fold recomputes the root of span s from the roots of its Pieces(s, r), in
// order. It is the check a verifier applies to a revealed round: the pieces
// must fold to the root already committed for s.
func Fold(s Span, r int, roots []Hash) (Hash, error) {
	h, rest, err := fold(s, r, roots)
	if err != nil {
		return Hash{}, err
	}
	if len(rest) != 0 {
		return Hash{}, fmt.Errorf("%w: %d pieces too many for span [%d,%d)", ErrProof, len(rest), s.Lo, s.Hi)
	}
	return h, nil
}

func fold(s Span, r int, roots []Hash) (Hash, []Hash, error) {
	if r == 0 || s.Size() <= 1 {
		if len(roots) == 0 {
			return Hash{}, nil, fmt.Errorf("%w: too few pieces for span [%d,%d)", ErrProof, s.Lo, s.Hi)
		}
		return roots[0], roots[1:], nil
	}
	k := split(s.Size())
	l, rest, err := fold(Span{s.Lo, s.Lo + k}, r-1, roots)
	if err != nil {
		return Hash{}, nil, err
	}
	rr, rest, err := fold(Span{s.Lo + k, s.Hi}, r-1, rest)
	if err != nil {
		return Hash{}, nil, err
	}
	return NodeHash(l, rr), rest, nil
}

// SpanRoot is the root of the leaves hs[s.Lo:s.Hi].
func SpanRoot(hs []Hash, s Span) Hash { return RootOfHashes(hs[s.Lo:s.Hi]) }
