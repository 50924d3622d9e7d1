package graph

import (
	"fmt"

	"github.com/hypha-network/hypha/ml/tensor"
)

// This file holds the public builder methods and the shape rules of every op.
// Each builder records an error on the graph (see Err) and returns -1 when its
// arguments are invalid; later builders then do nothing.

// Input adds a data placeholder filled by the caller before each run. Integer
// data (class labels, token ids) is stored as float32, exact below 2^24.
func (g *Graph) Input(name string, shape ...int) int {
	return g.add(Node{Op: OpInput, Name: name, Shape: append([]int{}, shape...)})
}

// Param adds a trainable parameter initialised by init with the given scale.
func (g *Graph) Param(name string, init Init, scale float32, shape ...int) int {
	return g.add(Node{Op: OpParam, Name: name, Shape: append([]int{}, shape...), Ints: []int{int(init)}, Float: scale})
}

// Fill adds a constant tensor with every element equal to value.
func (g *Graph) Fill(value float32, shape ...int) int {
	return g.add(Node{Op: OpFill, Shape: append([]int{}, shape...), Float: value})
}

// MatMul multiplies a and b, optionally transposed. Both are rank 2, or both
// rank 3 with equal leading (batch) dimension. Each output element is
// kernel.MatMul's canonical dot product: sequential over the contraction
// index, each product rounded to float32 before it is added.
func (g *Graph) MatMul(a, b int, transA, transB bool) int {
	return g.add(Node{Op: OpMatMul, Inputs: []int{a, b}, Ints: []int{b2i(transA), b2i(transB)}})
}

// Add returns a+b with NumPy broadcasting.
func (g *Graph) Add(a, b int) int { return g.add(Node{Op: OpAdd, Inputs: []int{a, b}}) }

// Sub returns a-b with NumPy broadcasting.
func (g *Graph) Sub(a, b int) int { return g.add(Node{Op: OpSub, Inputs: []int{a, b}}) }

// Mul returns a*b (elementwise) with NumPy broadcasting.
func (g *Graph) Mul(a, b int) int { return g.add(Node{Op: OpMul, Inputs: []int{a, b}}) }

// Scale returns x*c.
func (g *Graph) Scale(x int, c float32) int {
	return g.add(Node{Op: OpScale, Inputs: []int{x}, Float: c})
}

// Sum returns the scalar kernel.Sum of all elements of x.
func (g *Graph) Sum(x int) int { return g.add(Node{Op: OpSum, Inputs: []int{x}}) }

// Mean returns the scalar Sum(x) / float32(size of x).
func (g *Graph) Mean(x int) int { return g.add(Node{Op: OpMean, Inputs: []int{x}}) }

// SumTo reduces x to shape (the reverse of broadcasting): each output element
// is kernel.Sum of the elements of x that broadcast from it, gathered in
// increasing index order.
func (g *Graph) SumTo(x int, shape []int) int {
	return g.add(Node{Op: OpSumTo, Inputs: []int{x}, Shape: append([]int{}, shape...)})
}

// BroadcastTo expands x to shape by NumPy broadcasting.
func (g *Graph) BroadcastTo(x int, shape []int) int {
	return g.add(Node{Op: OpBroadcast, Inputs: []int{x}, Shape: append([]int{}, shape...)})
}

// ReLU returns max(x, 0).
func (g *Graph) ReLU(x int) int { return g.add(Node{Op: OpReLU, Inputs: []int{x}}) }

// GELU returns num.GELU(x).
func (g *Graph) GELU(x int) int { return g.add(Node{Op: OpGELU, Inputs: []int{x}}) }

// Tanh returns num.Tanh(x).
func (g *Graph) Tanh(x int) int { return g.add(Node{Op: OpTanh, Inputs: []int{x}}) }

// Sigmoid returns num.Sigmoid(x).
func (g *Graph) Sigmoid(x int) int { return g.add(Node{Op: OpSigmoid, Inputs: []int{x}}) }

// Softmax normalises the last axis: e_j = Exp(x_j - max), y_j = e_j / Sum(e).
func (g *Graph) Softmax(x int) int { return g.add(Node{Op: OpSoftmax, Inputs: []int{x}}) }

// LogSoftmax returns (x_j - max) - Log(Sum(Exp(x - max))) over the last axis.
func (g *Graph) LogSoftmax(x int) int { return g.add(Node{Op: OpLogSoftmax, Inputs: []int{x}}) }

// NLL returns the mean negative log-likelihood -Sum(logp[i, label_i]) / N
// for logp of shape [N, C] and labels of shape [N].
func (g *Graph) NLL(logp, labels int) int {
	return g.add(Node{Op: OpNLL, Inputs: []int{logp, labels}})
}

// CrossEntropy is NLL(LogSoftmax(logits), labels).
func (g *Graph) CrossEntropy(logits, labels int) int {
	return g.NLL(g.LogSoftmax(logits), labels)
}

// MSE is Mean((a-b)*(a-b)).
func (g *Graph) MSE(a, b int) int {
	d := g.Sub(a, b)
	return g.Mean(g.Mul(d, d))
}

// Normalize standardises the last axis: mu = Sum(x)/D, c = x - mu,
// var = Dot(c, c)/D, y = c * (1 / Sqrt(var + eps)).
func (g *Graph) Normalize(x int, eps float32) int {
	return g.add(Node{Op: OpNormalize, Inputs: []int{x}, Float: eps})
}

// LayerNorm is Normalize(x)*gamma + beta with gamma and beta over the last axis.
func (g *Graph) LayerNorm(x, gamma, beta int, eps float32) int {
	return g.Add(g.Mul(g.Normalize(x, eps), gamma), beta)
}

// Embedding gathers rows of table [V, D] by ids (any shape), giving
// ids.shape + [D].
func (g *Graph) Embedding(table, ids int) int {
	return g.add(Node{Op: OpEmbedding, Inputs: []int{table, ids}})
}

// Reshape reinterprets x with a new shape of the same size.
func (g *Graph) Reshape(x int, shape ...int) int {
	return g.add(Node{Op: OpReshape, Inputs: []int{x}, Shape: append([]int{}, shape...)})
}

// Transpose permutes the axes of x: output axis i is input axis perm[i].
func (g *Graph) Transpose(x int, perm ...int) int {
	return g.add(Node{Op: OpTranspose, Inputs: []int{x}, Ints: append([]int{}, perm...)})
}

// Slice keeps indices [begin, end) of one axis.
func (g *Graph) Slice(x, axis, begin, end int) int {
	return g.add(Node{Op: OpSlice, Inputs: []int{x}, Ints: []int{axis, begin, end}})
}

// Concat joins xs along axis.
func (g *Graph) Concat(axis int, xs ...int) int {
	return g.add(Node{Op: OpConcat, Inputs: append([]int{}, xs...), Ints: []int{axis}})
}

// Conv2D convolves x [N, C, H, W] with w [O, C, KH, KW] (no bias; add one by
// broadcasting a [O, 1, 1] parameter). It is defined as im2col followed by
// kernel.MatMul of w [O, C*KH*KW] with the columns [C*KH*KW, N*OH*OW]; the
// contraction runs over (c, kh, kw) in row-major order, zero padding included.
func (g *Graph) Conv2D(x, w, stride, pad int) int {
	return g.add(Node{Op: OpConv2D, Inputs: []int{x, w}, Ints: []int{stride, pad}})
}

// MaxPool2D takes the maximum of each k×k window of x [N, C, H, W] (the first
// maximum in row-major window order wins ties, which routes the gradient).
func (g *Graph) MaxPool2D(x, k, stride int) int {
	return g.add(Node{Op: OpMaxPool, Inputs: []int{x}, Ints: []int{k, stride}})
}

// AvgPool2D averages each k×k window: kernel.Sum(window) / float32(k*k).
func (g *Graph) AvgPool2D(x, k, stride int) int {
	return g.add(Node{Op: OpAvgPool, Inputs: []int{x}, Ints: []int{k, stride}})
}

// Dropout zeroes each element with probability p during training and scales
// the rest by float32(1/(1-p)). Element i is kept when
// rng.Uniform(Key{seed, step, node id}, i) >= p. In evaluation it is the identity.
func (g *Graph) Dropout(x int, p float32) int {
	return g.add(Node{Op: OpDropout, Inputs: []int{x}, Float: p})
}

// CausalMask replaces the entries above the diagonal of the last two axes
// ([..., T, T], column > row) by fill.
func (g *Graph) CausalMask(x int, fill float32) int {
	return g.add(Node{Op: OpCausalMask, Inputs: []int{x}, Float: fill})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ---- shape rules ----

func inferShape(g *Graph, n *Node) ([]int, error) {
	def, ok := ops[n.Op]
	if !ok {
		return nil, fmt.Errorf("unknown op %q", n.Op)
	}
	if def.arity >= 0 && len(n.Inputs) != def.arity {
		return nil, fmt.Errorf("want %d inputs, got %d", def.arity, len(n.Inputs))
	}
	if len(n.Ints) != def.nints && def.nints >= 0 {
		return nil, fmt.Errorf("want %d integer attributes, got %d", def.nints, len(n.Ints))
	}
	s, err := def.infer(g, n)
	if err != nil {
		return nil, err
	}
	if err := tensor.CheckShape(s); err != nil {
		return nil, err
	}
	return s, nil
}

func in(g *Graph, n *Node, i int) []int { return g.Nodes[n.Inputs[i]].Shape }

func givenShape(g *Graph, n *Node) ([]int, error) {
	if n.Shape == nil {
		return nil, fmt.Errorf("missing shape")
	}
	return append([]int{}, n.Shape...), nil
}

func sameAsInput(g *Graph, n *Node) ([]int, error) { return append([]int{}, in(g, n, 0)...), nil }

// sameAsBoth is the shape rule of binary ops whose inputs have one shape.
func sameAsBoth(g *Graph, n *Node) ([]int, error) {
	if !tensor.SameShape(in(g, n, 0), in(g, n, 1)) {
		return nil, fmt.Errorf("input shapes %v and %v differ", in(g, n, 0), in(g, n, 1))
	}
	return sameAsInput(g, n)
}

func inferParam(g *Graph, n *Node) ([]int, error) {
	if Init(n.Ints[0]) < InitZeros || Init(n.Ints[0]) > InitUniform {
		return nil, fmt.Errorf("unknown initialiser %d", n.Ints[0])
	}
	return givenShape(g, n)
}

func inferMatMul(g *Graph, n *Node) ([]int, error) {
	a, b := in(g, n, 0), in(g, n, 1)
	if len(a) != len(b) || len(a) < 2 || len(a) > 3 {
		return nil, fmt.Errorf("matmul needs two rank-2 or two rank-3 inputs, got %v and %v", a, b)
	}
	batch := []int{}
	if len(a) == 3 {
		if a[0] != b[0] {
			return nil, fmt.Errorf("batch dimensions %d and %d differ", a[0], b[0])
		}
		batch = []int{a[0]}
		a, b = a[1:], b[1:]
	}
	m, k := a[0], a[1]
	if n.Ints[0] == 1 {
		m, k = k, m
	}
	k2, nn := b[0], b[1]
	if n.Ints[1] == 1 {
		k2, nn = nn, k2
	}
	if k != k2 {
		return nil, fmt.Errorf("contraction sizes %d and %d differ", k, k2)
	}
	return append(batch, m, nn), nil
}

// broadcastShapes applies NumPy's rule: align trailing axes; sizes must match
// or be 1.
func broadcastShapes(a, b []int) ([]int, error) {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := 0; i < r; i++ {
		da, db := 1, 1
		if j := len(a) - r + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - r + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db, db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

func inferBroadcastBinary(g *Graph, n *Node) ([]int, error) {
	return broadcastShapes(in(g, n, 0), in(g, n, 1))
}

func inferScalar(g *Graph, n *Node) ([]int, error) { return []int{}, nil }

func inferSumTo(g *Graph, n *Node) ([]int, error) {
	s, err := givenShape(g, n)
	if err != nil {
		return nil, err
	}
	b, err := broadcastShapes(s, in(g, n, 0))
	if err != nil || !tensor.SameShape(b, in(g, n, 0)) {
		return nil, fmt.Errorf("%v does not broadcast to %v", s, in(g, n, 0))
	}
	return s, nil
}

func inferBroadcastTo(g *Graph, n *Node) ([]int, error) {
	s, err := givenShape(g, n)
	if err != nil {
		return nil, err
	}
	b, err := broadcastShapes(s, in(g, n, 0))
	if err != nil || !tensor.SameShape(b, s) {
		return nil, fmt.Errorf("%v does not broadcast to %v", in(g, n, 0), s)
	}
	return s, nil
}

func inferRows(g *Graph, n *Node) ([]int, error) {
	if len(in(g, n, 0)) == 0 {
		return nil, fmt.Errorf("needs rank >= 1")
	}
	return sameAsInput(g, n)
}

func inferRowsBoth(g *Graph, n *Node) ([]int, error) {
	if _, err := inferRows(g, n); err != nil {
		return nil, err
	}
	return sameAsBoth(g, n)
}

func inferNLL(g *Graph, n *Node) ([]int, error) {
	p, l := in(g, n, 0), in(g, n, 1)
	if len(p) != 2 || len(l) != 1 || l[0] != p[0] {
		return nil, fmt.Errorf("want logp [N, C] and labels [N], got %v and %v", p, l)
	}
	return []int{}, nil
}

func inferNLLGrad(g *Graph, n *Node) ([]int, error) {
	s, err := givenShape(g, n)
	if err != nil {
		return nil, err
	}
	if l := in(g, n, 0); len(s) != 2 || len(l) != 1 || l[0] != s[0] || len(in(g, n, 1)) != 0 {
		return nil, fmt.Errorf("want labels [N], scalar dy and shape [N, C]")
	}
	return s, nil
}

func inferEmbedding(g *Graph, n *Node) ([]int, error) {
	t := in(g, n, 0)
	if len(t) != 2 {
		return nil, fmt.Errorf("table must be [V, D], got %v", t)
	}
	return append(append([]int{}, in(g, n, 1)...), t[1]), nil
}

func inferEmbeddingGrad(g *Graph, n *Node) ([]int, error) {
	s, err := givenShape(g, n)
	if err != nil {
		return nil, err
	}
	ids, dy := in(g, n, 0), in(g, n, 1)
	if len(s) != 2 || !tensor.SameShape(dy, append(append([]int{}, ids...), s[1])) {
		return nil, fmt.Errorf("want ids, dy = ids.shape+[D] and shape [V, D]")
	}
	return s, nil
}

func inferReshape(g *Graph, n *Node) ([]int, error) {
	s, err := givenShape(g, n)
	if err != nil {
		return nil, err
	}
	if tensor.Size(s) != tensor.Size(in(g, n, 0)) {
		return nil, fmt.Errorf("cannot reshape %v to %v", in(g, n, 0), s)
	}
	return s, nil
}

func inferTranspose(g *Graph, n *Node) ([]int, error) {
	x := in(g, n, 0)
	if len(n.Ints) != len(x) {
		return nil, fmt.Errorf("permutation %v for rank %d", n.Ints, len(x))
	}
	seen := make([]bool, len(x))
	out := make([]int, len(x))
	for i, p := range n.Ints {
		if p < 0 || p >= len(x) || seen[p] {
			return nil, fmt.Errorf("bad permutation %v", n.Ints)
		}
		seen[p] = true
		out[i] = x[p]
	}
	return out, nil
}

func inferSlice(g *Graph, n *Node) ([]int, error) {
	x := in(g, n, 0)
	ax, b, e := n.Ints[0], n.Ints[1], n.Ints[2]
	if ax < 0 || ax >= len(x) || b < 0 || e <= b || e > x[ax] {
		return nil, fmt.Errorf("slice axis %d [%d, %d) of %v", ax, b, e, x)
	}
	out := append([]int{}, x...)
	out[ax] = e - b
	return out, nil
}

func inferPad(g *Graph, n *Node) ([]int, error) {
	s, err := givenShape(g, n)
	if err != nil {
		return nil, err
	}
	x := in(g, n, 0)
	ax, b := n.Ints[0], n.Ints[1]
	if len(s) != len(x) || ax < 0 || ax >= len(x) || b < 0 || b+x[ax] > s[ax] {
		return nil, fmt.Errorf("cannot pad %v into %v at axis %d offset %d", x, s, ax, b)
	}
	for i := range s {
		if i != ax && s[i] != x[i] {
			return nil, fmt.Errorf("cannot pad %v into %v", x, s)
		}
	}
	return s, nil
}

func inferConcat(g *Graph, n *Node) ([]int, error) {
	if len(n.Inputs) == 0 {
		return nil, fmt.Errorf("concat of nothing")
	}
	ax := n.Ints[0]
	out := append([]int{}, in(g, n, 0)...)
	if ax < 0 || ax >= len(out) {
		return nil, fmt.Errorf("axis %d out of range for %v", ax, out)
	}
	for i := 1; i < len(n.Inputs); i++ {
		s := in(g, n, i)
		if len(s) != len(out) {
			return nil, fmt.Errorf("rank mismatch %v vs %v", s, out)
		}
		for d := range s {
			if d != ax && s[d] != out[d] {
				return nil, fmt.Errorf("shape mismatch %v vs %v", s, out)
			}
		}
		out[ax] += s[ax]
	}
	return out, nil
}

// convGeom is the geometry of a conv2d or pooling window.
type convGeom struct {
	N, C, H, W, O, KH, KW, S, P, OH, OW int
}

func (c convGeom) ckk() int { return c.C * c.KH * c.KW }
func (c convGeom) ohw() int { return c.OH * c.OW }

func makeGeom(x []int, o, kh, kw, s, p int) (convGeom, error) {
	if len(x) != 4 {
		return convGeom{}, fmt.Errorf("want input [N, C, H, W], got %v", x)
	}
	if s <= 0 || p < 0 || kh <= 0 || kw <= 0 || x[2]+2*p < kh || x[3]+2*p < kw {
		return convGeom{}, fmt.Errorf("bad window %dx%d stride %d pad %d for %v", kh, kw, s, p, x)
	}
	c := convGeom{N: x[0], C: x[1], H: x[2], W: x[3], O: o, KH: kh, KW: kw, S: s, P: p}
	c.OH = (c.H+2*p-kh)/s + 1
	c.OW = (c.W+2*p-kw)/s + 1
	return c, nil
}

// convGeomOf returns the geometry of a conv node from its x and w shapes.
func convGeomOf(x, w []int, n *Node) (convGeom, error) {
	if len(w) != 4 {
		return convGeom{}, fmt.Errorf("want weight [O, C, KH, KW], got %v", w)
	}
	c, err := makeGeom(x, w[0], w[2], w[3], n.Ints[0], n.Ints[1])
	if err == nil && w[1] != c.C {
		err = fmt.Errorf("weight has %d channels, input %d", w[1], c.C)
	}
	return c, err
}

func inferConv(g *Graph, n *Node) ([]int, error) {
	c, err := convGeomOf(in(g, n, 0), in(g, n, 1), n)
	return []int{c.N, c.O, c.OH, c.OW}, err
}

func inferConvGradIn(g *Graph, n *Node) ([]int, error) {
	s, err := givenShape(g, n)
	if err != nil {
		return nil, err
	}
	c, err := convGeomOf(s, in(g, n, 0), n)
	if err == nil && !tensor.SameShape(in(g, n, 1), []int{c.N, c.O, c.OH, c.OW}) {
		err = fmt.Errorf("dy shape %v does not match", in(g, n, 1))
	}
	return s, err
}

func inferConvGradW(g *Graph, n *Node) ([]int, error) {
	s, err := givenShape(g, n)
	if err != nil {
		return nil, err
	}
	c, err := convGeomOf(in(g, n, 0), s, n)
	if err == nil && !tensor.SameShape(in(g, n, 1), []int{c.N, c.O, c.OH, c.OW}) {
		err = fmt.Errorf("dy shape %v does not match", in(g, n, 1))
	}
	return s, err
}

func poolGeom(x []int, n *Node) (convGeom, error) {
	c, err := makeGeom(x, 0, n.Ints[0], n.Ints[0], n.Ints[1], 0)
	c.O = c.C
	return c, err
}

func inferPool(g *Graph, n *Node) ([]int, error) {
	c, err := poolGeom(in(g, n, 0), n)
	return []int{c.N, c.C, c.OH, c.OW}, err
}

func inferMaxPoolGrad(g *Graph, n *Node) ([]int, error) {
	c, err := poolGeom(in(g, n, 0), n)
	if err == nil && !tensor.SameShape(in(g, n, 1), []int{c.N, c.C, c.OH, c.OW}) {
		err = fmt.Errorf("dy shape %v does not match", in(g, n, 1))
	}
	if err != nil {
		return nil, err
	}
	return sameAsInput(g, n)
}

func inferAvgPoolGrad(g *Graph, n *Node) ([]int, error) {
	s, err := givenShape(g, n)
	if err != nil {
		return nil, err
	}
	c, err := poolGeom(s, n)
	if err == nil && !tensor.SameShape(in(g, n, 0), []int{c.N, c.C, c.OH, c.OW}) {
		err = fmt.Errorf("dy shape %v does not match", in(g, n, 0))
	}
	return s, err
}

func inferDropout(g *Graph, n *Node) ([]int, error) {
	if !(n.Float >= 0 && n.Float < 1) {
		return nil, fmt.Errorf("dropout probability %v not in [0, 1)", n.Float)
	}
	return sameAsInput(g, n)
}

func inferDropoutGrad(g *Graph, n *Node) ([]int, error) {
	if len(n.Ints) != 1 || n.Ints[0] < 0 || n.Ints[0] >= len(g.Nodes) || g.Nodes[n.Ints[0]].Op != OpDropout {
		return nil, fmt.Errorf("dropout_grad must name its dropout node")
	}
	return inferDropout(g, n)
}

func inferCausal(g *Graph, n *Node) ([]int, error) {
	x := in(g, n, 0)
	if len(x) < 2 || x[len(x)-1] != x[len(x)-2] {
		return nil, fmt.Errorf("want [..., T, T], got %v", x)
	}
	return sameAsInput(g, n)
}
