// Package num provides the deterministic float32 scalar math of the canonical
// ML runtime (CE-v1).
//
// Every function returns the same bits on every CPU, operating system and
// architecture, so it must not be replaced by the functions of package math:
// on amd64 math.Exp switches to an FMA code path at run time, and on arm64,
// ppc64le, riscv64, loong64, s390x (and amd64 with GOAMD64=v3) the compiler
// fuses a*b+c in pure-Go code. Here each
// function evaluates its definition in float64 with plain, separately
// rounded IEEE operations (every product is wrapped in an explicit
// conversion, which the Go specification defines as a fusion barrier) and
// rounds once to float32. The float64 error is about 1e-15 relative, so the
// float32 results are correctly rounded except in rare near-halfway cases,
// where they are off by one ulp; see the accuracy table in the tests and in
// docs/ce-v1.md.
//
// NaN results are always the canonical quiet NaN 0x7fc00000, whatever the
// NaN payload of the input, so that even NaN bit patterns are portable.
package num

import "math"

// canonNaN is the single NaN bit pattern produced by this package.
var canonNaN = math.Float32frombits(0x7fc00000)

// NaN returns the canonical CE-v1 quiet NaN (bit pattern 0x7fc00000).
func NaN() float32 { return canonNaN }

// negZero is float32 -0.
var negZero = math.Float32frombits(0x80000000)

func isNaN(x float32) bool { return x != x }

// Sqrt returns the square root of x, correctly rounded. Sqrt(-0) = -0,
// Sqrt(x < 0) = NaN, Sqrt(+Inf) = +Inf.
func Sqrt(x float32) float32 {
	if isNaN(x) || x < 0 {
		return canonNaN
	}
	// The float64 square root is correctly rounded (IEEE 754 and Go's
	// software fallback), and rounding a 53-bit correctly rounded root to 24
	// bits never suffers from double rounding (53 >= 2*24+2), so this is the
	// correctly rounded float32 root.
	return float32(math.Sqrt(float64(x)))
}

// Exp returns e**x. Exp(+Inf) = +Inf, Exp(-Inf) = 0; results above
// MaxFloat32 are +Inf and results below the smallest subnormal are 0.
func Exp(x float32) float32 {
	if isNaN(x) {
		return canonNaN
	}
	return float32(exp64(float64(x)))
}

// Log returns the natural logarithm of x. Log(±0) = -Inf, Log(x < 0) = NaN,
// Log(+Inf) = +Inf.
func Log(x float32) float32 {
	switch {
	case isNaN(x) || x < 0:
		return canonNaN
	case x == 0:
		return float32(math.Inf(-1))
	case x > math.MaxFloat32:
		return x
	}
	return float32(log64(float64(x)))
}

// Pow returns x**y for x >= 0, computed as exp(y*log(x)) in float64.
//
// Special cases: Pow(x, ±0) = 1 for any x (even NaN); Pow(1, y) = 1 for any
// y; NaN in any other case gives NaN; x < 0 gives NaN (negative bases are
// not supported, whatever y is); Pow(±0, y) is +0 for y > 0 and +Inf for
// y < 0; Pow(+Inf, y) is +Inf for y > 0 and +0 for y < 0.
func Pow(x, y float32) float32 {
	switch {
	case y == 0 || x == 1:
		return 1
	case isNaN(x) || isNaN(y) || x < 0:
		return canonNaN
	case x == 0:
		if y > 0 {
			return 0
		}
		return float32(math.Inf(1))
	case x > math.MaxFloat32:
		if y > 0 {
			return x
		}
		return 0
	}
	// log64 has a relative error near 1e-16, so the absolute error of the
	// exponent is below 1e-14 wherever the result is a finite float32.
	t := float64(float64(y) * log64(float64(x)))
	if t != t { // y = ±Inf with x = 1 was handled above; cannot happen
		return canonNaN
	}
	return float32(exp64(t))
}

// Tanh returns the hyperbolic tangent of x. Tanh(±0) = ±0,
// Tanh(±Inf) = ±1.
func Tanh(x float32) float32 {
	if isNaN(x) {
		return canonNaN
	}
	a := math.Abs(float64(x))
	var t float64
	switch {
	case a < 0x1p-12:
		// tanh(a) = a - a**3/3 + 2a**5/15 - ...; the dropped terms are
		// below 2**-49 relative.
		t = a - float64(float64(a*a)*a)/3
	case a > 9.1:
		// 1 - tanh(a) ~ 2exp(-2a) < 2**-26.7, which rounds to 1.
		t = 1
	default:
		// (1-e)/(1+e) with e = exp(-2a): the cancellation in 1-e costs
		// at most 2**-53/(2a) <= 2**-42 relative for a >= 2**-12.
		e := exp64(-2 * a)
		t = (1 - e) / (1 + e)
	}
	if x < 0 || (x == 0 && math.Signbit(float64(x))) {
		t = -t
	}
	return float32(t)
}

// Sigmoid returns the logistic function 1/(1+e**-x). Sigmoid(+Inf) = 1,
// Sigmoid(-Inf) = 0.
func Sigmoid(x float32) float32 {
	if isNaN(x) {
		return canonNaN
	}
	// exp64 returns +Inf for -x > 709.78, giving the correct limit 0.
	return float32(1 / (1 + exp64(-float64(x))))
}

// Erf returns the error function of x. Erf(±0) = ±0, Erf(±Inf) = ±1.
func Erf(x float32) float32 {
	if isNaN(x) {
		return canonNaN
	}
	return float32(erf64(float64(x)))
}

// invSqrt2 is 1/sqrt(2) rounded to float64.
const invSqrt2 = 0.70710678118654752440084436210484903928483593768847

// invSqrt2Pi is 1/sqrt(2*pi) rounded to float64.
const invSqrt2Pi = 0.39894228040143267793994605993438186847585863116493

// GELU returns the exact (erf-based) Gaussian error linear unit
// x*Phi(x) = 0.5*x*(1+erf(x/sqrt(2))). GELU(+Inf) = +Inf, GELU(-Inf) = -0.
func GELU(x float32) float32 {
	switch {
	case isNaN(x):
		return canonNaN
	case math.IsInf(float64(x), 0):
		if x > 0 {
			return x
		}
		return negZero
	}
	// Phi(x) = erfc(-x/sqrt2)/2 stays accurate for very negative x, where
	// 1+erf(x/sqrt2) would cancel.
	xf := float64(x)
	phi := float64(0.5 * erfc64(-float64(xf*invSqrt2)))
	return float32(xf * phi)
}

// GELUGrad returns the derivative of GELU at x:
// Phi(x) + x*phi(x) with phi(x) = exp(-x*x/2)/sqrt(2*pi).
// GELUGrad(+Inf) = 1, GELUGrad(-Inf) = -0.
func GELUGrad(x float32) float32 {
	switch {
	case isNaN(x):
		return canonNaN
	case math.IsInf(float64(x), 0):
		if x > 0 {
			return 1
		}
		return negZero
	}
	xf := float64(x)
	cdf := float64(0.5 * erfc64(-float64(xf*invSqrt2)))
	// x*x is exact in float64 for a float32 x.
	pdf := float64(exp64(float64(-0.5*float64(xf*xf))) * invSqrt2Pi)
	return float32(cdf + float64(xf*pdf))
}

// Sin returns the sine of x (radians). Sin(±0) = ±0, Sin(±Inf) = NaN.
// The argument reduction is exact for every finite float32, so large
// arguments keep full accuracy.
func Sin(x float32) float32 {
	if isNaN(x) || math.IsInf(float64(x), 0) {
		return canonNaN
	}
	a := float64(x)
	neg := a < 0 || (a == 0 && math.Signbit(a))
	if neg {
		a = -a
	}
	s, _ := sincos64(a)
	if neg {
		s = -s
	}
	return float32(s)
}

// Cos returns the cosine of x (radians). Cos(±Inf) = NaN.
// The argument reduction is exact for every finite float32.
func Cos(x float32) float32 {
	if isNaN(x) || math.IsInf(float64(x), 0) {
		return canonNaN
	}
	_, c := sincos64(math.Abs(float64(x)))
	return float32(c)
}
