package yuma

import "math/bits"

// The liquid-alpha sigmoid needs e^-u. It is computed in Q2.62 integer
// arithmetic from two tables built at start-up by integer Taylor series, so
// that it is bit-identical on every platform, and is accurate to a few units
// of 2^-62, far below the 2^-32 resolution of the result.

// oneQ62 is 1 in Q2.62.
const oneQ62 = uint64(1) << 62

// expMaxInt bounds the exponent: e^-44 < 2^-62 rounds to zero in Q2.62.
const expMaxInt = 44

var (
	// expNegInt[m] = e^-m in Q2.62 for m = 0..expMaxInt-1.
	expNegInt [expMaxInt]uint64
	// expNegFrac[i] = e^-(i/256) in Q2.62.
	expNegFrac [256]uint64
)

func init() {
	e1 := expNegSeries(oneQ62)
	expNegInt[0] = oneQ62
	for m := 1; m < expMaxInt; m++ {
		expNegInt[m] = mulQ62(expNegInt[m-1], e1)
	}
	for i := range expNegFrac {
		expNegFrac[i] = expNegSeries(uint64(i) << 54)
	}
}

// mulQ62 multiplies two Q2.62 numbers no larger than 1, rounding toward zero.
func mulQ62(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi<<2 | lo>>62
}

// expNegSeries returns e^-x for x in [0, 1] (Q2.62) by its Taylor series,
// summing the positive and negative terms separately so every intermediate
// stays unsigned. It is only used to build the tables.
func expNegSeries(x uint64) uint64 {
	pos, neg, term := oneQ62, uint64(0), oneQ62
	for k := uint64(1); term != 0; k++ {
		term = mulQ62(term, x) / k
		if k%2 == 1 {
			neg += term
		} else {
			pos += term
		}
	}
	return pos - neg
}

// expNegSmall returns e^-r for r = rho * 2^-32 < 2^-8 (rho < 2^24, the low
// 24 bits of a Q32.32 argument) as Q2.62, with six Taylor terms; the
// truncation error r^7/7! is below 2^-68. Each term is the previous one
// times r, rounded toward zero to Q2.62, then divided by k rounding toward
// zero: t_k = floor(floor(t_(k-1) * r / 2^62) / k). Since r = rho * 2^30 in
// Q2.62, that is floor(t_(k-1) * rho / (k * 2^32)) (nested floors of integer
// quotients combine), which the terms compute in 64-bit words wherever the
// product fits: t2 < 2^45, t3 < 2^36, t4 < 2^26, t5 < 2^16. The divisors are
// constants, which the compiler turns into multiplications.
func expNegSmall(rho uint64) uint64 {
	t1 := rho << 30
	t2 := rho * rho >> 3 // floor(floor(rho^2 / 4) / 2)
	hi, lo := bits.Mul64(t2, rho)
	t3 := (hi<<32 | lo>>32) / 3 // t2 * rho < 2^69
	t4 := t3 * rho >> 34
	t5 := (t4 * rho >> 32) / 5
	t6 := (t5 * rho >> 32) / 6
	return (oneQ62 + t2 + t4 + t6) - (t1 + t3 + t5)
}

// expNeg returns e^-u in Q2.62 for a non-negative Q32.32 argument u:
// e^-u = e^-m * e^-(i/256) * e^-r with m the integer part of u, i the top
// eight fraction bits and r < 2^-8 the rest.
func expNeg(u uint64) uint64 {
	m := u >> 32
	if m >= expMaxInt {
		return 0
	}
	i := u >> 24 & 0xff
	e := mulQ62(expNegInt[m], expNegFrac[i])
	return mulQ62(e, expNegSmall(u&(1<<24-1)))
}

// sigmoid returns 1/(1+e^-t) as a Fixed rounded toward zero, where
// t = (steepness/100)*(x-1/2) is the liquid-alpha argument of subtensor
// (x is the combined weight/bond difference, in [0, One]).
func sigmoid(x Fixed, steepness int32) Fixed {
	s := int64(steepness)
	return sigmoidAbs(x, uint64(max(s, -s)), s < 0)
}

// sigmoidAbs is sigmoid for a steepness of magnitude s, negated if flip.
func sigmoidAbs(x Fixed, s uint64, flip bool) Fixed {
	neg := flip // sign of t
	d := x      // |x - 1/2|
	if x >= Half {
		d = x - Half
	} else {
		d = Half - x
		neg = !neg
	}
	d = min(d, Half)
	// |t| = s*d/100 as a Q32.32 argument for expNeg, rounded toward zero:
	// s*d is Q62 below 2^92, and dividing by 100*2^30 yields Q32 below 2^64.
	// floor(s*d / (100*2^30)) = floor(floor(s*d / 2^30) / 100), and
	// s*d / 2^30 < 2^62 fits a word.
	hi, lo := bits.Mul64(s, uint64(d))
	u := (hi<<34 | lo>>30) / 100
	e := expNeg(u) // e^-|t| in [0, 1], Q62
	num := oneQ62  // t >= 0: 1/(1+e^-|t|)
	if neg {
		num = e // t < 0: e^-|t|/(1+e^-|t|)
	}
	den := oneQ62 + e // at most 2^63, and num <= den
	q, _ := bits.Div64(num>>2, num<<62, den)
	return Fixed(q)
}
