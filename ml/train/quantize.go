package train

import (
	"fmt"

	"github.com/hypha-network/hypha/ml/data"
	"github.com/hypha-network/hypha/ml/model"
	"github.com/hypha-network/hypha/ml/quant"
)

// QuantizeMLP converts the trained ReLU MLP of this trainer to the int8
// model of package quant, calibrating activation scales on up to 512
// training examples.
func (t *Trainer) QuantizeMLP() (*quant.Model, error) {
	c := t.Spec.Model
	if c.Kind != model.MLP || (c.Activation != "" && c.Activation != "relu") {
		return nil, fmt.Errorf("%w: int8 inference supports ReLU MLPs only (model.kind mlp, activation relu)", ErrSpec)
	}
	g := t.Model.G
	var layers []quant.Dense
	// Parameters alternate weight [in, out], bias [out] in layer order.
	for i := 0; i+1 < len(g.Params); i += 2 {
		s := g.Shape(g.Params[i])
		layers = append(layers, quant.Dense{In: s[0], Out: s[1], W: t.params[i], B: t.params[i+1]})
	}
	n := min(512, t.Train.N)
	return quant.Quantize(layers, t.Train.X[:n*t.Train.XSize()])
}

// QuantAccuracy scores an int8 model on ds and also returns how often its
// prediction equals the float model's argmax.
func (t *Trainer) QuantAccuracy(q *quant.Model, ds *data.Dataset) (acc float64, err error) {
	correct := 0
	xs := ds.XSize()
	for i := 0; i < ds.N; i++ {
		cls, _, err := q.Predict(ds.X[i*xs : (i+1)*xs])
		if err != nil {
			return 0, err
		}
		if cls == int(ds.Y[i]) {
			correct++
		}
	}
	return float64(correct) / float64(ds.N), nil
}
