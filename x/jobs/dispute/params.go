package dispute

import (
	"fmt"
	"math/bits"
)

// Limits on everything a move can carry, so that verifying one move is
// bounded work whatever the sender puts in it.
const (
	// MaxArity is the largest b: a bisection move carries at most b hashes.
	MaxArity = 64
	// MaxLeaves bounds every tree the game bisects (steps, trace entries,
	// state leaves, chunks of one tensor).
	MaxLeaves = 1 << 30
	// MaxPath bounds an audit path (a tree of MaxLeaves has depth 30).
	MaxPath = 32
	// MaxValueBytes bounds a revealed leaf (a state root, a trace entry, a
	// state leaf, a chunk).
	MaxValueBytes = 4096
	// MaxEvidenceBytes bounds the evidence of the final move: the inputs of
	// one element with their proofs. A whole-tensor reduction (sum, the
	// gradient norms of clipping) opens a whole input tensor, so this caps
	// the largest reduced tensor a job may contain at about 250k values.
	MaxEvidenceBytes = 1 << 20
	// MaxOpenings bounds the openings in one piece of evidence.
	MaxOpenings = 64
)

// Params fix the rules of one game; the keeper takes them from its module
// params when the dispute opens.
type Params struct {
	// Arity is b, a power of two in [2, MaxArity]: each bisection round
	// descends log2(b) levels of the binary trees.
	Arity uint32
	// Budget is each side's clock for the whole game, in blocks.
	Budget uint64
	// MinResponse is the least time a side has for its next move after its
	// opponent completes a round: a move in the last block of one clock
	// cannot leave the other side no time to answer.
	MinResponse uint64
}

// DefaultParams: 8-ary rounds, 600 blocks per side (about an
// hour at 6 s blocks), at least 20 blocks to answer any move.
func DefaultParams() Params { return Params{Arity: 8, Budget: 600, MinResponse: 20} }

// Validate checks the params.
func (p Params) Validate() error {
	switch {
	case p.Arity < 2 || p.Arity > MaxArity || p.Arity&(p.Arity-1) != 0:
		return fmt.Errorf("%w: arity %d must be a power of two in [2, %d]", ErrParams, p.Arity, MaxArity)
	case p.Budget == 0:
		return fmt.Errorf("%w: clock budget must be at least one block", ErrParams)
	case p.MinResponse == 0 || p.MinResponse > p.Budget:
		return fmt.Errorf("%w: min response %d must be in [1, budget %d]", ErrParams, p.MinResponse, p.Budget)
	}
	return nil
}

// levels is r = log2(b): binary levels per round.
func (p Params) levels() int { return bits.TrailingZeros32(p.Arity) }

// RoundsBound is ⌈log_b steps⌉ + ⌈log_b nodes⌉ + ⌈log_b elements⌉, the most
// bisection rounds a game can take (nodes: the longer of the trace and the
// state leaves; elements: the most chunks of one trace entry).
func (p Params) RoundsBound(steps, nodes, elements int) int {
	return ceilLog(steps, p.levels()) + ceilLog(nodes, p.levels()) + ceilLog(elements, p.levels())
}

// ceilLog is ⌈log_{2^r} n⌉ = ⌈⌈log2 n⌉ / r⌉, 0 for n <= 1. It is also the
// number of rounds to bisect an RFC 6962 tree of n leaves, whose depth is
// ⌈log2 n⌉.
func ceilLog(n, r int) int {
	if n <= 1 {
		return 0
	}
	d := bits.Len(uint(n - 1))
	return (d + r - 1) / r
}
