package optim

import (
	"math"
	"testing"
)

func TestSchedules(t *testing.T) {
	tests := []struct {
		s    Schedule
		step uint64
		want float32
	}{
		{Schedule{Kind: Constant, LR: 0.1}, 5, 0.1},
		{Schedule{Kind: Constant, LR: 0.1, Warmup: 4}, 1, 0.05},
		{Schedule{Kind: StepLR, LR: 1, Every: 10, Gamma: 0.5}, 25, 0.25},
		{Schedule{Kind: Cosine, LR: 1, Total: 100}, 0, 1},
		{Schedule{Kind: Cosine, LR: 1, Total: 100}, 50, 0.5},
		{Schedule{Kind: Cosine, LR: 1, Total: 100, MinLR: 0.1}, 100, 0.1},
	}
	for _, tt := range tests {
		if err := tt.s.Validate(); err != nil {
			t.Fatal(err)
		}
		if got := tt.s.At(tt.step); math.Abs(float64(got-tt.want)) > 1e-6 {
			t.Errorf("%+v at %d = %v, want %v", tt.s, tt.step, got, tt.want)
		}
	}
	for _, bad := range []Schedule{{Kind: "linear", LR: 1}, {Kind: Constant}, {Kind: StepLR, LR: 1}, {Kind: Cosine, LR: 1, Warmup: 5, Total: 5}} {
		if bad.Validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestOptimizersMinimise runs each optimizer on f(p) = sum((p-3)^2) and
// checks Element reproduces Step bit for bit.
func TestOptimizersMinimise(t *testing.T) {
	for _, cfg := range []Config{{Kind: SGD, Momentum: 0.9}, {Kind: AdamW, WeightDecay: 0.001}} {
		o, err := New(cfg, []int{4})
		if err != nil {
			t.Fatal(err)
		}
		p := []float32{0, 1, -2, 10}
		g := make([]float32, 4)
		for step := 0; step < 600; step++ {
			for i := range p {
				g[i] = 2 * (p[i] - 3)
			}
			before := append([]float32(nil), p...)
			m0 := append([]float32(nil), o.State.M[0]...)
			var v0 float32
			if o.State.V != nil {
				v0 = o.State.V[0][0]
			}
			o.Step(0.05, [][]float32{p}, [][]float32{g})
			np, nm, _ := o.Element(0.05, before[0], g[0], m0[0], v0)
			if np != p[0] || nm != o.State.M[0][0] {
				t.Fatalf("%s: Element disagrees with Step", cfg.Kind)
			}
		}
		for _, v := range p {
			if math.Abs(float64(v-3)) > 0.15 {
				t.Errorf("%s: did not converge: %v", cfg.Kind, p)
				break
			}
		}
	}
	if _, err := New(Config{Kind: "lion"}, nil); err == nil {
		t.Error("unknown optimizer accepted")
	}
}

func TestClip(t *testing.T) {
	g := [][]float32{{3, 0}, nil, {4}}
	n := ClipGlobalNorm(g, 1, make([]float32, 3))
	if n != 5 || math.Abs(float64(g[0][0])-0.6) > 1e-6 || math.Abs(float64(g[2][0])-0.8) > 1e-6 {
		t.Errorf("norm %v, clipped %v", n, g)
	}
}
