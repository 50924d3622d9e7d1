package rng

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"testing"
)

// TestPhiloxKnownAnswers checks Philox4x32-10 against the known-answer
// vectors published with Random123 (kat_vectors, "philox4x32 10").
func TestPhiloxKnownAnswers(t *testing.T) {
	tests := []struct {
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0},
			[4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff},
			[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
			[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	}
	for _, tt := range tests {
		if got := Philox4x32(tt.ctr, tt.key); got != tt.want {
			t.Errorf("Philox4x32(%08x, %08x) = %08x, want %08x", tt.ctr, tt.key, got, tt.want)
		}
	}
}

// TestOffsetIndependence checks that element i of every generator depends
// only on (key, offset+i): any split of a range into pieces, at any offsets,
// gives the same numbers.
func TestOffsetIndependence(t *testing.T) {
	k := Key{Seed: 42, Step: 7, Tensor: 3}
	const n = 1000
	words := make([]uint32, n)
	Uint32s(k, 0, words)
	uni := make([]float32, n)
	Uniform(k, 0, uni)
	nor := make([]float32, n)
	Normal(k, 0, nor)
	for _, off := range []int{0, 1, 2, 3, 4, 5, 7, 255, 256, 257, 511, 600} {
		for _, ln := range []int{0, 1, 2, 3, 5, 8, 255, 256, 257, 300} {
			if off+ln > n {
				continue
			}
			w := make([]uint32, ln)
			Uint32s(k, uint64(off), w)
			u := make([]float32, ln)
			Uniform(k, uint64(off), u)
			z := make([]float32, ln)
			Normal(k, uint64(off), z)
			for i := range ln {
				if w[i] != words[off+i] || u[i] != uni[off+i] ||
					math.Float32bits(z[i]) != math.Float32bits(nor[off+i]) {
					t.Fatalf("offset %d length %d element %d differs", off, ln, i)
				}
			}
		}
	}
}

// TestStreamsDiffer checks that each Key field selects a different stream.
func TestStreamsDiffer(t *testing.T) {
	keys := []Key{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1 << 32, 0, 0}, {0, 1 << 32, 0}, {0, 0, 1 << 32}}
	seen := map[[4]uint32]Key{}
	for _, k := range keys {
		var w [4]uint32
		Uint32s(k, 0, w[:])
		if prev, ok := seen[w]; ok {
			t.Errorf("keys %+v and %+v give the same stream", prev, k)
		}
		seen[w] = k
	}
	// Offsets beyond 2**32 blocks must not wrap onto low offsets.
	var a, b [4]uint32
	Uint32s(Key{}, 0, a[:])
	Uint32s(Key{}, 4<<32, b[:])
	if a == b {
		t.Error("block counter wraps at 2**32")
	}
}

// TestGoldenStreams pins the exact values of the stream layout, Uniform,
// Normal and Permutation (CE-v1 conformance vectors).
func TestGoldenStreams(t *testing.T) {
	k := Key{Seed: 0x0123456789abcdef, Step: 1000, Tensor: 17}
	var w [6]uint32
	Uint32s(k, 5, w[:])
	wantW := [6]uint32{goldenWords[0], goldenWords[1], goldenWords[2], goldenWords[3], goldenWords[4], goldenWords[5]}
	if w != wantW {
		t.Errorf("Uint32s = %08x, want %08x", w, wantW)
	}
	var u [4]float32
	Uniform(k, 5, u[:])
	for i, x := range u {
		if math.Float32bits(x) != goldenUniform[i] {
			t.Errorf("Uniform[%d] = %#08x, want %#08x", i, math.Float32bits(x), goldenUniform[i])
		}
	}
	var z [6]float32
	Normal(k, 5, z[:])
	for i, x := range z {
		if math.Float32bits(x) != goldenNormal[i] {
			t.Errorf("Normal[%d] = %#08x, want %#08x", i, math.Float32bits(x), goldenNormal[i])
		}
	}
	p := Permutation(99, 3, 12)
	for i := range p {
		if p[i] != goldenPerm[i] {
			t.Fatalf("Permutation(99, 3, 12) = %v, want %v", p, goldenPerm)
		}
	}
	// A long-range hash covers many blocks and chunk boundaries.
	big := make([]float32, 10007)
	Normal(Key{Seed: 1, Step: 2, Tensor: 3}, 12345, big)
	h := sha256.New()
	for _, x := range big {
		binary.Write(h, binary.LittleEndian, math.Float32bits(x))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != goldenNormalHash {
		t.Errorf("Normal hash = %s, want %s", got, goldenNormalHash)
	}
	perm := Permutation(7, 0, 100000)
	h.Reset()
	for _, x := range perm {
		binary.Write(h, binary.LittleEndian, uint32(x))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != goldenPermHash {
		t.Errorf("Permutation hash = %s, want %s", got, goldenPermHash)
	}
}

func TestPermutation(t *testing.T) {
	for _, n := range []int{-1, 0, 1, 2, 3, 10, 129, 130, 1000} {
		p := Permutation(5, 1, n)
		if len(p) != max(n, 0) {
			t.Fatalf("n=%d: len %d", n, len(p))
		}
		seen := make([]bool, len(p))
		for _, v := range p {
			if v < 0 || v >= len(p) || seen[v] {
				t.Fatalf("n=%d: not a permutation: %v", n, p)
			}
			seen[v] = true
		}
	}
	a, b := Permutation(5, 1, 50), Permutation(5, 2, 50)
	same := true
	for i := range a {
		same = same && a[i] == b[i]
	}
	if same {
		t.Error("epochs 1 and 2 give the same permutation")
	}
	// Each of the 6 permutations of 3 elements should be about equally likely.
	counts := map[[3]int]int{}
	for e := range uint64(60000) {
		p := Permutation(11, e, 3)
		counts[[3]int{p[0], p[1], p[2]}]++
	}
	for perm, c := range counts {
		if c < 9400 || c > 10600 {
			t.Errorf("permutation %v drawn %d times of 60000", perm, c)
		}
	}
	if len(counts) != 6 {
		t.Errorf("%d distinct permutations of 3, want 6", len(counts))
	}
}

// TestDistributions is a coarse sanity check of the moments.
func TestDistributions(t *testing.T) {
	const n = 1 << 20
	x := make([]float32, n)
	Uniform(Key{Seed: 3}, 0, x)
	var s, s2 float64
	for _, v := range x {
		if v < 0 || v >= 1 {
			t.Fatalf("uniform %g outside [0,1)", v)
		}
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	if mean, vr := s/n, s2/n-(s/n)*(s/n); math.Abs(mean-0.5) > 0.002 || math.Abs(vr-1.0/12) > 0.001 {
		t.Errorf("uniform mean %g var %g", mean, vr)
	}
	Normal(Key{Seed: 3}, 0, x)
	s, s2 = 0, 0
	var s4 float64
	for _, v := range x {
		if v != v || math.IsInf(float64(v), 0) {
			t.Fatalf("normal produced %g", v)
		}
		f := float64(v)
		s += f
		s2 += f * f
		s4 += f * f * f * f
	}
	mean, vr, kurt := s/n, s2/n, s4/n
	if math.Abs(mean) > 0.005 || math.Abs(vr-1) > 0.005 || math.Abs(kurt-3) > 0.05 {
		t.Errorf("normal mean %g var %g 4th moment %g", mean, vr, kurt)
	}
}

func BenchmarkUniform(b *testing.B) {
	x := make([]float32, 4096)
	for b.Loop() {
		Uniform(Key{Seed: 1}, 0, x)
	}
	b.SetBytes(4 * 4096)
}

func BenchmarkNormal(b *testing.B) {
	x := make([]float32, 4096)
	for b.Loop() {
		Normal(Key{Seed: 1}, 0, x)
	}
	b.SetBytes(4 * 4096)
}
