package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// same reports whether x and y have the same bits, treating all NaNs as
// equal (NaN payloads are not part of CE-v1, see docs/ce-v1.md).
func same(x, y float32) bool {
	return math.Float32bits(x) == math.Float32bits(y) || (x != x && y != y)
}

// specials are values that exercise signed zeros, infinities, NaN,
// subnormals, overflow and cancellation.
var specials = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), math.Float32frombits(1), math.Float32frombits(0x807fffff),
	math.MaxFloat32, -math.MaxFloat32, 1e-30, 3e38, 1e20, -1e20, 0x1p-126,
}

// fill returns n random values: mostly normal numbers of mixed scale, with
// a fraction of specials when withSpecials is set.
func fill(r *rand.Rand, n int, withSpecials bool) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch {
		case withSpecials && r.IntN(20) == 0:
			x[i] = specials[r.IntN(len(specials))]
		case r.IntN(8) == 0:
			x[i] = float32(r.NormFloat64() * math.Exp2(float64(r.IntN(40)-20)))
		default:
			x[i] = float32(r.NormFloat64())
		}
	}
	return x
}

func TestSumDot(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lengths := []int{0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 64, 100, 1000, 4097}
	for n := 0; n < 70; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for _, sp := range []bool{false, true} {
			a, b := fill(r, n, sp), fill(r, n, sp)
			if got, want := Sum(a), sumRef(a); !same(got, want) {
				t.Errorf("Sum(len %d) = %g, want %g", n, got, want)
			}
			if got, want := sumGo(a), sumRef(a); !same(got, want) {
				t.Errorf("sumGo(len %d) = %g, want %g", n, got, want)
			}
			if got, want := Dot(a, b), dotRef(a, b); !same(got, want) {
				t.Errorf("Dot(len %d) = %g, want %g", n, got, want)
			}
			if got, want := dotGo(a, b), dotRef(a, b); !same(got, want) {
				t.Errorf("dotGo(len %d) = %g, want %g", n, got, want)
			}
		}
	}
}

// TestSumOrder checks the canonical order itself on values where any other
// association gives a different result.
func TestSumOrder(t *testing.T) {
	// Lane 0 gets 1e8, 1, 1, ... ; other lanes 0. Sequential lane sum keeps
	// 1e8 (each +1 is lost to rounding); a different order would not.
	x := make([]float32, 8*5)
	x[0] = 1e8
	for i := 8; i < len(x); i += 8 {
		x[i] = 1
	}
	if got := Sum(x); got != 1e8 {
		t.Errorf("Sum = %v, want 1e8", got)
	}
	// Tree order: ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)).
	y := []float32{1e8, 1, 1, 1, -1e8, 1, 1, 1}
	want := float32((float32(1e8+1) + float32(1+1)) + (float32(-1e8+1) + float32(1+1)))
	if got := Sum(y); got != want {
		t.Errorf("Sum tree = %v, want %v", got, want)
	}
	if got := Sum([]float32{float32(math.Copysign(0, -1))}); math.Signbit(float64(got)) {
		t.Error("Sum([-0]) must be +0 (lanes start at +0)")
	}
}

func TestDotPanicsOnMismatch(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Dot with different lengths did not panic")
		}
	}()
	Dot(make([]float32, 3), make([]float32, 4))
}

// shape is one MatMul test case.
type shape struct{ m, k, n int }

func testShapes(r *rand.Rand, short bool) []shape {
	shapes := []shape{
		{1, 1, 1}, {1, 0, 1}, {3, 0, 5}, {0, 4, 3}, {4, 3, 0}, {1, 1, 100}, {100, 1, 1},
		{1, 100, 1}, {12, 256, 32}, {13, 257, 33}, {11, 255, 31}, {24, 512, 64},
		{6, 16, 16}, {7, 17, 17}, {5, 15, 15}, {64, 64, 64}, {65, 63, 67},
		{200, 300, 100}, {97, 600, 131}, {1, 700, 300}, {300, 700, 1}, {2, 3, 700},
		{8, 600, 400}, {20, 500, 700}, // short and wide: split by column panels
	}
	if !short {
		shapes = append(shapes, shape{257, 513, 259}, shape{512, 100, 512}, shape{33, 1000, 65})
	}
	for range 60 {
		shapes = append(shapes, shape{1 + r.IntN(80), r.IntN(300), 1 + r.IntN(100)})
	}
	return shapes
}

// runMatMul computes the product with kernel mk (nil: the public MatMul).
func runMatMul(mk *microKernel, c, a, b []float32, s shape, tA, tB bool) {
	switch {
	case mk == nil:
		MatMul(c, a, b, s.m, s.k, s.n, tA, tB)
	case s.k == 0 || s.m == 0 || s.n == 0:
		matMul(c, a, b, s.m, s.k, s.n, tA, tB)
	default:
		mk.matMul(c, a, b, s.m, s.k, s.n, tA, tB)
	}
}

// withKernelVariants returns every usable kernel, each also with tiny
// blocking parameters so that small tests cross every block boundary, and
// nil for the public MatMul entry point.
func withKernelVariants() []*microKernel {
	var ks []*microKernel
	for _, mk := range kernels() {
		ks = append(ks, mk)
		small := *mk
		small.name += "-tinyblocks"
		small.kc, small.nc = 5, 2*mk.nr
		ks = append(ks, &small)
	}
	return append(ks, nil)
}

func TestMatMulMatchesReference(t *testing.T) {
	defer SetThreads(0)
	r := rand.New(rand.NewPCG(3, 4))
	kernels := withKernelVariants()
	for _, s := range testShapes(r, testing.Short()) {
		for _, tr := range [4][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			sp := r.IntN(4) == 0
			a, b := fill(r, s.m*s.k, sp), fill(r, s.k*s.n, sp)
			want := make([]float32, s.m*s.n)
			MatMulRef(want, a, b, s.m, s.k, s.n, tr[0], tr[1])
			got := make([]float32, s.m*s.n)
			for _, threads := range []int{1, 2, 3, 8} {
				SetThreads(threads)
				for _, mk := range kernels {
					for i := range got {
						got[i] = 12345 // must be overwritten
					}
					runMatMul(mk, got, a, b, s, tr[0], tr[1])
					for i := range got {
						if !same(got[i], want[i]) {
							name := "MatMul"
							if mk != nil {
								name = mk.name
							}
							t.Fatalf("%s threads=%d m=%d k=%d n=%d transA=%v transB=%v: c[%d][%d] = %g (%#08x), want %g (%#08x)",
								name, threads, s.m, s.k, s.n, tr[0], tr[1], i/s.n, i%s.n,
								got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
						}
					}
				}
			}
		}
	}
}

// TestMatMulThreadInvariance checks big products under many thread counts
// and GOMAXPROCS values, all against one reference result.
func TestMatMulThreadInvariance(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m, k, n := 301, 419, 389
	if testing.Short() {
		m, k, n = 101, 219, 89
	}
	a, b := fill(r, m*k, false), fill(r, k*n, false)
	want := make([]float32, m*n)
	MatMulRef(want, a, b, m, k, n, false, true)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		for _, threads := range []int{0, 1, 2, 3, 5, 16} {
			SetThreads(threads)
			got := make([]float32, m*n)
			MatMul(got, a, b, m, k, n, false, true)
			for i := range got {
				if !same(got[i], want[i]) {
					t.Fatalf("GOMAXPROCS=%d threads=%d: c[%d] = %g, want %g", procs, threads, i, got[i], want[i])
				}
			}
		}
	}
	SetThreads(0)
}

func TestMatMulElem(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range testShapes(r, true) {
		if s.m == 0 || s.n == 0 {
			continue
		}
		for _, tr := range [4][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			a, b := fill(r, s.m*s.k, true), fill(r, s.k*s.n, true)
			c := make([]float32, s.m*s.n)
			MatMul(c, a, b, s.m, s.k, s.n, tr[0], tr[1])
			for range 20 {
				i, j := r.IntN(s.m), r.IntN(s.n)
				if got := MatMulElem(a, b, s.m, s.k, s.n, tr[0], tr[1], i, j); !same(got, c[i*s.n+j]) {
					t.Fatalf("MatMulElem(%d,%d) = %g, MatMul gave %g", i, j, got, c[i*s.n+j])
				}
			}
		}
	}
}

// TestMatMulOrder checks the canonical order on a case where pairwise or
// blocked summation would differ: 1e8 followed by many ones.
func TestMatMulOrder(t *testing.T) {
	const k = 1000
	a := make([]float32, 40*k)
	b := make([]float32, k*40)
	for i := range 40 {
		a[i*k] = 1e8
		for t := 1; t < k; t++ {
			a[i*k+t] = 1
		}
	}
	for i := range b {
		b[i] = 1
	}
	c := make([]float32, 40*40)
	MatMul(c, a, b, 40, k, 40, false, false)
	for i, v := range c {
		if v != 1e8 {
			t.Fatalf("c[%d] = %v, want 1e8 (sequential order absorbs every +1)", i, v)
		}
	}
}

func TestMatMulPanics(t *testing.T) {
	cases := []struct {
		name string
		f    func()
	}{
		{"short a", func() { MatMul(make([]float32, 4), make([]float32, 3), make([]float32, 4), 2, 2, 2, false, false) }},
		{"short b", func() { MatMul(make([]float32, 4), make([]float32, 4), make([]float32, 3), 2, 2, 2, false, false) }},
		{"short c", func() { MatMul(make([]float32, 3), make([]float32, 4), make([]float32, 4), 2, 2, 2, false, false) }},
		{"negative", func() { MatMul(nil, nil, nil, -1, 2, 2, false, false) }},
		{"elem out of range", func() { MatMulElem(make([]float32, 4), make([]float32, 4), 2, 2, 2, false, false, 2, 0) }},
	}
	for _, tc := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

func TestSetThreads(t *testing.T) {
	SetThreads(3)
	if numThreads() != 3 {
		t.Errorf("numThreads() = %d after SetThreads(3)", numThreads())
	}
	SetThreads(-5)
	if numThreads() != runtime.GOMAXPROCS(0) {
		t.Errorf("numThreads() = %d after SetThreads(-5)", numThreads())
	}
	SetThreads(0)
}

func BenchmarkMatMul(b *testing.B) {
	for _, size := range []int{64, 256, 512, 1024} {
		r := rand.New(rand.NewPCG(1, 1))
		x, y := fill(r, size*size, false), fill(r, size*size, false)
		z := make([]float32, size*size)
		for _, mk := range kernels() {
			b.Run(fmt.Sprintf("%s/%d", mk.name, size), func(b *testing.B) {
				for b.Loop() {
					mk.matMul(z, x, y, size, size, size, false, false)
				}
				b.ReportMetric(2*float64(size*size*size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		if size <= 256 {
			b.Run(fmt.Sprintf("ref/%d", size), func(b *testing.B) {
				for b.Loop() {
					MatMulRef(z, x, y, size, size, size, false, false)
				}
				b.ReportMetric(2*float64(size*size*size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

func BenchmarkSum(b *testing.B) {
	x := make([]float32, 1<<16)
	for i := range x {
		x[i] = float32(i)
	}
	b.SetBytes(4 << 16)
	for b.Loop() {
		Sum(x)
	}
}

func BenchmarkDot(b *testing.B) {
	x := make([]float32, 1<<16)
	b.SetBytes(8 << 16)
	for b.Loop() {
		Dot(x, x)
	}
}

// TestMatMulNoAllocs checks that single-threaded MatMul calls do not
// allocate in steady state (training steps call it many times).
func TestMatMulNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	SetThreads(1)
	defer SetThreads(0)
	for _, s := range []shape{{8, 8, 8}, {64, 64, 64}, {100, 300, 70}, {64, 64, 10}} {
		a, b, c := make([]float32, s.m*s.k), make([]float32, s.k*s.n), make([]float32, s.m*s.n)
		for _, tr := range [4][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			if n := testing.AllocsPerRun(20, func() { MatMul(c, a, b, s.m, s.k, s.n, tr[0], tr[1]) }); n > 0 {
				t.Errorf("MatMul %v transA=%v transB=%v: %v allocations per call", s, tr[0], tr[1], n)
			}
		}
	}
}
