package train

import (
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/hypha-network/hypha/ml/ckpt"
	"github.com/hypha-network/hypha/ml/data"
	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/ml/model"
	"github.com/hypha-network/hypha/ml/tensor"
)

// SpecFile is the copy of the spec that Save writes beside the checkpoint,
// so a checkpoint directory is self-describing for prediction.
const SpecFile = "spec.yaml"

// Save writes the checkpoint and the spec to dir.
func (t *Trainer) Save(dir string) error {
	if err := ckpt.Save(dir, t.Checkpoint()); err != nil {
		return err
	}
	b, err := yaml.Marshal(t.Spec)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, SpecFile), b, 0o644)
}

// Predictor runs a trained model from a checkpoint directory.
type Predictor struct {
	Spec       *Spec
	Checkpoint *ckpt.Checkpoint
	Vocab      []byte // text models
	XShape     []int  // one example's feature shape
	Classes    int
	params     map[string][]float32
}

// LoadPredictor reads dir/spec.yaml and dir/state.ckpt.
func LoadPredictor(dir string) (*Predictor, error) {
	spec, err := LoadSpec(filepath.Join(dir, SpecFile))
	if err != nil {
		return nil, err
	}
	c, err := ckpt.Load(dir)
	if err != nil {
		return nil, err
	}
	p := &Predictor{Spec: spec, Checkpoint: c, params: map[string][]float32{}}
	if spec.Data.Format == "text" {
		if p.Vocab, err = c.Bytes(keyVocab); err != nil {
			return nil, err
		}
		p.XShape, p.Classes = []int{spec.Data.Context}, len(p.Vocab)
	} else {
		p.XShape, p.Classes = spec.Data.Shape, spec.Data.Classes
		if p.Classes == 0 {
			return nil, fmt.Errorf("%w: prediction needs data.classes in the spec", ErrSpec)
		}
	}
	for _, name := range c.Names() {
		if e, _ := c.Get(name); e.Kind == ckpt.Tensor && len(name) > len(prefixParam) && name[:len(prefixParam)] == prefixParam {
			p.params[name[len(prefixParam):]] = e.F32
		}
	}
	return p, nil
}

// build returns a forward-only model for n examples with the checkpoint's
// weights loaded.
func (p *Predictor) build(n int, xShape []int) (*model.Model, *graph.Exec, error) {
	m, err := model.Build(p.Spec.Model, xShape, p.Classes, n, false)
	if err != nil {
		return nil, nil, err
	}
	e, err := graph.NewExec(m.G)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range m.G.Params {
		nd := m.G.Nodes[id]
		v, ok := p.params[nd.Name]
		if !ok || len(v) != m.G.Size(id) {
			return nil, nil, fmt.Errorf("%w: checkpoint lacks parameter %q of shape %v (was it trained with this spec?)", ckpt.ErrFormat, nd.Name, nd.Shape)
		}
		copy(e.Value(id), v)
	}
	return m, e, nil
}

// Prediction is one classified example.
type Prediction struct {
	Class         int       `json:"class"`
	Probabilities []float32 `json:"probabilities"`
}

// Classify predicts the class of each example. Features are in the units of
// the data file: the spec's scale is applied here.
func (p *Predictor) Classify(inputs [][]float32) ([]Prediction, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("%w: no inputs", ErrSpec)
	}
	if p.Vocab != nil {
		return nil, fmt.Errorf("%w: this is a language model; give {\"prompt\": ..., \"length\": N}", ErrSpec)
	}
	xShape := p.XShape
	size := tensor.Size(xShape)
	if xShape == nil {
		size = len(inputs[0])
		xShape = []int{size}
	}
	m, e, err := p.build(len(inputs), xShape)
	if err != nil {
		return nil, err
	}
	x := e.Value(m.X)
	scale := p.Spec.Data.Scale
	if scale == 0 {
		scale = 1
	}
	for i, in := range inputs {
		if len(in) != size {
			return nil, fmt.Errorf("%w: input %d has %d features, the model takes %d", ErrSpec, i, len(in), size)
		}
		for j, v := range in {
			x[i*size+j] = float32(v * scale)
		}
	}
	if err := e.RunRange(0, m.Loss); err != nil { // the loss needs labels; stop before it
		return nil, err
	}
	logits := e.Value(m.Logits)
	out := make([]Prediction, len(inputs))
	for i := range out {
		row := logits[i*p.Classes : (i+1)*p.Classes]
		probs := make([]float32, p.Classes)
		softmax(probs, row)
		out[i] = Prediction{Class: argmax(row), Probabilities: probs}
	}
	return out, nil
}

// softmax uses the graph's canonical softmax so reported probabilities are
// reproducible too.
func softmax(dst, logits []float32) {
	g := graph.New()
	g.Softmax(g.Input("x", len(logits)))
	e, _ := graph.NewExec(g)
	copy(e.Value(0), logits)
	_ = e.Run()
	copy(dst, e.Value(1))
}

// Generate extends prompt greedily by n bytes with a language model.
func (p *Predictor) Generate(prompt string, n int) (string, error) {
	if p.Vocab == nil {
		return "", fmt.Errorf("%w: this model is a classifier; give {\"inputs\": [[...], ...]}", ErrSpec)
	}
	if prompt == "" || n < 0 || n > 1<<16 {
		return "", fmt.Errorf("%w: need a non-empty prompt and 0 <= length <= 65536", ErrSpec)
	}
	ids, err := data.Encode(p.Vocab, prompt)
	if err != nil {
		return "", err
	}
	t := p.XShape[0]
	m, e, err := p.build(1, p.XShape)
	if err != nil {
		return "", err
	}
	out := []byte(prompt)
	for k := 0; k < n; k++ {
		win := ids[max(0, len(ids)-t):]
		x := e.Value(m.X)
		clear(x)
		copy(x, win)
		if err := e.RunRange(0, m.Loss); err != nil {
			return "", err
		}
		v := len(p.Vocab)
		row := e.Value(m.Logits)[(len(win)-1)*v : len(win)*v]
		next := argmax(row)
		ids = append(ids, float32(next))
		out = append(out, p.Vocab[next])
	}
	return string(out), nil
}
