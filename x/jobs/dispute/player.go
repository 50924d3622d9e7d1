package dispute

import (
	"fmt"

	"github.com/hypha-network/hypha/ml/merkle"
)

// Party is the off-chain record one side answers the game from: the state
// roots after each step of the segment and, for any step, its trace entries,
// end-state leaves, entry tensors and the referee's evidence. A solver or
// auditor agent implements it over its own re-execution.
type Party interface {
	// States are the state roots after steps 1..k of the segment.
	States() []Hash
	// TraceEntries are the trace entries of step t (from 0).
	TraceEntries(t uint64) ([]Hash, error)
	// StateLeaves are the state-root leaves after step t.
	StateLeaves(t uint64) ([][]byte, error)
	// EntryBytes is the canonical tensor bytes of trace entry j of step t.
	EntryBytes(t uint64, j int) ([]byte, error)
	// Evidence is the encoded evidence for the final value.
	Evidence(f *Final) ([]byte, error)
}

// NextMove is the move side makes in g's current round when it answers
// truthfully from p. An honest agent plays it every round; the property
// tests also let lying parties play it over their own (wrong) records.
func NextMove(g *Game, side Side, p Party) (*Move, error) {
	m := &Move{Side: side, Round: g.Round}
	states := p.States()
	if uint64(len(states)) != g.Steps {
		return nil, fmt.Errorf("%w: party has %d states for a %d-step segment", ErrParams, len(states), g.Steps)
	}
	stateLeaves := func() []Hash {
		hs := make([]Hash, len(states))
		for i := range states {
			hs[i] = merkle.LeafHash(states[i][:])
		}
		return hs
	}
	switch g.Phase {
	case PhaseCommit:
		hs := stateLeaves()
		m.Root = merkle.RootOfHashes(hs)
		path, err := merkle.Proof(hs, len(hs)-1)
		if err != nil {
			return nil, err
		}
		m.Path = path
	case PhaseBisect:
		hs, err := levelLeaves(g, p, stateLeaves)
		if err != nil {
			return nil, err
		}
		if g.Span.Hi > len(hs) {
			return nil, fmt.Errorf("%w: party's tree has %d leaves, span ends at %d", ErrOutOfRange, len(hs), g.Span.Hi)
		}
		for _, s := range merkle.Pieces(g.Span, g.Params.levels()) {
			m.Hashes = append(m.Hashes, merkle.SpanRoot(hs, s))
		}
	case PhaseReveal:
		i := g.Span.Lo
		switch g.Level {
		case LevelSteps:
			m.Value = append([]byte(nil), states[i][:]...)
			m.Start = g.Start
			if i > 0 {
				m.Start = states[i-1]
				path, err := merkle.Proof(stateLeaves(), i-1)
				if err != nil {
					return nil, err
				}
				m.Path = path
			}
			es, err := p.TraceEntries(uint64(i))
			if err != nil {
				return nil, err
			}
			m.TraceRoot = entriesRoot(es)
		case LevelTrace:
			es, err := p.TraceEntries(g.Step)
			if err != nil {
				return nil, err
			}
			m.Value = append([]byte(nil), es[i][:]...)
		case LevelState:
			ls, err := p.StateLeaves(g.Step)
			if err != nil {
				return nil, err
			}
			m.Value = append([]byte(nil), ls[i]...)
		case LevelElements:
			b, err := p.EntryBytes(g.Step, int(g.Entry))
			if err != nil {
				return nil, err
			}
			lo := i * merkle.ChunkBytes
			m.Value = append([]byte(nil), b[lo:lo+merkle.ChunkLen(len(b), i)]...)
		}
	case PhaseEvidence:
		f, err := g.Final()
		if err != nil {
			return nil, err
		}
		if m.Evidence, err = p.Evidence(f); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: game finished", ErrFinished)
	}
	return m, nil
}

// levelLeaves are the leaf hashes of the current level's tree for party p.
func levelLeaves(g *Game, p Party, steps func() []Hash) ([]Hash, error) {
	switch g.Level {
	case LevelSteps:
		return steps(), nil
	case LevelTrace:
		es, err := p.TraceEntries(g.Step)
		if err != nil {
			return nil, err
		}
		hs := make([]Hash, len(es))
		for i := range es {
			hs[i] = merkle.LeafHash(es[i][:])
		}
		return hs, nil
	case LevelState:
		ls, err := p.StateLeaves(g.Step)
		if err != nil {
			return nil, err
		}
		hs := make([]Hash, len(ls))
		for i := range ls {
			hs[i] = merkle.LeafHash(ls[i])
		}
		return hs, nil
	}
	b, err := p.EntryBytes(g.Step, int(g.Entry))
	if err != nil {
		return nil, err
	}
	return merkle.ChunkLeaves(b), nil
}

// entriesRoot is the trace root over entries (each entry one 32-byte leaf),
// the same as train.TraceRoot.
func entriesRoot(es []Hash) Hash {
	hs := make([]Hash, len(es))
	for i := range es {
		hs[i] = merkle.LeafHash(es[i][:])
	}
	return merkle.RootOfHashes(hs)
}

// StepsRoot is the root of a party's tree of step end states, as committed.
func StepsRoot(states []Hash) Hash {
	hs := make([]Hash, len(states))
	for i := range states {
		hs[i] = merkle.LeafHash(states[i][:])
	}
	return merkle.RootOfHashes(hs)
}
