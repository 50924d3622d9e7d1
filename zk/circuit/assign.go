package circuit

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"

	"github.com/hypha-network/hypha/zk/encode"
)

// Witness is what a prover knows: the input, the claimed output and the
// commitments' salts (used only in the modes that commit).
type Witness struct {
	Input     []int8
	Output    []int32
	InputSalt fr.Element
	ModelSalt fr.Element
}

// PublicValues returns the statement's public values for w: the output, the
// input or its commitment, and the model commitment.
func (c *Circuit) PublicValues(w Witness) encode.Public {
	p := encode.Public{Output: w.Output}
	if c.mode.CommittedInput {
		p.InputCommit = encode.InputCommitment(w.Input, w.InputSalt)
	} else {
		p.Input = w.Input
	}
	if c.mode.PrivateModel {
		p.ModelCommit = encode.ModelCommitment(c.model, w.ModelSalt)
	}
	return p
}

// Assign returns the full assignment for w. It does not check that the
// output is the model's: a wrong output gives an assignment the constraint
// system rejects, which is how tests show that a wrong answer cannot be
// proven.
func (c *Circuit) Assign(w Witness) (*Circuit, error) {
	sh := c.mode.Shape(c.model)
	if len(w.Input) != sh.In {
		return nil, fmt.Errorf("zk/circuit: input has %d values, the model takes %d", len(w.Input), sh.In)
	}
	pub, err := sh.Elements(c.PublicValues(w))
	if err != nil {
		return nil, fmt.Errorf("zk/circuit: %w", err)
	}
	a := &Circuit{model: c.model, mode: c.mode}
	a.alloc()
	for i := range pub {
		a.Public[i] = pub[i]
	}
	for i, v := range w.Input {
		a.X[i] = int(v)
	}
	if c.mode.CommittedInput {
		a.InputSalt[0] = w.InputSalt
	}
	if c.mode.PrivateModel {
		wo, bo := 0, 0
		for _, l := range c.model.Layers {
			for k, v := range l.W {
				a.W[wo+k] = int(v)
			}
			for k, v := range l.B {
				a.B[bo+k] = int(v)
			}
			wo, bo = wo+len(l.W), bo+len(l.B)
		}
		a.ModelSalt[0] = w.ModelSalt
	}
	return a, nil
}

// FullWitness is Assign as a gnark witness, ready to solve or prove. It
// fills the vector directly in gnark's schema order (public, then the
// secret fields X, InputSalt, W, B, ModelSalt as declared) instead of
// walking the struct by reflection, which cost more than solving;
// TestFullWitnessMatchesSchema pins the order to frontend.NewWitness.
func (c *Circuit) FullWitness(w Witness) (witness.Witness, error) {
	a, err := c.Assign(w)
	if err != nil {
		return nil, err
	}
	secret := [][]frontend.Variable{a.X, a.InputSalt, a.W, a.B, a.ModelSalt}
	nSecret := 0
	for _, s := range secret {
		nSecret += len(s)
	}
	ch := make(chan any, len(a.Public)+nSecret)
	for _, v := range a.Public {
		ch <- v
	}
	for _, s := range secret {
		for _, v := range s {
			ch <- v
		}
	}
	close(ch)
	wit, err := witness.New(ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("zk/circuit: witness: %w", err)
	}
	if err := wit.Fill(len(a.Public), nSecret, ch); err != nil {
		return nil, fmt.Errorf("zk/circuit: witness: %w", err)
	}
	return wit, nil
}

// PublicWitness builds the public witness from public values alone: what
// the chain and a receipt verifier run, with no circuit and no model
// weights, only the shape (from the registered model) and the values.
func PublicWitness(sh encode.Shape, p encode.Public) (witness.Witness, error) {
	elems, err := sh.Elements(p)
	if err != nil {
		return nil, err
	}
	return ElementsWitness(elems)
}

// ElementsWitness wraps an encoded public vector as a gnark public witness.
func ElementsWitness(elems []fr.Element) (witness.Witness, error) {
	w, err := witness.New(ecc.BN254.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("zk/circuit: witness: %w", err)
	}
	ch := make(chan any, len(elems))
	for i := range elems {
		ch <- elems[i]
	}
	close(ch)
	if err := w.Fill(len(elems), 0, ch); err != nil {
		return nil, fmt.Errorf("zk/circuit: witness: %w", err)
	}
	return w, nil
}
