package num

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

// A unary is one of the package's one-argument functions with its float64
// reference (from package math, used here only to measure accuracy).
type unary struct {
	name string
	f    func(float32) float32
	ref  func(float64) float64
}

var unaries = []unary{
	{"Exp", Exp, math.Exp},
	{"Log", Log, math.Log},
	{"Tanh", Tanh, math.Tanh},
	{"Sigmoid", Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
	{"Erf", Erf, math.Erf},
	{"Sqrt", Sqrt, math.Sqrt},
	{"GELU", GELU, func(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) }},
	{"GELUGrad", GELUGrad, func(x float64) float64 {
		return 0.5*math.Erfc(-x/math.Sqrt2) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
	}},
	{"Sin", Sin, math.Sin},
	{"Cos", Cos, math.Cos},
}

// ulp32 returns the spacing of float32 numbers at magnitude |w|.
func ulp32(w float64) float64 {
	_, e := math.Frexp(w) // |w| in [2**(e-1), 2**e)
	return math.Ldexp(1, max(e-1, -126)-23)
}

// ulpErr returns |got-want| in float32 ulps of want, or -1 when want is not
// a finite float32 result (NaN, infinite, or beyond MaxFloat32).
func ulpErr(got float32, want float64) float64 {
	if math.IsNaN(want) || math.IsInf(want, 0) || math.Abs(want) > math.MaxFloat32 {
		return -1
	}
	if want == 0 {
		return math.Abs(float64(got)) / 0x1p-149
	}
	return math.Abs(float64(got)-want) / ulp32(want)
}

// accuracy is the error summary of one function over a set of inputs.
type accuracy struct {
	n          int     // inputs with a finite reference result
	maxUlp     float64 // largest error in ulps
	worst      float32 // input with the largest error
	misrounded int     // results that differ from the rounded reference
}

func (a *accuracy) add(x, got float32, want float64) {
	e := ulpErr(got, want)
	if e < 0 {
		return
	}
	a.n++
	if e > a.maxUlp {
		a.maxUlp, a.worst = e, x
	}
	if got != float32(want) {
		a.misrounded++
	}
}

// sweepStride is the bit-pattern stride of the accuracy sweep; setting
// HYPHA_EXHAUSTIVE=1 tests all 2**32 inputs (several minutes per function).
func sweepStride() uint64 {
	if os.Getenv("HYPHA_EXHAUSTIVE") == "1" {
		return 1
	}
	if testing.Short() {
		return 65521
	}
	return 1021
}

// maxAllowedUlp is the accuracy guaranteed by CE-v1 for every function
// here. (The float64 evaluation is correctly rounded in practice: the sweep
// finds at most 0.5 ulp plus reference noise.)
const maxAllowedUlp = 1.0

func TestAccuracy(t *testing.T) {
	stride := sweepStride()
	var table strings.Builder
	fmt.Fprintf(&table, "\n%-9s %12s %10s %12s %16s\n", "func", "inputs", "max ulp", "misrounded", "worst input")
	for _, u := range unaries {
		var acc accuracy
		for b := uint64(0); b < 1<<32; b += stride {
			x := math.Float32frombits(uint32(b))
			acc.add(x, u.f(x), u.ref(float64(x)))
		}
		// Dense coverage of the interesting region |x| < 16.
		for i := -1 << 20; i <= 1<<20; i++ {
			x := float32(i) * (16.0 / (1 << 20))
			acc.add(x, u.f(x), u.ref(float64(x)))
		}
		fmt.Fprintf(&table, "%-9s %12d %10.4f %12d %16g\n", u.name, acc.n, acc.maxUlp, acc.misrounded, acc.worst)
		if acc.maxUlp > maxAllowedUlp {
			t.Errorf("%s: max error %.4f ulp at %g (bits %#08x), want <= %v",
				u.name, acc.maxUlp, acc.worst, math.Float32bits(acc.worst), maxAllowedUlp)
		}
	}
	// Pow on a grid of bases and exponents typical of bias corrections and
	// schedules, plus random-looking bit patterns of positive bases.
	var acc accuracy
	for b := uint64(0); b < 1<<31; b += stride * 64 {
		x := math.Float32frombits(uint32(b)) // non-negative
		for _, y := range []float32{-3.5, -1, -0.5, 0.25, 0.5, 1, 2, 3, 7.5, 100, 1e4} {
			acc.add(x, Pow(x, y), math.Pow(float64(x), float64(y)))
		}
	}
	for step := 1; step <= 100000; step += 7 {
		for _, beta := range []float32{0.9, 0.95, 0.98, 0.99, 0.999, 0.9999} {
			acc.add(beta, Pow(beta, float32(step)), math.Pow(float64(beta), float64(step)))
		}
	}
	fmt.Fprintf(&table, "%-9s %12d %10.4f %12d %16g\n", "Pow", acc.n, acc.maxUlp, acc.misrounded, acc.worst)
	if acc.maxUlp > maxAllowedUlp {
		t.Errorf("Pow: max error %.4f ulp at base %g", acc.maxUlp, acc.worst)
	}
	t.Log(table.String())
}

// TestSqrtCorrectlyRounded checks Sqrt against the exact rounding rule:
// the result r is correct when (r-ulp/2)^2 < x < (r+ulp/2)^2, evaluated
// exactly in float64 (the squares of 25-bit values are exact).
func TestSqrtCorrectlyRounded(t *testing.T) {
	for b := uint64(0); b < 0x7f800000; b += sweepStride() / 4 {
		x := math.Float32frombits(uint32(b))
		r := Sqrt(x)
		if x == 0 {
			continue
		}
		lo := float64(r) - ulp32(float64(r))/2
		hi := float64(r) + ulp32(float64(r))/2
		if !(lo*lo <= float64(x) && float64(x) <= hi*hi) {
			t.Fatalf("Sqrt(%g) = %g not correctly rounded", x, r)
		}
	}
}

func TestSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	otherNaN := math.Float32frombits(0xffa00001) // signalling NaN with payload
	maxf := float32(math.MaxFloat32)
	tiny := math.Float32frombits(1) // smallest subnormal
	tests := []struct {
		name string
		got  float32
		want float32
	}{
		{"Exp(0)", Exp(0), 1},
		{"Exp(-0)", Exp(negZero), 1},
		{"Exp(+Inf)", Exp(inf), inf},
		{"Exp(-Inf)", Exp(-inf), 0},
		{"Exp(NaN)", Exp(nan), canonNaN},
		{"Exp(sNaN)", Exp(otherNaN), canonNaN},
		{"Exp(89)", Exp(89), inf},
		{"Exp(-104)", Exp(-104), 0},
		{"Exp(-103)", Exp(-103), math.Float32frombits(0x00000001)},
		{"Exp(88.72283)", Exp(88.72283), math.Float32frombits(0x7f7fff84)},
		{"Exp(tiny)", Exp(tiny), 1},
		{"Exp(1)", Exp(1), math.Float32frombits(0x402df854)},
		{"Log(1)", Log(1), 0},
		{"Log(0)", Log(0), -inf},
		{"Log(-0)", Log(negZero), -inf},
		{"Log(-1)", Log(-1), canonNaN},
		{"Log(-Inf)", Log(-inf), canonNaN},
		{"Log(+Inf)", Log(inf), inf},
		{"Log(NaN)", Log(nan), canonNaN},
		{"Log(tiny)", Log(tiny), math.Float32frombits(0xc2ce8ed0)},
		{"Log(Max)", Log(maxf), math.Float32frombits(0x42b17218)},
		{"Log(float32(e))", Log(math.Float32frombits(0x402df854)), math.Float32frombits(0x3f7fffff)},
		{"Sqrt(-0)", Sqrt(negZero), negZero},
		{"Sqrt(-1)", Sqrt(-1), canonNaN},
		{"Sqrt(+Inf)", Sqrt(inf), inf},
		{"Sqrt(4)", Sqrt(4), 2},
		{"Sqrt(NaN)", Sqrt(otherNaN), canonNaN},
		{"Tanh(-0)", Tanh(negZero), negZero},
		{"Tanh(+Inf)", Tanh(inf), 1},
		{"Tanh(-Inf)", Tanh(-inf), -1},
		{"Tanh(NaN)", Tanh(nan), canonNaN},
		{"Tanh(tiny)", Tanh(tiny), tiny},
		{"Tanh(-20)", Tanh(-20), -1},
		{"Sigmoid(0)", Sigmoid(0), 0.5},
		{"Sigmoid(+Inf)", Sigmoid(inf), 1},
		{"Sigmoid(-Inf)", Sigmoid(-inf), 0},
		{"Sigmoid(-Max)", Sigmoid(-maxf), 0},
		{"Sigmoid(NaN)", Sigmoid(nan), canonNaN},
		{"Sigmoid(-100)", Sigmoid(-100), math.Float32frombits(0x0000001b)},
		{"Erf(-0)", Erf(negZero), negZero},
		{"Erf(+Inf)", Erf(inf), 1},
		{"Erf(-Inf)", Erf(-inf), -1},
		{"Erf(NaN)", Erf(nan), canonNaN},
		{"Erf(tiny)", Erf(tiny), math.Float32frombits(0x00000001)},
		{"GELU(0)", GELU(0), 0},
		{"GELU(+Inf)", GELU(inf), inf},
		{"GELU(-Inf)", GELU(-inf), negZero},
		{"GELU(NaN)", GELU(nan), canonNaN},
		{"GELU(-20)", GELU(-20), negZero},
		{"GELU(Max)", GELU(maxf), maxf},
		{"GELUGrad(0)", GELUGrad(0), 0.5},
		{"GELUGrad(+Inf)", GELUGrad(inf), 1},
		{"GELUGrad(-Inf)", GELUGrad(-inf), negZero},
		{"GELUGrad(NaN)", GELUGrad(nan), canonNaN},
		{"GELUGrad(Max)", GELUGrad(maxf), 1},
		{"Sin(-0)", Sin(negZero), negZero},
		{"Sin(Inf)", Sin(inf), canonNaN},
		{"Sin(NaN)", Sin(nan), canonNaN},
		{"Cos(0)", Cos(0), 1},
		{"Cos(-Inf)", Cos(-inf), canonNaN},
		{"Pow(2, 10)", Pow(2, 10), 1024},
		{"Pow(NaN, 0)", Pow(nan, 0), 1},
		{"Pow(1, NaN)", Pow(1, nan), 1},
		{"Pow(1, Inf)", Pow(1, inf), 1},
		{"Pow(NaN, 1)", Pow(nan, 1), canonNaN},
		{"Pow(2, NaN)", Pow(2, nan), canonNaN},
		{"Pow(-2, 2)", Pow(-2, 2), canonNaN},
		{"Pow(0, 2)", Pow(0, 2), 0},
		{"Pow(0, -2)", Pow(0, -2), inf},
		{"Pow(Inf, 2)", Pow(inf, 2), inf},
		{"Pow(Inf, -2)", Pow(inf, -2), 0},
		{"Pow(2, 200)", Pow(2, 200), inf},
		{"Pow(2, -200)", Pow(2, -200), 0},
		{"Pow(0.5, Inf)", Pow(0.5, inf), 0},
		{"Pow(2, Inf)", Pow(2, inf), inf},
		{"Pow(2, -Inf)", Pow(2, -inf), 0},
		{"Pow(2, -149)", Pow(2, -149), tiny},
		{"NaN()", NaN(), canonNaN},
	}
	for _, tt := range tests {
		if math.Float32bits(tt.got) != math.Float32bits(tt.want) {
			t.Errorf("%s = %g (%#08x), want %g (%#08x)", tt.name,
				tt.got, math.Float32bits(tt.got), tt.want, math.Float32bits(tt.want))
		}
	}
}

// TestNaNIsCanonical checks that no function returns a NaN other than
// 0x7fc00000, whatever the input.
func TestNaNIsCanonical(t *testing.T) {
	check := func(name string, x, r float32) {
		if r != r && math.Float32bits(r) != 0x7fc00000 {
			t.Fatalf("%s(%#08x) = NaN %#08x", name, math.Float32bits(x), math.Float32bits(r))
		}
	}
	for b := uint64(0); b < 1<<32; b += sweepStride() * 4 {
		x := math.Float32frombits(uint32(b))
		for _, u := range unaries {
			check(u.name, x, u.f(x))
		}
		check("Pow", x, Pow(x, 0.5))
		check("Pow", x, Pow(2, x))
	}
	for _, x := range []float32{float32(math.NaN()), math.Float32frombits(0xffffffff), math.Float32frombits(0x7f800001)} {
		for _, u := range unaries {
			check(u.name, x, u.f(x))
		}
	}
}

// TestOddEven checks the symmetries the algorithms rely on.
func TestOddEven(t *testing.T) {
	for b := uint64(0); b < 0x7f800000; b += sweepStride() * 2 {
		x := math.Float32frombits(uint32(b))
		for _, f := range []struct {
			name string
			fn   func(float32) float32
			odd  bool
		}{{"Tanh", Tanh, true}, {"Erf", Erf, true}, {"Sin", Sin, true}, {"Cos", Cos, false}} {
			p, n := f.fn(x), f.fn(-x)
			if f.odd {
				n = -n
			}
			if math.Float32bits(p) != math.Float32bits(n) && !(p != p && n != n) {
				t.Fatalf("%s not symmetric at %g: %g vs %g", f.name, x, p, n)
			}
		}
	}
}

func BenchmarkFuncs(b *testing.B) {
	xs := make([]float32, 1024)
	for i := range xs {
		xs[i] = float32(i-512) / 64
	}
	for _, u := range unaries {
		b.Run(u.name, func(b *testing.B) {
			var s float32
			for b.Loop() {
				for _, x := range xs {
					s += u.f(x)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/call")
			_ = s
		})
	}
}
