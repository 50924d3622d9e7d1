package graph

import (
	"github.com/hypha-network/hypha/ml/kernel"
)

// mmDims returns batch count and the m, k, n of a matmul node.
func mmDims(a *args) (batch, m, k, n int) {
	s := a.inShape(0)
	batch = 1
	if len(s) == 3 {
		batch, s = s[0], s[1:]
	}
	m, k = s[0], s[1]
	if a.n.Ints[0] == 1 {
		m, k = k, m
	}
	return batch, m, k, a.n.Shape[len(a.n.Shape)-1]
}

func matmulForward(a *args) error {
	b, m, k, n := mmDims(a)
	ta, tb := a.n.Ints[0] == 1, a.n.Ints[1] == 1
	for i := 0; i < b; i++ {
		kernel.MatMul(a.out[i*m*n:(i+1)*m*n], a.in[0][i*m*k:(i+1)*m*k], a.in[1][i*k*n:(i+1)*k*n], m, k, n, ta, tb)
	}
	return nil
}

func matmulElem(a *args, e int) (float32, error) {
	_, m, k, n := mmDims(a)
	i, r := e/(m*n), e%(m*n)
	return kernel.MatMulElem(a.in[0][i*m*k:(i+1)*m*k], a.in[1][i*k*n:(i+1)*k*n], m, k, n,
		a.n.Ints[0] == 1, a.n.Ints[1] == 1, r/n, r%n), nil
}

// geomOf returns the convolution geometry of any conv node.
func geomOf(a *args) convGeom {
	var c convGeom
	switch a.n.Op {
	case OpConv2D:
		c, _ = convGeomOf(a.inShape(0), a.inShape(1), a.n)
	case OpConv2DGradIn:
		c, _ = convGeomOf(a.n.Shape, a.inShape(0), a.n)
	case OpConv2DGradW:
		c, _ = convGeomOf(a.inShape(0), a.n.Shape, a.n)
	}
	return c
}

func convScratch(g *Graph, n *Node) int {
	a := &args{g: g, n: n}
	c := geomOf(a)
	q := c.N * c.ohw()
	return c.ckk()*q + c.O*q
}

// colValue is element (r, q) of the im2col matrix [C*KH*KW, N*OH*OW] of x:
// r = (c, kh, kw), q = (n, oh, ow); zero in the padding.
func colValue(x []float32, c convGeom, r, q int) float32 {
	ch, kh, kw := r/(c.KH*c.KW), (r/c.KW)%c.KH, r%c.KW
	n, oh, ow := q/c.ohw(), (q/c.OW)%c.OH, q%c.OW
	h, w := oh*c.S-c.P+kh, ow*c.S-c.P+kw
	if h < 0 || h >= c.H || w < 0 || w >= c.W {
		return 0
	}
	return x[((n*c.C+ch)*c.H+h)*c.W+w]
}

func im2col(cols, x []float32, c convGeom) {
	q := c.N * c.ohw()
	for r := 0; r < c.ckk(); r++ {
		row := cols[r*q : (r+1)*q]
		for j := range row {
			row[j] = colValue(x, c, r, j)
		}
	}
}

// toChannelMajor writes dy [N, O, P] as [O, N*P]; fromChannelMajor undoes it.
func toChannelMajor(dst, dy []float32, n, o, p int) {
	for i := 0; i < n; i++ {
		for ch := 0; ch < o; ch++ {
			copy(dst[(ch*n+i)*p:(ch*n+i+1)*p], dy[(i*o+ch)*p:(i*o+ch+1)*p])
		}
	}
}

func fromChannelMajor(dst, src []float32, n, o, p int) {
	for i := 0; i < n; i++ {
		for ch := 0; ch < o; ch++ {
			copy(dst[(i*o+ch)*p:(i*o+ch+1)*p], src[(ch*n+i)*p:(ch*n+i+1)*p])
		}
	}
}

// convForward: out[n, o, p] = MatMul(w [O, CKK], cols [CKK, N*P])[o, n*P+p].
func convForward(a *args) error {
	c := geomOf(a)
	q := c.N * c.ohw()
	cols, tmp := a.scratch[:c.ckk()*q], a.scratch[c.ckk()*q:]
	im2col(cols, a.in[0], c)
	kernel.MatMul(tmp, a.in[1], cols, c.O, c.ckk(), q, false, false)
	fromChannelMajor(a.out, tmp, c.N, c.O, c.ohw())
	return nil
}

func convElem(a *args, e int) (float32, error) {
	c := geomOf(a)
	n, o, p := e/(c.O*c.ohw()), (e/c.ohw())%c.O, e%c.ohw()
	col := make([]float32, c.ckk())
	for r := range col {
		col[r] = colValue(a.in[0], c, r, n*c.ohw()+p)
	}
	return kernel.MatMulElem(a.in[1], col, c.O, c.ckk(), 1, false, false, o, 0), nil
}

// convGradInForward: dcols = MatMul(w^T, dy as [O, N*P]) then col2im, which
// adds the column entries into each input pixel in increasing row (c, kh, kw)
// order, starting from zero.
func convGradInForward(a *args) error {
	c := geomOf(a)
	q := c.N * c.ohw()
	dcols, dyT := a.scratch[:c.ckk()*q], a.scratch[c.ckk()*q:]
	toChannelMajor(dyT, a.in[1], c.N, c.O, c.ohw())
	kernel.MatMul(dcols, a.in[0], dyT, c.ckk(), c.O, q, true, false)
	clear(a.out)
	for r := 0; r < c.ckk(); r++ {
		ch, kh, kw := r/(c.KH*c.KW), (r/c.KW)%c.KH, r%c.KW
		for j := 0; j < q; j++ {
			n, oh, ow := j/c.ohw(), (j/c.OW)%c.OH, j%c.OW
			h, w := oh*c.S-c.P+kh, ow*c.S-c.P+kw
			if h >= 0 && h < c.H && w >= 0 && w < c.W {
				a.out[((n*c.C+ch)*c.H+h)*c.W+w] += dcols[r*q+j]
			}
		}
	}
	return nil
}

func convGradInElem(a *args, e int) (float32, error) {
	c := geomOf(a)
	n, ch, h, w := e/(c.C*c.H*c.W), (e/(c.H*c.W))%c.C, (e/c.W)%c.H, e%c.W
	dycol := make([]float32, c.O)
	var acc float32
	for kh := 0; kh < c.KH; kh++ {
		for kw := 0; kw < c.KW; kw++ {
			y, x := h+c.P-kh, w+c.P-kw
			if y < 0 || x < 0 || y%c.S != 0 || x%c.S != 0 || y/c.S >= c.OH || x/c.S >= c.OW {
				continue
			}
			p := (y/c.S)*c.OW + x/c.S
			for o := range dycol {
				dycol[o] = a.in[1][(n*c.O+o)*c.ohw()+p]
			}
			r := (ch*c.KH+kh)*c.KW + kw
			acc += kernel.MatMulElem(a.in[0], dycol, c.ckk(), c.O, 1, true, false, r, 0)
		}
	}
	return acc, nil
}

// convGradWForward: dw = MatMul(dy as [O, N*P], cols^T), contracting over
// (n, p) in increasing order.
func convGradWForward(a *args) error {
	c := geomOf(a)
	q := c.N * c.ohw()
	cols, dyT := a.scratch[:c.ckk()*q], a.scratch[c.ckk()*q:]
	im2col(cols, a.in[0], c)
	toChannelMajor(dyT, a.in[1], c.N, c.O, c.ohw())
	kernel.MatMul(a.out, dyT, cols, c.O, q, c.ckk(), false, true)
	return nil
}

func convGradWElem(a *args, e int) (float32, error) {
	c := geomOf(a)
	q := c.N * c.ohw()
	o, r := e/c.ckk(), e%c.ckk()
	dyrow, col := make([]float32, q), make([]float32, q)
	for j := 0; j < q; j++ {
		n, p := j/c.ohw(), j%c.ohw()
		dyrow[j] = a.in[1][(n*c.O+o)*c.ohw()+p]
		col[j] = colValue(a.in[0], c, r, j)
	}
	return kernel.MatMulElem(dyrow, col, 1, q, 1, false, false, 0, 0), nil
}

// poolWindow returns the flat x indices of pooling window (n, ch, oh, ow) in
// row-major order into idx.
func poolWindow(idx []int, c convGeom, n, ch, oh, ow int) []int {
	idx = idx[:0]
	for kh := 0; kh < c.KH; kh++ {
		for kw := 0; kw < c.KW; kw++ {
			idx = append(idx, ((n*c.C+ch)*c.H+oh*c.S+kh)*c.W+ow*c.S+kw)
		}
	}
	return idx
}

func poolGeomArgs(a *args) convGeom {
	x := a.inShape(0)
	if a.n.Op == OpAvgPoolGrad {
		x = a.n.Shape
	}
	c, _ := poolGeom(x, a.n)
	return c
}

// argmaxWindow is the index of the first maximum of the window.
func argmaxWindow(x []float32, idx []int) int {
	best := idx[0]
	for _, i := range idx[1:] {
		if x[i] > x[best] {
			best = i
		}
	}
	return best
}

// forWindows calls f for every pooling window in increasing output order.
func forWindows(c convGeom, f func(out int, idx []int)) {
	idx := make([]int, 0, c.KH*c.KW)
	out := 0
	for n := 0; n < c.N; n++ {
		for ch := 0; ch < c.C; ch++ {
			for oh := 0; oh < c.OH; oh++ {
				for ow := 0; ow < c.OW; ow++ {
					f(out, poolWindow(idx, c, n, ch, oh, ow))
					out++
				}
			}
		}
	}
}

// windowOf returns the window indices of output element e.
func windowOf(c convGeom, e int) []int {
	return poolWindow(nil, c, e/(c.C*c.ohw()), (e/c.ohw())%c.C, (e/c.OW)%c.OH, e%c.OW)
}

func maxPoolForward(a *args) error {
	x := a.in[0]
	forWindows(poolGeomArgs(a), func(out int, idx []int) { a.out[out] = x[argmaxWindow(x, idx)] })
	return nil
}

func maxPoolElem(a *args, e int) (float32, error) {
	x := a.in[0]
	return x[argmaxWindow(x, windowOf(poolGeomArgs(a), e))], nil
}

// maxPoolGradForward routes dy to each window's argmax, windows in order.
func maxPoolGradForward(a *args) error {
	x, dy := a.in[0], a.in[1]
	clear(a.out)
	forWindows(poolGeomArgs(a), func(out int, idx []int) { a.out[argmaxWindow(x, idx)] += dy[out] })
	return nil
}

func maxPoolGradElem(a *args, e int) (float32, error) {
	x, dy := a.in[0], a.in[1]
	var acc float32
	forWindows(poolGeomArgs(a), func(out int, idx []int) {
		if argmaxWindow(x, idx) == e {
			acc += dy[out]
		}
	})
	return acc, nil
}

// avgWindow is kernel.Sum(window) / float32(k*k).
func avgWindow(x []float32, idx []int, buf []float32) float32 {
	for j, i := range idx {
		buf[j] = x[i]
	}
	return kernel.Sum(buf[:len(idx)]) / float32(len(idx))
}

func avgPoolForward(a *args) error {
	x := a.in[0]
	forWindows(poolGeomArgs(a), func(out int, idx []int) { a.out[out] = avgWindow(x, idx, a.scratch) })
	return nil
}

func avgPoolElem(a *args, e int) (float32, error) {
	return avgWindow(a.in[0], windowOf(poolGeomArgs(a), e), a.scratch), nil
}

// avgPoolGradForward adds dy / float32(k*k) to every window member, windows
// in order.
func avgPoolGradForward(a *args) error {
	dy := a.in[0]
	clear(a.out)
	forWindows(poolGeomArgs(a), func(out int, idx []int) {
		for _, i := range idx {
			a.out[i] += dy[out] / float32(len(idx))
		}
	})
	return nil
}

func avgPoolGradElem(a *args, e int) (float32, error) {
	dy := a.in[0]
	var acc float32
	forWindows(poolGeomArgs(a), func(out int, idx []int) {
		for _, i := range idx {
			if i == e {
				acc += dy[out] / float32(len(idx))
			}
		}
	})
	return acc, nil
}
