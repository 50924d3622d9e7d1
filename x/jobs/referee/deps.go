package referee

import (
	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/ml/tensor"
)

// deps returns, for element e of node id, the elements of input k that
// graph.ComputeElement reads, or nil for the whole input. It is the size of
// a dispute's evidence: a row and a column for a matmul, one element for
// element-wise ops, a row for row ops; every other op (reductions,
// broadcasts, data movement, convolutions) opens whole inputs, which
// dispute.MaxEvidenceBytes bounds. TestDeps checks every node of the example
// graphs: with only these elements filled in, the element comes out the same.
func deps(g *graph.Graph, id, k, e int) []int {
	n := &g.Nodes[id]
	in := n.Inputs[k]
	same := tensor.SameShape(g.Shape(in), n.Shape)
	switch n.Op {
	case graph.OpMatMul:
		if len(n.Shape) != 2 {
			return nil
		}
		m, nn := n.Shape[0], n.Shape[1]
		sa := g.Shape(n.Inputs[0])
		kk := sa[1]
		if n.Ints[0] == 1 {
			kk = sa[0]
		}
		r, c := e/nn, e%nn
		out := make([]int, kk)
		for t := 0; t < kk; t++ {
			switch {
			case k == 0 && n.Ints[0] == 1:
				out[t] = t*m + r
			case k == 0:
				out[t] = r*kk + t
			case n.Ints[1] == 1:
				out[t] = c*kk + t
			default:
				out[t] = t*nn + c
			}
		}
		return out
	case graph.OpAdd, graph.OpSub, graph.OpMul, graph.OpScale, graph.OpReLU, graph.OpGELU, graph.OpTanh, graph.OpSigmoid,
		graph.OpReLUGrad, graph.OpGELUGrad, graph.OpTanhGrad, graph.OpSigmoidGrad, graph.OpReshape:
		if same || n.Op == graph.OpReshape {
			return []int{e}
		}
	case graph.OpSoftmax, graph.OpLogSoftmax, graph.OpNormalize, graph.OpSoftmaxGrad, graph.OpLogSoftmaxGrad, graph.OpNormalizeGrad:
		if same && len(n.Shape) > 0 {
			d := n.Shape[len(n.Shape)-1]
			lo := e / d * d
			out := make([]int, d)
			for i := range out {
				out[i] = lo + i
			}
			return out
		}
	}
	return nil
}
