package graph

import (
	"fmt"

	"github.com/hypha-network/hypha/ml/kernel"
	"github.com/hypha-network/hypha/ml/num"
)

// rowFn computes one row (the last axis) of a row op into dst from the
// matching rows of the inputs; tmp has the row's length.
type rowFn func(dst []float32, src [][]float32, c float32, tmp []float32)

// rowOp defines an op that works row by row over the last axis. The element
// recompute computes the whole row holding the element, with the same rowFn.
func rowOp(arity int, f rowFn, grad func(*Graph, int, int) []int) *opDef {
	infer := inferRows
	if arity == 2 {
		infer = inferRowsBoth
	}
	return &opDef{arity: arity, nints: 0, infer: infer, grad: grad,
		scratch: func(g *Graph, n *Node) int { return 2 * n.Shape[len(n.Shape)-1] },
		// The row views live in aux so a run does not allocate them.
		prepare: func(g *Graph, n *Node) any { return make([][]float32, arity) },
		forward: func(a *args) error {
			d := a.n.Shape[len(a.n.Shape)-1]
			src := a.aux.([][]float32)
			for r := 0; r*d < len(a.out); r++ {
				for k := range a.in {
					src[k] = a.in[k][r*d : (r+1)*d]
				}
				f(a.out[r*d:(r+1)*d], src, a.n.Float, a.scratch[:d])
			}
			return nil
		},
		elem: func(a *args, i int) (float32, error) {
			d := a.n.Shape[len(a.n.Shape)-1]
			r := i / d
			src := a.aux.([][]float32)
			for k := range a.in {
				src[k] = a.in[k][r*d : (r+1)*d]
			}
			f(a.scratch[d:], src, a.n.Float, a.scratch[:d])
			return a.scratch[d+i%d], nil
		},
	}
}

func rowMax(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	return m
}

// softmaxRow: e_j = Exp(x_j - max), y_j = e_j / Sum(e).
func softmaxRow(dst []float32, src [][]float32, _ float32, _ []float32) {
	x := src[0]
	m := rowMax(x)
	for j, v := range x {
		dst[j] = num.Exp(v - m)
	}
	s := kernel.Sum(dst)
	for j := range dst {
		dst[j] /= s
	}
}

// logSoftmaxRow: y_j = (x_j - max) - Log(Sum(Exp(x - max))).
func logSoftmaxRow(dst []float32, src [][]float32, _ float32, tmp []float32) {
	x := src[0]
	m := rowMax(x)
	for j, v := range x {
		tmp[j] = num.Exp(v - m)
	}
	l := num.Log(kernel.Sum(tmp))
	for j, v := range x {
		dst[j] = (v - m) - l
	}
}

// softmaxGradRow takes (y, dy): dx_j = y_j * (dy_j - Dot(dy, y)).
func softmaxGradRow(dst []float32, src [][]float32, _ float32, _ []float32) {
	y, dy := src[0], src[1]
	d := kernel.Dot(dy, y)
	for j := range dst {
		dst[j] = float32(y[j] * (dy[j] - d))
	}
}

// logSoftmaxGradRow takes (y, dy): dx_j = dy_j - Exp(y_j) * Sum(dy).
func logSoftmaxGradRow(dst []float32, src [][]float32, _ float32, _ []float32) {
	y, dy := src[0], src[1]
	s := kernel.Sum(dy)
	for j := range dst {
		dst[j] = dy[j] - float32(num.Exp(y[j])*s)
	}
}

// standardize writes (x - mu) * rstd into dst and returns rstd, where
// mu = Sum(x)/D, var = Dot(x-mu, x-mu)/D and rstd = 1/Sqrt(var + eps).
func standardize(dst, x []float32, eps float32) float32 {
	n := float32(len(x))
	mu := kernel.Sum(x) / n
	for j, v := range x {
		dst[j] = v - mu
	}
	r := 1 / num.Sqrt(kernel.Dot(dst, dst)/n+eps)
	for j := range dst {
		dst[j] = float32(dst[j] * r)
	}
	return r
}

func normalizeRow(dst []float32, src [][]float32, eps float32, _ []float32) {
	standardize(dst, src[0], eps)
}

// normalizeGradRow takes (x, dy): with xh = Normalize(x),
// dx_j = rstd * ((dy_j - Sum(dy)/D) - xh_j * (Dot(dy, xh)/D)).
func normalizeGradRow(dst []float32, src [][]float32, eps float32, xh []float32) {
	x, dy := src[0], src[1]
	r := standardize(xh, x, eps)
	n := float32(len(x))
	mdy := kernel.Sum(dy) / n
	mdx := kernel.Dot(dy, xh) / n
	for j := range dst {
		dst[j] = float32(r * ((dy[j] - mdy) - float32(xh[j]*mdx)))
	}
}

// classIndex converts a label or token id stored as float32 to an index in
// [0, n), rejecting anything else.
func classIndex(v float32, n int) (int, error) {
	c := int(v)
	if float32(c) != v || c < 0 || c >= n {
		return 0, fmt.Errorf("index %v not an integer in [0, %d)", v, n)
	}
	return c, nil
}

func nllForward(a *args) error {
	v, err := nllElem(a, 0)
	a.out[0] = v
	return err
}

// nllElem: -(Sum(logp[i, label_i] for i in order) / N).
func nllElem(a *args, _ int) (float32, error) {
	s := a.inShape(0)
	n, c := s[0], s[1]
	buf := a.scratch[:n]
	for i := 0; i < n; i++ {
		k, err := classIndex(a.in[1][i], c)
		if err != nil {
			return 0, fmt.Errorf("label %d: %w", i, err)
		}
		buf[i] = a.in[0][i*c+k]
	}
	return -(kernel.Sum(buf) / float32(n)), nil
}

// nllGradValue is the gradient at a label position: -(dy / N).
func nllGradValue(a *args) float32 { return -(a.in[1][0] / float32(a.n.Shape[0])) }

func nllGradForward(a *args) error {
	clear(a.out)
	c := a.n.Shape[1]
	for i, l := range a.in[0] {
		k, err := classIndex(l, c)
		if err != nil {
			return fmt.Errorf("label %d: %w", i, err)
		}
		a.out[i*c+k] = nllGradValue(a)
	}
	return nil
}

func nllGradElem(a *args, i int) (float32, error) {
	c := a.n.Shape[1]
	k, err := classIndex(a.in[0][i/c], c)
	if err != nil {
		return 0, err
	}
	if k == i%c {
		return nllGradValue(a), nil
	}
	return 0, nil
}
