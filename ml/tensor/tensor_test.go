package tensor_test

import (
	"math"
	"testing"

	"github.com/hypha-network/hypha/ml/ckpt"
	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/ml/tensor"
)

// nan returns a float32 NaN with the given bits.
func nan(bits uint32) float32 { return math.Float32frombits(bits) }

func TestFloat32Bits(t *testing.T) {
	for _, bits := range []uint32{0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fffffff, 0xffffffff, 0x7fc12345} {
		if got := tensor.Float32Bits(nan(bits)); got != tensor.CanonicalNaN {
			t.Errorf("Float32Bits(NaN %#08x) = %#08x, want %#08x", bits, got, tensor.CanonicalNaN)
		}
	}
	for _, v := range []float32{0, float32(math.Copysign(0, -1)), 1, -1.5, float32(math.Inf(1)), float32(math.Inf(-1)),
		math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32} {
		if got, want := tensor.Float32Bits(v), math.Float32bits(v); got != want {
			t.Errorf("Float32Bits(%v) = %#08x, want %#08x", v, got, want)
		}
	}
}

// TestNaNHashing checks that the op-trace hash and the checkpoint
// commitment of a tensor holding the x86 default NaN (0xffc00000) equal
// those of the same tensor holding the arm64 one (0x7fc00000).
func TestNaNHashing(t *testing.T) {
	x86 := []float32{1, nan(0xffc00000), -2, nan(0xffc00000)}
	arm := []float32{1, nan(0x7fc00000), -2, nan(0x7fc00000)}
	other := []float32{1, nan(0x7fc00000), -2, 0}

	if graph.HashValues(x86) != graph.HashValues(arm) {
		t.Error("graph.HashValues differs between NaN bit patterns")
	}
	if graph.HashValues(x86) == graph.HashValues(other) {
		t.Error("graph.HashValues does not see a changed value")
	}

	commit := func(v []float32) ckpt.Checkpoint {
		c := ckpt.New()
		c.PutTensor("w", []int{2, 2}, v)
		c.PutFloat("loss", v[1])
		return *c
	}
	a, b, o := commit(x86), commit(arm), commit(other)
	if a.Commitment() != b.Commitment() {
		t.Error("checkpoint commitment differs between NaN bit patterns")
	}
	if a.Commitment() == o.Commitment() {
		t.Error("checkpoint commitment does not see a changed value")
	}
	fa, _ := a.MarshalBinary()
	fb, _ := b.MarshalBinary()
	if string(fa) != string(fb) {
		t.Error("checkpoint files differ between NaN bit patterns")
	}
}
