package circuit

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark/constraint/solver"
)

func init() {
	solver.RegisterHint(requantHint)
}

// signed reads a field element as the integer in (-p/2, p/2).
func signed(mod, v *big.Int) *big.Int {
	half := new(big.Int).Rsh(mod, 1)
	out := new(big.Int).Set(v)
	if out.Cmp(half) > 0 {
		out.Sub(out, mod)
	}
	return out
}

// requantHint takes (A, s) and returns q = floor(A / 2^s), r = A - 2^s*q,
// g = [q >= 0] and c = [max(q,0) > 127]. The circuit checks every output,
// so a dishonest prover gains nothing by changing this function.
func requantHint(mod *big.Int, in, out []*big.Int) error {
	if len(in) != 2 || len(out) != 4 {
		return fmt.Errorf("requant hint: want 2 inputs and 4 outputs, got %d and %d", len(in), len(out))
	}
	a := signed(mod, in[0])
	s := uint(in[1].Uint64())
	q := new(big.Int).Rsh(a, s) // arithmetic: floor for negatives too
	r := new(big.Int).Lsh(q, s)
	r.Sub(a, r)
	out[0].Mod(q, mod)
	out[1].Set(r)
	out[2].SetUint64(0)
	out[3].SetUint64(0)
	if q.Sign() >= 0 {
		out[2].SetUint64(1)
		if q.Cmp(big.NewInt(127)) > 0 {
			out[3].SetUint64(1)
		}
	}
	return nil
}
