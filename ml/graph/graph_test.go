package graph

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

// opCase builds a small graph exercising one op. It returns the node whose
// output is checked; every param feeds it so gradients flow to all of them.
type opCase struct {
	name  string
	build func(g *Graph) int
	// inputs holds fixed values for named inputs (labels, ids); other inputs
	// are random.
	inputs map[string][]float32
}

func opCases() []opCase {
	p := func(g *Graph, name string, shape ...int) int { return g.Param(name, InitNormal, 1, shape...) }
	return []opCase{
		{name: "matmul", build: func(g *Graph) int { return g.MatMul(p(g, "a", 3, 5), p(g, "b", 5, 4), false, false) }},
		{name: "matmul_ta", build: func(g *Graph) int { return g.MatMul(p(g, "a", 5, 3), p(g, "b", 5, 4), true, false) }},
		{name: "matmul_tb", build: func(g *Graph) int { return g.MatMul(p(g, "a", 3, 5), p(g, "b", 4, 5), false, true) }},
		{name: "matmul_tab", build: func(g *Graph) int { return g.MatMul(p(g, "a", 5, 3), p(g, "b", 4, 5), true, true) }},
		{name: "bmatmul", build: func(g *Graph) int { return g.MatMul(p(g, "a", 2, 3, 5), p(g, "b", 2, 4, 5), false, true) }},
		{name: "add_bcast", build: func(g *Graph) int { return g.Add(p(g, "a", 3, 4), p(g, "b", 4)) }},
		{name: "sub_bcast", build: func(g *Graph) int { return g.Sub(p(g, "a", 2, 3, 1), p(g, "b", 3, 4)) }},
		{name: "mul_bcast", build: func(g *Graph) int { return g.Mul(p(g, "a", 2, 1, 4), p(g, "b", 2, 3, 1)) }},
		{name: "mul_self", build: func(g *Graph) int { a := p(g, "a", 3, 4); return g.Mul(a, a) }},
		{name: "scale", build: func(g *Graph) int { return g.Scale(p(g, "a", 3, 4), 0.37) }},
		{name: "sum", build: func(g *Graph) int { return g.Sum(p(g, "a", 3, 7)) }},
		{name: "mean", build: func(g *Graph) int { return g.Mean(p(g, "a", 3, 7)) }},
		{name: "sumto", build: func(g *Graph) int { return g.SumTo(p(g, "a", 2, 3, 4), []int{3, 1}) }},
		{name: "broadcast", build: func(g *Graph) int { return g.BroadcastTo(p(g, "a", 3, 1), []int{2, 3, 4}) }},
		{name: "relu", build: func(g *Graph) int { return g.ReLU(p(g, "a", 4, 5)) }},
		{name: "gelu", build: func(g *Graph) int { return g.GELU(p(g, "a", 4, 5)) }},
		{name: "tanh", build: func(g *Graph) int { return g.Tanh(p(g, "a", 4, 5)) }},
		{name: "sigmoid", build: func(g *Graph) int { return g.Sigmoid(p(g, "a", 4, 5)) }},
		{name: "softmax", build: func(g *Graph) int { return g.Softmax(p(g, "a", 3, 6)) }},
		{name: "logsoftmax", build: func(g *Graph) int { return g.LogSoftmax(p(g, "a", 3, 6)) }},
		{name: "cross_entropy", build: func(g *Graph) int { return g.CrossEntropy(p(g, "a", 4, 5), g.Input("y", 4)) },
			inputs: map[string][]float32{"y": {0, 4, 2, 2}}},
		{name: "mse", build: func(g *Graph) int { return g.MSE(p(g, "a", 3, 4), g.Input("t", 3, 4)) }},
		{name: "layernorm", build: func(g *Graph) int {
			return g.LayerNorm(p(g, "x", 3, 8), p(g, "gamma", 8), p(g, "beta", 8), 1e-5)
		}},
		{name: "embedding", build: func(g *Graph) int { return g.Embedding(p(g, "t", 5, 3), g.Input("ids", 2, 3)) },
			inputs: map[string][]float32{"ids": {0, 4, 4, 1, 0, 4}}},
		{name: "reshape", build: func(g *Graph) int { return g.Reshape(p(g, "a", 3, 4), 2, 6) }},
		{name: "transpose", build: func(g *Graph) int { return g.Transpose(p(g, "a", 2, 3, 4), 2, 0, 1) }},
		{name: "slice", build: func(g *Graph) int { return g.Slice(p(g, "a", 3, 5, 2), 1, 1, 4) }},
		{name: "concat", build: func(g *Graph) int { return g.Concat(1, p(g, "a", 2, 2, 3), p(g, "b", 2, 1, 3)) }},
		{name: "conv2d", build: func(g *Graph) int { return g.Conv2D(p(g, "x", 2, 2, 5, 5), p(g, "w", 3, 2, 3, 3), 1, 1) }},
		{name: "conv2d_s2", build: func(g *Graph) int { return g.Conv2D(p(g, "x", 2, 1, 6, 5), p(g, "w", 2, 1, 2, 3), 2, 0) }},
		{name: "maxpool", build: func(g *Graph) int { return g.MaxPool2D(p(g, "x", 2, 2, 4, 4), 2, 2) }},
		{name: "maxpool_overlap", build: func(g *Graph) int { return g.MaxPool2D(p(g, "x", 1, 2, 5, 5), 3, 1) }},
		{name: "avgpool", build: func(g *Graph) int { return g.AvgPool2D(p(g, "x", 2, 2, 4, 4), 2, 2) }},
		{name: "dropout", build: func(g *Graph) int { return g.Dropout(p(g, "a", 4, 8), 0.3) }},
		{name: "causal_softmax", build: func(g *Graph) int { return g.Softmax(g.CausalMask(p(g, "a", 2, 4, 4), -1e9)) }},
	}
}

// buildCase returns a graph whose loss is Sum(out * R) for a random input R,
// with the backward pass appended, and a ready executor.
func buildCase(t *testing.T, c opCase, seed uint64) (*Graph, *Exec, int) {
	t.Helper()
	g := New()
	out := c.build(g)
	r := g.Input("R", g.Shape(out)...)
	loss := g.Sum(g.Mul(out, r))
	if err := g.Backward(loss); err != nil {
		t.Fatalf("%s: backward: %v", c.name, err)
	}
	e, err := NewExec(g)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	e.Ctx = Ctx{Seed: 7, Step: 3, Training: true}
	e.InitParams(seed)
	src := rand.New(rand.NewPCG(seed, 1))
	for id, n := range g.Nodes {
		if n.Op != OpInput {
			continue
		}
		if v, ok := c.inputs[n.Name]; ok {
			copy(e.Value(id), v)
			continue
		}
		for i := range e.Value(id) {
			e.Value(id)[i] = float32(src.NormFloat64())
		}
	}
	return g, e, out
}

func TestGradientsMatchFiniteDifferences(t *testing.T) {
	for _, c := range opCases() {
		t.Run(c.name, func(t *testing.T) {
			g, e, _ := buildCase(t, c, 11)
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
			src := rand.New(rand.NewPCG(5, 5))
			for pi, p := range g.Params {
				grad := append([]float32(nil), e.Value(g.Grads[pi])...)
				w := e.Value(p)
				for trial := 0; trial < 6; trial++ {
					i := src.IntN(len(w))
					orig := w[i]
					const eps = 1e-2
					w[i] = orig + eps
					_ = e.RunRange(0, g.BackwardStart)
					up := float64(e.Value(g.Loss)[0])
					w[i] = orig - eps
					_ = e.RunRange(0, g.BackwardStart)
					down := float64(e.Value(g.Loss)[0])
					w[i] = orig
					num := (up - down) / (2 * eps)
					got := float64(grad[i])
					if math.Abs(num-got) > 2e-2*math.Max(1, math.Abs(num)) {
						t.Errorf("param %s[%d]: analytic %v, numeric %v", g.Nodes[p].Name, i, got, num)
					}
				}
			}
		})
	}
}

// TestElementRecomputeMatchesKernels checks, for every node of every case
// (forward and backward ops alike), that ComputeElement reproduces the full
// kernel's output bit for bit.
func TestElementRecomputeMatchesKernels(t *testing.T) {
	seen := map[Op]bool{}
	for _, c := range opCases() {
		t.Run(c.name, func(t *testing.T) {
			g, e, _ := buildCase(t, c, 3)
			if err := e.Run(); err != nil {
				t.Fatal(err)
			}
			src := rand.New(rand.NewPCG(9, 9))
			for id, n := range g.Nodes {
				if n.Op == OpInput || n.Op == OpParam {
					continue
				}
				seen[n.Op] = true
				ins := make([][]float32, len(n.Inputs))
				for k, in := range n.Inputs {
					ins[k] = e.Value(in)
				}
				size := g.Size(id)
				for trial := 0; trial < 8; trial++ {
					i := src.IntN(size)
					if trial == 0 {
						i = size - 1
					}
					got, err := ComputeElement(g, id, ins, e.Ctx, i)
					if err != nil {
						t.Fatalf("node %d (%s): %v", id, n.Op, err)
					}
					if want := e.Value(id)[i]; math.Float32bits(got) != math.Float32bits(want) {
						t.Errorf("node %d (%s) element %d: recompute %v, kernel %v", id, n.Op, i, got, want)
					}
				}
			}
		})
	}
	for op, def := range ops {
		if def.forward != nil && !seen[op] {
			t.Errorf("op %s not covered by any case", op)
		}
	}
}

func TestEncodingRoundTripAndHash(t *testing.T) {
	for _, c := range opCases() {
		g, _, _ := buildCase(t, c, 1)
		b, err := g.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var h Graph
		if err := h.UnmarshalBinary(b); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b2, _ := h.MarshalBinary()
		if !bytes.Equal(b, b2) {
			t.Fatalf("%s: re-encoding differs", c.name)
		}
		h1, _ := g.Hash()
		g.Nodes[len(g.Nodes)-1].Name = "x"
		h2, _ := g.Hash()
		if h1 == h2 {
			t.Fatalf("%s: hash ignores node fields", c.name)
		}
		// Every truncation must be rejected, never panic.
		for cut := 0; cut < len(b); cut += 1 + len(b)/50 {
			if err := h.UnmarshalBinary(b[:cut]); err == nil {
				t.Fatalf("%s: truncated encoding at %d accepted", c.name, cut)
			}
		}
	}
}

func TestBuilderErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func(g *Graph)
	}{
		{"matmul mismatch", func(g *Graph) { g.MatMul(g.Input("a", 2, 3), g.Input("b", 4, 2), false, false) }},
		{"bad broadcast", func(g *Graph) { g.Add(g.Input("a", 2, 3), g.Input("b", 2)) }},
		{"bad reshape", func(g *Graph) { g.Reshape(g.Input("a", 2, 3), 4) }},
		{"bad slice", func(g *Graph) { g.Slice(g.Input("a", 2, 3), 1, 2, 5) }},
		{"bad dropout", func(g *Graph) { g.Dropout(g.Input("a", 2), 1) }},
		{"zero dim", func(g *Graph) { g.Input("a", 0, 3) }},
		{"conv channels", func(g *Graph) { g.Conv2D(g.Input("x", 1, 2, 4, 4), g.Input("w", 1, 3, 3, 3), 1, 0) }},
	}
	for _, tt := range tests {
		g := New()
		tt.build(g)
		if g.Err() == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestRuntimeRejectsBadLabels(t *testing.T) {
	g := New()
	loss := g.CrossEntropy(g.Param("w", InitNormal, 1, 2, 3), g.Input("y", 2))
	if err := g.Backward(loss); err != nil {
		t.Fatal(err)
	}
	e, _ := NewExec(g)
	y, _ := g.InputByName("y")
	copy(e.Value(y), []float32{1, 3})
	if err := e.Run(); err == nil {
		t.Fatal("label 3 of 3 classes accepted")
	}
}
