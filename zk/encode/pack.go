package encode

import (
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// ElemBits is the most bits packed into one field element; below the 253
// bits of BN254's scalar field so a packing never wraps.
const ElemBits = 248

// Limb is one unsigned value of Bits bits (Bits <= 64).
type Limb struct {
	V    uint64
	Bits int
}

// Slot says where a limb lands: element Elem, bit offset Off.
type Slot struct{ Elem, Off int }

// Layout assigns limbs of the given widths to elements, greedily and in
// order, starting a new element when the next limb would pass ElemBits.
// It returns the slot of each limb and the element count.
func Layout(widths []int) ([]Slot, int) {
	slots := make([]Slot, len(widths))
	elem, off := 0, 0
	for i, w := range widths {
		if off+w > ElemBits {
			elem, off = elem+1, 0
		}
		slots[i] = Slot{elem, off}
		off += w
	}
	if len(widths) == 0 {
		return slots, 0
	}
	return slots, elem + 1
}

// Pack packs limbs by Layout into field elements.
func Pack(limbs []Limb) []fr.Element {
	widths := make([]int, len(limbs))
	for i, l := range limbs {
		widths[i] = l.Bits
	}
	slots, n := Layout(widths)
	acc := make([]big.Int, n)
	var t big.Int
	for i, l := range limbs {
		t.SetUint64(l.V)
		t.Lsh(&t, uint(slots[i].Off))
		acc[slots[i].Elem].Or(&acc[slots[i].Elem], &t)
	}
	out := make([]fr.Element, n)
	for i := range acc {
		out[i].SetBigInt(&acc[i])
	}
	return out
}

// Int8Limbs maps int8 values to 8-bit limbs v+128.
func Int8Limbs(v []int8) []Limb {
	out := make([]Limb, len(v))
	for i, x := range v {
		out[i] = Limb{uint64(int64(x) + 128), 8}
	}
	return out
}

// Int32Limbs maps int32 values to 32-bit limbs v+2^31.
func Int32Limbs(v []int32) []Limb {
	out := make([]Limb, len(v))
	for i, x := range v {
		out[i] = Limb{uint64(int64(x) + 1<<31), 32}
	}
	return out
}

// Widths returns n copies of w, for Layout.
func Widths(n, w int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = w
	}
	return out
}
