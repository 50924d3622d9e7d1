package num

import (
	"math"
	"math/bits"
)

// m4pi holds the binary expansion of 4/pi: word 0 is the integer part, word
// w >= 1 holds the fraction bits of weight 2**(-64(w-1)-1) .. 2**(-64w).
// Same table as the Go standard library's math/trig_reduce.go.
var m4pi = [...]uint64{
	0x0000000000000001,
	0x45f306dc9c882a53,
	0xf84eafa3ea69bb81,
	0xb6c52b3278872083,
	0xfca2c757bd778ac3,
	0x6e48dc74849ba5c0,
	0x0c925dd413a32439,
	0xfc3bd63962534e7d,
	0xd1046bea5d768909,
	0xd338e04d68befc82,
}

// reduceHalfPi returns q and r with x = (4k+q)*pi/2 + r, |r| <= pi/4, for
// finite x >= pi/4 whose magnitude is below 2**128 (every finite float32).
//
// It is an exact Payne-Hanek reduction in integer arithmetic: x*(4/pi) mod 8
// is formed as a 128-bit fixed-point fraction from a 192-bit window of 4/pi,
// so r carries about 53 correct bits even when x is huge or lies very close to
// a multiple of pi/2. Only the final scaling by pi/2 is a float64 operation.
func reduceHalfPi(x float64) (q uint64, r float64) {
	ix := math.Float64bits(x)
	e := int(ix>>52&0x7ff) - 1023 - 52 // x = m * 2**e
	m := ix&(1<<52-1) | 1<<52
	digit, shift := uint(e+61)/64, uint(e+61)%64
	z0 := m4pi[digit]<<shift | m4pi[digit+1]>>(64-shift)
	z1 := m4pi[digit+1]<<shift | m4pi[digit+2]>>(64-shift)
	z2 := m4pi[digit+2]<<shift | m4pi[digit+3]>>(64-shift)
	z2hi, _ := bits.Mul64(z2, m)
	z1hi, z1lo := bits.Mul64(z1, m)
	z0lo := z0 * m
	lo, c := bits.Add64(z1lo, z2hi, 0)
	hi, _ := bits.Add64(z0lo, z1hi, c)
	// hi:lo is (x*4/pi mod 8)/8 as a 128-bit fraction, so x*2/pi mod 4 has
	// integer part hi>>62 and fraction (hi:lo)<<2.
	q = hi >> 62
	fhi, flo := hi<<2|lo>>62, lo<<2
	neg := false
	if fhi>>63 != 0 { // fraction >= 1/2: round to the next quadrant
		q = (q + 1) & 3
		var b uint64
		flo, b = bits.Sub64(0, flo, 0)
		fhi, _ = bits.Sub64(0, fhi, b)
		neg = true
	}
	// Normalise the fraction and truncate it to a 53-bit float64.
	if fhi == 0 {
		if flo == 0 {
			return q, 0
		}
		fhi, flo = flo, 0
		e = -64
	} else {
		e = 0
	}
	lz := uint(bits.LeadingZeros64(fhi))
	fhi = fhi<<lz | flo>>(64-lz)
	e -= int(lz) + 1 // value = 0.1xxx * 2**(e+1) => 1.xxx * 2**e
	f := math.Float64frombits(uint64(e+1023)<<52 | (fhi<<1)>>12)
	r = float64(f * (math.Pi / 2))
	if neg {
		r = -r
	}
	return q, r
}

// Taylor coefficients of sin(r)/r - 1 and cos(r) - 1 in z = r*r; on
// |r| <= pi/4 the truncation error is below 1e-17.
var (
	sinC = [...]float64{-1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880, -1.0 / 39916800, 1.0 / 6227020800, -1.0 / 1307674368000, 1.0 / 355687428096000}
	cosC = [...]float64{-1.0 / 2, 1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800, 1.0 / 479001600, -1.0 / 87178291200, 1.0 / 20922789888000, -1.0 / 6402373705728000}
)

func sinPoly(r float64) float64 {
	z := float64(r * r)
	return r + float64(float64(r*z)*horner(z, sinC[:]))
}

func cosPoly(r float64) float64 {
	z := float64(r * r)
	return 1 + float64(z*horner(z, cosC[:]))
}

// sincos64 returns sin(x) and cos(x) for finite x >= 0 below 2**128.
func sincos64(x float64) (s, c float64) {
	if x < math.Pi/4 {
		return sinPoly(x), cosPoly(x)
	}
	q, r := reduceHalfPi(x)
	s, c = sinPoly(r), cosPoly(r)
	switch q {
	case 1:
		s, c = c, -s
	case 2:
		s, c = -s, -c
	case 3:
		s, c = -c, s
	}
	return s, c
}
