package circuit

import (
	"fmt"

	"github.com/hypha-network/hypha/ml/quant"
	"github.com/hypha-network/hypha/zk/encode"
)

// Mode selects what the statement keeps secret.
type Mode struct {
	PrivateModel   bool // weights in the witness, bound by a model commitment
	CommittedInput bool // input in the witness, bound by an input commitment
}

// Modes are all four modes, in a fixed order.
var Modes = []Mode{{}, {CommittedInput: true}, {PrivateModel: true}, {PrivateModel: true, CommittedInput: true}}

// String names the mode as "public-model/public-input" and so on; the
// name is part of the key cache path.
func (m Mode) String() string {
	model, input := "public-model", "public-input"
	if m.PrivateModel {
		model = "private-model"
	}
	if m.CommittedInput {
		input = "committed-input"
	}
	return model + "/" + input
}

// ParseMode is the inverse of String; it also accepts the short forms
// "public", "private", "public-committed" and "private-committed".
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if s == m.String() {
			return m, nil
		}
	}
	switch s {
	case "public":
		return Mode{}, nil
	case "private":
		return Mode{PrivateModel: true}, nil
	case "public-committed":
		return Mode{CommittedInput: true}, nil
	case "private-committed":
		return Mode{PrivateModel: true, CommittedInput: true}, nil
	}
	return Mode{}, fmt.Errorf("zk/circuit: unknown mode %q (use public, private, public-committed or private-committed)", s)
}

// Shape is the public-witness shape of model m in this mode.
func (m Mode) Shape(q *quant.Model) encode.Shape {
	l := q.Layers
	return encode.Shape{PrivateModel: m.PrivateModel, CommittedInput: m.CommittedInput, In: l[0].In, Out: l[len(l)-1].Out}
}
