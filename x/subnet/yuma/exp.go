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

// expNegSmall returns e^-r for r < 2^-8 (Q2.62) with six Taylor terms; the
// truncation error r^7/7! is below 2^-68. The divisors are constants so the
// compiler turns them into multiplications.
func expNegSmall(r uint64) uint64 {
	t1 := r
	t2 := mulQ62(t1, r) / 2
	t3 := mulQ62(t2, r) / 3
	t4 := mulQ62(t3, r) / 4
	t5 := mulQ62(t4, r) / 5
	t6 := mulQ62(t5, r) / 6
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
	f := u & (1<<32 - 1)
	i := f >> 24
	r := (f & (1<<24 - 1)) << 30 // Q32 -> Q62
	e := mulQ62(expNegInt[m], expNegFrac[i])
	return mulQ62(e, expNegSmall(r))
}

// sigmoidScale divides by 100*2^30: it turns the Q62 product
// steepness*|x-1/2| into the Q32.32 argument |t| of expNeg.
var sigmoidScale = newDivisor(100 << 30)

// sigmoid returns 1/(1+e^-t) as a Fixed rounded toward zero, where
// t = (steepness/100)*(x-1/2) is the liquid-alpha argument of subtensor
// (x is the combined weight/bond difference, in [0, One]).
func sigmoid(x Fixed, steepness int32) Fixed {
	neg := false // sign of t
	d := x       // |x - 1/2|
	if x >= Half {
		d = x - Half
	} else {
		d = Half - x
		neg = true
	}
	d = min(d, Half)
	s := int64(steepness)
	if s < 0 {
		s = -s
		neg = !neg
	}
	// |t| = s*d/100 as a Q32.32 argument for expNeg, rounded toward zero:
	// s*d is Q62 below 2^92, and dividing by 100*2^30 yields Q32 below 2^64.
	hi, lo := bits.Mul64(uint64(s), uint64(d))
	u := sigmoidScale.quo(hi, lo)
	e := expNeg(u) // e^-|t| in [0, 1], Q62
	num := oneQ62  // t >= 0: 1/(1+e^-|t|)
	if neg {
		num = e // t < 0: e^-|t|/(1+e^-|t|)
	}
	den := oneQ62 + e // at most 2^63, and num <= den
	q, _ := bits.Div64(num>>2, num<<62, den)
	return Fixed(q)
}
