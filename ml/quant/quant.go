// Package quant is the CE-v1 int8 inference path for MLPs: the native twin
// of the zk inference circuits. Every value is an integer and every rescaling
// is an arithmetic shift, so results are exact on every machine and a circuit
// can mirror each step with range checks and bit decompositions.
//
// Definition (all integer, x >> s is floor division by 2^s):
//
//	input:   X[i] = clamp(floor(x[i] * 2^InShift), -128, 127)
//	layer l: A[j] = B[j] + sum_i X[i] * W[i][j]           (int32, exact)
//	         with W = clamp(floor(w * 2^WShift), -128, 127) and
//	         B = floor(b * 2^(WShift + in shift)) (int32)
//	hidden:  Y[j] = clamp(max(A[j], 0) >> (WShift + in shift - OutShift), 0, 127)
//	output:  the int32 A of the last layer are the logits (scale 2^-(WShift+in shift))
//
// Every accumulator must fit in int32: Infer computes it exactly and fails
// with ErrOverflow otherwise (the zk circuit proves the same bound), and
// hidden-layer shifts are in [0, MaxShift].
//
// Shifts are powers of two chosen per tensor: the largest s with
// max|v| * 2^s <= 127, weights from their values and activations from a
// calibration set run through the float model.
package quant

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/hypha-network/hypha/ml/kernel"
)

// ErrModel reports a model that cannot be quantized or a malformed one.
var ErrModel = errors.New("quant: invalid model")

// ErrOverflow reports an accumulator outside int32: the model and input
// leave the defined integer range, so there is no defined output.
var ErrOverflow = errors.New("quant: accumulator overflows int32")

// MaxShift bounds a hidden layer's rescaling shift WShift + in - OutShift.
const MaxShift = 30

// MaxLayers and MaxWidth bound a model's size so a hostile encoding cannot
// make a decoder allocate without limit.
const (
	MaxLayers = 16
	MaxWidth  = 1 << 14
)

// Layer is one quantized dense layer.
type Layer struct {
	In, Out  int
	W        []int8  // [In, Out] row-major
	B        []int32 // bias at scale 2^-(WShift + input shift)
	WShift   int     // w ≈ W * 2^-WShift
	OutShift int     // hidden layers: output activations ≈ Y * 2^-OutShift
}

// Model is a quantized ReLU MLP.
type Model struct {
	InShift int
	Layers  []Layer
}

// Dense is one float layer to quantize: y = x @ W + B, W of shape [In, Out].
type Dense struct {
	In, Out int
	W, B    []float32
}

// shiftFor is the largest s in [-16, 24] with maxAbs * 2^s <= 127.
func shiftFor(maxAbs float32) int {
	s := -16
	for s < 24 && float64(maxAbs)*pow2(s+1) <= 127 {
		s++
	}
	return s
}

func pow2(s int) float64 {
	if s >= 0 {
		return float64(uint64(1) << s)
	}
	return 1 / float64(uint64(1)<<(-s))
}

// floorScaled returns floor(v * 2^s) clamped to [lo, hi]. Scaling by a power
// of two is exact, so this is exact too.
func floorScaled(v float32, s int, lo, hi int64) int64 {
	f := float64(v) * pow2(s)
	q := int64(f)
	if float64(q) > f { // truncation went up for negatives
		q--
	}
	return min(max(q, lo), hi)
}

func maxAbs(v []float32) float32 {
	var m float32
	for _, x := range v {
		if x < 0 {
			x = -x
		}
		m = max(m, x)
	}
	return m
}

// Quantize converts a float ReLU MLP (ReLU after every layer but the last).
// calib holds example inputs (rows of layers[0].In floats) that fix the
// activation scales; they should come from the training data.
func Quantize(layers []Dense, calib []float32) (*Model, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("%w: no layers", ErrModel)
	}
	for i, l := range layers {
		if l.In <= 0 || l.Out <= 0 || len(l.W) != l.In*l.Out || len(l.B) != l.Out || (i > 0 && l.In != layers[i-1].Out) {
			return nil, fmt.Errorf("%w: layer %d shapes do not chain", ErrModel, i)
		}
	}
	n := len(calib) / layers[0].In
	if n == 0 || len(calib) != n*layers[0].In {
		return nil, fmt.Errorf("%w: calibration data is not whole rows of %d features", ErrModel, layers[0].In)
	}
	m := &Model{InShift: shiftFor(maxAbs(calib))}
	act := calib
	in := m.InShift
	for i, l := range layers {
		q := Layer{In: l.In, Out: l.Out, W: make([]int8, len(l.W)), B: make([]int32, l.Out), WShift: shiftFor(maxAbs(l.W))}
		for k, w := range l.W {
			q.W[k] = int8(floorScaled(w, q.WShift, -128, 127))
		}
		for k, b := range l.B {
			q.B[k] = int32(floorScaled(b, q.WShift+in, -1<<31, 1<<31-1))
		}
		// Float forward of the calibration set, canonical matmul, for the
		// activation range only.
		out := make([]float32, n*l.Out)
		kernel.MatMul(out, act, l.W, n, l.In, l.Out, false, false)
		for k := range out {
			out[k] += l.B[k%l.Out]
			if out[k] < 0 {
				out[k] = 0
			}
		}
		if i < len(layers)-1 {
			q.OutShift = min(shiftFor(maxAbs(out)), q.WShift+in)
			in = q.OutShift
		}
		m.Layers = append(m.Layers, q)
		act = out
	}
	return m, nil
}

// QuantizeInput maps float features to int8 at the model's input scale.
func (m *Model) QuantizeInput(x []float32) []int8 {
	out := make([]int8, len(x))
	for i, v := range x {
		out[i] = int8(floorScaled(v, m.InShift, -128, 127))
	}
	return out
}

// Shift is hidden layer li's rescaling shift: WShift + input shift - OutShift.
func (m *Model) Shift(li int) int {
	in := m.InShift
	if li > 0 {
		in = m.Layers[li-1].OutShift
	}
	return m.Layers[li].WShift + in - m.Layers[li].OutShift
}

// Validate checks that the layers chain, the tensors have their sizes and
// every hidden shift is in [0, MaxShift]; Infer and the zk circuits accept
// only valid models.
func (m *Model) Validate() error {
	if len(m.Layers) == 0 || len(m.Layers) > MaxLayers {
		return fmt.Errorf("%w: %d layers, want 1..%d", ErrModel, len(m.Layers), MaxLayers)
	}
	for i, l := range m.Layers {
		if l.In <= 0 || l.Out <= 0 || l.In > MaxWidth || l.Out > MaxWidth {
			return fmt.Errorf("%w: layer %d is %dx%d, widths must be 1..%d", ErrModel, i, l.In, l.Out, MaxWidth)
		}
		if i > 0 && l.In != m.Layers[i-1].Out {
			return fmt.Errorf("%w: layer %d takes %d inputs but layer %d gives %d", ErrModel, i, l.In, i-1, m.Layers[i-1].Out)
		}
		if len(l.W) != l.In*l.Out || len(l.B) != l.Out {
			return fmt.Errorf("%w: layer %d has %d weights and %d biases, want %d and %d", ErrModel, i, len(l.W), len(l.B), l.In*l.Out, l.Out)
		}
		if i < len(m.Layers)-1 {
			if s := m.Shift(i); s < 0 || s > MaxShift {
				return fmt.Errorf("%w: layer %d rescales by 2^-%d, want a shift in [0, %d]", ErrModel, i, s, MaxShift)
			}
		}
	}
	return nil
}

// Infer runs the integer network on one quantized input and returns the
// int32 logits. Accumulators are computed exactly; one outside int32 is
// ErrOverflow rather than a wrapped value.
func (m *Model) Infer(x []int8) ([]int32, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if len(x) != m.Layers[0].In {
		return nil, fmt.Errorf("%w: input has %d values, model takes %d", ErrModel, len(x), m.Layers[0].In)
	}
	acc := make([]int64, 0, MaxWidth)
	for li, l := range m.Layers {
		acc = acc[:l.Out]
		for j, b := range l.B {
			acc[j] = int64(b)
		}
		for i, xv := range x {
			if xv == 0 {
				continue
			}
			row := l.W[i*l.Out : (i+1)*l.Out]
			for j, w := range row {
				acc[j] += int64(xv) * int64(w)
			}
		}
		for j, a := range acc {
			if a < -1<<31 || a > 1<<31-1 {
				return nil, fmt.Errorf("%w: layer %d unit %d accumulates %d", ErrOverflow, li, j, a)
			}
		}
		if li == len(m.Layers)-1 {
			out := make([]int32, l.Out)
			for j, a := range acc {
				out[j] = int32(a)
			}
			return out, nil
		}
		shift := m.Shift(li)
		next := make([]int8, l.Out)
		for j, a := range acc {
			next[j] = int8(min(max(a, 0)>>shift, 127))
		}
		x = next
	}
	return nil, fmt.Errorf("%w: no layers", ErrModel)
}

// Predict quantizes x, runs the network and returns the argmax class (first
// maximum wins).
func (m *Model) Predict(x []float32) (int, []int32, error) {
	logits, err := m.Infer(m.QuantizeInput(x))
	if err != nil {
		return 0, nil, err
	}
	best := 0
	for j, v := range logits {
		if v > logits[best] {
			best = j
		}
	}
	return best, logits, nil
}

// quantMagic starts the canonical encoding.
const quantMagic = "HYPHA-CE1-QMLP\n"

// MarshalBinary is the canonical encoding: magic, int32 InShift, uint32
// layer count, then per layer uint32 In, Out, int32 WShift, OutShift, the
// In*Out weight bytes and the Out little-endian int32 biases.
func (m *Model) MarshalBinary() ([]byte, error) {
	b := []byte(quantMagic)
	b = binary.LittleEndian.AppendUint32(b, uint32(int32(m.InShift)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.Layers)))
	for _, l := range m.Layers {
		for _, v := range []int{l.In, l.Out, l.WShift, l.OutShift} {
			b = binary.LittleEndian.AppendUint32(b, uint32(int32(v)))
		}
		for _, w := range l.W {
			b = append(b, byte(w))
		}
		for _, v := range l.B {
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		}
	}
	return b, nil
}

// Hash is the SHA-256 of the canonical encoding: the model hash x/infer
// registers.
func (m *Model) Hash() [32]byte {
	b, _ := m.MarshalBinary()
	return sha256.Sum256(b)
}
