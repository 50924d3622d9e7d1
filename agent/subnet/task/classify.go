package task

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/hypha-network/hypha/ml/data"
	"github.com/hypha-network/hypha/ml/model"
	"github.com/hypha-network/hypha/ml/tensor"
	"github.com/hypha-network/hypha/ml/train"
)

// MaxClassifyInputs bounds the examples in one classify request.
const MaxClassifyInputs = 1024

// classifyNumberBytes bounds one feature's JSON text, separator and spacing
// included: a float32 takes at most 15 characters ("-1.1754944e-38").
const classifyNumberBytes = 24

// probFloor bounds the log-loss of one example at -ln(1e-7) ≈ 16.1 nats.
const probFloor = 1e-7

func init() { Register(Classify{}) }

// Classify is the `classify` task: the query is a batch of feature vectors and
// the answer gives class probabilities for each.
//
// Request:  {"inputs": [[f0, f1, …], …]}   features in the data file's units
// Response: {"predictions": [{"class": c, "probabilities": [p0, p1, …]}, …]}
//
// Miners serve a classifier checkpoint trained with `hyphad ml train`;
// validators hold out the eval split of a training spec and score each answer
// as quality = (accuracy + exp(-logloss)) / 2, where accuracy counts examples
// whose highest probability is the true class and logloss is the mean of
// -ln(max(p_true, 1e-7)). exp(-logloss) is the geometric mean of the
// probability given to the true class, so a uniform guess over 10 classes
// scores 0.1 on it. Answers with the wrong number of predictions or classes,
// negative, non-finite or unnormalised (sum outside 1 ± 0.01) probabilities
// score 0.
type Classify struct{}

// Name implements Task.
func (Classify) Name() string { return "classify" }

type classifyRequest struct {
	Inputs [][]float32 `json:"inputs"`
}

type classifyResponse struct {
	Predictions []train.Prediction `json:"predictions"`
}

type classifyModel struct {
	p     *train.Predictor
	shape Shape
}

// LoadModel implements Task: path is a checkpoint directory of a classifier.
func (Classify) LoadModel(path string) (Model, error) {
	p, err := train.LoadPredictor(path)
	if err != nil {
		return nil, fmt.Errorf("classify: load model %s: %w (train one with `hyphad ml train --spec SPEC --out DIR`)", path, err)
	}
	if p.Vocab != nil {
		return nil, fmt.Errorf("classify: %s holds a language model, not a classifier", path)
	}
	return classifyModel{p: p, shape: classifyShape{features: modelFeatures(p)}}, nil
}

// Shape implements ShapedModel: the model's own number of features.
func (m classifyModel) Shape() Shape { return m.shape }

// modelFeatures returns the number of features p takes: from its spec's data
// shape, else inferred from the checkpoint (the first parameter of a model
// built for one feature scales with the features); 0 if neither tells.
func modelFeatures(p *train.Predictor) int {
	if p.XShape != nil {
		return tensor.Size(p.XShape)
	}
	m, err := model.Build(p.Spec.Model, []int{1}, p.Classes, 1, false)
	if err != nil || len(m.G.Params) == 0 {
		return 0
	}
	first := m.G.Params[0]
	// "param/" is the prefix under which train.Save stores parameters.
	e, found := p.Checkpoint.Get("param/" + m.G.Nodes[first].Name)
	per := m.G.Size(first)
	if !found || per == 0 || len(e.F32)%per != 0 {
		return 0
	}
	k := len(e.F32) / per
	if k < 1 || k > MaxClassifyFeatures {
		return 0
	}
	if mk, err := model.Build(p.Spec.Model, []int{k}, p.Classes, 1, false); err == nil {
		for _, id := range mk.G.Params {
			if pe, found := p.Checkpoint.Get("param/" + mk.G.Nodes[id].Name); !found || len(pe.F32) != mk.G.Size(id) {
				return 0
			}
		}
		return k
	}
	return 0
}

// MaxClassifyFeatures bounds the features a model can be inferred to take.
const MaxClassifyFeatures = 1 << 20

// Answer implements Model. The request is checked against the model's
// shape before anything is built for it.
func (m classifyModel) Answer(request json.RawMessage) (json.RawMessage, error) {
	if m.shape != nil {
		if err := m.shape.Validate(request); err != nil {
			return nil, err
		}
	}
	var req classifyRequest
	if err := json.Unmarshal(request, &req); err != nil {
		return nil, fmt.Errorf("classify: request is not {\"inputs\": [[...]]}: %w", err)
	}
	if len(req.Inputs) == 0 || len(req.Inputs) > MaxClassifyInputs {
		return nil, fmt.Errorf("classify: request has %d inputs, want 1..%d", len(req.Inputs), MaxClassifyInputs)
	}
	preds, err := m.p.Classify(req.Inputs)
	if err != nil {
		return nil, fmt.Errorf("classify: %w", err)
	}
	return json.Marshal(classifyResponse{Predictions: preds})
}

type classifyShape struct{ features int }

// LoadShape implements Task: with a training spec as source, every input must
// have the spec's number of features; without one, the inputs must agree.
func (Classify) LoadShape(source string) (Shape, error) {
	if source == "" {
		return classifyShape{}, nil
	}
	ch, err := Classify{}.LoadChallenger(source)
	if err != nil {
		return nil, err
	}
	return classifyShape{features: ch.(*classifyChallenger).eval.XSize()}, nil
}

// NewClassifyShape returns the request checks for models of features inputs
// (0: any number, the same for every input).
func NewClassifyShape(features int) Shape { return classifyShape{features: features} }

// MaxRequestBytes implements Shape: MaxClassifyInputs inputs of the features.
func (s classifyShape) MaxRequestBytes() int {
	if s.features == 0 {
		return 0
	}
	return MaxClassifyInputs*(s.features*classifyNumberBytes+8) + 64
}

// Validate implements Shape. It counts each input's features in the JSON
// text before decoding any number, so a query with a bogus shape (say one
// input of two million features) is refused after allocating about its own
// size, never in proportion to the shape it claims.
func (s classifyShape) Validate(request []byte) error {
	var req struct {
		Inputs []json.RawMessage `json:"inputs"`
	}
	if err := json.Unmarshal(request, &req); err != nil {
		return fmt.Errorf("%w: classify: the query must be {\"inputs\": [[f0, f1, …], …]}: %v", ErrBadRequest, err)
	}
	if len(req.Inputs) == 0 || len(req.Inputs) > MaxClassifyInputs {
		return fmt.Errorf("%w: classify: the query has %d inputs, want 1..%d", ErrBadRequest, len(req.Inputs), MaxClassifyInputs)
	}
	want := s.features
	for i, raw := range req.Inputs {
		limit := want
		if limit == 0 {
			limit = math.MaxInt - 1
		}
		n, ok := countNumbers(raw, limit)
		if !ok {
			return fmt.Errorf("%w: classify: the query must be {\"inputs\": [[f0, f1, …], …]}: input %d is not an array of numbers", ErrBadRequest, i)
		}
		if want == 0 {
			want = n
		}
		if n != want || want == 0 {
			if s.features > 0 {
				if n > want {
					return fmt.Errorf("%w: classify: input %d has more than %d features; this subnet's model takes %d", ErrBadRequest, i, want, s.features)
				}
				return fmt.Errorf("%w: classify: input %d has %d features; this subnet's model takes %d", ErrBadRequest, i, n, s.features)
			}
			return fmt.Errorf("%w: classify: input %d has %d features, input 0 has %d", ErrBadRequest, i, n, want)
		}
	}
	// The counts fit: decode each input into one reused row (which catches
	// numbers outside float32) so checking allocates one row, not the batch.
	row := make([]float32, 0, want)
	for i, raw := range req.Inputs {
		if err := json.Unmarshal(raw, &row); err != nil {
			return fmt.Errorf("%w: classify: the query must be {\"inputs\": [[f0, f1, …], …]}: input %d: %v", ErrBadRequest, i, err)
		}
	}
	return nil
}

// countNumbers counts the elements of raw, valid JSON that must be an array
// of numbers, stopping once the count passes limit (it then returns
// limit+1); ok is false if raw is not an array or holds anything else.
func countNumbers(raw []byte, limit int) (n int, ok bool) {
	i := 0
	for i < len(raw) && isSpace(raw[i]) {
		i++
	}
	if i == len(raw) || raw[i] != '[' {
		return 0, false
	}
	empty := true
	for _, c := range raw[i+1:] {
		switch {
		case c == ',':
			n++
			if n >= limit {
				return limit + 1, true
			}
		case c == ']':
		case isSpace(c):
		case c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || (c >= '0' && c <= '9'):
			empty = false
		default: // a string, object, array, true, false or null
			return 0, false
		}
	}
	if empty {
		return 0, true
	}
	return n + 1, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

type classifyChallenger struct {
	eval  *data.Dataset
	scale float32
}

// LoadChallenger implements Task: source is a training spec whose eval split
// the validator holds out (miners must not train on it).
func (Classify) LoadChallenger(source string) (Challenger, error) {
	spec, err := train.LoadSpec(source)
	if err != nil {
		return nil, fmt.Errorf("classify: load spec %s: %w", source, err)
	}
	if spec.Data.Format == "text" {
		return nil, fmt.Errorf("classify: spec %s describes text data; use a classification spec", source)
	}
	_, eval, err := spec.LoadData()
	if err != nil {
		return nil, fmt.Errorf("classify: load data of %s: %w", source, err)
	}
	if eval == nil || eval.N == 0 {
		return nil, fmt.Errorf("classify: spec %s has no eval split; set data.eval_fraction", source)
	}
	scale := float32(spec.Data.Scale)
	if scale == 0 {
		scale = 1
	}
	return &classifyChallenger{eval: eval, scale: scale}, nil
}

// NewClassifyChallenger returns a challenger over a labelled dataset whose
// features were multiplied by scale when loaded (requests carry them divided
// by scale, in the data file's units).
func NewClassifyChallenger(eval *data.Dataset, scale float32) (Challenger, error) {
	if eval == nil || eval.N == 0 || eval.Classes < 2 {
		return nil, errors.New("classify: challenger needs a labelled dataset with at least 2 classes")
	}
	if scale == 0 {
		scale = 1
	}
	return &classifyChallenger{eval: eval, scale: scale}, nil
}

type classifyChallenge struct {
	request json.RawMessage
	labels  []int
	classes int
}

// Challenge implements Challenger: n examples drawn without replacement (with
// replacement if n exceeds the held-out set).
func (c *classifyChallenger) Challenge(rng *rand.Rand, n int) (Challenge, error) {
	if n <= 0 || n > MaxClassifyInputs {
		return nil, fmt.Errorf("classify: challenge size %d, want 1..%d", n, MaxClassifyInputs)
	}
	var idx []int
	if n <= c.eval.N {
		idx = rng.Perm(c.eval.N)[:n]
	} else {
		for range n {
			idx = append(idx, rng.IntN(c.eval.N))
		}
	}
	size := c.eval.XSize()
	req := classifyRequest{Inputs: make([][]float32, n)}
	labels := make([]int, n)
	for i, j := range idx {
		in := make([]float32, size)
		for k, v := range c.eval.X[j*size : (j+1)*size] {
			in[k] = v / c.scale
		}
		req.Inputs[i] = in
		labels[i] = int(c.eval.Y[j])
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("classify: %w", err)
	}
	return &classifyChallenge{request: b, labels: labels, classes: c.eval.Classes}, nil
}

func (c *classifyChallenge) Request() json.RawMessage { return c.request }

// Score implements Challenge.
func (c *classifyChallenge) Score(answer json.RawMessage) (Score, error) {
	return scoreClassify(answer, c.labels, c.classes)
}

func scoreClassify(answer json.RawMessage, labels []int, classes int) (Score, error) {
	var resp struct {
		Predictions []struct {
			Probabilities []float64 `json:"probabilities"`
		} `json:"predictions"`
	}
	if err := json.Unmarshal(answer, &resp); err != nil {
		return Score{}, fmt.Errorf("%w: not classify JSON: %v", ErrBadAnswer, err)
	}
	if len(resp.Predictions) != len(labels) {
		return Score{}, fmt.Errorf("%w: %d predictions for %d inputs", ErrBadAnswer, len(resp.Predictions), len(labels))
	}
	var correct int
	var loss float64
	for i, p := range resp.Predictions {
		if len(p.Probabilities) != classes {
			return Score{}, fmt.Errorf("%w: prediction %d has %d probabilities, want %d", ErrBadAnswer, i, len(p.Probabilities), classes)
		}
		sum, best := 0.0, 0
		for k, v := range p.Probabilities {
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				return Score{}, fmt.Errorf("%w: prediction %d has probability %v", ErrBadAnswer, i, v)
			}
			sum += v
			if v > p.Probabilities[best] {
				best = k
			}
		}
		if math.Abs(sum-1) > 0.01 {
			return Score{}, fmt.Errorf("%w: prediction %d sums to %v, not 1", ErrBadAnswer, i, sum)
		}
		if best == labels[i] {
			correct++
		}
		loss -= math.Log(math.Max(p.Probabilities[labels[i]], probFloor))
	}
	n := float64(len(labels))
	s := Score{Accuracy: float64(correct) / n, LogLoss: loss / n}
	s.Quality = (s.Accuracy + math.Exp(-s.LogLoss)) / 2
	return s, nil
}
