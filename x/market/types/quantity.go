package types

import (
	"math"
	"math/bits"
	"strconv"
	"strings"

	errorsmod "cosmossdk.io/errors"
)

// Resource quantities (CPU millis, bytes, GPU counts) are unsigned integers;
// every sum and product of them in this package is checked, because a
// wrapped-around total would make a huge request look small (2 x 2^63+150
// millis wraps to 300).

// AddQuantity returns a + b, or ErrInvalidResources if the sum overflows uint64.
func AddQuantity(a, b uint64) (uint64, error) {
	sum, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return 0, errorsmod.Wrapf(ErrInvalidResources, "%d + %d overflows", a, b)
	}
	return sum, nil
}

// MulQuantity returns q * n, or ErrInvalidResources if the product overflows uint64.
func MulQuantity(q, n uint64) (uint64, error) {
	hi, lo := bits.Mul64(q, n)
	if hi != 0 {
		return 0, errorsmod.Wrapf(ErrInvalidResources, "%d x %d overflows", q, n)
	}
	return lo, nil
}

// addCount returns a + b for GPU counts, or ErrInvalidResources past uint32.
func addCount(a, b uint32) (uint32, error) {
	if a > math.MaxUint32-b {
		return 0, errorsmod.Wrapf(ErrInvalidResources, "gpu count %d + %d overflows", a, b)
	}
	return a + b, nil
}

// mulCount returns a * n for GPU counts, or ErrInvalidResources past uint32.
func mulCount(a, n uint32) (uint32, error) {
	p := uint64(a) * uint64(n) // both < 2^32: cannot overflow uint64
	if p > math.MaxUint32 {
		return 0, errorsmod.Wrapf(ErrInvalidResources, "gpu count %d x %d overflows", a, n)
	}
	return uint32(p), nil
}

// Scale returns the resources of count instances of r (CPU, memory, storage
// and GPU count multiplied; constraints and ports unchanged), or
// ErrInvalidResources if a total overflows.
func (r ResourceSpec) Scale(count uint32) (ResourceSpec, error) {
	out := r
	n := uint64(count)
	var err error
	if out.CpuMillis, err = MulQuantity(r.CpuMillis, n); err != nil {
		return ResourceSpec{}, errorsmod.Wrap(err, "cpu")
	}
	if out.MemoryBytes, err = MulQuantity(r.MemoryBytes, n); err != nil {
		return ResourceSpec{}, errorsmod.Wrap(err, "memory")
	}
	if out.StorageBytes, err = MulQuantity(r.StorageBytes, n); err != nil {
		return ResourceSpec{}, errorsmod.Wrap(err, "storage")
	}
	if out.Gpu.Count, err = mulCount(r.Gpu.Count, count); err != nil {
		return ResourceSpec{}, err
	}
	return out, nil
}

// sizeUnits are ParseSize's suffixes; binary ones first so that "Gi" is not
// read as "G" followed by garbage.
var sizeUnits = []struct {
	suffix string
	mult   uint64
}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"Pi", 1 << 50},
	{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}}

// ParseSize parses a byte size: a plain integer or one with a binary suffix
// (Ki, Mi, Gi, Ti, Pi) or decimal suffix (K, M, G, T, P). It fails with
// ErrInvalidResources on a malformed or overflowing size.
func ParseSize(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	num, mult := s, uint64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return 0, errorsmod.Wrapf(ErrInvalidResources, "invalid size %q", s)
	}
	b, err := MulQuantity(n, mult)
	if err != nil {
		return 0, errorsmod.Wrapf(ErrInvalidResources, "size %q overflows", s)
	}
	return b, nil
}

// ParseCPU parses a CPU quantity into millis: "500m" (millis), "0.5" or "2"
// (cores, at most millicore precision). It fails with ErrInvalidResources on a
// malformed or overflowing quantity.
func ParseCPU(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if m, ok := strings.CutSuffix(s, "m"); ok {
		n, err := strconv.ParseUint(m, 10, 64)
		if err != nil {
			return 0, errorsmod.Wrapf(ErrInvalidResources, "cpu %q: use cores (1, 0.5) or millis (500m)", s)
		}
		return n, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.ParseUint(whole, 10, 64)
	if err != nil {
		return 0, errorsmod.Wrapf(ErrInvalidResources, "cpu %q: use cores (1, 0.5) or millis (500m)", s)
	}
	ms, err := MulQuantity(w, 1000)
	if err != nil {
		return 0, errorsmod.Wrapf(ErrInvalidResources, "cpu %q overflows", s)
	}
	if frac != "" {
		if len(frac) > 3 {
			return 0, errorsmod.Wrapf(ErrInvalidResources, "cpu %q: at most millicore precision", s)
		}
		f, err := strconv.ParseUint((frac + "00")[:3], 10, 64)
		if err != nil {
			return 0, errorsmod.Wrapf(ErrInvalidResources, "cpu %q: use cores (1, 0.5) or millis (500m)", s)
		}
		if ms, err = AddQuantity(ms, f); err != nil {
			return 0, errorsmod.Wrapf(ErrInvalidResources, "cpu %q overflows", s)
		}
	}
	return ms, nil
}
