package graph

import (
	"fmt"
)

// opDef is the single definition of an op: its shape rule, full kernel,
// one-element recompute, and gradient (as new graph nodes).
type opDef struct {
	arity   int // number of inputs, -1 for any
	nints   int // number of integer attributes, -1 for any
	infer   func(*Graph, *Node) ([]int, error)
	forward func(*args) error
	elem    func(*args, int) (float32, error)
	// grad returns, for each input, the node holding this node's contribution
	// to that input's gradient (or -1), given the gradient dy of its output.
	grad    func(g *Graph, id, dy int) []int
	prepare func(*Graph, *Node) any
	scratch func(*Graph, *Node) int
}

var ops map[Op]*opDef

func init() {
	ops = map[Op]*opDef{
		OpInput: {arity: 0, nints: 0, infer: givenShape},
		OpParam: {arity: 0, nints: 1, infer: inferParam},
		OpFill: {arity: 0, nints: 0, infer: givenShape,
			elem: func(a *args, i int) (float32, error) { return a.n.Float, nil }},
		OpMatMul: {arity: 2, nints: 2, infer: inferMatMul, forward: matmulForward, elem: matmulElem, grad: matmulGrad},

		OpAdd: binaryBcast(func(x, y float32) float32 { return x + y }, addGrad),
		OpSub: binaryBcast(func(x, y float32) float32 { return x - y }, subGrad),
		OpMul: binaryBcast(func(x, y float32) float32 { return float32(x * y) }, mulGrad),

		OpScale: unary(func(x, c float32) float32 { return float32(x * c) },
			func(g *Graph, id, dy int) []int { return []int{g.Scale(dy, g.Nodes[id].Float)} }),
		OpReLU:    unary(relu, func(g *Graph, id, dy int) []int { return []int{g.grad2(OpReLUGrad, g.Nodes[id].Inputs[0], dy)} }),
		OpGELU:    unary(gelu, func(g *Graph, id, dy int) []int { return []int{g.grad2(OpGELUGrad, g.Nodes[id].Inputs[0], dy)} }),
		OpTanh:    unary(tanh, func(g *Graph, id, dy int) []int { return []int{g.grad2(OpTanhGrad, id, dy)} }),
		OpSigmoid: unary(sigmoid, func(g *Graph, id, dy int) []int { return []int{g.grad2(OpSigmoidGrad, id, dy)} }),

		OpReLUGrad:    binarySame(reluGrad),
		OpGELUGrad:    binarySame(geluGrad),
		OpTanhGrad:    binarySame(tanhGrad),
		OpSigmoidGrad: binarySame(sigmoidGrad),

		OpSum: {arity: 1, nints: 0, infer: inferScalar, forward: sumForward, elem: sumElem,
			grad: func(g *Graph, id, dy int) []int {
				return []int{g.BroadcastTo(dy, g.Shape(g.Nodes[id].Inputs[0]))}
			}},
		OpMean: {arity: 1, nints: 0, infer: inferScalar, forward: sumForward, elem: sumElem,
			grad: func(g *Graph, id, dy int) []int {
				x := g.Nodes[id].Inputs[0]
				return []int{g.Scale(g.BroadcastTo(dy, g.Shape(x)), float32(1/float64(g.Size(x))))}
			}},
		OpSumTo: {arity: 1, nints: 0, infer: inferSumTo, forward: sumToForward, elem: sumToElem,
			prepare: prepareSumTo, scratch: scratchSumTo,
			grad: func(g *Graph, id, dy int) []int {
				return []int{g.BroadcastTo(dy, g.Shape(g.Nodes[id].Inputs[0]))}
			}},
		OpBroadcast: {arity: 1, nints: 0, infer: inferBroadcastTo, forward: gatherForward, elem: gatherElem,
			prepare: prepareBroadcast,
			grad: func(g *Graph, id, dy int) []int {
				return []int{g.SumTo(dy, g.Shape(g.Nodes[id].Inputs[0]))}
			}},

		OpSoftmax: rowOp(1, softmaxRow, func(g *Graph, id, dy int) []int {
			return []int{g.grad2(OpSoftmaxGrad, id, dy)}
		}),
		OpLogSoftmax: rowOp(1, logSoftmaxRow, func(g *Graph, id, dy int) []int {
			return []int{g.grad2(OpLogSoftmaxGrad, id, dy)}
		}),
		OpNormalize: rowOp(1, normalizeRow, func(g *Graph, id, dy int) []int {
			n := g.Nodes[id]
			return []int{g.add(Node{Op: OpNormalizeGrad, Inputs: []int{n.Inputs[0], dy}, Float: n.Float})}
		}),
		OpSoftmaxGrad:    rowOp(2, softmaxGradRow, nil),
		OpLogSoftmaxGrad: rowOp(2, logSoftmaxGradRow, nil),
		OpNormalizeGrad:  rowOp(2, normalizeGradRow, nil),

		OpNLL: {arity: 2, nints: 0, infer: inferNLL, forward: nllForward, elem: nllElem,
			scratch: func(g *Graph, n *Node) int { return g.Shape(n.Inputs[0])[0] },
			grad: func(g *Graph, id, dy int) []int {
				n := g.Nodes[id]
				return []int{g.add(Node{Op: OpNLLGrad, Inputs: []int{n.Inputs[1], dy}, Shape: g.Shape(n.Inputs[0])}), -1}
			}},
		OpNLLGrad: {arity: 2, nints: 0, infer: inferNLLGrad, forward: nllGradForward, elem: nllGradElem},

		OpEmbedding: {arity: 2, nints: 0, infer: inferEmbedding, forward: embeddingForward, elem: embeddingElem,
			grad: func(g *Graph, id, dy int) []int {
				n := g.Nodes[id]
				return []int{g.add(Node{Op: OpEmbeddingGrad, Inputs: []int{n.Inputs[1], dy}, Shape: g.Shape(n.Inputs[0])}), -1}
			}},
		OpEmbeddingGrad: {arity: 2, nints: 0, infer: inferEmbeddingGrad, forward: embeddingGradForward, elem: embeddingGradElem},

		OpReshape: {arity: 1, nints: 0, infer: inferReshape, forward: copyForward,
			elem: func(a *args, i int) (float32, error) { return a.in[0][i], nil },
			grad: func(g *Graph, id, dy int) []int {
				return []int{g.Reshape(dy, g.Shape(g.Nodes[id].Inputs[0])...)}
			}},
		OpTranspose: {arity: 1, nints: -1, infer: inferTranspose, forward: gatherForward, elem: gatherElem,
			prepare: prepareTranspose, grad: transposeGrad},
		OpSlice: {arity: 1, nints: 3, infer: inferSlice, forward: sliceForward, elem: sliceElem,
			grad: func(g *Graph, id, dy int) []int {
				n := g.Nodes[id]
				return []int{g.add(Node{Op: OpPad, Inputs: []int{dy}, Ints: []int{n.Ints[0], n.Ints[1]}, Shape: g.Shape(n.Inputs[0])})}
			}},
		OpPad: {arity: 1, nints: 2, infer: inferPad, forward: padForward, elem: padElem,
			grad: func(g *Graph, id, dy int) []int {
				n := g.Nodes[id]
				ax, b := n.Ints[0], n.Ints[1]
				return []int{g.Slice(dy, ax, b, b+g.Shape(n.Inputs[0])[ax])}
			}},
		OpConcat: {arity: -1, nints: 1, infer: inferConcat, forward: concatForward, elem: concatElem, grad: concatGrad},

		OpConv2D: {arity: 2, nints: 2, infer: inferConv, forward: convForward, elem: convElem, scratch: convScratch,
			grad: func(g *Graph, id, dy int) []int {
				n := g.Nodes[id]
				x, w := n.Inputs[0], n.Inputs[1]
				return []int{
					g.add(Node{Op: OpConv2DGradIn, Inputs: []int{w, dy}, Ints: n.Ints, Shape: g.Shape(x)}),
					g.add(Node{Op: OpConv2DGradW, Inputs: []int{x, dy}, Ints: n.Ints, Shape: g.Shape(w)}),
				}
			}},
		OpConv2DGradIn: {arity: 2, nints: 2, infer: inferConvGradIn, forward: convGradInForward, elem: convGradInElem, scratch: convScratch},
		OpConv2DGradW:  {arity: 2, nints: 2, infer: inferConvGradW, forward: convGradWForward, elem: convGradWElem, scratch: convScratch},

		OpMaxPool: {arity: 1, nints: 2, infer: inferPool, forward: maxPoolForward, elem: maxPoolElem,
			grad: func(g *Graph, id, dy int) []int {
				n := g.Nodes[id]
				return []int{g.add(Node{Op: OpMaxPoolGrad, Inputs: []int{n.Inputs[0], dy}, Ints: n.Ints})}
			}},
		OpMaxPoolGrad: {arity: 2, nints: 2, infer: inferMaxPoolGrad, forward: maxPoolGradForward, elem: maxPoolGradElem},
		OpAvgPool: {arity: 1, nints: 2, infer: inferPool, forward: avgPoolForward, elem: avgPoolElem,
			scratch: func(g *Graph, n *Node) int { return n.Ints[0] * n.Ints[0] },
			grad: func(g *Graph, id, dy int) []int {
				n := g.Nodes[id]
				return []int{g.add(Node{Op: OpAvgPoolGrad, Inputs: []int{dy}, Ints: n.Ints, Shape: g.Shape(n.Inputs[0])})}
			}},
		OpAvgPoolGrad: {arity: 1, nints: 2, infer: inferAvgPoolGrad, forward: avgPoolGradForward, elem: avgPoolGradElem},

		OpDropout: {arity: 1, nints: 0, infer: inferDropout, forward: dropoutForward, elem: dropoutElem, scratch: dropoutScratch,
			grad: func(g *Graph, id, dy int) []int {
				return []int{g.add(Node{Op: OpDropoutGrad, Inputs: []int{dy}, Ints: []int{id}, Float: g.Nodes[id].Float})}
			}},
		OpDropoutGrad: {arity: 1, nints: 1, infer: inferDropoutGrad, forward: dropoutForward, elem: dropoutElem, scratch: dropoutScratch},

		OpCausalMask: {arity: 1, nints: 0, infer: inferCausal, forward: causalForward, elem: causalElem,
			grad: func(g *Graph, id, dy int) []int { return []int{g.CausalMask(dy, 0)} }},
	}
}

// grad2 adds a same-shape gradient op taking (saved value, dy).
func (g *Graph) grad2(op Op, saved, dy int) int {
	return g.add(Node{Op: op, Inputs: []int{saved, dy}})
}

// Backward appends the reverse-mode gradient computation of the scalar loss
// to the graph and records the gradient node of each parameter in Grads.
//
// Nodes are visited from the loss down to node 0. When a node feeds several
// consumers its gradient is the chain of Add nodes of their contributions in
// visiting order (the consumer with the highest id first), so the summation
// order is fixed by the graph alone.
func (g *Graph) Backward(loss int) error {
	if g.err != nil {
		return g.err
	}
	if loss < 0 || loss >= len(g.Nodes) || len(g.Nodes[loss].Shape) != 0 {
		return fmt.Errorf("%w: loss node %d is not a scalar", ErrInvalid, loss)
	}
	if len(g.Grads) != 0 {
		return fmt.Errorf("%w: Backward already ran", ErrInvalid)
	}
	need := make([]bool, len(g.Nodes))
	for id, n := range g.Nodes {
		if n.Op == OpParam {
			need[id] = true
		}
		for _, in := range n.Inputs {
			need[id] = need[id] || need[in]
		}
	}
	start := len(g.Nodes)
	grad := make([]int, len(g.Nodes))
	for i := range grad {
		grad[i] = -1
	}
	grad[loss] = g.Fill(1)
	for id := loss; id >= 0; id-- {
		n := g.Nodes[id]
		if grad[id] < 0 || !need[id] || n.Op == OpParam {
			continue
		}
		def := ops[n.Op]
		if def.grad == nil {
			return fmt.Errorf("%w: op %s is not differentiable", ErrInvalid, n.Op)
		}
		contrib := def.grad(g, id, grad[id])
		for k, in := range n.Inputs {
			if !need[in] || contrib[k] < 0 {
				continue
			}
			if grad[in] < 0 {
				grad[in] = contrib[k]
			} else {
				grad[in] = g.Add(grad[in], contrib[k])
			}
		}
		if g.err != nil {
			return g.err
		}
	}
	g.Grads = make([]int, len(g.Params))
	for i, p := range g.Params {
		g.Grads[i] = grad[p]
	}
	g.Loss = loss
	g.BackwardStart = start
	return g.err
}

func addGrad(g *Graph, id, dy int) []int {
	n := g.Nodes[id]
	return []int{g.reduceTo(dy, n.Inputs[0]), g.reduceTo(dy, n.Inputs[1])}
}

func subGrad(g *Graph, id, dy int) []int {
	n := g.Nodes[id]
	return []int{g.reduceTo(dy, n.Inputs[0]), g.reduceTo(g.Scale(dy, -1), n.Inputs[1])}
}

func mulGrad(g *Graph, id, dy int) []int {
	n := g.Nodes[id]
	a, b := n.Inputs[0], n.Inputs[1]
	return []int{g.reduceTo(g.Mul(dy, b), a), g.reduceTo(g.Mul(dy, a), b)}
}

// reduceTo sums a broadcast gradient back to the shape of node like.
func (g *Graph) reduceTo(dy, like int) int {
	if dy >= 0 && len(g.Shape(dy)) == len(g.Shape(like)) && g.Size(dy) == g.Size(like) {
		return dy
	}
	return g.SumTo(dy, g.Shape(like))
}

func matmulGrad(g *Graph, id, dy int) []int {
	n := g.Nodes[id]
	a, b := n.Inputs[0], n.Inputs[1]
	switch ta, tb := n.Ints[0] == 1, n.Ints[1] == 1; {
	case !ta && !tb:
		return []int{g.MatMul(dy, b, false, true), g.MatMul(a, dy, true, false)}
	case ta && !tb:
		return []int{g.MatMul(b, dy, false, true), g.MatMul(a, dy, false, false)}
	case !ta && tb:
		return []int{g.MatMul(dy, b, false, false), g.MatMul(dy, a, true, false)}
	default:
		return []int{g.MatMul(b, dy, true, true), g.MatMul(dy, a, true, true)}
	}
}

func transposeGrad(g *Graph, id, dy int) []int {
	perm := g.Nodes[id].Ints
	inv := make([]int, len(perm))
	for i, p := range perm {
		inv[p] = i
	}
	return []int{g.Transpose(dy, inv...)}
}

func concatGrad(g *Graph, id, dy int) []int {
	n := g.Nodes[id]
	ax := n.Ints[0]
	out := make([]int, len(n.Inputs))
	off := 0
	for k, in := range n.Inputs {
		d := g.Shape(in)[ax]
		out[k] = g.Slice(dy, ax, off, off+d)
		off += d
	}
	return out
}
