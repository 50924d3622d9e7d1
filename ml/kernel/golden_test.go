package kernel

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"testing"

	"github.com/hypha-network/hypha/ml/rng"
)

var printGolden = flag.Bool("printgolden", false, "print the golden hashes computed on this machine")

// goldenInput returns n deterministic standard-normal inputs.
func goldenInput(tensor uint64, n int) []float32 {
	x := make([]float32, n)
	rng.Normal(rng.Key{Seed: 0xce1, Tensor: tensor}, 0, x)
	return x
}

func hashBits(xs ...float32) string {
	h := sha256.New()
	var buf [4]byte
	for _, x := range xs {
		binary.LittleEndian.PutUint32(buf[:], math.Float32bits(x))
		h.Write(buf[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// goldenMatMul lists the CE-v1 conformance vectors of MatMul: SHA-256 of the
// little-endian result bits for inputs a = goldenInput(1, m*k),
// b = goldenInput(2, k*n).
var goldenMatMul = []struct {
	m, k, n        int
	transA, transB bool
	hash           string
}{
	{1, 1, 1, false, false, "4cbaa3722971a9d1e413defd0450706bca838ea556cb1d8039b7442fbf510ad5"},
	{37, 129, 61, false, false, "7ca5a951d1a72999e8fc342c1a5ba41bc830fd8ee8f8e52ef80f40e80c2856b6"},
	{37, 129, 61, true, false, "3b3f2d1d11cddaff68973cd89d3eab9700fb5d6f50437f63b031b1ba1519e3f5"},
	{37, 129, 61, false, true, "ead0da0941869d204cf83e861029b8a351e7ab72097cfa495645dcb586484391"},
	{37, 129, 61, true, true, "3af32b83860ad00ed6e95570ae3ade28ecf8d1087eae09d53f3f98ce32db61c2"},
	{128, 600, 96, false, false, "9d7d88b930c9f1a4c483b63e89453f626d5d4601d262ce7771f74540120578d3"},
	{256, 256, 256, false, true, "d15cf9284ca8e6108c406364a9c814aedd589b53f6857df009efcb38ecb81381"},
	{3, 1000, 2, true, false, "a1ca5cf17811cbab5dc49bea1f9609e8a6a99ee19a90dbb24a463fdfe5d52a4b"},
}

// goldenReductions are the conformance vectors of Sum and Dot on
// goldenInput(3, n) and goldenInput(4, n).
var goldenReductions = []struct {
	n        int
	sum, dot uint32
}{
	{0, 0x00000000, 0x00000000},
	{1, 0xbe5da15a, 0x3d9359c0},
	{7, 0x3fbe6330, 0x3f75cda0},
	{8, 0x4018f435, 0x3ea4b4e9},
	{1001, 0x41a2ca98, 0x42069af0},
	{100003, 0x43337c21, 0x43a5351d},
}

func TestGoldenMatMul(t *testing.T) {
	for _, g := range goldenMatMul {
		a, b := goldenInput(1, g.m*g.k), goldenInput(2, g.k*g.n)
		c := make([]float32, g.m*g.n)
		MatMul(c, a, b, g.m, g.k, g.n, g.transA, g.transB)
		got := hashBits(c...)
		if *printGolden {
			fmt.Printf("\t{%d, %d, %d, %v, %v, %q},\n", g.m, g.k, g.n, g.transA, g.transB, got)
			continue
		}
		if got != g.hash {
			t.Errorf("MatMul %d×%d×%d transA=%v transB=%v: hash %s, want %s", g.m, g.k, g.n, g.transA, g.transB, got, g.hash)
		}
	}
}

func TestGoldenReductions(t *testing.T) {
	for _, g := range goldenReductions {
		a, b := goldenInput(3, g.n), goldenInput(4, g.n)
		s, d := math.Float32bits(Sum(a)), math.Float32bits(Dot(a, b))
		if *printGolden {
			fmt.Printf("\t{%d, %#08x, %#08x},\n", g.n, s, d)
			continue
		}
		if s != g.sum || d != g.dot {
			t.Errorf("n=%d: Sum %#08x Dot %#08x, want %#08x %#08x", g.n, s, d, g.sum, g.dot)
		}
	}
}
