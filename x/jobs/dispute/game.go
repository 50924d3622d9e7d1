package dispute

import (
	"bytes"
	"fmt"

	"github.com/hypha-network/hypha/ml/merkle"
)

// Game is the whole state of one dispute: plain data (integers, hashes,
// bytes) that the keeper stores as is. Methods that take a height are the
// only way it changes, and a method that returns an error changes nothing.
type Game struct {
	Params Params
	// Steps is k, the steps of the disputed segment; TraceLen and StateLen
	// are the Layout's sizes, fixed at open.
	Steps              uint64
	TraceLen, StateLen uint32
	// Start is the agreed state root at the segment start; Claims are the
	// state roots each side claims at its end (they differ).
	Start  Hash
	Claims [2]Hash

	Phase Phase
	Level Level
	// Round counts phases from 0; every move names the round it is for.
	Round uint32
	// Span is the disputed node of the current level's tree; Node is each
	// side's root of it (they differ).
	Span merkle.Span
	Node [2]Hash
	// Moved records which sides have moved this round; Pieces holds a
	// side's bisection move until the other side's arrives.
	Moved  [2]bool
	Pieces [2][]Hash
	Reveal [2][]byte

	// Clocks: Remaining blocks per side; both clocks of the sides that owe a
	// move run from PhaseStart.
	Remaining  [2]uint64
	PhaseStart uint64

	// StepsRoot is each side's committed tree of step end states.
	StepsRoot [2]Hash
	// Results of the step level: the disputed step, its agreed start state,
	// each side's trace root.
	Step      uint64
	StepStart Hash
	HaveStart bool
	TraceRoot [2]Hash
	// Results of the trace or state level: the disputed entry or leaf and
	// each side's trace entry (its tensor root).
	Entry      uint32
	EntryValue [2]Hash

	// The final value, once the game reaches PhaseEvidence.
	FinalLevel   Level
	FinalElement uint32
	FinalClaims  [2][]byte

	// Rounds is the number of bisection rounds played; Bytes the encoded
	// size of every accepted move (what the game cost in transaction data).
	Rounds uint32
	Bytes  uint64

	Outcome Outcome
}

// Open starts a game over a segment of steps steps that starts at the agreed
// state root start, where the solver claims end state solverEnd and the
// challenger challengerEnd. Both clocks start at height.
func Open(p Params, l Layout, steps uint64, start, solverEnd, challengerEnd Hash, height uint64) (*Game, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if l == nil {
		return nil, fmt.Errorf("%w: no layout", ErrParams)
	}
	tl, sl := l.TraceLen(), l.StateLen()
	switch {
	case steps == 0 || steps > MaxLeaves:
		return nil, fmt.Errorf("%w: segment of %d steps (want 1..%d)", ErrOutOfRange, steps, MaxLeaves)
	case tl <= 0 || tl > MaxLeaves || sl <= 0 || sl > MaxLeaves:
		return nil, fmt.Errorf("%w: trace of %d entries, state of %d leaves", ErrOutOfRange, tl, sl)
	case solverEnd == challengerEnd:
		return nil, fmt.Errorf("%w: both sides claim the same end state; there is nothing to dispute", ErrParams)
	}
	return &Game{
		Params: p, Steps: steps, TraceLen: uint32(tl), StateLen: uint32(sl),
		Start: start, Claims: [2]Hash{solverEnd, challengerEnd},
		Phase: PhaseCommit, Level: LevelSteps, Span: merkle.Span{Lo: 0, Hi: int(steps)},
		Remaining: [2]uint64{p.Budget, p.Budget}, PhaseStart: height,
	}, nil
}

// Owes reports whether side must move in the current round.
func (g *Game) Owes(s Side) bool { return g.Phase != PhaseDone && !g.Moved[s] }

// DeadlineOf is the first height at which side s, if it still owes a move,
// has run out of time.
func (g *Game) DeadlineOf(s Side) uint64 { return g.PhaseStart + g.Remaining[s] + 1 }

// Deadline is the first height at which Tick can end the game by a timeout:
// the keeper indexes games by it (and re-indexes after every move, since a
// move changes it). It is 0 for a finished game.
func (g *Game) Deadline() uint64 {
	if g.Phase == PhaseDone {
		return 0
	}
	d := uint64(0)
	for _, s := range []Side{Solver, Challenger} {
		if g.Owes(s) && (d == 0 || g.DeadlineOf(s) < d) {
			d = g.DeadlineOf(s)
		}
	}
	return d
}

// Tick ends the game if a side that owes a move has run out of time by
// height; the keeper calls it for the games indexed at this height. It
// reports whether the game ended. When both sides have run out, the one
// whose clock ran out first loses, and on a tie the solver, which carries
// the burden of keeping its result checkable.
func (g *Game) Tick(height uint64) bool {
	if g.Phase == PhaseDone {
		return false
	}
	out := [2]bool{}
	for _, s := range []Side{Solver, Challenger} {
		out[s] = g.Owes(s) && height >= g.DeadlineOf(s)
	}
	var loser Side
	switch {
	case out[Solver] && out[Challenger]:
		loser = Solver
		if g.DeadlineOf(Challenger) < g.DeadlineOf(Solver) {
			loser = Challenger
		}
	case out[Solver]:
		loser = Solver
	case out[Challenger]:
		loser = Challenger
	default:
		return false
	}
	g.finish(loser.Other(), ReasonTimeout, height)
	return true
}

func (g *Game) finish(w Side, r Reason, height uint64) {
	g.Phase = PhaseDone
	g.Outcome = Outcome{Winner: w, Reason: r, Height: height}
	g.Pieces = [2][]Hash{}
	g.Reveal = [2][]byte{}
}

// Play applies one move at height. The layout must be the one the game was
// opened with, and ref is consulted only for evidence. On error nothing
// changes.
func (g *Game) Play(m *Move, l Layout, ref Referee, height uint64) error {
	if g.Phase == PhaseDone {
		return fmt.Errorf("%w: %s won (%s)", ErrFinished, g.Outcome.Winner, g.Outcome.Reason)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	s := m.Side
	if m.Round != g.Round {
		return fmt.Errorf("%w: move for round %d, game is at round %d", ErrWrongRound, m.Round, g.Round)
	}
	if !g.Owes(s) {
		return fmt.Errorf("%w: the %s already moved in round %d; wait for the %s", ErrWrongTurn, s, g.Round, s.Other())
	}
	if height < g.PhaseStart {
		return fmt.Errorf("%w: height %d before the round started at %d", ErrOutOfRange, height, g.PhaseStart)
	}
	used := height - g.PhaseStart
	if used > g.Remaining[s] {
		return fmt.Errorf("%w: the %s had %d blocks from height %d and moved at %d", ErrTimeout, s, g.Remaining[s], g.PhaseStart, height)
	}
	before := g.clone()
	if err := g.play(m, l, ref, height, used); err != nil {
		*g = *before
		return err
	}
	return nil
}

// clone is a deep copy, so a failed move can be rolled back whole.
func (g *Game) clone() *Game {
	c := *g
	for s := range 2 {
		c.Pieces[s] = append([]Hash(nil), g.Pieces[s]...)
		c.Reveal[s] = append([]byte(nil), g.Reveal[s]...)
		c.FinalClaims[s] = append([]byte(nil), g.FinalClaims[s]...)
	}
	return &c
}

func (g *Game) play(m *Move, l Layout, ref Referee, height, used uint64) error {
	s := m.Side
	if err := g.checkFields(m); err != nil {
		return err
	}
	var err error
	switch g.Phase {
	case PhaseCommit:
		err = g.playCommit(m)
	case PhaseBisect:
		err = g.playBisect(m)
	case PhaseReveal:
		err = g.playReveal(m, l)
	case PhaseEvidence:
		return g.playEvidence(m, ref, height, used)
	}
	if err != nil {
		return err
	}
	g.Remaining[s] -= used
	g.Moved[s] = true
	g.Bytes += uint64(m.Size())
	if g.Moved[s.Other()] {
		if err := g.advance(l); err != nil {
			return err
		}
		g.Round++
		g.Moved = [2]bool{}
		g.PhaseStart = height
		// The side that moved first now answers a round its opponent may
		// have completed in the last block of its clock: give it the least
		// response time.
		o := s.Other()
		g.Remaining[o] = max(g.Remaining[o], g.Params.MinResponse)
	}
	return nil
}

// playCommit checks a step-tree root and the proof of its last leaf.
func (g *Game) playCommit(m *Move) error {
	if len(m.Hashes) != 0 || len(m.Value) != 0 || len(m.Evidence) != 0 {
		return fmt.Errorf("%w: a commit carries only a root and the path of its last leaf", ErrBadMove)
	}
	s := m.Side
	last := int(g.Steps) - 1
	if err := merkle.Verify(m.Root, merkle.LeafHash(g.Claims[s][:]), last, int(g.Steps), m.Path); err != nil {
		return fmt.Errorf("%w: the last leaf of the %s's step tree is not its claimed end state: %v", ErrBadProof, s, err)
	}
	g.StepsRoot[s] = m.Root
	g.Node[s] = m.Root
	return nil
}

// playBisect checks that the revealed pieces fold to the side's node.
func (g *Game) playBisect(m *Move) error {
	if len(m.Path) != 0 || len(m.Value) != 0 || len(m.Evidence) != 0 {
		return fmt.Errorf("%w: a bisection move carries only subtree roots", ErrBadMove)
	}
	want := len(merkle.Pieces(g.Span, g.Params.levels()))
	if len(m.Hashes) != want {
		return fmt.Errorf("%w: %d subtree roots, want %d for leaves [%d,%d)", ErrBadMove, len(m.Hashes), want, g.Span.Lo, g.Span.Hi)
	}
	root, err := merkle.Fold(g.Span, g.Params.levels(), m.Hashes)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadProof, err)
	}
	if root != g.Node[m.Side] {
		return fmt.Errorf("%w: the subtree roots do not hash to the %s's committed root of leaves [%d,%d)", ErrBadProof, m.Side, g.Span.Lo, g.Span.Hi)
	}
	g.Pieces[m.Side] = append([]Hash(nil), m.Hashes...)
	return nil
}

// playReveal checks a leaf preimage (and, at the step level, the start state
// and trace root).
func (g *Game) playReveal(m *Move, l Layout) error {
	s := m.Side
	if len(m.Hashes) != 0 || len(m.Evidence) != 0 {
		return fmt.Errorf("%w: a reveal carries a leaf value", ErrBadMove)
	}
	if merkle.LeafHash(m.Value) != g.Node[s] {
		return fmt.Errorf("%w: the revealed value is not the %s's committed leaf %d", ErrBadProof, s, g.Span.Lo)
	}
	want := -1
	switch g.Level {
	case LevelSteps, LevelTrace:
		want = 32
	case LevelElements:
		n := 4 * l.EntryValues(int(g.Entry))
		want = merkle.ChunkLen(n, g.Span.Lo)
	}
	if want >= 0 && len(m.Value) != want {
		return fmt.Errorf("%w: revealed %d bytes, want %d", ErrBadMove, len(m.Value), want)
	}
	if g.Level == LevelSteps {
		t := g.Span.Lo
		if t == 0 {
			if m.Start != g.Start || len(m.Path) != 0 {
				return fmt.Errorf("%w: the first step starts at the segment's agreed start state", ErrBadProof)
			}
		} else if err := merkle.Verify(g.StepsRoot[s], merkle.LeafHash(m.Start[:]), t-1, int(g.Steps), m.Path); err != nil {
			return fmt.Errorf("%w: start state of step %d is not leaf %d of the %s's step tree: %v", ErrBadProof, t, t-1, s, err)
		}
		if g.HaveStart && m.Start != g.StepStart {
			// Both proofs are of a leaf left of the first difference, so they
			// name the same value unless SHA-256 has a collision.
			return fmt.Errorf("%w: start state differs from the one the %s proved", ErrBadProof, s.Other())
		}
	} else if len(m.Path) != 0 {
		return fmt.Errorf("%w: only the step-level reveal carries a path", ErrBadMove)
	}
	if g.Level == LevelSteps {
		g.StepStart, g.HaveStart = m.Start, true
		g.TraceRoot[s] = m.TraceRoot
	}
	g.Reveal[s] = append([]byte(nil), m.Value...)
	return nil
}

// advance moves the game on once both sides have moved in a round.
func (g *Game) advance(l Layout) error {
	switch g.Phase {
	case PhaseCommit:
		g.startLevel(LevelSteps, merkle.Span{Lo: 0, Hi: int(g.Steps)}, g.StepsRoot)
	case PhaseBisect:
		ps := merkle.Pieces(g.Span, g.Params.levels())
		k := 0
		for k < len(ps) && g.Pieces[Solver][k] == g.Pieces[Challenger][k] {
			k++
		}
		if k == len(ps) {
			return fmt.Errorf("%w: both sides' subtree roots agree under differing roots", ErrBadProof)
		}
		g.Rounds++
		g.startLevel(g.Level, ps[k], [2]Hash{g.Pieces[Solver][k], g.Pieces[Challenger][k]})
	case PhaseReveal:
		return g.afterReveal(l)
	}
	return nil
}

// startLevel bisects span with the given roots, or reveals it directly when
// it is a single leaf.
func (g *Game) startLevel(lv Level, span merkle.Span, roots [2]Hash) {
	g.Level, g.Span, g.Node = lv, span, roots
	g.Pieces = [2][]Hash{}
	g.Phase = PhaseBisect
	if span.Size() == 1 {
		g.Phase = PhaseReveal
	}
}

func (g *Game) afterReveal(l Layout) error {
	v := g.Reveal
	g.Reveal = [2][]byte{}
	switch g.Level {
	case LevelSteps:
		g.Step = uint64(g.Span.Lo)
		var end [2]Hash
		copy(end[Solver][:], v[Solver])
		copy(end[Challenger][:], v[Challenger])
		if g.TraceRoot[Solver] != g.TraceRoot[Challenger] {
			g.startLevel(LevelTrace, merkle.Span{Lo: 0, Hi: int(g.TraceLen)}, g.TraceRoot)
		} else {
			// Same trace, different end states: the fault is in deriving the
			// end state from the trace.
			g.startLevel(LevelState, merkle.Span{Lo: 0, Hi: int(g.StateLen)}, end)
		}
	case LevelTrace:
		g.Entry = uint32(g.Span.Lo)
		copy(g.EntryValue[Solver][:], v[Solver])
		copy(g.EntryValue[Challenger][:], v[Challenger])
		n := l.EntryValues(int(g.Entry))
		if n < 0 || n > MaxLeaves {
			return fmt.Errorf("%w: entry %d has %d values", ErrOutOfRange, g.Entry, n)
		}
		if n == 0 {
			g.final(LevelTrace, 0, v)
			return nil
		}
		g.startLevel(LevelElements, merkle.Span{Lo: 0, Hi: merkle.ChunkCount(4 * n)}, g.EntryValue)
	case LevelState:
		g.Entry = uint32(g.Span.Lo)
		g.final(LevelState, 0, v)
	case LevelElements:
		w := 0
		for w+4 <= len(v[Solver]) && bytes.Equal(v[Solver][w:w+4], v[Challenger][w:w+4]) {
			w += 4
		}
		if w+4 > len(v[Solver]) {
			return fmt.Errorf("%w: revealed chunks agree under differing roots", ErrBadProof)
		}
		el := g.Span.Lo*merkle.ChunkBytes/4 + w/4
		g.final(LevelElements, uint32(el), [2][]byte{v[Solver][w : w+4], v[Challenger][w : w+4]})
	}
	return nil
}

func (g *Game) final(lv Level, el uint32, claims [2][]byte) {
	g.Phase, g.FinalLevel, g.FinalElement = PhaseEvidence, lv, el
	g.FinalClaims = [2][]byte{append([]byte(nil), claims[Solver]...), append([]byte(nil), claims[Challenger]...)}
}

// Final is the value the referee judges once the game is in PhaseEvidence.
func (g *Game) Final() (*Final, error) {
	if g.Phase != PhaseEvidence {
		return nil, fmt.Errorf("%w: the game is not at its final step", ErrWrongTurn)
	}
	return &Final{
		Step: g.Step, Start: g.StepStart, Level: g.FinalLevel, Index: int(g.Entry), Element: int(g.FinalElement),
		TraceRoot: g.TraceRoot, TraceLen: int(g.TraceLen), StateLen: int(g.StateLen),
		Claims: [2][]byte{append([]byte(nil), g.FinalClaims[Solver]...), append([]byte(nil), g.FinalClaims[Challenger]...)},
	}, nil
}

// playEvidence asks the referee for the true value; the first valid
// evidence ends the game against the side whose claim differs from it.
func (g *Game) playEvidence(m *Move, ref Referee, height, used uint64) error {
	if len(m.Hashes) != 0 || len(m.Value) != 0 || len(m.Path) != 0 {
		return fmt.Errorf("%w: the final move carries only evidence", ErrBadMove)
	}
	if ref == nil {
		return fmt.Errorf("%w: no referee", ErrParams)
	}
	f, err := g.Final()
	if err != nil {
		return err
	}
	truth, err := ref.Judge(f, m.Side, m.Evidence)
	if err != nil {
		return fmt.Errorf("evidence of the %s: %w", m.Side, err)
	}
	g.Remaining[m.Side] -= used
	g.Bytes += uint64(m.Size())
	// The claims differ, so at most one equals the truth; a solver whose
	// claim is not the truth has a wrong result whatever the challenger said.
	w := Challenger
	if bytes.Equal(g.FinalClaims[Solver], truth) {
		w = Solver
	}
	g.finish(w, ReasonWrongValue, height)
	return nil
}

// checkFields rejects a move that sets fields its phase does not use, so a
// move means exactly one thing.
func (g *Game) checkFields(m *Move) error {
	var zero Hash
	stepReveal := g.Phase == PhaseReveal && g.Level == LevelSteps
	switch {
	case m.Root != zero && g.Phase != PhaseCommit:
		return fmt.Errorf("%w: only a commit carries a root", ErrBadMove)
	case m.TraceRoot != zero && !stepReveal:
		return fmt.Errorf("%w: only the step-level reveal carries a trace root", ErrBadMove)
	case m.Start != zero && !stepReveal:
		return fmt.Errorf("%w: only the step-level reveal carries a start state", ErrBadMove)
	}
	return nil
}
