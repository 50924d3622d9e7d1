package referee

import (
	"fmt"
	"testing"

	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/x/jobs/dispute"
)

// largestMatMul is the matmul node of r's graph with the most output
// elements times contraction length (the largest layer's product).
func largestMatMul(r *Referee) (id, work int) {
	g := r.Model.G
	for j, n := range g.Nodes {
		if n.Op != graph.OpMatMul {
			continue
		}
		d := deps(g, j, 0, 0)
		if w := g.Size(j) * len(d); w > work {
			id, work = j, w
		}
	}
	return id, work
}

// BenchmarkRefereeLargestMatMul is the chain's cost of the final step of a
// dispute on digits-mlp: verify the evidence (a row and a column proven
// against the trace root) and recompute one element of the largest matmul
// with graph.ComputeElement. Metrics: evidence bytes and contraction length.
func BenchmarkRefereeLargestMatMul(b *testing.B) {
	r, p := recordOne(b, "digits-mlp", 2, 1)
	j, _ := largestMatMul(r)
	g := r.Model.G
	f := &dispute.Final{Step: 0, Level: dispute.LevelElements, Index: j, Element: g.Size(j) / 2,
		TraceLen: r.TraceLen(), StateLen: r.StateLen()}
	f.Start = p.StartRoot()
	root := p.traceRoot(0)
	f.TraceRoot = [2]dispute.Hash{root, root}
	ev, err := p.Evidence(f)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("node %d %s %v x %v -> %v", j, g.Nodes[j].Op, g.Shape(g.Nodes[j].Inputs[0]), g.Shape(g.Nodes[j].Inputs[1]), g.Shape(j))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.Judge(f, dispute.Solver, ev); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ev)), "evidence-bytes")
	b.ReportMetric(float64(len(deps(g, j, 0, 0))), "contraction")
}

// BenchmarkComputeElementLargestMatMul is the recompute alone (no proofs).
func BenchmarkComputeElementLargestMatMul(b *testing.B) {
	r, p := recordOne(b, "digits-mlp", 2, 1)
	j, _ := largestMatMul(r)
	g := r.Model.G
	vals := p.Steps()[0].Values
	ins := [][]float32{vals[g.Nodes[j].Inputs[0]], vals[g.Nodes[j].Inputs[1]]}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := graph.ComputeElement(g, j, ins, graph.Ctx{}, g.Size(j)/2); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGameDigits plays whole games on digits-mlp (a 16-step segment,
// a solver that flips one weight of the first layer at step 11) for each
// arity and reports rounds, the bound, moves and the bytes of all moves.
func BenchmarkGameDigits(b *testing.B) {
	r := refereeFor(b, "digits-mlp")
	_, honest, liar := segment(b, "digits-mlp", 0, 16, flipWeight(r, 11, 0, 4000))
	for _, arity := range []uint32{2, 4, 8, 16, 64} {
		b.Run(fmt.Sprintf("b=%d", arity), func(b *testing.B) {
			p := dispute.DefaultParams()
			p.Arity = arity
			var st stats
			for i := 0; i < b.N; i++ {
				st = playCE(b, p, r, liar, honest)
			}
			if !st.g.Outcome.ChallengerWins() {
				b.Fatal("cheating solver won")
			}
			b.ReportMetric(float64(st.g.Rounds), "rounds")
			b.ReportMetric(float64(st.bound), "bound")
			b.ReportMetric(float64(st.moves), "moves")
			b.ReportMetric(float64(st.g.Bytes), "bytes")
		})
	}
}
