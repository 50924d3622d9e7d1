package groth

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	cs "github.com/consensys/gnark/constraint/bn254"

	"github.com/hypha-network/hypha/zk/circuit"
	"github.com/hypha-network/hypha/zk/encode"
)

// ErrInvalid reports a proof that does not verify for the public values:
// a wrong output, a tampered input or commitment, or a key of another model.
var ErrInvalid = errors.New("zk/groth: proof does not verify")

// Prover proves one model in one mode.
type Prover struct {
	Circuit *circuit.Circuit
	CCS     *cs.R1CS
	PK      groth16.ProvingKey
}

// Proof is a proof with the public inputs it is for.
type Proof struct {
	Bytes  []byte       // EncodeProof
	Public []fr.Element // encode.Shape.Elements order
}

// Prove runs the model natively, proves that its output is the model's for
// w.Input, and returns the proof and the public inputs. A w.Output already
// set must equal the native output.
func (p *Prover) Prove(w circuit.Witness) (*Proof, []int32, error) {
	out, err := p.Circuit.Model().Infer(w.Input)
	if err != nil {
		return nil, nil, fmt.Errorf("zk/groth: native inference: %w", err)
	}
	if w.Output != nil && !equal(w.Output, out) {
		return nil, nil, fmt.Errorf("%w: claimed output differs from the model's", ErrInvalid)
	}
	w.Output = out
	proof, err := p.ProveClaim(w)
	return proof, out, err
}

// ProveClaim proves w as given, without running the model first; a wrong
// w.Output fails here because the witness does not satisfy the circuit.
func (p *Prover) ProveClaim(w circuit.Witness) (*Proof, error) {
	full, err := p.Circuit.FullWitness(w)
	if err != nil {
		return nil, err
	}
	pr, err := groth16.Prove(p.CCS, p.PK, full)
	if err != nil {
		return nil, fmt.Errorf("zk/groth: prove: %w", err)
	}
	b, err := EncodeProof(pr)
	if err != nil {
		return nil, err
	}
	pub, err := p.Circuit.Mode().Shape(p.Circuit.Model()).Elements(p.Circuit.PublicValues(w))
	if err != nil {
		return nil, err
	}
	return &Proof{Bytes: b, Public: pub}, nil
}

func equal(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Verify checks an encoded proof against encoded public inputs under vk:
// the whole check the chain runs. It needs no model and no circuit.
func Verify(vk groth16.VerifyingKey, public []fr.Element, proof []byte) error {
	pr, err := DecodeProof(proof)
	if err != nil {
		return err
	}
	if len(public) > MaxPublic {
		return fmt.Errorf("%w: %d public inputs, at most %d", ErrPublic, len(public), MaxPublic)
	}
	k, ok := vk.(*groth16bn254.VerifyingKey)
	if !ok {
		return fmt.Errorf("%w: verifying key is %T, want BN254", ErrKey, vk)
	}
	// K holds one point per public input, one for the constant wire and one
	// per commitment.
	if n := len(k.G1.K) - 1 - len(k.CommitmentKeys); n != len(public) {
		return fmt.Errorf("%w: %d public inputs, the key takes %d", ErrInvalid, len(public), n)
	}
	w, err := circuit.ElementsWitness(public)
	if err != nil {
		return err
	}
	if err := groth16.Verify(pr, vk, w); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// VerifyValues builds the public inputs from the statement's values (the
// request's input or its commitment, the answer's output, the model
// commitment) and verifies: what x/infer and a receipt verifier call.
func VerifyValues(vk groth16.VerifyingKey, sh encode.Shape, p encode.Public, proof []byte) error {
	pub, err := sh.Elements(p)
	if err != nil {
		return err
	}
	return Verify(vk, pub, proof)
}
