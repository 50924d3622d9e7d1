package referee

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/x/jobs/dispute"
)

// finalFor is the Final a game over step t of p would end on at entry j
// (element e) or end-state leaf l, with p as both sides.
func finalFor(t testing.TB, p *Prover, r *Referee, step uint64, lv dispute.Level, idx, e int) *dispute.Final {
	root := p.traceRoot(step)
	return &dispute.Final{Step: step, Start: train.StateRoot(p.Steps()[step].Start), Level: lv, Index: idx, Element: e,
		TraceRoot: [2]merkle.Hash{root, root}, TraceLen: r.TraceLen(), StateLen: r.StateLen()}
}

// TestJudgeEveryEntry runs the referee on every trace entry (a few
// elements each) and every end-state leaf of a real step of each example
// model, from the prover's evidence, and checks it reproduces the recorded
// value bit for bit. It also checks that a tampered opening is refused.
func TestJudgeEveryEntry(t *testing.T) {
	specs := []string{"iris-mlp", "digits-mlp", "digits-cnn", "charlm"}
	if testing.Short() {
		specs = specs[:2]
	}
	for _, spec := range specs {
		t.Run(spec, func(t *testing.T) {
			r, p := recordOne(t, spec, 2, 1)
			rnd := rand.New(rand.NewPCG(1, uint64(len(spec))))
			s := p.Steps()[0]
			checked := 0
			for j := 0; j < r.TraceLen(); j++ {
				n := r.EntryValues(j)
				var elems []int
				lv := dispute.LevelElements
				if n == 0 {
					lv, elems = dispute.LevelTrace, []int{0}
				} else {
					elems = []int{0, n - 1, rnd.IntN(n)}
					if spec == "charlm" { // 362 entries: one element each keeps the test fast
						elems = elems[2:]
					}
				}
				for _, e := range elems {
					f := finalFor(t, p, r, 0, lv, j, e)
					want := graph.ValueBytes([]float32{s.Values[j][e]})
					if lv == dispute.LevelTrace {
						h := graph.HashValues(s.Values[j])
						want = h[:]
					}
					ev, err := p.Evidence(f)
					if err != nil {
						t.Fatalf("entry %d: %v", j, err)
					}
					got, err := r.Judge(f, dispute.Solver, ev)
					if err != nil {
						t.Fatalf("entry %d (%s) element %d: %v", j, opName(r, j), e, err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("entry %d (%s) element %d: referee %x, recorded %x", j, opName(r, j), e, got, want)
					}
					checked++
				}
			}
			leaves := train.StateLeaves(s.End)
			for l := range leaves {
				f := finalFor(t, p, r, 0, dispute.LevelState, l, 0)
				ev, err := p.Evidence(f)
				if err != nil {
					t.Fatal(err)
				}
				got, err := r.Judge(f, dispute.Challenger, ev)
				if err != nil || !bytes.Equal(got, leaves[l]) {
					t.Fatalf("state leaf %s: %v", r.names[l], err)
				}
			}
			// A tampered opening is refused.
			f := finalFor(t, p, r, 0, dispute.LevelElements, optimEntry(r, 0, 0), 0)
			ev, _ := p.Evidence(f)
			for _, at := range []int{len(ev) - 1, len(ev) / 2, 40} {
				bad := bytes.Clone(ev)
				bad[at] ^= 1
				if _, err := r.Judge(f, dispute.Solver, bad); err == nil {
					t.Fatalf("tampered evidence (byte %d) accepted", at)
				}
			}
			t.Logf("%s: %d entries, %d state leaves; %d element checks", spec, r.TraceLen(), len(leaves), checked)
		})
	}
}

func opName(r *Referee, j int) string {
	kind, pi, which, _ := r.classify(j)
	switch kind {
	case entryClip:
		return "clip"
	case entryOptim:
		return fmt.Sprintf("optim %s %d", r.paramName(pi), which)
	}
	return string(r.Model.G.Nodes[j].Op)
}

// TestCheckLimits: every example job's disputes fit the move limits, and
// the bound covers the evidence actually produced.
func TestCheckLimits(t *testing.T) {
	for _, spec := range []string{"iris-mlp", "digits-mlp", "digits-cnn", "charlm"} {
		r := refereeFor(t, spec)
		if err := r.CheckLimits(); err != nil {
			t.Errorf("%s: %v", spec, err)
		}
		t.Logf("%s: evidence bound %d bytes", spec, r.EvidenceBound())
	}
	r, p := recordOne(t, "digits-mlp", 0, 1)
	for j := 0; j < r.TraceLen(); j++ {
		n := r.EntryValues(j)
		if n == 0 {
			continue
		}
		ev, err := p.Evidence(finalFor(t, p, r, 0, dispute.LevelElements, j, n-1))
		if err != nil {
			t.Fatal(err)
		}
		if len(ev) > r.EvidenceBound() {
			t.Fatalf("entry %d: %d bytes of evidence over the bound %d", j, len(ev), r.EvidenceBound())
		}
	}
}
