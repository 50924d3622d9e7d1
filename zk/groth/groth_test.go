package groth

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/consensys/gnark/backend/groth16"

	"github.com/hypha-network/hypha/ml/quant"
	"github.com/hypha-network/hypha/testutil/zkmodels"
	"github.com/hypha-network/hypha/zk/circuit"
)

// devKeys compiles and runs gnark's single-party groth16.Setup: test-only
// keys (the toxic waste is in this process); real keys come from zk/setup.
func devKeys(t testing.TB, m *quant.Model, mode circuit.Mode) (*Prover, groth16.VerifyingKey) {
	t.Helper()
	c, ccs, err := Compile(m, mode)
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	return &Prover{Circuit: c, CCS: ccs, PK: pk}, vk
}

var digits = sync.OnceValues(func() (*quant.Model, [][]int8) {
	m, xs, _, err := zkmodels.Digits()
	if err != nil {
		panic(err)
	}
	return m, xs
})

func TestProveVerifyDigits(t *testing.T) {
	m, xs := digits()
	p, vk := devKeys(t, m, circuit.Mode{})
	sh := circuit.Mode{}.Shape(m)
	for k := 0; k < 8; k++ {
		x := xs[k*97]
		proof, out, err := p.Prove(circuit.Witness{Input: x})
		if err != nil {
			t.Fatal(err)
		}
		if len(proof.Bytes) != ProofSize(1) || len(proof.Bytes) > 200 {
			t.Fatalf("proof is %d bytes", len(proof.Bytes))
		}
		if err := Verify(vk, proof.Public, proof.Bytes); err != nil {
			t.Fatalf("input %d: %v", k, err)
		}
		// The verifier's own public witness, from values alone.
		vals := circuit.Witness{Input: x, Output: out}
		if err := VerifyValues(vk, sh, p.Circuit.PublicValues(vals), proof.Bytes); err != nil {
			t.Fatalf("VerifyValues: %v", err)
		}
		got, err := sh.DecodeOutput(proof.Public)
		if err != nil || !equal(got, out) {
			t.Fatalf("DecodeOutput = %v, %v; want %v", got, err, out)
		}
		// A wrong output is rejected by verify.
		wrong := append([]int32(nil), out...)
		wrong[k%10] += 1 + int32(k)
		vals.Output = wrong
		if err := VerifyValues(vk, sh, p.Circuit.PublicValues(vals), proof.Bytes); !errors.Is(err, ErrInvalid) {
			t.Fatalf("wrong output verified: %v", err)
		}
		// A tampered public input is rejected.
		tx := append([]int8(nil), x...)
		tx[k] ^= 1
		vals = circuit.Witness{Input: tx, Output: out}
		if err := VerifyValues(vk, sh, p.Circuit.PublicValues(vals), proof.Bytes); !errors.Is(err, ErrInvalid) {
			t.Fatalf("tampered input verified: %v", err)
		}
		pub := append(proof.Public[:0:0], proof.Public...)
		pub[0].SetUint64(pub[0].Uint64() + 1)
		if err := Verify(vk, pub, proof.Bytes); !errors.Is(err, ErrInvalid) {
			t.Fatalf("tampered public element verified: %v", err)
		}
	}
	// Proving a wrong output fails in the prover.
	x := xs[0]
	out, _ := m.Infer(x)
	out[3]++
	if _, err := p.ProveClaim(circuit.Witness{Input: x, Output: out}); err == nil {
		t.Fatal("a wrong output was proven")
	}
	if _, _, err := p.Prove(circuit.Witness{Input: x, Output: out}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Prove with a wrong claim = %v, want ErrInvalid", err)
	}
}

// TestOtherModelKey: a proof for one model does not verify under another
// model's key of the same shape, nor under the same model's other mode.
func TestOtherModelKey(t *testing.T) {
	a, _ := zkmodels.Random(1, 64, 32, 10)
	b, _ := zkmodels.Random(2, 64, 32, 10)
	pa, vka := devKeys(t, a, circuit.Mode{})
	_, vkb := devKeys(t, b, circuit.Mode{})
	x := zkmodels.RandomInputs(5, 1, 64)[0]
	proof, _, err := pa.Prove(circuit.Witness{Input: x})
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(vka, proof.Public, proof.Bytes); err != nil {
		t.Fatal(err)
	}
	if err := Verify(vkb, proof.Public, proof.Bytes); !errors.Is(err, ErrInvalid) {
		t.Fatalf("proof for model a verified under model b's key: %v", err)
	}
	ida, _ := KeyID(vka)
	idb, _ := KeyID(vkb)
	if ida == idb {
		t.Fatal("two models share a key id")
	}
}

// TestPrivateAndCommitted proves a private 64-32-10 model with a committed
// input: the commitments, not the weights or input, are public.
func TestPrivateAndCommitted(t *testing.T) {
	if testing.Short() {
		t.Skip("private-model setup takes a few seconds")
	}
	m, _ := zkmodels.Random(3, 64, 32, 10)
	mode := circuit.Mode{PrivateModel: true, CommittedInput: true}
	p, vk := devKeys(t, m, mode)
	x := zkmodels.RandomInputs(6, 1, 64)[0]
	w := circuit.Witness{Input: x}
	w.InputSalt.SetUint64(0xfeed)
	w.ModelSalt.SetUint64(0xbeef)
	proof, out, err := p.Prove(w)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(vk, proof.Public, proof.Bytes); err != nil {
		t.Fatal(err)
	}
	w.Output = out
	// Another model (same shape) committed under the same salt is refused.
	other, _ := zkmodels.Random(4, 64, 32, 10)
	oc, _ := circuit.New(other, mode)
	if err := VerifyValues(vk, mode.Shape(m), oc.PublicValues(w), proof.Bytes); !errors.Is(err, ErrInvalid) {
		t.Fatalf("proof verified against another model's commitment: %v", err)
	}
	w.InputSalt.SetUint64(0xfeee)
	if err := VerifyValues(vk, mode.Shape(m), p.Circuit.PublicValues(w), proof.Bytes); !errors.Is(err, ErrInvalid) {
		t.Fatalf("proof verified against another input commitment: %v", err)
	}
}

func TestCacheRoundTrip(t *testing.T) {
	m, _ := zkmodels.Random(9, 16, 8, 4)
	p, vk := devKeys(t, m, circuit.Mode{})
	c := Cache{Dir: t.TempDir()}
	if _, _, err := c.Load(m.Hash(), circuit.Mode{}); !errors.Is(err, ErrNotCached) {
		t.Fatalf("empty cache: %v", err)
	}
	man, err := c.Save(m.Hash(), circuit.Mode{}, &Keys{CCS: p.CCS, PK: p.PK, VK: vk})
	if err != nil {
		t.Fatal(err)
	}
	k, man2, err := c.Load(m.Hash(), circuit.Mode{})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := KeyID(vk)
	if k.ID != id || *man2 != *man {
		t.Fatal("cache changed the key")
	}
	lp := &Prover{Circuit: p.Circuit, CCS: k.CCS, PK: k.PK}
	proof, _, err := lp.Prove(circuit.Witness{Input: zkmodels.RandomInputs(1, 1, 16)[0]})
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(k.VK, proof.Public, proof.Bytes); err != nil {
		t.Fatal(err)
	}
	pk := filepath.Join(c.Path(m.Hash(), circuit.Mode{}), "pk.bin")
	b, _ := os.ReadFile(pk)
	b[len(b)/2] ^= 1
	_ = os.WriteFile(pk, b, 0o644)
	if _, _, err := c.Load(m.Hash(), circuit.Mode{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt proving key loaded: %v", err)
	}
}
