// Package zkmodels provides the quantized models and inputs the zk tests
// and benchmarks share: a digits 64-32-10 MLP trained with ml/train on the
// bundled UCI digits, and deterministic pseudo-random models of any shape
// (there is no MNIST here, so the 784-32-10 model has pseudo-random weights
// and inputs).
package zkmodels

import (
	"math/rand/v2"
	"path/filepath"
	"runtime"

	"github.com/hypha-network/hypha/ml/quant"
	"github.com/hypha-network/hypha/ml/train"
)

// digitsSpec is examples/ml/digits-mlp.yaml with one hidden layer of 32.
const digitsSpec = `name: digits-64-32-10
seed: 1
data:
  format: csv
  path: data/digits.csv.gz
  scale: 0.0625
  classes: 10
  eval_fraction: 0.25
  split_seed: 2024
model:
  kind: mlp
  hidden: [32]
  activation: relu
optimizer:
  kind: adamw
  weight_decay: 0.0001
schedule:
  kind: cosine
  lr: 0.003
  warmup: 20
train:
  steps: 400
  batch: 64
  clip_norm: 5
`

// Digits trains the 64-32-10 digits MLP (400 steps, seed 1; about a second),
// quantizes it with Trainer.QuantizeMLP and returns it with every digits
// example (train then eval split) quantized at the model's input scale, and
// the int8 accuracy on the eval split.
func Digits() (*quant.Model, [][]int8, float64, error) {
	spec, err := train.ParseSpec([]byte(digitsSpec))
	if err != nil {
		return nil, nil, 0, err
	}
	_, file, _, _ := runtime.Caller(0)
	spec.Dir = filepath.Join(filepath.Dir(file), "..", "..", "examples", "ml")
	tr, err := train.New(spec, 1)
	if err != nil {
		return nil, nil, 0, err
	}
	if err := tr.StepTo(uint64(spec.Train.Steps)); err != nil {
		return nil, nil, 0, err
	}
	m, err := tr.QuantizeMLP()
	if err != nil {
		return nil, nil, 0, err
	}
	acc, err := tr.QuantAccuracy(m, tr.Eval)
	if err != nil {
		return nil, nil, 0, err
	}
	var xs [][]int8
	for _, ds := range []*struct {
		n, size int
		x       []float32
	}{{tr.Train.N, tr.Train.XSize(), tr.Train.X}, {tr.Eval.N, tr.Eval.XSize(), tr.Eval.X}} {
		for i := 0; i < ds.n; i++ {
			xs = append(xs, m.QuantizeInput(ds.x[i*ds.size:(i+1)*ds.size]))
		}
	}
	return m, xs, acc, nil
}

// Vary returns n inputs: base cycled, each pass after the first with a
// deterministic per-pixel jitter in [-3, 3] (clamped to int8), so n may
// exceed the examples there are.
func Vary(base [][]int8, n int, seed uint64) [][]int8 {
	r := rand.New(rand.NewPCG(seed, 0x7a6b))
	out := make([][]int8, n)
	for k := range out {
		src := base[k%len(base)]
		x := append([]int8(nil), src...)
		if k >= len(base) {
			for i := range x {
				x[i] = int8(min(max(int(x[i])+r.IntN(7)-3, -128), 127))
			}
		}
		out[k] = x
	}
	return out
}

// Random is quant.Random: a deterministic pseudo-random model.
func Random(seed uint64, dims ...int) (*quant.Model, error) { return quant.Random(seed, dims...) }

// RandomInputs returns n deterministic pseudo-random int8 inputs of width
// in, over the whole int8 range.
func RandomInputs(seed uint64, n, in int) [][]int8 {
	r := rand.New(rand.NewPCG(seed, 0x1a7))
	out := make([][]int8, n)
	for k := range out {
		x := make([]int8, in)
		for i := range x {
			x[i] = int8(r.IntN(256) - 128)
		}
		out[k] = x
	}
	return out
}
