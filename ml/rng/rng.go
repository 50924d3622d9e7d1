// Package rng is the counter-based random number generator of the canonical
// ML runtime (CE-v1).
//
// It is built on Philox4x32-10 (Salmon et al., "Parallel random numbers: as
// easy as 1, 2, 3", SC 2011): a keyed bijection of a 128-bit counter. Random
// word i of a stream is a pure function of the stream's Key and of i, so any
// slice of any stream can be produced independently and in parallel, resumed
// from a checkpoint by remembering an offset, or recomputed in isolation to
// settle a dispute.
//
// Stream layout (part of CE-v1; changing it changes every result):
//
//   - The Philox key is derived from (Seed, Tensor) by one Philox block:
//     k = Philox(ctr = {lo32(Tensor), hi32(Tensor), 0, 0x43453176},
//     key = {lo32(Seed), hi32(Seed)}), words 0 and 1.
//   - Word i of the stream is word i%4 of Philox(ctr = {lo32(i/4),
//     hi32(i/4), lo32(Step), hi32(Step)}, key = k).
//
// Uniform and Normal consume this same word stream, so a Key should feed
// only one kind of draw.
package rng

import (
	"math/bits"

	"github.com/hypha-network/hypha/ml/num"
)

// Key identifies one random stream: the run seed, the training step and the
// tensor (or other consumer) the numbers are for.
type Key struct {
	Seed   uint64
	Step   uint64
	Tensor uint64
}

// Philox4x32 round and key-schedule constants.
const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57
	philoxW0 = 0x9E3779B9 // golden ratio
	philoxW1 = 0xBB67AE85 // sqrt(3)-1
)

// keyDomain tags the key-derivation block ("CE1v").
const keyDomain = 0x43453176

// Philox4x32 returns the Philox4x32-10 block for counter ctr and key key.
// It is exported so that the generator can be checked against the published
// Random123 known-answer vectors and reimplemented elsewhere.
func Philox4x32(ctr [4]uint32, key [2]uint32) [4]uint32 {
	c0, c1, c2, c3 := ctr[0], ctr[1], ctr[2], ctr[3]
	k0, k1 := key[0], key[1]
	for r := 0; r < 10; r++ {
		if r > 0 {
			k0 += philoxW0
			k1 += philoxW1
		}
		hi0, lo0 := bits.Mul32(philoxM0, c0)
		hi1, lo1 := bits.Mul32(philoxM1, c2)
		c0, c1, c2, c3 = hi1^c1^k0, lo1, hi0^c3^k1, lo0
	}
	return [4]uint32{c0, c1, c2, c3}
}

// stream is a Key expanded into its Philox key and counter high words.
type stream struct {
	key    [2]uint32
	c2, c3 uint32
}

func newStream(k Key) stream {
	d := Philox4x32(
		[4]uint32{uint32(k.Tensor), uint32(k.Tensor >> 32), 0, keyDomain},
		[2]uint32{uint32(k.Seed), uint32(k.Seed >> 32)})
	return stream{key: [2]uint32{d[0], d[1]}, c2: uint32(k.Step), c3: uint32(k.Step >> 32)}
}

func (s *stream) block(b uint64) [4]uint32 {
	return Philox4x32([4]uint32{uint32(b), uint32(b >> 32), s.c2, s.c3}, s.key)
}

// Uint32s fills dst with words offset, offset+1, ... of the stream k.
// dst[i] depends only on k and offset+i.
func Uint32s(k Key, offset uint64, dst []uint32) {
	if len(dst) == 0 {
		return
	}
	s := newStream(k)
	i := 0
	// Leading partial block.
	if r := offset % 4; r != 0 {
		w := s.block(offset / 4)
		for ; r < 4 && i < len(dst); r++ {
			dst[i] = w[r]
			i++
		}
	}
	b := (offset + uint64(i)) / 4
	for ; i+4 <= len(dst); i += 4 {
		w := s.block(b)
		dst[i], dst[i+1], dst[i+2], dst[i+3] = w[0], w[1], w[2], w[3]
		b++
	}
	if i < len(dst) {
		w := s.block(b)
		copy(dst[i:], w[:])
	}
}

// uniform24 maps a random word to [0, 1) using its top 24 bits: every
// result is an exact multiple of 2**-24.
func uniform24(w uint32) float32 {
	return float32(w>>8) * (1.0 / (1 << 24))
}

// Uniform fills dst with uniform numbers in [0, 1): dst[i] = (w>>8) * 2**-24
// where w is word offset+i of the stream k.
func Uniform(k Key, offset uint64, dst []float32) {
	const chunk = 256
	var buf [chunk]uint32
	for len(dst) > 0 {
		n := min(len(dst), chunk)
		Uint32s(k, offset, buf[:n])
		for i, w := range buf[:n] {
			dst[i] = uniform24(w)
		}
		dst = dst[n:]
		offset += uint64(n)
	}
}

// twoPi is 2*pi rounded to float32.
const twoPi float32 = 6.2831853071795864769

// Normal fills dst with standard normal numbers by the Box-Muller transform.
// Element e = offset+i uses words 2*(e/2) and 2*(e/2)+1 of the stream k:
// with u1 = ((w0>>8)+1) * 2**-24 in (0, 1] and u2 = (w1>>8) * 2**-24 in
// [0, 1), r = Sqrt(-2*Log(u1)) and t = 2pi*u2 (all float32, package num),
// even e gives r*Cos(t) and odd e gives r*Sin(t).
func Normal(k Key, offset uint64, dst []float32) {
	const chunk = 256 // even
	var buf [chunk]uint32
	for len(dst) > 0 {
		// Fetch whole word pairs covering elements offset..offset+n-1.
		first := offset &^ 1
		n := min(len(dst), chunk-2)
		words := int((offset+uint64(n)+1)&^1 - first)
		Uint32s(k, first, buf[:words])
		for i := range n {
			e := offset + uint64(i)
			p := int(e-first) &^ 1
			dst[i] = boxMuller(buf[p], buf[p+1], e&1 == 1)
		}
		dst = dst[n:]
		offset += uint64(n)
	}
}

func boxMuller(w0, w1 uint32, odd bool) float32 {
	u1 := float32(w0>>8+1) * (1.0 / (1 << 24))
	u2 := uniform24(w1)
	r := num.Sqrt(-2 * num.Log(u1)) // multiplication by -2 is exact
	t := float32(twoPi * u2)
	if odd {
		return float32(r * num.Sin(t))
	}
	return float32(r * num.Cos(t))
}

// PermutationTensor is the Key.Tensor value reserved for data-order
// permutations; model tensors must use other ids.
const PermutationTensor = ^uint64(0)

// Permutation returns a uniformly random permutation of 0..n-1 for the given
// seed and epoch (Fisher-Yates driven by the stream
// Key{Seed: seed, Step: epoch, Tensor: PermutationTensor}).
//
// For i = n-1 down to 1 it swaps p[i] and p[j] where, with t = n-1-i,
// words 2t and 2t+1 form r = w[2t]<<32 | w[2t+1] and j = (r*(i+1)) >> 64
// (bias at most n/2**64). It returns an empty slice for n <= 0.
func Permutation(seed uint64, epoch uint64, n int) []int {
	if n <= 0 {
		return []int{}
	}
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	k := Key{Seed: seed, Step: epoch, Tensor: PermutationTensor}
	const chunk = 256 // even
	var buf [chunk]uint32
	var off uint64
	for i := n - 1; i >= 1; {
		steps := min(i, chunk/2)
		Uint32s(k, off, buf[:2*steps])
		off += uint64(2 * steps)
		for t := 0; t < steps; t++ {
			r := uint64(buf[2*t])<<32 | uint64(buf[2*t+1])
			j, _ := bits.Mul64(r, uint64(i+1))
			p[i], p[j] = p[j], p[i]
			i--
		}
	}
	return p
}
