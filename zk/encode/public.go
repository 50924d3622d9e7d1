package encode

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

// ErrPublic reports public values that do not fit the statement's shape.
var ErrPublic = errors.New("zk/encode: public values do not match the statement")

// Shape is what a verifier must know to lay out a public witness: the
// modes and the model's input and output widths.
type Shape struct {
	PrivateModel   bool // weights in the witness, bound by a model commitment
	CommittedInput bool // input in the witness, bound by an input commitment
	In, Out        int
}

// Public holds the statement's public values before encoding.
type Public struct {
	ModelCommit fr.Element // PrivateModel only
	Input       []int8     // public input mode
	InputCommit fr.Element // CommittedInput only
	Output      []int32    // the logits, always public
}

// InputElems is the number of elements the input part takes.
func (s Shape) InputElems() int {
	if s.CommittedInput {
		return 1
	}
	_, n := Layout(Widths(s.In, 8))
	return n
}

// OutputElems is the number of elements the packed outputs take (7 logits
// per element).
func (s Shape) OutputElems() int {
	_, n := Layout(Widths(s.Out, 32))
	return n
}

// Offsets returns where each part starts in the public vector: the model
// commitment (-1 without one), the input part and the outputs.
func (s Shape) Offsets() (model, input, output int) {
	model = -1
	if s.PrivateModel {
		model, input = 0, 1
	}
	return model, input, input + s.InputElems()
}

// NumPublic is the length of the public witness vector.
func (s Shape) NumPublic() int {
	_, _, out := s.Offsets()
	return out + s.OutputElems()
}

// Elements encodes p as the public witness vector, in order:
// [model commitment if PrivateModel] [input commitment | packed input]
// [packed outputs].
func (s Shape) Elements(p Public) ([]fr.Element, error) {
	if len(p.Output) != s.Out {
		return nil, fmt.Errorf("%w: %d outputs, the model gives %d", ErrPublic, len(p.Output), s.Out)
	}
	var out []fr.Element
	if s.PrivateModel {
		out = append(out, p.ModelCommit)
	}
	if s.CommittedInput {
		out = append(out, p.InputCommit)
	} else {
		if len(p.Input) != s.In {
			return nil, fmt.Errorf("%w: input has %d values, the model takes %d", ErrPublic, len(p.Input), s.In)
		}
		out = append(out, Pack(Int8Limbs(p.Input))...)
	}
	return append(out, Pack(Int32Limbs(p.Output))...), nil
}

// DecodeOutput unpacks the outputs from a public vector of this shape: the
// inverse of Elements for the part every mode publishes.
func (s Shape) DecodeOutput(pub []fr.Element) ([]int32, error) {
	if len(pub) != s.NumPublic() {
		return nil, fmt.Errorf("%w: %d public elements, want %d", ErrPublic, len(pub), s.NumPublic())
	}
	_, _, off := s.Offsets()
	slots, _ := Layout(Widths(s.Out, 32))
	out := make([]int32, s.Out)
	for i, sl := range slots {
		v := pub[off+sl.Elem].BigInt(new(big.Int))
		v.Rsh(v, uint(sl.Off))
		out[i] = int32(int64(v.Uint64()&0xffffffff) - 1<<31)
	}
	return out, nil
}
