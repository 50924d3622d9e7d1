package groth

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	cs "github.com/consensys/gnark/constraint/bn254"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/hypha-network/hypha/ml/quant"
	"github.com/hypha-network/hypha/zk/circuit"
)

// Compile builds model m's circuit in mode and compiles it to a BN254 R1CS.
func Compile(m *quant.Model, mode circuit.Mode) (*circuit.Circuit, *cs.R1CS, error) {
	c, err := circuit.New(m, mode)
	if err != nil {
		return nil, nil, err
	}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		return nil, nil, fmt.Errorf("zk/groth: compile %s: %w", mode, err)
	}
	return c, ccs.(*cs.R1CS), nil
}

// AsR1CS narrows a constraint system to the BN254 R1CS the ceremony needs.
func AsR1CS(ccs constraint.ConstraintSystem) (*cs.R1CS, error) {
	r, ok := ccs.(*cs.R1CS)
	if !ok {
		return nil, fmt.Errorf("zk/groth: constraint system is %T, want a BN254 R1CS", ccs)
	}
	return r, nil
}
