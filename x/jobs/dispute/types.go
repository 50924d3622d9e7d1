package dispute

import "github.com/hypha-network/hypha/ml/merkle"

// Hash is a SHA-256 digest.
type Hash = merkle.Hash

// Side is a party to the game.
type Side uint8

// The two sides.
const (
	Solver     Side = 0
	Challenger Side = 1
)

func (s Side) String() string {
	if s == Solver {
		return "solver"
	}
	return "challenger"
}

// Other is the opponent.
func (s Side) Other() Side { return 1 - s }

// Phase is what the game waits for.
type Phase uint8

// Phases. Every phase waits for both sides except Evidence, which the first
// valid evidence from either side ends, and Done.
const (
	// PhaseCommit: each side posts the root of its tree of step end states
	// with a proof that the last leaf is the end state it claims.
	PhaseCommit Phase = iota + 1
	// PhaseBisect: each side reveals the up to b subtree roots under the
	// disputed node of the current level.
	PhaseBisect
	// PhaseReveal: the disputed node is one leaf; each side reveals its
	// preimage (and, at the step level, its start state and trace root).
	PhaseReveal
	// PhaseEvidence: the referee recomputes the disputed value from
	// evidence either side submits.
	PhaseEvidence
	// PhaseDone: the game has an outcome.
	PhaseDone
)

// Level is the tree the game is bisecting.
type Level uint8

// Levels, in the order a game visits them (Trace or State, not both).
const (
	// LevelSteps: leaves are the state roots after each step of the segment.
	LevelSteps Level = iota + 1
	// LevelTrace: leaves are the trace entries of the disputed step.
	LevelTrace
	// LevelState: the traces agree; leaves are the end-state leaves.
	LevelState
	// LevelElements: leaves are the chunks of one trace entry's tensor.
	LevelElements
)

// Reason says why a game ended.
type Reason uint8

// Reasons.
const (
	ReasonNone Reason = iota
	// ReasonWrongValue: the loser's claimed value differs from the
	// referee's recomputation.
	ReasonWrongValue
	// ReasonTimeout: the loser's clock ran out.
	ReasonTimeout
)

func (r Reason) String() string {
	switch r {
	case ReasonWrongValue:
		return "claimed value differs from the referee's recomputation"
	case ReasonTimeout:
		return "clock ran out"
	}
	return "none"
}

// Outcome is a finished game's result.
type Outcome struct {
	Winner Side
	Reason Reason
	// Height is the block height at which the game ended.
	Height uint64
}

// SolverWins reports whether the solver won.
func (o Outcome) SolverWins() bool { return o.Winner == Solver }

// ChallengerWins reports whether the challenger won.
func (o Outcome) ChallengerWins() bool { return o.Winner == Challenger }

// Layout is what the game needs to know about the computation: the sizes of
// the trees of one step. The keeper derives it from the job's program
// (x/jobs/referee implements it for CE-v1).
type Layout interface {
	// TraceLen is the number of entries of a step's op trace.
	TraceLen() int
	// StateLen is the number of leaves of a state root.
	StateLen() int
	// EntryValues is the number of float32 values of trace entry j, or 0
	// when the referee judges the entry as a whole (its root is a leaf of
	// the agreed start state) rather than element by element.
	EntryValues(j int) int
}

// Final is what the referee judges: the disputed value and the agreed roots
// its inputs are proven against.
type Final struct {
	// Step is the disputed step, counted from the segment start.
	Step uint64
	// Start is the agreed state root before the step.
	Start Hash
	// Level is LevelTrace (a whole trace entry), LevelElements (one element
	// of a trace entry) or LevelState (one end-state leaf).
	Level Level
	// Index is the trace entry or the end-state leaf.
	Index int
	// Element is the element of the trace entry at LevelElements.
	Element int
	// TraceRoot is each side's trace root of the step. Entries before Index
	// are agreed, so either side's root proves them.
	TraceRoot [2]Hash
	// TraceLen and StateLen are the Layout's sizes.
	TraceLen, StateLen int
	// Claims are each side's claimed value: 4 little-endian bytes of an
	// element, a 32-byte tensor root, or a state leaf.
	Claims [2][]byte
}

// Referee recomputes the disputed value of a Final.
type Referee interface {
	// Judge verifies evidence from side against the agreed roots of f and
	// returns the true value, in the form of f.Claims. It returns an error
	// wrapping ErrBadProof when the evidence does not verify.
	Judge(f *Final, side Side, evidence []byte) ([]byte, error)
}
