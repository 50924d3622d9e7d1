package dispute

import (
	"errors"
	"math/rand/v2"
	"testing"
)

// strategy is how the lying side plays.
type strategy int

const (
	// consistent: plays NextMove over its own faulty record (wrong state,
	// consistent-looking hashes all the way down).
	consistent strategy = iota
	// tamper: like consistent, but at random rounds first sends a tampered
	// move (a flipped hash, a wrong count, the opponent's hashes, a wrong
	// round), which must be rejected, then either gives up or plays on.
	tamper
	// refuse: stops moving at a random round.
	refuse
	// badProof: consistent, but its final evidence does not verify.
	badProof
	// copycat: sends the opponent's move as its own whenever it can.
	copycat
	// slow: consistent, but moves in the last block its clock allows.
	slow
	// fakeClaim: computes honestly but claims another end state, and
	// bisects consistently with that claim (it lies only in its tree).
	fakeClaim
	strategies
)

var strategyNames = [...]string{"consistent", "tamper", "refuse", "badProof", "copycat", "slow", "fakeClaim"}

// scenario is one random game: a segment of the toy computation where the
// liar's record has a fault.
type scenario struct {
	params Params
	k      int
	w      int
	start  *toyState
	liar   Side
	strat  strategy
	f      fault
}

func randomScenario(rnd *rand.Rand) scenario {
	sc := scenario{
		params: Params{Arity: 1 << (1 + rnd.IntN(4)), Budget: 400, MinResponse: 5},
		k:      1 + rnd.IntN(40),
		w:      1 + rnd.IntN(150),
		liar:   Side(rnd.IntN(2)),
		strat:  strategy(rnd.IntN(int(strategies))),
	}
	sc.start = &toyState{acc: rnd.Uint64(), step: uint64(rnd.IntN(1000))}
	for i := 0; i < sc.w; i++ {
		sc.start.w = append(sc.start.w, rnd.Uint32())
	}
	sc.f = fault{
		Step:  sc.start.step + uint64(rnd.IntN(sc.k)),
		Entry: rnd.IntN(toyEntries + 1),
		Elem:  rnd.IntN(sc.w),
		Mask:  1 << rnd.IntN(32),
	}
	return sc
}

// result of one played game.
type result struct {
	opened  bool
	outcome Outcome
	rounds  int
	bound   int
	bytes   uint64
	moves   int
}

// play runs sc to the end, emulating the keeper: it calls Tick at each
// game deadline before applying a later move.
func play(t testing.TB, sc scenario, rnd *rand.Rand) result {
	honest := runToy(sc.start, sc.k, fault{Entry: -1})
	liar := runToy(sc.start, sc.k, sc.f)
	if sc.strat == badProof {
		liar.bad = true
	}
	if sc.strat == fakeClaim {
		liar = runToy(sc.start, sc.k, fault{Entry: -1})
		fake := Hash{byte(sc.f.Mask), byte(sc.f.Elem), 1}
		liar.fakeLast = &fake
	}
	parties := [2]*toyParty{}
	parties[sc.liar], parties[sc.liar.Other()] = liar, honest
	lay, ref := toyLayout{w: sc.w}, toyReferee{w: sc.w}
	claims := [2]Hash{parties[Solver].States()[sc.k-1], parties[Challenger].States()[sc.k-1]}
	g, err := Open(sc.params, lay, uint64(sc.k), sc.start.root(), claims[Solver], claims[Challenger], 100)
	if err != nil {
		if errors.Is(err, ErrParams) && claims[Solver] == claims[Challenger] {
			return result{}
		}
		t.Fatalf("open: %v", err)
	}
	res := result{opened: true, bound: sc.params.RoundsBound(sc.k, toyEntries, (4*sc.w+127)/128)}
	height := uint64(100)
	quitAt := uint32(rnd.IntN(12))
	gaveUp := false
	for g.Phase != PhaseDone {
		round := g.Round
		// Both sides' moves this round, in a random order.
		order := [2]Side{Solver, Challenger}
		if rnd.IntN(2) == 0 {
			order = [2]Side{Challenger, Solver}
		}
		var honestMove *Move
		for _, s := range order {
			if g.Phase == PhaseDone || g.Round != round || !g.Owes(s) {
				continue
			}
			delay := uint64(rnd.IntN(int(sc.params.MinResponse)))
			if s != sc.liar {
				m, err := NextMove(g, s, parties[s])
				if err != nil {
					t.Fatalf("honest %s: %v", s, err)
				}
				honestMove = m
				if err := apply(g, m, lay, ref, &height, delay); err != nil {
					t.Fatalf("honest %s move rejected in phase %d level %d: %v", s, g.Phase, g.Level, err)
				}
				res.moves++
				continue
			}
			if gaveUp {
				continue
			}
			switch sc.strat {
			case refuse:
				if round >= quitAt {
					gaveUp = true
					continue
				}
			case slow:
				delay = g.Remaining[s] - (height - g.PhaseStart)
				if delay > 3*sc.params.MinResponse {
					delay = 3 * sc.params.MinResponse
				}
			case tamper:
				if rnd.IntN(3) == 0 {
					bad := tampered(g, s, parties[s], honestMove, rnd)
					if bad != nil {
						if err := apply(g, bad, lay, ref, &height, 0); err == nil && g.Phase != PhaseDone {
							t.Fatalf("tampered move accepted (phase %d level %d)", g.Phase, g.Level)
						}
						if rnd.IntN(4) == 0 {
							gaveUp = true
							continue
						}
					}
				}
			case copycat:
				if honestMove != nil {
					c := *honestMove
					c.Side = s
					_ = apply(g, &c, lay, ref, &height, 0) // a copy verifies only if it is also the liar's truthful move
				}
				if g.Phase == PhaseDone || g.Round != round || !g.Owes(s) {
					continue
				}
			}
			m, err := NextMove(g, s, parties[s])
			if err != nil {
				gaveUp = true
				continue
			}
			if err := apply(g, m, lay, ref, &height, delay); err != nil {
				// A liar with no valid move stops; its clock will run out.
				gaveUp = true
				continue
			}
			res.moves++
		}
		if g.Phase != PhaseDone && g.Round == round {
			// Someone owes a move and will not make it: the keeper's
			// deadline tick ends the game.
			d := g.Deadline()
			if d < height {
				t.Fatalf("deadline %d in the past (height %d)", d, height)
			}
			height = d
			if !g.Tick(height) {
				t.Fatalf("tick at deadline %d did not end the game", d)
			}
		}
	}
	res.outcome, res.rounds, res.bytes = g.Outcome, int(g.Rounds), g.Bytes
	return res
}

// apply plays m at height+delay, first ticking any deadline passed on the
// way (the keeper ends timed-out games in the block they time out).
func apply(g *Game, m *Move, l Layout, ref Referee, height *uint64, delay uint64) error {
	at := *height + delay
	if d := g.Deadline(); d != 0 && d <= at {
		g.Tick(d)
		*height = d
		return ErrTimeout
	}
	err := g.Play(m, l, ref, at)
	if err == nil {
		*height = at
	}
	return err
}

// tampered is an invalid variant of side's move.
func tampered(g *Game, s Side, p Party, opp *Move, rnd *rand.Rand) *Move {
	m, err := NextMove(g, s, p)
	if err != nil {
		return nil
	}
	switch rnd.IntN(5) {
	case 0:
		m.Round++
	case 1:
		if len(m.Hashes) == 0 {
			return nil
		}
		m.Hashes[rnd.IntN(len(m.Hashes))][rnd.IntN(32)] ^= 1 << rnd.IntN(8)
	case 2:
		if len(m.Hashes) == 0 {
			return nil
		}
		m.Hashes = m.Hashes[:len(m.Hashes)-1]
	case 3:
		if len(m.Value) == 0 {
			m.Root[0] ^= 1
		} else {
			m.Value[rnd.IntN(len(m.Value))] ^= 1
		}
	case 4:
		m.Side = s.Other()
		if !g.Moved[s.Other()] {
			return nil // that would be a valid move for the honest side
		}
	}
	return m
}

// TestHonestAlwaysWins is the property test of issue 13: over random faults
// (step, entry, element, end-state leaf; liar solver or challenger; seven
// lying strategies) the honest side always wins, within the round bound.
func TestHonestAlwaysWins(t *testing.T) {
	rnd := rand.New(rand.NewPCG(13, 2026))
	const games = 1500
	var byStrat [strategies]int
	var byLevel [LevelElements + 1]int
	played := 0
	for i := 0; i < games; i++ {
		sc := randomScenario(rnd)
		res := play(t, sc, rnd)
		if !res.opened {
			continue // the fault did not change the end state
		}
		played++
		byStrat[sc.strat]++
		if res.outcome.Winner == sc.liar {
			t.Fatalf("game %d: liar %s (%s, fault %+v, k=%d w=%d b=%d) won: %+v", i, sc.liar, strategyNames[sc.strat], sc.f, sc.k, sc.w, sc.params.Arity, res.outcome)
		}
		if res.rounds > res.bound {
			t.Fatalf("game %d: %d rounds > bound %d", i, res.rounds, res.bound)
		}
		if sc.strat == consistent || sc.strat == slow {
			byLevel[levelOfFault(sc.f)]++
			if res.outcome.Reason != ReasonWrongValue {
				t.Fatalf("game %d: a consistent liar should lose on the value, got %s", i, res.outcome.Reason)
			}
		}
	}
	if played < 1000 {
		t.Fatalf("only %d of %d games opened a dispute", played, games)
	}
	t.Logf("%d games with a dispute; by strategy %v; consistent liars by level %v", played, byStrat, byLevel)
}

func levelOfFault(f fault) Level {
	switch f.Entry {
	case 0:
		return LevelTrace
	case toyEntries:
		return LevelState
	}
	return LevelElements
}

// TestHonestRunsNeverDispute: an honest auditor's re-execution equals the
// solver's, so no game can be opened.
func TestHonestRunsNeverDispute(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 200; i++ {
		sc := randomScenario(rnd)
		solver := runToy(sc.start, sc.k, fault{Entry: -1})
		auditor := runToy(sc.start, sc.k, fault{Entry: -1})
		a, b := solver.States()[sc.k-1], auditor.States()[sc.k-1]
		if a != b {
			t.Fatalf("run %d: honest re-execution differs", i)
		}
		if _, err := Open(sc.params, toyLayout{w: sc.w}, uint64(sc.k), sc.start.root(), a, b, 1); !errors.Is(err, ErrParams) {
			t.Fatalf("run %d: a game opened between agreeing sides: %v", i, err)
		}
	}
}
