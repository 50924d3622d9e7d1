package quant

import (
	"math/rand/v2"
	"testing"
)

func TestShiftAndFloor(t *testing.T) {
	tests := []struct {
		v    float32
		s    int
		want int64
	}{
		{1.5, 1, 3}, {-1.5, 1, -3}, {-1.25, 1, -3}, {1.99, 0, 1}, {-0.01, 3, -1}, {1000, 0, 127}, {-1000, 0, -128},
	}
	for _, tt := range tests {
		if got := floorScaled(tt.v, tt.s, -128, 127); got != tt.want {
			t.Errorf("floorScaled(%v, %d) = %d, want %d", tt.v, tt.s, got, tt.want)
		}
	}
	for _, tt := range []struct {
		max  float32
		want int
	}{{1, 6}, {127, 0}, {0.99, 7}, {200, -1}} {
		if got := shiftFor(tt.max); got != tt.want {
			t.Errorf("shiftFor(%v) = %d, want %d", tt.max, got, tt.want)
		}
	}
}

// TestQuantizedMatchesFloat builds a random ReLU MLP, quantizes it and
// checks the integer logits track the float ones, and that the encoding and
// hash are stable.
func TestQuantizedMatchesFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	dims := []int{16, 32, 8}
	var layers []Dense
	for i := 0; i+1 < len(dims); i++ {
		l := Dense{In: dims[i], Out: dims[i+1], W: make([]float32, dims[i]*dims[i+1]), B: make([]float32, dims[i+1])}
		for k := range l.W {
			l.W[k] = float32(r.NormFloat64() * 0.3)
		}
		for k := range l.B {
			l.B[k] = float32(r.NormFloat64() * 0.1)
		}
		layers = append(layers, l)
	}
	calib := make([]float32, 64*16)
	for i := range calib {
		calib[i] = float32(r.Float64())
	}
	m, err := Quantize(layers, calib)
	if err != nil {
		t.Fatal(err)
	}
	agree := 0
	for n := 0; n < 64; n++ {
		x := calib[n*16 : (n+1)*16]
		cls, _, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		if cls == floatArgmax(layers, x) {
			agree++
		}
	}
	if agree < 56 {
		t.Errorf("int8 argmax agrees with float on %d/64", agree)
	}
	h1 := m.Hash()
	m2, _ := Quantize(layers, calib)
	if m2.Hash() != h1 {
		t.Error("quantization is not deterministic")
	}
	if _, err := m.Infer(make([]int8, 3)); err == nil {
		t.Error("wrong input size accepted")
	}
	if _, err := Quantize(layers, calib[:100]); err == nil {
		t.Error("calibration rows of the wrong width accepted")
	}
}

func floatArgmax(layers []Dense, x []float32) int {
	a := x
	for li, l := range layers {
		out := make([]float32, l.Out)
		for j := range out {
			s := float64(l.B[j])
			for i := range a {
				s += float64(a[i]) * float64(l.W[i*l.Out+j])
			}
			if li < len(layers)-1 && s < 0 {
				s = 0
			}
			out[j] = float32(s)
		}
		a = out
	}
	best := 0
	for j := range a {
		if a[j] > a[best] {
			best = j
		}
	}
	return best
}
