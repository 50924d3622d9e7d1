package referee

import (
	"path/filepath"
	"testing"

	"github.com/hypha-network/hypha/ml/ckpt"
	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/x/jobs/dispute"
)

func loadSpec(t testing.TB, name string) *train.Spec {
	t.Helper()
	s, err := train.LoadSpec(filepath.Join("..", "..", "..", "examples", "ml", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// segment trains `before` steps, then records k steps twice from the same
// state: once honestly, once with tamper.
func segment(t testing.TB, spec string, before, k int, tamper Tamper) (*Referee, *Prover, *Prover) {
	t.Helper()
	rec := func(tm Tamper) (*Referee, *Prover) {
		tr, err := train.New(loadSpec(t, spec), 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.StepTo(uint64(before)); err != nil {
			t.Fatal(err)
		}
		r, err := FromTrainer(tr)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Record(r, tr, k, tm)
		if err != nil {
			t.Fatal(err)
		}
		return r, p
	}
	r, honest := rec(nil)
	_, liar := rec(tamper)
	return r, honest, liar
}

// recordOne trains `before` steps of spec and records k more honestly.
func recordOne(t testing.TB, spec string, before, k int) (*Referee, *Prover) {
	t.Helper()
	tr, err := train.New(loadSpec(t, spec), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.StepTo(uint64(before)); err != nil {
		t.Fatal(err)
	}
	r, err := FromTrainer(tr)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Record(r, tr, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r, p
}

// stats of one played game.
type stats struct {
	g      *dispute.Game
	final  *dispute.Final
	bound  int
	moves  int
	trace  int
	chunks int
}

// playCE plays a game between two provers, both moving every round with
// NextMove, one block apart.
func playCE(t testing.TB, p dispute.Params, r *Referee, solver, chal *Prover) stats {
	t.Helper()
	k := len(solver.Steps())
	g, err := dispute.Open(p, r, uint64(k), solver.StartRoot(), solver.States()[k-1], chal.States()[k-1], 10)
	if err != nil {
		t.Fatal(err)
	}
	st := stats{g: g}
	maxChunks := 0
	for j := 0; j < r.TraceLen(); j++ {
		maxChunks = max(maxChunks, merkle.ChunkCount(4*r.EntryValues(j)))
	}
	st.bound = p.RoundsBound(k, max(r.TraceLen(), r.StateLen()), maxChunks)
	h := uint64(10)
	parties := [2]*Prover{solver, chal}
	for g.Phase != dispute.PhaseDone {
		if g.Phase == dispute.PhaseEvidence && st.final == nil {
			st.final, _ = g.Final()
		}
		for _, s := range []dispute.Side{dispute.Solver, dispute.Challenger} {
			if g.Phase == dispute.PhaseDone || !g.Owes(s) {
				continue
			}
			m, err := dispute.NextMove(g, s, parties[s])
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			h++
			if err := g.Play(m, r, r, h); err != nil {
				// A lying party's evidence may still verify (it proves agreed
				// inputs); anything else an honest record produces must.
				t.Fatalf("%s move in phase %d level %d: %v", s, g.Phase, g.Level, err)
			}
			st.moves++
		}
	}
	return st
}

func flip(v []float32, e int) { v[e] = -v[e] - 1 }

// optimEntry is the trace entry of parameter pi's update (which: 0 p, 1 m, 2 v).
func optimEntry(r *Referee, pi, which int) int { return len(r.Model.G.Nodes) + 1 + pi*r.per + which }

// refereeFor is the referee of spec's job (seed 1).
func refereeFor(t testing.TB, spec string) *Referee {
	tr, err := train.New(loadSpec(t, spec), 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := FromTrainer(tr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// flipWeight makes a party whose update of parameter pi at step s put a
// different value in element e: its trace entry and its end state agree on
// the wrong weight, and the run continues from it.
func flipWeight(r *Referee, s, pi, e int) Tamper {
	return func(step int, vals [][]float32, end *ckpt.Checkpoint) {
		if step != s {
			return
		}
		flip(vals[optimEntry(r, pi, 0)], e)
		ent, _ := end.Get(prefixParam + r.paramName(pi))
		flip(ent.F32, e)
	}
}

func checkRounds(t *testing.T, st stats) {
	t.Helper()
	if int(st.g.Rounds) > st.bound {
		t.Fatalf("%d rounds > bound %d", st.g.Rounds, st.bound)
	}
	t.Logf("outcome %s wins (%s) at level %d entry %d element %d; %d rounds (bound %d), %d moves, %d bytes",
		st.g.Outcome.Winner, st.g.Outcome.Reason, st.final.Level, st.final.Index, st.final.Element, st.g.Rounds, st.bound, st.moves, st.g.Bytes)
}

// TestCheatingSolverLosesAtElement: a solver that flips one weight at step
// s is found at that step, that optimizer entry and that element, and the
// referee's Optimizer.Element recompute makes it lose.
func TestCheatingSolverLosesAtElement(t *testing.T) {
	const k, s, pi, e = 8, 5, 0, 37
	r := refereeFor(t, "iris-mlp")
	_, honest, liar := segment(t, "iris-mlp", 3, k, flipWeight(r, s, pi, e))
	for _, b := range []uint32{2, 4, 8, 16} {
		p := dispute.DefaultParams()
		p.Arity = b
		st := playCE(t, p, r, liar, honest)
		if !st.g.Outcome.ChallengerWins() || st.g.Outcome.Reason != dispute.ReasonWrongValue {
			t.Fatalf("b=%d: %+v", b, st.g.Outcome)
		}
		if st.g.Step != s || st.final.Level != dispute.LevelElements || st.final.Index != optimEntry(r, pi, 0) || st.final.Element != e {
			t.Fatalf("b=%d: found step %d level %d entry %d element %d, want step %d entry %d element %d",
				b, st.g.Step, st.final.Level, st.final.Index, st.final.Element, s, optimEntry(r, pi, 0), e)
		}
		checkRounds(t, st)
	}
}

// TestLyingChallengerLoses: a challenger that claims a forward node of an
// honest solver's step computed something else (and an end state to match)
// loses on that node's element: graph.ComputeElement from agreed inputs
// gives the solver's value.
func TestLyingChallengerLoses(t *testing.T) {
	const k, s = 6, 2
	r := refereeFor(t, "iris-mlp")
	g := r.Model.G
	// The first matmul (x · W1).
	j := -1
	for id, n := range g.Nodes {
		if n.Op == graph.OpMatMul {
			j = id
			break
		}
	}
	_, honest, liar := segment(t, "iris-mlp", 0, k, func(step int, vals [][]float32, end *ckpt.Checkpoint) {
		if step != s {
			return
		}
		flip(vals[j], 9)
		ent, _ := end.Get(prefixParam + r.paramName(1))
		flip(ent.F32, 0)
	})
	st := playCE(t, dispute.DefaultParams(), r, honest, liar)
	if !st.g.Outcome.SolverWins() || st.final.Level != dispute.LevelElements || st.final.Index != j || st.final.Element != 9 || st.g.Step != s {
		t.Fatalf("outcome %+v at step %d level %d entry %d element %d", st.g.Outcome, st.g.Step, st.final.Level, st.final.Index, st.final.Element)
	}
	checkRounds(t, st)
}

// TestScalarLieLoses: lies outside any tensor element (the data cursor, the
// step counter, the learning rate) are found among the end-state leaves and
// recomputed from the agreed start state.
func TestScalarLieLoses(t *testing.T) {
	r := refereeFor(t, "iris-mlp")
	for _, name := range []string{keyPos, keyStep, keyLR, keyLoss} {
		_, honest, liar := segment(t, "iris-mlp", 1, 4, func(step int, vals [][]float32, end *ckpt.Checkpoint) {
			if step != 3 {
				return
			}
			switch name {
			case keyPos, keyStep:
				v, _ := end.Uint(name)
				end.PutUint(name, v+1)
			default:
				v, _ := end.Float(name)
				end.PutFloat(name, v*2)
			}
		})
		for _, liarIsSolver := range []bool{true, false} {
			sol, chal := liar, honest
			if !liarIsSolver {
				sol, chal = honest, liar
			}
			st := playCE(t, dispute.DefaultParams(), r, sol, chal)
			if st.g.Outcome.SolverWins() == liarIsSolver || st.final.Level != dispute.LevelState || r.names[st.final.Index] != name {
				t.Fatalf("%s (liar solver %v): outcome %+v level %d leaf %d", name, liarIsSolver, st.g.Outcome, st.final.Level, st.final.Index)
			}
		}
	}
}

// TestParamLoadLieLoses: a trace whose parameter node is not the start
// state's parameter is judged whole against the start state.
func TestParamLoadLieLoses(t *testing.T) {
	r := refereeFor(t, "iris-mlp")
	p0 := r.Model.G.Params[0]
	_, honest, liar := segment(t, "iris-mlp", 0, 3, func(step int, vals [][]float32, end *ckpt.Checkpoint) {
		if step == 0 {
			flip(vals[p0], 0)
			ent, _ := end.Get(prefixParam + r.paramName(0))
			flip(ent.F32, 0)
		}
	})
	st := playCE(t, dispute.DefaultParams(), r, liar, honest)
	if !st.g.Outcome.ChallengerWins() || st.final.Level != dispute.LevelTrace || st.final.Index != p0 {
		t.Fatalf("outcome %+v level %d entry %d", st.g.Outcome, st.final.Level, st.final.Index)
	}
}

// TestHonestAuditorAgrees: over 100 segments of an iris-mlp run, an
// auditor that restores the solver's start checkpoint and re-executes the
// segment reaches the solver's state roots at every step, so no game can
// open.
func TestHonestAuditorAgrees(t *testing.T) {
	spec := loadSpec(t, "iris-mlp")
	solver, err := train.New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	auditor, err := train.New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := FromTrainer(solver)
	if err != nil {
		t.Fatal(err)
	}
	const segments, k = 100, 3
	for seg := 0; seg < segments; seg++ {
		if err := auditor.Restore(solver.Checkpoint()); err != nil {
			t.Fatal(err)
		}
		a, err := Record(r, solver, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Record(r, auditor, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range a.States() {
			if b.States()[i] != s {
				t.Fatalf("segment %d step %d: honest re-execution differs", seg, i)
			}
		}
		if _, err := dispute.Open(dispute.DefaultParams(), r, k, a.StartRoot(), a.States()[k-1], b.States()[k-1], 1); err == nil {
			t.Fatalf("segment %d: a game opened between agreeing sides", seg)
		}
	}
}
