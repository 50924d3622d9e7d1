// Copyright notice for the fdlibm-derived parts of this file:
//
// The algorithms and coefficients of exp64, log64, erf64 and erfc64 come from
// FreeBSD's /usr/src/lib/msun/src/{e_exp,e_log,s_erf}.c via the Go standard
// library (math/exp.go, math/log.go, math/erf.go), which carry this notice:
//
//	Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//	Developed at SunPro, a Sun Microsystems, Inc. business.
//	Permission to use, copy, modify, and distribute this
//	software is freely granted, provided that this notice
//	is preserved.
//
// The Go versions are Copyright 2009/2010 The Go Authors (BSD-style license).
// The code below differs from them in that every product is wrapped in an
// explicit float64(...) conversion, which by the Go specification forbids the
// compiler from fusing it with a following addition (arm64, ppc64, s390x and
// riscv64 would otherwise emit FMA instructions and change the result bits),
// and in that it never calls into package math for anything but exact,
// correctly rounded operations.

package num

import "math"

// The float64 kernels below are the computational core of the float32 API.
// Each float32 function evaluates its mathematical definition in float64
// with an error of a few float64 ulps (about 1e-15 relative) and rounds the
// result to float32 once. Float64 add, sub, mul, div and sqrt and the
// float64→float32 conversion are correctly rounded IEEE 754 operations on
// every platform Go supports (including GOARCH=386 with SSE2 or softfloat),
// so as long as the compiler cannot fuse operations the result bits are the
// same everywhere.

// horner returns c[0] + z*(c[1] + z*(c[2] + ... )) with every product rounded
// to float64 before the addition.
func horner(z float64, c []float64) float64 {
	p := c[len(c)-1]
	for i := len(c) - 2; i >= 0; i-- {
		p = float64(p*z) + c[i]
	}
	return p
}

const (
	ln2Hi = 6.93147180369123816490e-01 // 0x3fe62e42fee00000, 11 trailing zero bits
	ln2Lo = 1.90821492927058770002e-10 // 0x3dea39ef35793c76
	log2e = 1.44269504088896338700e+00
)

// pow2 returns 2**k for -1022 <= k <= 1023 built from its bit pattern.
func pow2(k int) float64 {
	return math.Float64frombits(uint64(k+1023) << 52)
}

// exp64 returns e**x for finite or infinite x (not NaN).
func exp64(x float64) float64 {
	const (
		overflow  = 7.09782712893383973096e+02
		underflow = -7.45133219101941108420e+02
		nearZero  = 1.0 / (1 << 28)
		p1        = 1.66666666666666657415e-01  // 0x3FC555555555555
		p2        = -2.77777777770155933842e-03 // 0xBF66C16C16BEBD93
		p3        = 6.61375632143793436117e-05  // 0x3F11566AAF25DE2C
		p4        = -1.65339022054652515390e-06 // 0xBEBBBD41C5D26BF1
		p5        = 4.13813679705723846039e-08  // 0x3E66376972BEA4D0
	)
	switch {
	case x > overflow:
		return math.Inf(1)
	case x < underflow:
		return 0
	case -nearZero < x && x < nearZero:
		return 1 + x
	}
	// Argument reduction x = k*ln2 + r with |r| <= ln2/2. k*ln2Hi is exact
	// because ln2Hi has 11 trailing zero bits and |k| < 1100.
	var k int
	if x < 0 {
		k = int(float64(log2e*x) - 0.5)
	} else {
		k = int(float64(log2e*x) + 0.5)
	}
	kf := float64(k)
	hi := x - float64(kf*ln2Hi)
	lo := float64(kf * ln2Lo)
	r := hi - lo
	t := float64(r * r)
	// Remez polynomial for r*(exp(r)+1)/(exp(r)-1), fdlibm e_exp.c.
	c := r - float64(t*float64(p1+float64(t*float64(p2+float64(t*float64(p3+float64(t*float64(p4+float64(t*p5)))))))))
	y := 1 - ((lo - float64(r*c)/(2-c)) - hi)
	// Scale by 2**k in at most two exact steps; the float32 callers only
	// need the result to be correct down to 2**-150, far above the float64
	// subnormal range, so intermediate subnormals cannot matter.
	switch {
	case k > 1023:
		return float64(y*pow2(1023)) * pow2(k-1023)
	case k < -1000:
		return float64(y*pow2(-1000)) * pow2(k+1000)
	}
	return y * pow2(k)
}

// log64 returns the natural logarithm of a positive, finite, normal x.
func log64(x float64) float64 {
	const (
		l1 = 6.666666666666735130e-01 // 3FE55555 55555593
		l2 = 3.999999999940941908e-01 // 3FD99999 9997FA04
		l3 = 2.857142874366239149e-01 // 3FD24924 94229359
		l4 = 2.222219843214978396e-01 // 3FCC71C5 1D8E78AF
		l5 = 1.818357216161805012e-01 // 3FC74664 96CB03DE
		l6 = 1.531383769920937332e-01 // 3FC39A09 D078C69F
		l7 = 1.479819860511658591e-01 // 3FC2F112 DF3E5244
	)
	// x = f1 * 2**ki with f1 in [sqrt(2)/2, sqrt(2)).
	b := math.Float64bits(x)
	ki := int(b>>52&0x7ff) - 1022
	f1 := math.Float64frombits(b&^(0x7ff<<52) | 1022<<52) // in [0.5, 1)
	if f1 < math.Sqrt2/2 {
		f1 *= 2 // exact
		ki--
	}
	f := f1 - 1 // exact (Sterbenz)
	k := float64(ki)
	s := f / (2 + f)
	s2 := float64(s * s)
	s4 := float64(s2 * s2)
	t1 := float64(s2 * float64(l1+float64(s4*float64(l3+float64(s4*float64(l5+float64(s4*l7)))))))
	t2 := float64(s4 * float64(l2+float64(s4*float64(l4+float64(s4*l6)))))
	r := t1 + t2
	hfsq := float64(float64(0.5*f) * f)
	return float64(k*ln2Hi) - ((hfsq - (float64(s*(hfsq+r)) + float64(k*ln2Lo))) - f)
}

// Coefficients of fdlibm s_erf.c.
const erx = 8.45062911510467529297e-01 // 0x3FEB0AC160000000

var (
	// erf in [0, 0.84375]
	erfPP = [...]float64{1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02, -5.77027029648944159157e-03, -2.37630166566501626084e-05}
	erfQQ = [...]float64{1, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03, 1.32494738004321644526e-04, -3.96022827877536812320e-06}
	// erf in [0.84375, 1.25]
	erfPA = [...]float64{-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01, 3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02, -2.16637559486879084300e-03}
	erfQA = [...]float64{1, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02, 1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02}
	// erfc in [1.25, 1/0.35]
	erfRA = [...]float64{-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e+01, -6.23753324503260060396e+01, -1.62396669462573470355e+02, -1.84605092906711035994e+02, -8.12874355063065934246e+01, -9.81432934416914548592e+00}
	erfSA = [...]float64{1, 1.96512716674392571292e+01, 1.37657754143519042600e+02, 4.34565877475229228821e+02, 6.45387271733267880336e+02, 4.29008140027567833386e+02, 1.08635005541779435134e+02, 6.57024977031928170135e+00, -6.04244152148580987438e-02}
	// erfc in [1/0.35, 28]
	erfRB = [...]float64{-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e+01, -1.60636384855821916062e+02, -6.37566443368389627722e+02, -1.02509513161107724954e+03, -4.83519191608651397019e+02}
	erfSB = [...]float64{1, 3.03380607434824582924e+01, 3.25792512996573918826e+02, 1.53672958608443695994e+03, 3.19985821950859553908e+03, 2.55305040643316442583e+03, 4.74528541206955367215e+02, -2.24409524465858183362e+01}
)

// erfcTail returns erfc(x) for 1.25 <= x < 28 as exp(-x*x-0.5625+R/S)/x.
// fdlibm splits x into a 21-bit head to keep -x*x exact; all our callers
// pass values with at most 24 significant bits (float32) or the product of
// one with 1/sqrt(2), where the rounding of x*x costs at most 28*28*2**-53
// absolute in the exponent (about 1e-13 relative), far below float32 ulp.
func erfcTail(x float64) float64 {
	s := 1 / float64(x*x)
	var r, q float64
	if x < 1/0.35 {
		r = horner(s, erfRA[:])
		q = horner(s, erfSA[:])
	} else {
		r = horner(s, erfRB[:])
		q = horner(s, erfSB[:])
	}
	return exp64((float64(-x*x)-0.5625)+r/q) / x
}

// erf64 returns erf(x) for non-NaN x.
func erf64(x float64) float64 {
	sign := math.Signbit(x) // erf(-0) = -0
	a := math.Abs(x)
	var y float64
	switch {
	case a < 0x1p-28:
		y = a + float64(1.28379167095512586316e-01*a)
	case a < 0.84375:
		z := float64(a * a)
		y = a + float64(a*(horner(z, erfPP[:])/horner(z, erfQQ[:])))
	case a < 1.25:
		s := a - 1
		y = erx + horner(s, erfPA[:])/horner(s, erfQA[:])
	case a < 6:
		y = 1 - erfcTail(a)
	default:
		y = 1
	}
	if sign {
		return -y
	}
	return y
}

// erfc64 returns erfc(x) = 1-erf(x) for non-NaN x, accurate also where
// erfc(x) is tiny.
func erfc64(x float64) float64 {
	sign := x < 0
	a := math.Abs(x)
	switch {
	case a < 0x1p-56:
		return 1 - x
	case a < 0.84375:
		z := float64(a * a)
		y := float64(a * (horner(z, erfPP[:]) / horner(z, erfQQ[:])))
		switch {
		case sign:
			return 1 + (a + y)
		case a < 0.25:
			return 1 - (a + y)
		}
		return 0.5 - (y + (a - 0.5))
	case a < 1.25:
		pq := horner(a-1, erfPA[:]) / horner(a-1, erfQA[:])
		if sign {
			return 1 + erx + pq
		}
		return 1 - erx - pq
	case a < 28:
		if sign && a >= 6 {
			return 2
		}
		t := erfcTail(a)
		if sign {
			return 2 - t
		}
		return t
	}
	if sign {
		return 2
	}
	return 0
}
