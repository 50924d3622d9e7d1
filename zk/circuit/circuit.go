package circuit

import (
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/hash/poseidon2"
	"github.com/consensys/gnark/std/rangecheck"

	"github.com/hypha-network/hypha/ml/quant"
	"github.com/hypha-network/hypha/zk/encode"
)

// Circuit is the gnark circuit of one quantized model in one mode. Build the
// definition with New and the assignment with Assign; the unexported fields
// are the model's structure (and, for a public model, its weights), which
// gnark compiles into the constraint system.
type Circuit struct {
	// Public is the public witness laid out by encode.Shape.Elements.
	Public []frontend.Variable `gnark:",public"`
	// X is the int8 input as signed field elements.
	X []frontend.Variable
	// InputSalt holds the input commitment's salt (committed input only).
	InputSalt []frontend.Variable
	// W and B are all layers' weights and biases, concatenated in layer
	// order (private model only).
	W, B []frontend.Variable
	// ModelSalt holds the model commitment's salt (private model only).
	ModelSalt []frontend.Variable

	model *quant.Model
	mode  Mode
}

// New returns the circuit definition for model m in mode. For a private
// model only m's architecture and shifts enter the circuit.
func New(m *quant.Model, mode Mode) (*Circuit, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("zk/circuit: %w", err)
	}
	c := &Circuit{model: m, mode: mode}
	c.alloc()
	return c, nil
}

func (c *Circuit) alloc() {
	sh := c.mode.Shape(c.model)
	c.Public = make([]frontend.Variable, sh.NumPublic())
	c.X = make([]frontend.Variable, sh.In)
	c.InputSalt, c.W, c.B, c.ModelSalt = nil, nil, nil, nil
	if c.mode.CommittedInput {
		c.InputSalt = make([]frontend.Variable, 1)
	}
	if c.mode.PrivateModel {
		nw, nb := 0, 0
		for _, l := range c.model.Layers {
			nw += len(l.W)
			nb += len(l.B)
		}
		c.W = make([]frontend.Variable, nw)
		c.B = make([]frontend.Variable, nb)
		c.ModelSalt = make([]frontend.Variable, 1)
	}
}

// Model is the model the circuit was built from.
func (c *Circuit) Model() *quant.Model { return c.model }

// Mode is the circuit's mode.
func (c *Circuit) Mode() Mode { return c.mode }

// Define states y = Infer(x) for the model: see the package comment.
func (c *Circuit) Define(api frontend.API) error {
	rc := rangecheck.New(api, rangecheck.WithBaseLength(baseLength))
	sh := c.mode.Shape(c.model)
	modelOff, inOff, outOff := sh.Offsets()

	x := c.X
	for _, v := range x {
		rc.Check(api.Add(v, 128), 8)
	}
	if c.mode.CommittedInput {
		h, err := commitment(api, encode.InputTag, c.InputSalt[0], limbs(api, x, 8))
		if err != nil {
			return err
		}
		api.AssertIsEqual(c.Public[inOff], h)
	} else {
		assertPacked(api, c.Public[inOff:outOff], limbs(api, x, 8), 8)
	}

	if c.mode.PrivateModel {
		var committed []limb
		wo, bo := 0, 0
		for _, l := range c.model.Layers {
			w, b := c.W[wo:wo+len(l.W)], c.B[bo:bo+len(l.B)]
			for _, v := range w {
				rc.Check(api.Add(v, 128), 8)
			}
			for _, v := range b {
				rc.Check(api.Add(v, 1<<31), 32)
			}
			committed = append(committed, limbs(api, w, 8)...)
			committed = append(committed, limbs(api, b, 32)...)
			wo, bo = wo+len(l.W), bo+len(l.B)
		}
		h, err := commitment(api, encode.ModelTag, c.ModelSalt[0], committed)
		if err != nil {
			return err
		}
		api.AssertIsEqual(c.Public[modelOff], h)
	}

	wo, bo := 0, 0
	for li, l := range c.model.Layers {
		acc := c.accumulate(api, li, x, wo, bo)
		wo, bo = wo+len(l.W), bo+len(l.B)
		if li == len(c.model.Layers)-1 {
			out := limbs(api, acc, 32)
			for _, u := range out {
				rc.Check(u.v, 32)
			}
			assertPacked(api, c.Public[outOff:], out, 32)
			return nil
		}
		s := c.model.Shift(li)
		next := make([]frontend.Variable, len(acc))
		for j, a := range acc {
			next[j] = requant(api, rc, a, s)
		}
		x = next
	}
	return nil
}

// accumulate returns layer li's accumulators A[j] = B[j] + sum_i x[i]*W[i][j].
// With a public model the weights are constants and the sum is one free
// linear combination per unit; zero weights are left out.
func (c *Circuit) accumulate(api frontend.API, li int, x []frontend.Variable, wo, bo int) []frontend.Variable {
	l := c.model.Layers[li]
	acc := make([]frontend.Variable, l.Out)
	for j := range acc {
		terms := make([]frontend.Variable, 0, l.In+1)
		if c.mode.PrivateModel {
			terms = append(terms, c.B[bo+j])
			for i := 0; i < l.In; i++ {
				terms = append(terms, api.Mul(x[i], c.W[wo+i*l.Out+j]))
			}
		} else {
			terms = append(terms, l.B[j])
			for i := 0; i < l.In; i++ {
				if w := l.W[i*l.Out+j]; w != 0 {
					terms = append(terms, api.Mul(x[i], int(w)))
				}
			}
		}
		acc[j] = sum(api, terms)
	}
	return acc
}

func sum(api frontend.API, t []frontend.Variable) frontend.Variable {
	switch len(t) {
	case 1:
		return api.Add(t[0], 0)
	case 2:
		return api.Add(t[0], t[1])
	}
	return api.Add(t[0], t[1], t[2:]...)
}

// requant is y = clamp(floor(a / 2^s), 0, 127) with a proven in int32.
func requant(api frontend.API, rc frontend.Rangechecker, a frontend.Variable, s int) frontend.Variable {
	h, err := api.Compiler().NewHint(requantHint, 4, a, s)
	if err != nil {
		panic(err) // only on a wrong hint arity, fixed here
	}
	q, r, g, c := h[0], h[1], h[2], h[3]
	if s > 0 {
		rc.Check(r, s)
		api.AssertIsEqual(a, api.Add(api.Mul(q, new(big.Int).Lsh(big.NewInt(1), uint(s))), r))
	} else {
		q = a
	}
	rc.Check(api.Add(q, new(big.Int).Lsh(big.NewInt(1), uint(31-s))), 32-s)
	api.AssertIsBoolean(g)
	pos := api.Mul(g, q) // max(q, 0)
	rc.Check(api.Sub(api.Add(api.Mul(pos, 2), g), q, 1), 32)
	api.AssertIsBoolean(c)
	ch := api.Mul(c, pos)
	rc.Check(api.Sub(api.Add(127, api.Mul(ch, 2)), pos, api.Mul(c, 255)), 32)
	return api.Add(api.Sub(pos, ch), api.Mul(c, 127))
}

// limb is a circuit value known to be an unsigned limb of bits bits.
type limb struct {
	v    frontend.Variable
	bits int
}

// limbs offsets signed values to unsigned limbs: v + 2^(bits-1).
func limbs(api frontend.API, v []frontend.Variable, bits int) []limb {
	out := make([]limb, len(v))
	off := new(big.Int).Lsh(big.NewInt(1), uint(bits-1))
	for i, x := range v {
		out[i] = limb{api.Add(x, off), bits}
	}
	return out
}

// pack mirrors encode.Pack: a free linear combination per element.
func pack(api frontend.API, l []limb) []frontend.Variable {
	widths := make([]int, len(l))
	for i := range l {
		widths[i] = l[i].bits
	}
	slots, n := encode.Layout(widths)
	terms := make([][]frontend.Variable, n)
	for i, sl := range slots {
		terms[sl.Elem] = append(terms[sl.Elem], api.Mul(l[i].v, new(big.Int).Lsh(big.NewInt(1), uint(sl.Off))))
	}
	out := make([]frontend.Variable, n)
	for i := range terms {
		out[i] = sum(api, terms[i])
	}
	return out
}

func assertPacked(api frontend.API, pub []frontend.Variable, l []limb, _ int) {
	for i, e := range pack(api, l) {
		api.AssertIsEqual(pub[i], e)
	}
}

// commitment is encode's Poseidon2 commitment Hash(tag, salt, Pack(l)...).
func commitment(api frontend.API, tag fr.Element, salt frontend.Variable, l []limb) (frontend.Variable, error) {
	h, err := poseidon2.New(api)
	if err != nil {
		return nil, fmt.Errorf("zk/circuit: poseidon2: %w", err)
	}
	h.Write(tag.BigInt(new(big.Int)), salt)
	h.Write(pack(api, l)...)
	return h.Sum(), nil
}

// baseLength is the limb width of the log-derivative range checks: a table
// of 2^baseLength entries. gnark's default picks up to 2^16 entries, which
// makes solving (and proving) pay for a 65,536-entry table; 2^10 keeps
// witness solving near a millisecond at a small constraint cost.
var baseLength = 8
