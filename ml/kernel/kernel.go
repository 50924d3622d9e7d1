// Package kernel holds the canonical reductions and matrix multiplication of
// the canonical ML runtime (CE-v1).
//
// Every function here has a single defined floating-point evaluation order
// (documented on the function and in docs/ce-v1.md). The fast
// implementations (SIMD assembly on amd64, blocked multi-core Go elsewhere)
// produce exactly the bits of that order, independent of the CPU, the
// architecture and the number of threads: work is only ever split over
// output elements, never over a reduction, and no fused multiply-add is
// used.
//
// These are low-level kernels for code that has already validated its
// shapes: they panic on programmer errors such as negative sizes or slices
// that are too short.
package kernel

import (
	"fmt"
	"runtime"
	"sync/atomic"
)

// Lanes is the number of lanes of the canonical Sum and Dot reductions.
const Lanes = 8

// Sum returns the canonical sum of x: element i is added to lane i%8, each
// lane starting at +0 and summing in increasing i, and the lanes are then
// combined by the fixed tree ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)).
// The sum of an empty slice is +0.
func Sum(x []float32) float32 {
	return sum(x)
}

// Dot returns the canonical dot product of a and b: Sum's lane rule applied
// to the products float32(a[i]*b[i]), each rounded to float32 before it is
// added. It panics if len(a) != len(b).
func Dot(a, b []float32) float32 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("kernel.Dot: length mismatch %d != %d", len(a), len(b)))
	}
	return dot(a, b)
}

// sumRef and dotRef are the literal definitions of Sum and Dot.
func sumRef(x []float32) float32 {
	var l [Lanes]float32
	for i, v := range x {
		l[i%Lanes] += v
	}
	return combine(&l)
}

func dotRef(a, b []float32) float32 {
	var l [Lanes]float32
	for i := range a {
		l[i%Lanes] += float32(a[i] * b[i])
	}
	return combine(&l)
}

// combine is the canonical pairwise tree over the eight lanes.
func combine(l *[Lanes]float32) float32 {
	return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
}

// threads is the SetThreads value; 0 means GOMAXPROCS.
var threads atomic.Int32

// SetThreads sets the number of goroutines MatMul may use; n <= 0 restores
// the default, GOMAXPROCS. Results never depend on it.
func SetThreads(n int) {
	if n < 0 {
		n = 0
	}
	threads.Store(int32(min(n, 1<<16)))
}

// Implementation returns the name of the matrix-multiplication micro-kernel
// selected for this CPU, such as "avx512-12x32", "avx2-6x16" or "go4x4".
// It is informational (for logs and benchmarks): results never depend on it.
func Implementation() string { return current.name }

// numThreads returns the effective thread count.
func numThreads() int {
	if n := int(threads.Load()); n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// checkMatMul panics unless the slices are long enough for the shapes.
func checkMatMul(name string, c, a, b []float32, m, k, n int) {
	if m < 0 || k < 0 || n < 0 {
		panic(fmt.Sprintf("kernel.%s: negative size m=%d k=%d n=%d", name, m, k, n))
	}
	if len(a) < m*k || len(b) < k*n || (c != nil && len(c) < m*n) {
		panic(fmt.Sprintf("kernel.%s: slices too short for m=%d k=%d n=%d: len(c)=%d len(a)=%d len(b)=%d",
			name, m, k, n, len(c), len(a), len(b)))
	}
}

// MatMul sets c (m×n, row-major) to op(a)·op(b), overwriting c. op(a) is
// m×k: a is stored m×k, or k×m when transA is set; op(b) is k×n: b is stored
// k×n, or n×k when transB is set. Only the first m*k, k*n and m*n elements
// of a, b and c are used; c must not overlap a or b.
//
// Canonical order: c[i][j] = (((0 + p_0) + p_1) + ... ) + p_{k-1} with
// p_t = float32(A[i][t]*B[t][j]), strictly sequential in t and each product
// rounded to float32 before it is added (no FMA). MatMulRef is the literal
// definition; MatMul reproduces it bit for bit with packed SIMD kernels that
// vectorize over output columns and spread output tiles over up to
// SetThreads goroutines.
//
// MatMul panics if a size is negative or a slice is too short.
func MatMul(c, a, b []float32, m, k, n int, transA, transB bool) {
	checkMatMul("MatMul", c, a, b, m, k, n)
	matMul(c[:m*n], a, b, m, k, n, transA, transB)
}

// MatMulRef computes the same result as MatMul with the plain triple loop
// that defines the canonical order. It is slow and meant for tests and as
// the specification.
func MatMulRef(c, a, b []float32, m, k, n int, transA, transB bool) {
	checkMatMul("MatMulRef", c, a, b, m, k, n)
	for i := range m {
		for j := range n {
			c[i*n+j] = elem(a, b, m, k, n, transA, transB, i, j)
		}
	}
}

// MatMulElem returns element (i, j) of MatMul(c, a, b, m, k, n, transA,
// transB), recomputed on its own in the canonical order (for dispute
// resolution). It panics if i or j is out of range.
func MatMulElem(a, b []float32, m, k, n int, transA, transB bool, i, j int) float32 {
	checkMatMul("MatMulElem", nil, a, b, m, k, n)
	if i < 0 || i >= m || j < 0 || j >= n {
		panic(fmt.Sprintf("kernel.MatMulElem: element (%d, %d) outside %d×%d", i, j, m, n))
	}
	return elem(a, b, m, k, n, transA, transB, i, j)
}

// elem is the canonical definition of one output element.
func elem(a, b []float32, m, k, n int, transA, transB bool, i, j int) float32 {
	var s float32 // +0
	for t := range k {
		var x, y float32
		if transA {
			x = a[t*m+i]
		} else {
			x = a[i*k+t]
		}
		if transB {
			y = b[j*k+t]
		} else {
			y = b[t*n+j]
		}
		s += float32(x * y)
	}
	return s
}
