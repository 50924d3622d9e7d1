package quant

import (
	"bytes"
	"errors"
	"testing"
)

func smallModel() *Model {
	return &Model{InShift: 4, Layers: []Layer{
		{In: 2, Out: 2, W: []int8{1, -2, 127, -128}, B: []int32{5, -7}, WShift: 6, OutShift: 4},
		{In: 2, Out: 1, W: []int8{3, -4}, B: []int32{9}, WShift: 7},
	}}
}

func TestUnmarshalRoundTrip(t *testing.T) {
	m := smallModel()
	b, _ := m.MarshalBinary()
	var got Model
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if got.Hash() != m.Hash() {
		t.Fatal("round trip changed the model")
	}
	for _, bad := range [][]byte{nil, b[:len(b)-1], append(bytes.Clone(b), 0), []byte("HYPHA-CE1-QMLP\n\xff\xff")} {
		if err := new(Model).UnmarshalBinary(bad); !errors.Is(err, ErrModel) {
			t.Errorf("UnmarshalBinary(%d bytes) = %v, want ErrModel", len(bad), err)
		}
	}
}

func TestInferOverflowAndShift(t *testing.T) {
	m := &Model{Layers: []Layer{{In: 2, Out: 1, W: []int8{127, 127}, B: []int32{1<<31 - 1}}}}
	if _, err := m.Infer([]int8{1, 0}); !errors.Is(err, ErrOverflow) {
		t.Fatalf("Infer past int32 = %v, want ErrOverflow", err)
	}
	if out, err := m.Infer([]int8{-1, 0}); err != nil || out[0] != 1<<31-1-127 {
		t.Fatalf("Infer = %v, %v", out, err)
	}
	bad := smallModel()
	bad.Layers[0].OutShift = 20 // shift 4+6-20 < 0
	if err := bad.Validate(); !errors.Is(err, ErrModel) {
		t.Fatalf("negative shift accepted: %v", err)
	}
}

// FuzzUnmarshal checks the decoder never panics and that whatever it
// accepts re-encodes to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	b, _ := smallModel().MarshalBinary()
	f.Add(b)
	f.Add([]byte(quantMagic))
	f.Fuzz(func(t *testing.T, in []byte) {
		var m Model
		if err := m.UnmarshalBinary(in); err != nil {
			return
		}
		out, _ := m.MarshalBinary()
		if !bytes.Equal(out, in) {
			t.Fatal("accepted encoding is not canonical")
		}
	})
}
