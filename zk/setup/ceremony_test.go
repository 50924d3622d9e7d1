package setup

import (
	"errors"
	"testing"

	"github.com/hypha-network/hypha/ml/quant"
	"github.com/hypha-network/hypha/zk/circuit"
	"github.com/hypha-network/hypha/zk/groth"
)

// ceremony runs a full two-party ceremony on a small model and returns the
// transcript after a round trip through its encoding.
func ceremony(t *testing.T, m *quant.Model) (*groth.Prover, *Transcript) {
	t.Helper()
	c, ccs, err := groth.Compile(m, circuit.Mode{})
	if err != nil {
		t.Fatal(err)
	}
	tr := New(ccs, m.Hash(), circuit.Mode{}.String())
	for _, name := range []string{"owner", "alice"} {
		if _, err := tr.ContributePhase1(name); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tr.ContributePhase2(ccs, "owner"); !errors.Is(err, ErrPhase) {
		t.Fatalf("phase 2 before phase 1 closed: %v", err)
	}
	if err := tr.ClosePhase1([]byte("block 100 hash")); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.ContributePhase1("late"); !errors.Is(err, ErrPhase) {
		t.Fatalf("phase-1 contribution after close: %v", err)
	}
	if _, err := tr.ContributePhase2(ccs, "owner"); err != nil {
		t.Fatal(err)
	}
	if err := tr.Finalize([]byte("block 200 hash")); !errors.Is(err, ErrPhase) {
		t.Fatalf("finalized with one phase-2 contribution: %v", err)
	}
	if _, err := tr.ContributePhase2(ccs, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := tr.Finalize([]byte("block 200 hash")); err != nil {
		t.Fatal(err)
	}
	b, _ := tr.MarshalBinary()
	var back Transcript
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	return &groth.Prover{Circuit: c, CCS: ccs}, &back
}

func TestCeremonyKeysProveAndVerify(t *testing.T) {
	m, _ := quant.Random(1, 16, 8, 4)
	p, tr := ceremony(t, m)
	pk, vk, err := Verify(p.CCS, m.Hash(), circuit.Mode{}.String(), tr)
	if err != nil {
		t.Fatal(err)
	}
	p.PK = pk
	x := make([]int8, 16)
	for i := range x {
		x[i] = int8(i*17 - 100)
	}
	proof, out, err := p.Prove(circuit.Witness{Input: x})
	if err != nil {
		t.Fatal(err)
	}
	if err := groth.Verify(vk, proof.Public, proof.Bytes); err != nil {
		t.Fatal(err)
	}
	out[0]++
	pub, _ := circuit.Mode{}.Shape(m).Elements(p.Circuit.PublicValues(circuit.Witness{Input: x, Output: out}))
	if err := groth.Verify(vk, pub, proof.Bytes); !errors.Is(err, groth.ErrInvalid) {
		t.Fatalf("wrong output verified under ceremony keys: %v", err)
	}
	// Every verifier derives the same key.
	_, vk2, err := Verify(p.CCS, m.Hash(), circuit.Mode{}.String(), tr)
	if err != nil {
		t.Fatal(err)
	}
	id1, _ := groth.KeyID(vk)
	id2, _ := groth.KeyID(vk2)
	if id1 != id2 {
		t.Fatal("two verifications gave different keys")
	}
}

func TestCeremonyRejectsTampering(t *testing.T) {
	m, _ := quant.Random(2, 16, 8, 4)
	p, tr := ceremony(t, m)
	mode := circuit.Mode{}.String()
	if _, _, err := Verify(p.CCS, [32]byte{1}, mode, tr); !errors.Is(err, ErrInvalid) {
		t.Fatalf("transcript accepted for another model: %v", err)
	}
	// Drop the first phase-1 contribution: the chain of challenges breaks.
	cut := *tr
	cut.Phase1 = []Contribution{tr.Phase1[1], tr.Phase1[1]}
	if _, _, err := Verify(p.CCS, m.Hash(), mode, &cut); err == nil {
		t.Fatal("transcript with a replaced phase-1 contribution verified")
	}
	// Flip a byte deep in a phase-2 contribution's parameters.
	bad := *tr
	bad.Phase2 = append([]Contribution(nil), tr.Phase2...)
	d := append([]byte(nil), bad.Phase2[1].Data...)
	d[len(d)/2] ^= 0x01
	bad.Phase2[1].Data = d
	if _, _, err := Verify(p.CCS, m.Hash(), mode, &bad); err == nil {
		t.Fatal("tampered phase-2 contribution verified")
	}
	few := *tr
	few.Phase2 = tr.Phase2[:1]
	if _, _, err := Verify(p.CCS, m.Hash(), mode, &few); !errors.Is(err, ErrPhase) {
		t.Fatalf("single phase-2 contribution verified: %v", err)
	}
}

// FuzzTranscript: the transcript decoder never panics and round-trips.
func FuzzTranscript(f *testing.F) {
	tr := &Transcript{Mode: "public-model/public-input", Domain: 8, Phase1: []Contribution{{"a", []byte{1, 2}}}, Beacon1: []byte("b")}
	b, _ := tr.MarshalBinary()
	f.Add(b)
	f.Add([]byte(transcriptMagic))
	f.Fuzz(func(t *testing.T, in []byte) {
		var tr Transcript
		if err := tr.UnmarshalBinary(in); err != nil {
			return
		}
		out, _ := tr.MarshalBinary()
		var again Transcript
		if err := again.UnmarshalBinary(out); err != nil {
			t.Fatal(err)
		}
	})
}
