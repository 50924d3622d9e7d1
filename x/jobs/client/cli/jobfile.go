package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"gopkg.in/yaml.v3"

	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// JobSection is the `job:` section of a job file: everything a job fixes
// besides the training spec. Seed and steps come from the spec (seed,
// train.steps); written here too, they must match.
type JobSection struct {
	Dataset      string  `yaml:"dataset"`
	Seed         *uint64 `yaml:"seed,omitempty"`
	Steps        *uint64 `yaml:"steps,omitempty"`
	Interval     uint64  `yaml:"interval"`
	Price        string  `yaml:"price"`
	SolverBond   string  `yaml:"solver_bond"`
	AuditFee     string  `yaml:"audit_fee"`
	AuditRateBps uint32  `yaml:"audit_rate_bps"`
	ClaimBlocks  int64   `yaml:"claim_blocks"`
	SolveBlocks  int64   `yaml:"solve_blocks"`
	// The training set as the chain's referee must know it (JobTerms
	// data_*). Left out, `hyphad job submit` loads the spec's data (its path
	// relative to the job file) and fills them in.
	DataExamples uint64   `yaml:"data_examples,omitempty"`
	DataXShape   []uint32 `yaml:"data_x_shape,omitempty"`
	DataYShape   []uint32 `yaml:"data_y_shape,omitempty"`
	DataClasses  uint32   `yaml:"data_classes,omitempty"`
	DataRoot     string   `yaml:"data_root,omitempty"`
}

// JobFile is a parsed job file: the training spec bytes as the chain will
// receive them (the file without its job section) and the terms.
type JobFile struct {
	Spec  []byte
	Terms types.JobTerms
}

// ReadJobFile reads a job file from path.
func ReadJobFile(path string) (JobFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return JobFile{}, err
	}
	jf, err := parseJobFile(b, filepath.Dir(path))
	if err != nil {
		return JobFile{}, fmt.Errorf("%s: %w", path, err)
	}
	return jf, nil
}

// DescribeData fills t's dataset description (examples, shapes, classes,
// root) from the spec's training split, loaded relative to dir, as the
// chain's referee will see it.
func DescribeData(t *types.JobTerms, s *train.Spec, dir string) error {
	s.Dir = dir
	ds, _, err := s.LoadData()
	if err != nil {
		return fmt.Errorf("load the spec's data to describe it (or write job.data_examples, data_x_shape, data_classes, data_root): %w", err)
	}
	t.DataExamples, t.DataClasses = uint64(ds.N), uint32(ds.Classes)
	t.DataXShape, t.DataYShape = nil, nil
	for _, d := range ds.XShape {
		t.DataXShape = append(t.DataXShape, uint32(d))
	}
	for _, d := range ds.YShape {
		t.DataYShape = append(t.DataYShape, uint32(d))
	}
	r := ds.Root()
	t.DataRoot = r[:]
	return nil
}

// ParseJobFile splits a job file into its CE-v1 training spec (every
// top-level key but `job`, re-encoded as YAML) and its job section, and
// checks both locally so a bad file fails before anything is signed.
func ParseJobFile(b []byte) (JobFile, error) { return parseJobFile(b, "") }

// parseJobFile is ParseJobFile; with dir set, a job section without the
// data description gets it from the spec's data files under dir.
func parseJobFile(b []byte, dir string) (JobFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return JobFile{}, fmt.Errorf("job file: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return JobFile{}, fmt.Errorf("job file: want a YAML mapping (a training spec plus a job: section)")
	}
	top := doc.Content[0]
	var jobNode *yaml.Node
	kept := make([]*yaml.Node, 0, len(top.Content))
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "job" {
			jobNode = top.Content[i+1]
			continue
		}
		kept = append(kept, top.Content[i], top.Content[i+1])
	}
	if jobNode == nil {
		return JobFile{}, fmt.Errorf("job file has no job: section (dataset, interval, price, solver_bond, audit_fee, audit_rate_bps, claim_blocks, solve_blocks)")
	}
	var sec JobSection
	raw, err := yaml.Marshal(jobNode)
	if err != nil {
		return JobFile{}, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&sec); err != nil {
		return JobFile{}, fmt.Errorf("job section: %w", err)
	}
	top.Content = kept
	spec, err := yaml.Marshal(top)
	if err != nil {
		return JobFile{}, err
	}
	s, err := train.ParseSpec(spec)
	if err != nil {
		return JobFile{}, err
	}
	t := types.JobTerms{DatasetId: sec.Dataset, Seed: s.Seed, Steps: uint64(s.Train.Steps), Interval: sec.Interval,
		AuditRateBps: sec.AuditRateBps, ClaimBlocks: sec.ClaimBlocks, SolveBlocks: sec.SolveBlocks,
		DataExamples: sec.DataExamples, DataXShape: sec.DataXShape, DataYShape: sec.DataYShape, DataClasses: sec.DataClasses}
	if sec.DataRoot != "" {
		r, err := hex32(sec.DataRoot)
		if err != nil {
			return JobFile{}, fmt.Errorf("job.data_root: %w", err)
		}
		t.DataRoot = r
	}
	if t.DataExamples == 0 && dir != "" {
		if err := DescribeData(&t, s, dir); err != nil {
			return JobFile{}, err
		}
	}
	if sec.Seed != nil && *sec.Seed != t.Seed {
		return JobFile{}, fmt.Errorf("job.seed %d differs from the spec's seed %d", *sec.Seed, t.Seed)
	}
	if sec.Steps != nil && *sec.Steps != t.Steps {
		return JobFile{}, fmt.Errorf("job.steps %d differs from the spec's train.steps %d", *sec.Steps, t.Steps)
	}
	for _, c := range []struct {
		name string
		s    string
		dst  *sdk.Coin
	}{{"price", sec.Price, &t.Price}, {"solver_bond", sec.SolverBond, &t.SolverBond}, {"audit_fee", sec.AuditFee, &t.AuditFee}} {
		coin, err := sdk.ParseCoinNormalized(c.s)
		if err != nil {
			return JobFile{}, fmt.Errorf("job.%s %q: %w (write e.g. 5000000uhyp)", c.name, c.s, err)
		}
		*c.dst = coin
	}
	if err := t.Validate(); err != nil {
		return JobFile{}, err
	}
	return JobFile{Spec: spec, Terms: t}, nil
}
