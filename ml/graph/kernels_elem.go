package graph

import (
	"github.com/hypha-network/hypha/ml/kernel"
	"github.com/hypha-network/hypha/ml/num"
	"github.com/hypha-network/hypha/ml/rng"
	"github.com/hypha-network/hypha/ml/tensor"
)

// Elementwise scalar functions. Every product is wrapped in float32(...) so
// that no compiler may fuse it into a multiply-add.

func relu(x, _ float32) float32 {
	if x > 0 {
		return x
	}
	return 0
}

func gelu(x, _ float32) float32    { return num.GELU(x) }
func tanh(x, _ float32) float32    { return num.Tanh(x) }
func sigmoid(x, _ float32) float32 { return num.Sigmoid(x) }

func reluGrad(x, dy float32) float32 {
	if x > 0 {
		return dy
	}
	return 0
}

func geluGrad(x, dy float32) float32 { return float32(dy * num.GELUGrad(x)) }

// tanhGrad takes the tanh output y: dy * (1 - y*y).
func tanhGrad(y, dy float32) float32 { return float32(dy * (1 - float32(y*y))) }

// sigmoidGrad takes the sigmoid output y: (dy*y) * (1-y).
func sigmoidGrad(y, dy float32) float32 { return float32(float32(dy*y) * (1 - y)) }

// unary defines an elementwise op y = f(x, node.Float).
func unary(f func(x, c float32) float32, grad func(*Graph, int, int) []int) *opDef {
	return &opDef{arity: 1, nints: 0, infer: sameAsInput, grad: grad,
		forward: func(a *args) error {
			x, c := a.in[0], a.n.Float
			for i := range a.out {
				a.out[i] = f(x[i], c)
			}
			return nil
		},
		elem: func(a *args, i int) (float32, error) { return f(a.in[0][i], a.n.Float), nil },
	}
}

// binarySame defines an elementwise op of two same-shape inputs.
func binarySame(f func(x, y float32) float32) *opDef {
	return &opDef{arity: 2, nints: 0, infer: sameAsBoth,
		forward: func(a *args) error {
			x, y := a.in[0], a.in[1]
			for i := range a.out {
				a.out[i] = f(x[i], y[i])
			}
			return nil
		},
		elem: func(a *args, i int) (float32, error) { return f(a.in[0][i], a.in[1][i]), nil },
	}
}

// bcastAux maps each output element to its element of each input; a nil
// table means the input has the output's shape.
type bcastAux struct{ ia, ib []int32 }

// bcastOffset returns the index into an input of shape in of output element i
// of shape out under NumPy broadcasting.
func bcastOffset(out, in []int, i int) int {
	off, stride := 0, 1
	for d := len(out) - 1; d >= 0; d-- {
		c := i % out[d]
		i /= out[d]
		if j := d - (len(out) - len(in)); j >= 0 {
			if in[j] != 1 {
				off += c * stride
			}
			stride *= in[j]
		}
	}
	return off
}

func bcastTable(out, in []int) []int32 {
	if tensor.SameShape(out, in) {
		return nil
	}
	t := make([]int32, tensor.Size(out))
	for i := range t {
		t[i] = int32(bcastOffset(out, in, i))
	}
	return t
}

// binaryBcast defines add, sub and mul.
func binaryBcast(f func(x, y float32) float32, grad func(*Graph, int, int) []int) *opDef {
	return &opDef{arity: 2, nints: 0, infer: inferBroadcastBinary, grad: grad,
		prepare: func(g *Graph, n *Node) any {
			return &bcastAux{ia: bcastTable(n.Shape, g.Shape(n.Inputs[0])), ib: bcastTable(n.Shape, g.Shape(n.Inputs[1]))}
		},
		forward: func(a *args) error {
			x, y, t := a.in[0], a.in[1], a.aux.(*bcastAux)
			switch {
			case t.ia == nil && t.ib == nil:
				for i := range a.out {
					a.out[i] = f(x[i], y[i])
				}
			case t.ia == nil:
				for i := range a.out {
					a.out[i] = f(x[i], y[t.ib[i]])
				}
			case t.ib == nil:
				for i := range a.out {
					a.out[i] = f(x[t.ia[i]], y[i])
				}
			default:
				for i := range a.out {
					a.out[i] = f(x[t.ia[i]], y[t.ib[i]])
				}
			}
			return nil
		},
		elem: func(a *args, i int) (float32, error) {
			return f(a.in[0][bcastOffset(a.n.Shape, a.inShape(0), i)], a.in[1][bcastOffset(a.n.Shape, a.inShape(1), i)]), nil
		},
	}
}

func sumForward(a *args) error {
	v, err := sumElem(a, 0)
	a.out[0] = v
	return err
}

// sumElem is Sum for OpSum and Sum / float32(n) for OpMean.
func sumElem(a *args, _ int) (float32, error) {
	s := kernel.Sum(a.in[0])
	if a.n.Op == OpMean {
		s /= float32(len(a.in[0]))
	}
	return s, nil
}

// sumToAux lists, for each output element, the first input element that
// reduces into it (base) and the offsets of all of them (offs, increasing).
type sumToAux struct{ base, offs []int }

func prepareSumTo(g *Graph, n *Node) any {
	in := g.Shape(n.Inputs[0])
	out := n.Shape
	aux := &sumToAux{base: make([]int, tensor.Size(out))}
	for j := range aux.base {
		aux.base[j] = -1
	}
	for i := 0; i < tensor.Size(in); i++ {
		j := bcastOffset(in, out, i)
		if aux.base[j] < 0 {
			aux.base[j] = i
		}
		if j == 0 {
			aux.offs = append(aux.offs, i)
		}
	}
	return aux
}

func scratchSumTo(g *Graph, n *Node) int {
	return g.Size(n.Inputs[0]) / tensor.Size(n.Shape)
}

func sumToForward(a *args) error {
	for j := range a.out {
		a.out[j], _ = sumToElem(a, j)
	}
	return nil
}

// sumToElem gathers the inputs of output j in increasing index order and
// reduces them with kernel.Sum. Output 0 reduces the elements at offs; every
// other output's elements are those offsets shifted by its base.
func sumToElem(a *args, j int) (float32, error) {
	t := a.aux.(*sumToAux)
	x, buf := a.in[0], a.scratch
	for k, o := range t.offs {
		buf[k] = x[t.base[j]+o]
	}
	return kernel.Sum(buf[:len(t.offs)]), nil
}

// gatherForward copies input element table[i] to output i (broadcast and
// transpose).
func gatherForward(a *args) error {
	x, t := a.in[0], a.aux.([]int32)
	for i := range a.out {
		a.out[i] = x[t[i]]
	}
	return nil
}

func gatherElem(a *args, i int) (float32, error) { return a.in[0][a.aux.([]int32)[i]], nil }

func prepareBroadcast(g *Graph, n *Node) any {
	in := g.Shape(n.Inputs[0])
	t := make([]int32, tensor.Size(n.Shape))
	for i := range t {
		t[i] = int32(bcastOffset(n.Shape, in, i))
	}
	return t
}

func prepareTranspose(g *Graph, n *Node) any {
	in := g.Shape(n.Inputs[0])
	st := tensor.Strides(in)
	t := make([]int32, tensor.Size(n.Shape))
	for i := range t {
		off, r := 0, i
		for d := len(n.Shape) - 1; d >= 0; d-- {
			off += (r % n.Shape[d]) * st[n.Ints[d]]
			r /= n.Shape[d]
		}
		t[i] = int32(off)
	}
	return t
}

func copyForward(a *args) error {
	copy(a.out, a.in[0])
	return nil
}

func causalForward(a *args) error {
	for i := range a.out {
		a.out[i], _ = causalElem(a, i)
	}
	return nil
}

func causalElem(a *args, i int) (float32, error) {
	t := a.n.Shape[len(a.n.Shape)-1]
	if i%t > (i/t)%t {
		return a.n.Float, nil
	}
	return a.in[0][i], nil
}

// dropoutKey is the RNG key of a dropout node (or of the dropout node its
// gradient belongs to), so the mask is recomputed, never stored.
func dropoutKey(a *args) rng.Key {
	id := a.id
	if a.n.Op == OpDropoutGrad {
		id = a.n.Ints[0]
	}
	return rng.Key{Seed: a.ctx.Seed, Step: a.ctx.Step, Tensor: uint64(id)}
}

func dropoutScratch(g *Graph, n *Node) int { return tensor.Size(n.Shape) }

// dropoutApply keeps x when u >= p, scaled by float32(1/(1-p)).
func dropoutApply(x, u, p float32) float32 {
	if u >= p {
		return float32(x * float32(1/(1-float64(p))))
	}
	return 0
}

func dropoutForward(a *args) error {
	if !a.ctx.Training || a.n.Float == 0 {
		copy(a.out, a.in[0])
		return nil
	}
	u := a.scratch
	rng.Uniform(dropoutKey(a), 0, u)
	for i, x := range a.in[0] {
		a.out[i] = dropoutApply(x, u[i], a.n.Float)
	}
	return nil
}

func dropoutElem(a *args, i int) (float32, error) {
	if !a.ctx.Training || a.n.Float == 0 {
		return a.in[0][i], nil
	}
	var u [1]float32
	rng.Uniform(dropoutKey(a), uint64(i), u[:])
	return dropoutApply(a.in[0][i], u[0], a.n.Float), nil
}
