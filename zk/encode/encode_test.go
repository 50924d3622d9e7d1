package encode

import (
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/hypha-network/hypha/ml/quant"
)

func TestLayoutAndPack(t *testing.T) {
	slots, n := Layout(Widths(10, 32))
	if n != 2 || slots[6] != (Slot{0, 192}) || slots[7] != (Slot{1, 0}) {
		t.Fatalf("10 logits: %d elements, slots %v", n, slots)
	}
	if _, n := Layout(Widths(784, 8)); n != 26 {
		t.Fatalf("784 bytes take %d elements, want 26", n)
	}
	e := Pack([]Limb{{1, 8}, {2, 8}, {0xffffffff, 32}})
	want := new(big.Int).SetUint64(1 + 2<<8 + 0xffffffff<<16)
	if e[0].BigInt(new(big.Int)).Cmp(want) != 0 {
		t.Fatalf("Pack = %s, want %s", e[0].String(), want)
	}
}

func TestElementsRoundTrip(t *testing.T) {
	out := []int32{-1 << 31, -1, 0, 1, 1<<31 - 1, 5, 6, 7, 8, 9}
	for _, sh := range []Shape{{In: 3, Out: 10}, {PrivateModel: true, CommittedInput: true, In: 3, Out: 10}} {
		pub, err := sh.Elements(Public{Input: []int8{-128, 0, 127}, Output: out})
		if err != nil {
			t.Fatal(err)
		}
		if len(pub) != sh.NumPublic() {
			t.Fatalf("%+v: %d elements, NumPublic %d", sh, len(pub), sh.NumPublic())
		}
		got, err := sh.DecodeOutput(pub)
		if err != nil {
			t.Fatal(err)
		}
		for i := range out {
			if got[i] != out[i] {
				t.Fatalf("%+v: output %d = %d, want %d", sh, i, got[i], out[i])
			}
		}
	}
	if _, err := (Shape{In: 3, Out: 10}).Elements(Public{Input: []int8{1}, Output: out}); err == nil {
		t.Fatal("short input accepted")
	}
}

func TestCommitmentsSeparate(t *testing.T) {
	m := &quant.Model{Layers: []quant.Layer{{In: 1, Out: 1, W: []int8{3}, B: []int32{0}}}}
	var salt fr.Element
	a := ModelCommitment(m, salt)
	m.Layers[0].W[0] = 4
	if ModelCommitment(m, salt) == a {
		t.Fatal("changing a weight kept the commitment")
	}
	if InputCommitment([]int8{3}, salt) == InputCommitment([]int8{4}, salt) {
		t.Fatal("changing the input kept the commitment")
	}
	salt.SetUint64(1)
	if InputCommitment([]int8{3}, salt) == InputCommitment([]int8{3}, fr.Element{}) {
		t.Fatal("the salt does not enter the commitment")
	}
}
