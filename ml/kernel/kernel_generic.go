package kernel

// goKernel is the portable micro-kernel, used on every architecture without
// an assembly kernel (and on amd64 CPUs without AVX2). Every product is
// wrapped in float32(...), which the Go specification defines as a rounding
// point, so no compiler (arm64, ppc64le, riscv64, loong64, s390x, amd64
// with GOAMD64=v3) can fuse it with the following addition into an FMA.
var goKernel = microKernel{
	name: "go4x4",
	mr:   4, nr: 4,
	kc: 256, nc: 256,
	run: matKernGo4x4,
}

// matKernGo4x4 is the portable micro-kernel; A[r][t] = a[r*ra+t*ta].
func matKernGo4x4(kc int, a []float32, ra, ta int, bp, c []float32, ldc int, load bool) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	r0, r1, r2, r3 := c[0:4:4], c[ldc:ldc+4:ldc+4], c[2*ldc:2*ldc+4:2*ldc+4], c[3*ldc:3*ldc+4:3*ldc+4]
	if load {
		c00, c01, c02, c03 = r0[0], r0[1], r0[2], r0[3]
		c10, c11, c12, c13 = r1[0], r1[1], r1[2], r1[3]
		c20, c21, c22, c23 = r2[0], r2[1], r2[2], r2[3]
		c30, c31, c32, c33 = r3[0], r3[1], r3[2], r3[3]
	}
	bp = bp[:4*kc]
	_ = a[3*ra+(kc-1)*ta]
	for t := range kc {
		b := bp[4*t : 4*t+4 : 4*t+4]
		o := t * ta
		a0, a1, a2, a3 := a[o], a[o+ra], a[o+2*ra], a[o+3*ra]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += float32(a0 * b0)
		c01 += float32(a0 * b1)
		c02 += float32(a0 * b2)
		c03 += float32(a0 * b3)
		c10 += float32(a1 * b0)
		c11 += float32(a1 * b1)
		c12 += float32(a1 * b2)
		c13 += float32(a1 * b3)
		c20 += float32(a2 * b0)
		c21 += float32(a2 * b1)
		c22 += float32(a2 * b2)
		c23 += float32(a2 * b3)
		c30 += float32(a3 * b0)
		c31 += float32(a3 * b1)
		c32 += float32(a3 * b2)
		c33 += float32(a3 * b3)
	}
	r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
	r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
	r2[0], r2[1], r2[2], r2[3] = c20, c21, c22, c23
	r3[0], r3[1], r3[2], r3[3] = c30, c31, c32, c33
}

// sumGo is the portable Sum: eight independent lane accumulators.
func sumGo(x []float32) float32 {
	var l [Lanes]float32
	i := 0
	for ; i+Lanes <= len(x); i += Lanes {
		v := x[i : i+Lanes : i+Lanes]
		l[0] += v[0]
		l[1] += v[1]
		l[2] += v[2]
		l[3] += v[3]
		l[4] += v[4]
		l[5] += v[5]
		l[6] += v[6]
		l[7] += v[7]
	}
	for j, v := range x[i:] {
		l[j] += v
	}
	return combine(&l)
}

// dotGo is the portable Dot.
func dotGo(a, b []float32) float32 {
	var l [Lanes]float32
	b = b[:len(a)]
	i := 0
	for ; i+Lanes <= len(a); i += Lanes {
		x := a[i : i+Lanes : i+Lanes]
		y := b[i : i+Lanes : i+Lanes]
		l[0] += float32(x[0] * y[0])
		l[1] += float32(x[1] * y[1])
		l[2] += float32(x[2] * y[2])
		l[3] += float32(x[3] * y[3])
		l[4] += float32(x[4] * y[4])
		l[5] += float32(x[5] * y[5])
		l[6] += float32(x[6] * y[6])
		l[7] += float32(x[7] * y[7])
	}
	for j := i; j < len(a); j++ {
		l[j-i] += float32(a[j] * b[j])
	}
	return combine(&l)
}
