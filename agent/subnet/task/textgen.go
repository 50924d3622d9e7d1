package task

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"

	"github.com/hypha-network/hypha/ml/data"
	"github.com/hypha-network/hypha/ml/train"
)

// Limits of one textgen request.
const (
	MaxTextgenPrompts = 64
	MaxTextgenLength  = 64
	// MaxTextgenPromptBytes bounds one prompt.
	MaxTextgenPromptBytes = 4096
	// TextgenLength is the continuation length validators ask for.
	TextgenLength = 4
)

func init() { Register(Textgen{}) }

// Textgen is the `textgen` task: the query is a batch of prompts and the answer
// continues each.
//
// Request:  {"prompts": ["…", …], "length": L}
// Response: {"continuations": ["…", …]}   L bytes each, without the prompt
//
// Miners serve a character-level language model trained with `hyphad ml
// train` (e.g. examples/ml/charlm.yaml). Validators hold out the last
// data.eval_fraction of the spec's text (the same bytes training never sees):
// each prompt is a window of context bytes from it and the reference is the
// L bytes that follow. An answer's quality is the mean over prompts of the
// fraction of the reference its continuation reproduces before the first
// wrong byte; with L = 1 this is next-character accuracy on held-out text.
// Answers with the wrong number of continuations or lengths score 0.
type Textgen struct{}

// Name implements Task.
func (Textgen) Name() string { return "textgen" }

type textgenRequest struct {
	Prompts []string `json:"prompts"`
	Length  int      `json:"length"`
}

type textgenResponse struct {
	Continuations []string `json:"continuations"`
}

type textgenModel struct{ p *train.Predictor }

// Shape implements ShapedModel: the task's own limits.
func (textgenModel) Shape() Shape { return textgenShape{} }

// LoadModel implements Task: path is a checkpoint directory of a language model.
func (Textgen) LoadModel(path string) (Model, error) {
	p, err := train.LoadPredictor(path)
	if err != nil {
		return nil, fmt.Errorf("textgen: load model %s: %w (train one with `hyphad ml train --spec examples/ml/charlm.yaml --out DIR`)", path, err)
	}
	if p.Vocab == nil {
		return nil, fmt.Errorf("textgen: %s holds a classifier, not a language model", path)
	}
	return textgenModel{p}, nil
}

// Answer implements Model.
func (m textgenModel) Answer(request json.RawMessage) (json.RawMessage, error) {
	var req textgenRequest
	if err := json.Unmarshal(request, &req); err != nil {
		return nil, fmt.Errorf("textgen: request is not {\"prompts\": [...], \"length\": N}: %w", err)
	}
	if len(req.Prompts) == 0 || len(req.Prompts) > MaxTextgenPrompts || req.Length < 1 || req.Length > MaxTextgenLength {
		return nil, fmt.Errorf("textgen: request has %d prompts and length %d, want 1..%d and 1..%d",
			len(req.Prompts), req.Length, MaxTextgenPrompts, MaxTextgenLength)
	}
	resp := textgenResponse{Continuations: make([]string, len(req.Prompts))}
	for i, p := range req.Prompts {
		out, err := m.p.Generate(p, req.Length)
		if err != nil {
			return nil, fmt.Errorf("textgen: prompt %d: %w", i, err)
		}
		resp.Continuations[i] = strings.TrimPrefix(out, p)
	}
	return json.Marshal(resp)
}

type textgenShape struct{}

// LoadShape implements Task: the limits are the task's own; a source, if
// given, must be a text spec as for LoadChallenger.
func (Textgen) LoadShape(source string) (Shape, error) {
	if source != "" {
		spec, err := train.LoadSpec(source)
		if err != nil {
			return nil, fmt.Errorf("textgen: load spec %s: %w", source, err)
		}
		if spec.Data.Format != "text" {
			return nil, fmt.Errorf("textgen: spec %s must describe text data", source)
		}
	}
	return textgenShape{}, nil
}

// MaxRequestBytes implements Shape: MaxTextgenPrompts prompts of
// MaxTextgenPromptBytes, each byte escaped at most 6 bytes long in JSON.
func (textgenShape) MaxRequestBytes() int {
	return MaxTextgenPrompts*(MaxTextgenPromptBytes*6+4) + 64
}

// Validate implements Shape.
func (textgenShape) Validate(request []byte) error {
	var req textgenRequest
	if err := json.Unmarshal(request, &req); err != nil {
		return fmt.Errorf("%w: textgen: the query must be {\"prompts\": [\"…\", …], \"length\": N}: %v", ErrBadRequest, err)
	}
	if len(req.Prompts) == 0 || len(req.Prompts) > MaxTextgenPrompts || req.Length < 1 || req.Length > MaxTextgenLength {
		return fmt.Errorf("%w: textgen: the query has %d prompts and length %d, want 1..%d and 1..%d",
			ErrBadRequest, len(req.Prompts), req.Length, MaxTextgenPrompts, MaxTextgenLength)
	}
	for i, p := range req.Prompts {
		if p == "" || len(p) > MaxTextgenPromptBytes {
			return fmt.Errorf("%w: textgen: prompt %d has %d bytes, want 1..%d", ErrBadRequest, i, len(p), MaxTextgenPromptBytes)
		}
	}
	return nil
}

type textgenChallenger struct {
	text    []byte
	context int
}

// LoadChallenger implements Task: source is a text training spec; its held-out
// tail is the reference text.
func (Textgen) LoadChallenger(source string) (Challenger, error) {
	spec, err := train.LoadSpec(source)
	if err != nil {
		return nil, fmt.Errorf("textgen: load spec %s: %w", source, err)
	}
	if spec.Data.Format != "text" || spec.Data.EvalFraction <= 0 {
		return nil, fmt.Errorf("textgen: spec %s must describe text data with data.eval_fraction > 0", source)
	}
	path := spec.Data.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(spec.Dir, path)
	}
	raw, err := data.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("textgen: read %s: %w", path, err)
	}
	// The same cut as train's text split: the last eval_fraction of the bytes.
	cut := len(raw) - int(float64(len(raw))*spec.Data.EvalFraction)
	return NewTextgenChallenger(raw[cut:], spec.Data.Context)
}

// NewTextgenChallenger returns a challenger over a held-out reference text
// with prompts of context bytes.
func NewTextgenChallenger(text []byte, context int) (Challenger, error) {
	if context <= 0 || len(text) < context+TextgenLength {
		return nil, fmt.Errorf("textgen: %d held-out bytes cannot give prompts of %d bytes plus %d to predict", len(text), context, TextgenLength)
	}
	return &textgenChallenger{text: text, context: context}, nil
}

type textgenChallenge struct {
	request    json.RawMessage
	references []string
}

// Challenge implements Challenger: n prompts at random positions of the text.
func (c *textgenChallenger) Challenge(rng *rand.Rand, n int) (Challenge, error) {
	if n <= 0 || n > MaxTextgenPrompts {
		return nil, fmt.Errorf("textgen: challenge size %d, want 1..%d", n, MaxTextgenPrompts)
	}
	req := textgenRequest{Length: TextgenLength}
	var refs []string
	positions := len(c.text) - c.context - TextgenLength + 1
	for range n {
		s := rng.IntN(positions)
		req.Prompts = append(req.Prompts, string(c.text[s:s+c.context]))
		refs = append(refs, string(c.text[s+c.context:s+c.context+TextgenLength]))
	}
	b, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("textgen: %w", err)
	}
	return &textgenChallenge{request: b, references: refs}, nil
}

func (c *textgenChallenge) Request() json.RawMessage { return c.request }

// Score implements Challenge.
func (c *textgenChallenge) Score(answer json.RawMessage) (Score, error) {
	return scoreTextgen(answer, c.references)
}

func scoreTextgen(answer json.RawMessage, refs []string) (Score, error) {
	var resp textgenResponse
	if err := json.Unmarshal(answer, &resp); err != nil {
		return Score{}, fmt.Errorf("%w: not textgen JSON: %v", ErrBadAnswer, err)
	}
	if len(resp.Continuations) != len(refs) {
		return Score{}, fmt.Errorf("%w: %d continuations for %d prompts", ErrBadAnswer, len(resp.Continuations), len(refs))
	}
	var total, first float64
	for i, got := range resp.Continuations {
		ref := refs[i]
		if len(got) != len(ref) {
			return Score{}, fmt.Errorf("%w: continuation %d has %d bytes, want %d", ErrBadAnswer, i, len(got), len(ref))
		}
		k := 0
		for k < len(ref) && got[k] == ref[k] {
			k++
		}
		total += float64(k) / float64(len(ref))
		if k > 0 {
			first++
		}
	}
	n := float64(len(refs))
	return Score{Quality: total / n, Accuracy: first / n}, nil
}
