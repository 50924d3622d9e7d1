package yuma

import (
	"fmt"
	"math"
	"math/bits"
)

// Fixed is an unsigned fixed-point number in Q2.62 format: the real value is
// the uint64 divided by 2^62, so it spans [0, 4) with a resolution of 2^-62
// (about 2.2e-19). Every proportion the epoch reads or produces lies in
// [0, One]; the two integer bits give headroom for sums such as x + kappa.
// Products and quotients are formed with 128-bit intermediates (math/bits)
// and rounded toward zero unless a step says otherwise, so each step's
// representation error is below 2^-62. The 62-bit resolution (rather than
// 32) keeps normalizations accurate even when the quantity being normalized
// is small, e.g. a miner's bond column bought with tiny weights.
type Fixed uint64

const (
	// fracBits is the number of fractional bits of a Fixed.
	fracBits = 62
	// One is the Fixed representation of 1.
	One Fixed = 1 << fracBits
	// Half is the Fixed representation of 1/2.
	Half Fixed = One / 2
	// maxFixed saturates arithmetic that would overflow.
	maxFixed Fixed = math.MaxUint64
)

// Ratio returns num/den as a Fixed, rounded toward zero. It returns 0 when den
// is 0 and saturates at the largest Fixed when the quotient does not fit.
// Chain parameters stored as integers convert with it, e.g. a u16 kappa
// k becomes Ratio(k, 65535).
func Ratio(num, den uint64) Fixed {
	if den == 0 {
		return 0
	}
	hi, lo := num>>(64-fracBits), num<<fracBits
	if hi >= den {
		return maxFixed
	}
	q, _ := bits.Div64(hi, lo, den)
	return Fixed(q)
}

// mul returns a*b rounded toward zero, saturating on overflow.
func mul(a, b Fixed) Fixed {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi>>fracBits != 0 {
		return maxFixed
	}
	return Fixed(hi<<(64-fracBits) | lo>>fracBits)
}

// mulUnit is mul for a, b <= One, without the saturation check: the product
// is at most 2^124, so its Q2.62 rounding is below 2^62 and mul would not
// saturate either. The per-bond loops use it, on normalized weights,
// stakes, bonds, rates and parameters, all validated or constructed to be
// at most One.
func mulUnit(a, b Fixed) Fixed {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	return Fixed(hi<<(64-fracBits) | lo>>fracBits)
}

// div returns a/b rounded toward zero; 0 when b is 0; saturating on overflow.
// Normalizations call it with a <= b, which never saturates.
func div(a, b Fixed) Fixed {
	return Ratio(uint64(a), uint64(b))
}

// acc128 is an exact 128-bit accumulator for sums of Fixed products. Summing
// exact products and rounding once keeps dot products independent of the
// summation order and loses at most one ulp.
type acc128 struct{ hi, lo uint64 }

// addMul adds the exact product a*b (a Q64.64 value) to the accumulator.
func (c *acc128) addMul(a, b Fixed) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	var carry uint64
	c.lo, carry = bits.Add64(c.lo, lo, 0)
	c.hi, _ = bits.Add64(c.hi, hi, carry)
}

// fixed returns the accumulated Q64.64 sum as a Fixed, rounded toward zero
// and saturating on overflow.
func (c acc128) fixed() Fixed {
	if c.hi>>fracBits != 0 {
		return maxFixed
	}
	return Fixed(c.hi<<(64-fracBits) | c.lo>>fracBits)
}

// sum128 is an exact 128-bit sum of Fixed values (or of uint64 stakes).
type sum128 struct{ hi, lo uint64 }

// add adds x to the sum.
func (s *sum128) add(x uint64) {
	var carry uint64
	s.lo, carry = bits.Add64(s.lo, x, 0)
	s.hi += carry
}

// sub subtracts x from the sum, undoing add(x).
func (s *sum128) sub(x uint64) {
	var borrow uint64
	s.lo, borrow = bits.Sub64(s.lo, x, 0)
	s.hi -= borrow
}

// ratio returns x/s rounded toward zero for 0 <= x <= s. A sum wider than 64
// bits is shifted right together with x until it fits; the shifted sum is
// then at least 2^63, so the relative error stays below 2^-62.
func (s sum128) ratio(x uint64) Fixed {
	if s.hi == 0 {
		return Ratio(x, s.lo)
	}
	sh := uint(bits.Len64(s.hi))
	den := s.hi<<(64-sh) | s.lo>>sh
	return Ratio(x>>sh, den)
}

// normalize scales v in place so that it sums to One, each element rounded
// toward zero (the sum then lies in [One-len(v)+1, One] ulps). A vector that
// sums to zero is left unchanged.
func normalize(v []Fixed) {
	var sum sum128
	for _, x := range v {
		sum.add(uint64(x))
	}
	if sum == (sum128{}) {
		return
	}
	d := sum.divisor()
	for i, x := range v {
		v[i] = d.frac(uint64(x) >> (d.pre & 63))
	}
}

// divisor divides by a fixed 64-bit integer with a precomputed reciprocal
// (Möller and Granlund, "Improved division by invariant integers", IEEE
// Trans. Computers 60(2), 2011, algorithm 4). A quotient then costs two
// multiplications instead of a hardware division, and it is exact: the same
// bits as bits.Div64 and Ratio (tests compare them on random and edge
// operands). Loops that divide many values by one sum use it.
type divisor struct {
	norm  uint64 // the divisor shifted left until its top bit is set
	recip uint64 // floor((2^128-1) / norm) - 2^64
	shift uint8  // leading zero bits of the divisor, at most 63
	pre   uint8  // sum128 divisors: shift numerators right by pre first
	// A sum128 adds at most MaxN = 2^20 words, so its high word is below
	// 2^20 and pre <= 20. Shifts by pre&63 or shift&63 are thus shifts by
	// pre or shift; the mask only spares the compiler's range check.
}

// newDivisor returns a divisor by den. It costs one hardware division. A
// zero den is replaced by 1: frac(0) is then 0, which is Ratio(0, 0).
func newDivisor(den uint64) divisor {
	den = max(den, 1)
	s := uint(bits.LeadingZeros64(den))
	norm := den << s
	// (2^128-1) - 2^64*norm = (2^64-1-norm)*2^64 + (2^64-1).
	recip, _ := bits.Div64(^norm, ^uint64(0), norm)
	return divisor{norm: norm, recip: recip, shift: uint8(s)}
}

// quo returns floor((hi*2^64 + lo) / den), which must fit: hi < den.
func (d *divisor) quo(hi, lo uint64) uint64 {
	// Normalize the numerator with the divisor; hi < den keeps u1 < norm.
	// A shift by 64 or more yields 0 in Go, so shift 0 needs no branch.
	s := uint(d.shift)
	u1 := hi<<s | lo>>(64-s)
	return d.quoNorm(u1, lo<<s)
}

// quoNorm returns floor((u1*2^64 + u0) / norm) for u1 < norm.
func (d *divisor) quoNorm(u1, u0 uint64) uint64 {
	q1, q0 := bits.Mul64(d.recip, u1)
	q0, c := bits.Add64(q0, u0, 0)
	q1 += u1 + c + 1
	r := u0 - q1*d.norm
	if r > q0 {
		q1--
		r += d.norm
	}
	if r >= d.norm {
		q1++
	}
	return q1
}

// frac returns Ratio(x, den) = floor(x * 2^62 / den) for x <= den (for a
// divisor from sum128.divisor, pass x >> d.pre). Since x <= den < 2^(64-shift),
// x << shift does not overflow, and the quotient cannot saturate. It is
// small enough to be inlined into the loops that call it.
func (d *divisor) frac(x uint64) Fixed {
	x <<= d.shift & 63 // shift < 64: the mask only spares the compiler's range check
	u1, u0 := x>>(64-fracBits), x<<fracBits
	q1, q0 := bits.Mul64(d.recip, u1)
	q0, c := bits.Add64(q0, u0, 0)
	q1 += u1 + c + 1
	r := u0 - q1*d.norm
	if r > q0 {
		q1--
		r += d.norm
	}
	if r >= d.norm {
		q1++
	}
	return Fixed(q1)
}

// divisor returns a divisor d such that d.frac(x >> d.pre) = s.ratio(x)
// for x <= s.
func (s sum128) divisor() divisor {
	if s.hi == 0 {
		return newDivisor(s.lo)
	}
	sh := uint(bits.Len64(s.hi))
	d := newDivisor(s.hi<<(64-sh) | s.lo>>sh)
	d.pre = uint8(sh)
	return d
}

// String formats f in decimal with 18 fractional digits, rounded toward
// zero, using integer arithmetic only.
func (f Fixed) String() string {
	const scale = 1_000_000_000_000_000_000 // 10^18
	frac := uint64(f) & (uint64(One) - 1)
	hi, lo := bits.Mul64(frac, scale)
	dec := hi<<(64-fracBits) | lo>>fracBits
	return fmt.Sprintf("%d.%018d", uint64(f)>>fracBits, dec)
}
