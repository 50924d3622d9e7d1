// Package tensor defines the dense float32 tensor used across the canonical ML
// runtime (CE-v1): a row-major buffer plus its shape.
//
// Tensors are deliberately plain: all arithmetic lives in the graph executor and
// the kernel package so that each operation has exactly one canonical definition.
package tensor

import (
	"errors"
	"fmt"
	"math"
)

// Tensor is a dense row-major float32 array.
type Tensor struct {
	Shape []int
	Data  []float32
}

// ErrShape reports a shape that is invalid or does not match the data.
var ErrShape = errors.New("tensor: bad shape")

// New returns a zero tensor of the given shape.
func New(shape ...int) Tensor {
	return Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, Size(shape))}
}

// FromData wraps data in a tensor of the given shape, checking the length.
func FromData(data []float32, shape ...int) (Tensor, error) {
	if err := CheckShape(shape); err != nil {
		return Tensor{}, err
	}
	if Size(shape) != len(data) {
		return Tensor{}, fmt.Errorf("%w: shape %v holds %d elements, data has %d", ErrShape, shape, Size(shape), len(data))
	}
	return Tensor{Shape: append([]int(nil), shape...), Data: data}, nil
}

// Size is the number of elements of a tensor with the given shape; a rank-0
// (scalar) shape has one element.
func Size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// CheckShape reports whether every dimension is positive.
func CheckShape(shape []int) error {
	for _, d := range shape {
		if d <= 0 {
			return fmt.Errorf("%w: dimension %d in %v", ErrShape, d, shape)
		}
	}
	return nil
}

// SameShape reports whether a and b are identical shapes.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Strides returns the row-major element strides of shape.
func Strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// Clone returns a deep copy of t.
func (t Tensor) Clone() Tensor {
	return Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// CanonicalNaN is the one bit pattern CE-v1 uses for NaN when tensors are
// hashed or serialized: the positive quiet NaN with an empty payload.
// Hardware produces different NaNs for the same invalid operation (x86
// SSE/AVX gives the negative "default NaN" 0xffc00000, arm64 0x7fc00000),
// so raw bits of a NaN are not portable.
const CanonicalNaN uint32 = 0x7fc00000

// Float32Bits is math.Float32bits with every NaN mapped to CanonicalNaN. Use
// it wherever tensor values are encoded for a hash or a commitment, so that
// the result does not depend on which CPU produced the NaN. Non-NaN values
// (including ±0 and ±Inf) keep their exact bits.
func Float32Bits(v float32) uint32 {
	if v != v {
		return CanonicalNaN
	}
	return math.Float32bits(v)
}
