package quant

import (
	"fmt"
	"math/rand/v2"
)

// Random returns a ReLU MLP, for benchmarks, demos and tests of the zk
// circuits where no trained model of the shape exists, with the given widths and deterministic
// pseudo-random parameters: weights over the whole int8 range (including
// -128 and 127), biases of either sign, and hidden shifts chosen so that
// typical activations span 0..127 and some clamp at 127.
func Random(seed uint64, dims ...int) (*Model, error) {
	if len(dims) < 2 {
		return nil, fmt.Errorf("quant: need at least two widths, got %v", dims)
	}
	r := rand.New(rand.NewPCG(seed, 0x51ed))
	m := &Model{InShift: 7}
	in := m.InShift
	for i := 0; i+1 < len(dims); i++ {
		l := Layer{In: dims[i], Out: dims[i+1], W: make([]int8, dims[i]*dims[i+1]), B: make([]int32, dims[i+1]), WShift: 7}
		for k := range l.W {
			l.W[k] = int8(r.IntN(256) - 128)
		}
		// Accumulators are sums of In products of two roughly uniform int8
		// values: standard deviation near 64*64*sqrt(In).
		sd := 64 * 64 * isqrt(dims[i])
		for k := range l.B {
			l.B[k] = int32(r.IntN(2*sd+1) - sd)
		}
		if i+2 < len(dims) {
			// shift so that one standard deviation maps to about 64
			s := 0
			for (sd >> s) > 64 {
				s++
			}
			l.OutShift = l.WShift + in - s
			in = l.OutShift
		}
		m.Layers = append(m.Layers, l)
	}
	return m, m.Validate()
}

func isqrt(n int) int {
	s := 0
	for (s+1)*(s+1) <= n {
		s++
	}
	return s
}
