package dispute

import (
	"errors"
	"testing"
)

// newToyGame opens a game where the challenger's record has a fault.
func newToyGame(t *testing.T, p Params, k int) (*Game, [2]*toyParty, toyLayout, toyReferee) {
	t.Helper()
	start := &toyState{acc: 5, step: 10, w: []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34}}
	honest := runToy(start, k, fault{Entry: -1})
	liar := runToy(start, k, fault{Step: 10 + uint64(k/2), Entry: 2, Elem: 33, Mask: 4})
	g, err := Open(p, toyLayout{w: 34}, uint64(k), start.root(), honest.States()[k-1], liar.States()[k-1], 100)
	if err != nil {
		t.Fatal(err)
	}
	return g, [2]*toyParty{honest, liar}, toyLayout{w: 34}, toyReferee{w: 34}
}

func TestMoveValidation(t *testing.T) {
	g, ps, l, ref := newToyGame(t, DefaultParams(), 20)
	m, err := NextMove(g, Solver, ps[Solver])
	if err != nil {
		t.Fatal(err)
	}
	snapshot := *g
	cases := []struct {
		name string
		mut  func(m *Move)
		h    uint64
		want error
	}{
		{"wrong round", func(m *Move) { m.Round = 3 }, 101, ErrWrongRound},
		{"late", func(m *Move) {}, 100 + 601, ErrTimeout},
		{"bad side", func(m *Move) { m.Side = 7 }, 101, ErrBadMove},
		{"bad proof", func(m *Move) { m.Root[0] ^= 1 }, 101, ErrBadProof},
		{"extra field", func(m *Move) { m.Value = []byte{1} }, 101, ErrBadMove},
		{"long path", func(m *Move) { m.Path = make([]Hash, MaxPath+1) }, 101, ErrOutOfRange},
		{"early", func(m *Move) {}, 99, ErrOutOfRange},
	}
	for _, c := range cases {
		mm := *m
		mm.Path = append([]Hash(nil), m.Path...)
		c.mut(&mm)
		if err := g.Play(&mm, l, ref, c.h); !errors.Is(err, c.want) {
			t.Fatalf("%s: %v, want %v", c.name, err, c.want)
		}
		if g.Round != snapshot.Round || g.Moved != snapshot.Moved || g.Remaining != snapshot.Remaining || g.Bytes != snapshot.Bytes {
			t.Fatalf("%s: a refused move changed the game", c.name)
		}
	}
	if err := g.Play(m, l, ref, 101); err != nil {
		t.Fatal(err)
	}
	if err := g.Play(m, l, ref, 102); !errors.Is(err, ErrWrongTurn) {
		t.Fatalf("second move in a round: %v", err)
	}
}

// TestClock: each side's clock runs only while it owes a move; the keeper's
// Tick at Deadline ends the game against the side out of time; a round
// completed late gives the other side at least MinResponse.
func TestClock(t *testing.T) {
	p := Params{Arity: 4, Budget: 50, MinResponse: 10}
	g, ps, l, ref := newToyGame(t, p, 20)
	ms, _ := NextMove(g, Solver, ps[Solver])
	if err := g.Play(ms, l, ref, 100); err != nil {
		t.Fatal(err)
	}
	if g.Deadline() != 100+50+1 {
		t.Fatalf("deadline %d", g.Deadline())
	}
	if g.Tick(150) {
		t.Fatal("tick before the deadline ended the game")
	}
	// The challenger moves in the last block of its clock.
	mc, _ := NextMove(g, Challenger, ps[Challenger])
	if err := g.Play(mc, l, ref, 150); err != nil {
		t.Fatal(err)
	}
	if g.Remaining[Challenger] != 0 || g.Remaining[Solver] != 50 {
		t.Fatalf("remaining %v", g.Remaining)
	}
	// The challenger completed the round, so only the solver could be
	// extended; the challenger has no time left in the next round.
	ms, _ = NextMove(g, Solver, ps[Solver])
	if err := g.Play(ms, l, ref, 195); err != nil {
		t.Fatal(err)
	}
	mc, _ = NextMove(g, Challenger, ps[Challenger])
	if err := g.Play(mc, l, ref, 151); !errors.Is(err, ErrTimeout) {
		t.Fatalf("challenger with an empty clock moved: %v", err)
	}
	if d := g.Deadline(); d != 151 {
		t.Fatalf("deadline %d, want 151", d)
	}
	if !g.Tick(151) || !g.Outcome.SolverWins() || g.Outcome.Reason != ReasonTimeout {
		t.Fatalf("outcome %+v", g.Outcome)
	}
	if err := g.Play(mc, l, ref, 151); !errors.Is(err, ErrFinished) {
		t.Fatalf("move after the end: %v", err)
	}
}

// TestMinResponse: a side that moved early is not left without time when
// its opponent completes the round at the end of its own clock.
func TestMinResponse(t *testing.T) {
	p := Params{Arity: 4, Budget: 50, MinResponse: 10}
	g, ps, l, ref := newToyGame(t, p, 20)
	// Round 0: solver moves late (spends 45), challenger early.
	mc, _ := NextMove(g, Challenger, ps[Challenger])
	if err := g.Play(mc, l, ref, 100); err != nil {
		t.Fatal(err)
	}
	ms, _ := NextMove(g, Solver, ps[Solver])
	if err := g.Play(ms, l, ref, 145); err != nil {
		t.Fatal(err)
	}
	// Round 1: the challenger spends 48 of its 50 blocks, then the solver
	// completes the round with its last 5; the challenger gets MinResponse.
	mc, _ = NextMove(g, Challenger, ps[Challenger])
	if err := g.Play(mc, l, ref, 193); err != nil {
		t.Fatal(err)
	}
	ms, _ = NextMove(g, Solver, ps[Solver])
	if err := g.Play(ms, l, ref, 150); err != nil {
		t.Fatal(err)
	}
	if g.Remaining[Challenger] != 10 {
		t.Fatalf("challenger has %d blocks after a late round, want MinResponse 10 (remaining %v)", g.Remaining[Challenger], g.Remaining)
	}
}

func TestParamsAndBound(t *testing.T) {
	for _, p := range []Params{{Arity: 3, Budget: 1, MinResponse: 1}, {Arity: 128, Budget: 1, MinResponse: 1}, {Arity: 2}, {Arity: 2, Budget: 5, MinResponse: 6}} {
		if !errors.Is(p.Validate(), ErrParams) {
			t.Fatalf("%+v accepted", p)
		}
	}
	p := Params{Arity: 8}
	// ⌈log8 16⌉ + ⌈log8 52⌉ + ⌈log8 256⌉ = 2 + 2 + 3.
	if got := p.RoundsBound(16, 52, 256); got != 7 {
		t.Fatalf("bound %d", got)
	}
	if ceilLog(1, 3) != 0 || ceilLog(8, 3) != 1 || ceilLog(9, 3) != 2 {
		t.Fatal("ceilLog")
	}
}
