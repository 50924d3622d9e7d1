// Package solver is the solver agent (`hyphad solver run`): it claims open
// training jobs with a bond, trains them with CE-v1 (ml/train), stores every
// checkpoint as a blob, posts the state roots S_0, S_k, …, S_T, finalizes with
// the model hash, and serves checkpoints and the dataset from its blob server
// until the job settles. Its bbolt state makes a kill -9 and restart resume
// from the last checkpoint without posting anything twice.
package solver

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	sdkmath "cosmossdk.io/math"
	"gopkg.in/yaml.v3"

	"github.com/hypha-network/hypha/agent/chainclient"
)

// Config is the solver's YAML config (see docs/solver.md).
type Config struct {
	// Chain is the shared chain section.
	Chain chainclient.Config `yaml:"chain"`
	// StateDir holds state.db and the materialized datasets.
	StateDir string `yaml:"state_dir"`
	// BlobDir is the blob store the solver serves (default STATE_DIR/blobs).
	BlobDir string `yaml:"blob_dir"`
	// Listen is the address of the blob server (default 127.0.0.1:7081).
	Listen string `yaml:"listen"`
	// DatasetSources are blob server URLs to fetch datasets from when they are
	// not in BlobDir already.
	DatasetSources []string `yaml:"dataset_sources"`
	// MaxBond is the largest solver bond (uhyp) the solver locks for a job
	// (default 10 HYP).
	MaxBond int64 `yaml:"max_bond"`
	// MinPrice is the least job price (uhyp) the solver takes (default 0).
	MinPrice int64 `yaml:"min_price"`
	// MaxSteps is the largest T the solver takes (default 100000).
	MaxSteps uint64 `yaml:"max_steps"`
	// Poll is how often the chain is read (default 1s).
	Poll time.Duration `yaml:"poll"`
	// Fault injects a wrong result. TEST ONLY: a solver with a fault is a
	// cheating solver that auditors are meant to catch.
	Fault Fault `yaml:"fault"`
}

// Fault is a deliberate error for tests of the audit path. TEST ONLY.
type Fault struct {
	// FlipAtStep, if > 0, negates the first weight of the first parameter
	// right after step FlipAtStep, so every later state root is wrong.
	FlipAtStep uint64 `yaml:"flip_at_step"`
}

// LoadConfig reads and validates a config file; relative dirs are relative to
// the file.
func LoadConfig(path string) (*Config, error) {
	bz, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read solver config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(bz))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("solver config %s: %w (see docs/solver.md)", path, err)
	}
	for _, p := range []*string{&c.StateDir, &c.BlobDir} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(filepath.Dir(path), *p)
		}
	}
	return &c, c.Fill()
}

// Fill validates c and applies defaults.
func (c *Config) Fill() error {
	if err := c.Chain.Validate(); err != nil {
		return fmt.Errorf("solver %w", err)
	}
	if c.StateDir == "" {
		return fmt.Errorf("solver config: state_dir is required (a directory for state.db and datasets)")
	}
	if c.BlobDir == "" {
		c.BlobDir = filepath.Join(c.StateDir, "blobs")
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:7081"
	}
	if c.MaxBond == 0 {
		c.MaxBond = 10_000_000
	}
	if c.MaxBond < 0 || c.MinPrice < 0 {
		return fmt.Errorf("solver config: max_bond and min_price must not be negative (uhyp)")
	}
	if c.MaxSteps == 0 {
		c.MaxSteps = 100_000
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	return nil
}

// takes reports whether the solver accepts a job's terms.
func (c *Config) takes(bond, price sdkmath.Int, steps uint64) bool {
	return bond.LTE(sdkmath.NewInt(c.MaxBond)) && price.GTE(sdkmath.NewInt(c.MinPrice)) && steps <= c.MaxSteps
}
