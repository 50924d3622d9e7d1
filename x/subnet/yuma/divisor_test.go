package yuma

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// randBits returns a random uint64 of exactly k significant bits (k in
// 1..64), so every divisor length is exercised.
func randBits(r *rand.Rand, k int) uint64 {
	x := r.Uint64() >> (64 - k)
	return x | 1<<(k-1)
}

// TestDivisorQuo compares the reciprocal division with bits.Div64 on random
// operands of every length and on edge operands.
func TestDivisorQuo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	check := func(den, hi, lo uint64) {
		t.Helper()
		want, _ := bits.Div64(hi, lo, den)
		d := newDivisor(den)
		if got := d.quo(hi, lo); got != want {
			t.Fatalf("(%#x:%#x)/%#x = %#x, want %#x", hi, lo, den, got, want)
		}
	}
	edges := []uint64{0, 1, 2, 3, 1<<32 - 1, 1 << 32, 1<<62 - 1, 1 << 62, 1<<63 - 1, 1 << 63, math.MaxUint64 - 1, math.MaxUint64}
	for _, den := range append(edges[1:], 5, 7, 100<<30, 1<<63+1) {
		for _, hi := range []uint64{0, 1, den / 2, den - 1} {
			if hi >= den {
				continue
			}
			for _, lo := range edges {
				check(den, hi, lo)
			}
		}
	}
	for k := 0; k < 2_000_000; k++ {
		den := randBits(r, 1+r.IntN(64))
		hi := r.Uint64N(den)
		switch r.IntN(4) {
		case 0:
			hi = den - 1
		case 1:
			hi = 0
		}
		check(den, hi, r.Uint64())
	}
}

// TestDivisorFrac checks that divisor.frac reproduces Ratio for x <= den,
// and that a sum128 divisor reproduces sum128.ratio for x <= the sum,
// including zero divisors and the largest operands.
func TestDivisorFrac(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 13))
	for k := 0; k < 2_000_000; k++ {
		den := randBits(r, 1+r.IntN(64))
		switch r.IntN(50) {
		case 0:
			den = 0
		case 1:
			den = math.MaxUint64
		}
		var num uint64
		switch r.IntN(4) {
		case 0:
			num = den
		case 1:
			num = 0
		default:
			num = r.Uint64N(den/2+1) * 2 // spans [0, den] (den odd: den-1)
			if r.IntN(2) == 0 {
				num = den >> r.IntN(64)
			}
		}
		d := newDivisor(den)
		if got, want := d.frac(num), Ratio(num, den); got != want {
			t.Fatalf("frac(%d / %d) = %d, want %d", num, den, got, want)
		}
		s := sum128{lo: r.Uint64()}
		if r.IntN(2) == 0 {
			s.hi = randBits(r, 1+r.IntN(20))
		}
		if r.IntN(50) == 0 {
			s = sum128{}
		}
		// x <= s: any x if s.hi > 0, else up to s.lo.
		x := r.Uint64()
		if s.hi == 0 {
			x = r.Uint64N(s.lo/2+1) * 2
			if x > s.lo || r.IntN(8) == 0 {
				x = s.lo
			}
		}
		sd := s.divisor()
		if got, want := sd.frac(x>>sd.pre), s.ratio(x); got != want {
			t.Fatalf("sum %+v: frac(%d) = %d, want %d", s, x, got, want)
		}
	}
}

// TestNormalizeUnchanged checks normalize against its original form on
// random vectors.
func TestNormalizeUnchanged(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 34))
	for k := 0; k < 20000; k++ {
		v := make([]Fixed, r.IntN(40))
		for i := range v {
			v[i] = randFixed(r)
			if r.IntN(3) == 0 {
				v[i] >>= r.IntN(62)
			}
		}
		a, b := append([]Fixed(nil), v...), v
		normalize(a)
		legacyNormalize(b)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("normalize differs at %d: %d vs %d", i, a[i], b[i])
			}
		}
	}
}
