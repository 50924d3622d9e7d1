// Package train runs CE-v1 training jobs described by a YAML spec: it loads
// the data, builds the model graph, trains with the configured optimizer and
// schedule, evaluates, and saves and restores checkpoints whose commitments
// are identical on every machine.
package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/hypha-network/hypha/ml/data"
	"github.com/hypha-network/hypha/ml/model"
	"github.com/hypha-network/hypha/ml/optim"
)

// ErrSpec reports an unreadable or invalid training spec.
var ErrSpec = errors.New("train: invalid spec")

// Spec is a training job: data, model, optimizer, schedule and loop settings.
type Spec struct {
	Name      string         `yaml:"name" json:"name"`
	Seed      uint64         `yaml:"seed" json:"seed"`
	Data      DataSpec       `yaml:"data" json:"data"`
	Model     model.Config   `yaml:"model" json:"model"`
	Optimizer optim.Config   `yaml:"optimizer" json:"optimizer"`
	Schedule  optim.Schedule `yaml:"schedule" json:"schedule"`
	Train     LoopSpec       `yaml:"train" json:"train"`

	// Dir is the directory of the spec file; data paths are relative to it.
	Dir string `yaml:"-" json:"-"`
}

// DataSpec says where the data is and how to read and split it.
type DataSpec struct {
	Format       string  `yaml:"format" json:"format"` // csv or text
	Path         string  `yaml:"path" json:"path"`     // relative to the spec file
	HeaderLines  int     `yaml:"header_lines,omitempty" json:"header_lines,omitempty"`
	LabelColumn  int     `yaml:"label_column,omitempty" json:"label_column,omitempty"` // default -1: last
	Scale        float32 `yaml:"scale,omitempty" json:"scale,omitempty"`
	Shape        []int   `yaml:"shape,omitempty" json:"shape,omitempty"`
	Classes      int     `yaml:"classes,omitempty" json:"classes,omitempty"`
	Context      int     `yaml:"context,omitempty" json:"context,omitempty"` // text: window length
	Stride       int     `yaml:"stride,omitempty" json:"stride,omitempty"`   // text: window stride
	EvalFraction float64 `yaml:"eval_fraction,omitempty" json:"eval_fraction,omitempty"`
	SplitSeed    uint64  `yaml:"split_seed,omitempty" json:"split_seed,omitempty"`
}

// LoopSpec configures the training loop.
type LoopSpec struct {
	Steps           int     `yaml:"steps" json:"steps"`
	Batch           int     `yaml:"batch" json:"batch"`
	ClipNorm        float32 `yaml:"clip_norm,omitempty" json:"clip_norm,omitempty"`
	EvalBatch       int     `yaml:"eval_batch,omitempty" json:"eval_batch,omitempty"`
	CheckpointEvery int     `yaml:"checkpoint_every,omitempty" json:"checkpoint_every,omitempty"`
}

// LoadSpec reads and validates a spec file. Unknown fields are errors, so a
// typo cannot silently fall back to a default.
func LoadSpec(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpec, err)
	}
	s, err := ParseSpec(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.Dir = filepath.Dir(path)
	return s, nil
}

// ParseSpec decodes and validates a YAML spec.
func ParseSpec(b []byte) (*Spec, error) {
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpec, err)
	}
	s.Dir = "."
	s.applyDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

func (s *Spec) applyDefaults() {
	if s.Data.LabelColumn == 0 {
		s.Data.LabelColumn = -1
	}
	s.Optimizer = s.Optimizer.WithDefaults()
	if s.Schedule.Kind == "" {
		s.Schedule.Kind = optim.Constant
	}
	if s.Schedule.Kind == optim.Cosine && s.Schedule.Total == 0 {
		s.Schedule.Total = s.Train.Steps
	}
	if s.Train.EvalBatch == 0 {
		s.Train.EvalBatch = 256
	}
}

// Validate checks the whole spec and says which field is wrong.
func (s *Spec) Validate() error {
	d := s.Data
	switch {
	case d.Format != "csv" && d.Format != "text":
		return fmt.Errorf("%w: data.format %q (want csv or text)", ErrSpec, d.Format)
	case d.Path == "":
		return fmt.Errorf("%w: data.path is required", ErrSpec)
	case d.Format == "text" && d.Context <= 0:
		return fmt.Errorf("%w: data.context must be > 0 for text data", ErrSpec)
	case d.EvalFraction < 0 || d.EvalFraction >= 1:
		return fmt.Errorf("%w: data.eval_fraction %v not in [0, 1)", ErrSpec, d.EvalFraction)
	case s.Train.Steps <= 0 || s.Train.Batch <= 0 || s.Train.EvalBatch <= 0:
		return fmt.Errorf("%w: train.steps and train.batch must be > 0", ErrSpec)
	case s.Train.ClipNorm < 0 || s.Train.CheckpointEvery < 0:
		return fmt.Errorf("%w: train.clip_norm and train.checkpoint_every must be >= 0", ErrSpec)
	}
	if err := s.Optimizer.Validate(); err != nil {
		return fmt.Errorf("%w: optimizer: %v", ErrSpec, err)
	}
	if err := s.Schedule.Validate(); err != nil {
		return fmt.Errorf("%w: schedule: %v", ErrSpec, err)
	}
	return nil
}

// Program is the hash of everything besides the graph and data that fixes a
// run's results (optimizer, schedule, loop settings, seed and data handling),
// in canonical JSON. Checkpoints record it.
func (s *Spec) Program() [32]byte {
	p := *s
	p.Name, p.Dir, p.Data.Path = "", "", ""
	p.Train.EvalBatch, p.Train.CheckpointEvery = 0, 0
	b, _ := json.Marshal(p) // struct fields marshal in declaration order
	return sha256.Sum256(b)
}

// LoadData reads the dataset and splits it. eval is nil when the spec has
// no eval split.
func (s *Spec) LoadData() (trainSet, eval *data.Dataset, err error) {
	path := s.Data.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(s.Dir, path)
	}
	if s.Data.Format == "text" {
		return s.loadText(path)
	}
	var ds *data.Dataset
	{
		ds, err = data.LoadCSV(path, data.CSVOptions{HeaderLines: s.Data.HeaderLines, LabelColumn: s.Data.LabelColumn,
			Scale: s.Data.Scale, Shape: s.Data.Shape, Classes: s.Data.Classes})
	}
	if err != nil {
		return nil, nil, err
	}
	if s.Data.EvalFraction == 0 {
		return ds, nil, nil
	}
	return ds.Split(s.Data.EvalFraction, s.Data.SplitSeed)
}

// loadText splits text by position, not by window, so evaluation windows
// never overlap training text: the last EvalFraction of the bytes is held
// out. Both parts share the vocabulary of the whole file.
func (s *Spec) loadText(path string) (trainSet, eval *data.Dataset, err error) {
	raw, err := data.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	o := data.TextOptions{Context: s.Data.Context, Stride: s.Data.Stride, Vocab: data.VocabOf(raw)}
	cut := len(raw) - int(float64(len(raw))*s.Data.EvalFraction)
	if trainSet, err = data.TextDataset(raw[:cut], o); err != nil {
		return nil, nil, err
	}
	if s.Data.EvalFraction == 0 {
		return trainSet, nil, nil
	}
	eval, err = data.TextDataset(raw[cut:], o)
	return trainSet, eval, err
}
