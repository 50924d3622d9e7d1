// Package auditor is the auditor agent (`hyphad auditor run`): it bonds once,
// watches for audit assignments to itself, fetches the segment's start
// checkpoint from the solver's blob server, checks it against the posted
// state root, re-executes k steps with CE-v1, commits H(result ‖ salt) with
// the salt stored before the commit is sent, and reveals in the window. Its
// bbolt state makes a kill -9 and restart neither commit twice nor lose the
// salt it must reveal.
package auditor

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"gopkg.in/yaml.v3"

	"github.com/hypha-network/hypha/agent/chainclient"
)

// Config is the auditor's YAML config (see docs/solver.md).
type Config struct {
	// Chain is the shared chain section.
	Chain chainclient.Config `yaml:"chain"`
	// StateDir holds state.db, the blob cache and datasets.
	StateDir string `yaml:"state_dir"`
	// Bond is the auditor bond locked once, e.g. 100000000uhyp (default:
	// the chain's min_auditor_bond).
	Bond string `yaml:"bond"`
	// BlobSources are solver blob server URLs. The chain does not record a
	// solver's URL, so the auditor asks each for the job's checkpoint index.
	BlobSources []string `yaml:"blob_sources"`
	// Poll is how often the chain is read (default 1s).
	Poll time.Duration `yaml:"poll"`
}

// LoadConfig reads and validates a config file; a relative state_dir is
// relative to the file.
func LoadConfig(path string) (*Config, error) {
	bz, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read auditor config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(bz))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("auditor config %s: %w (see docs/solver.md)", path, err)
	}
	if c.StateDir != "" && !filepath.IsAbs(c.StateDir) {
		c.StateDir = filepath.Join(filepath.Dir(path), c.StateDir)
	}
	return &c, c.Fill()
}

// Fill validates c and applies defaults.
func (c *Config) Fill() error {
	if err := c.Chain.Validate(); err != nil {
		return fmt.Errorf("auditor %w", err)
	}
	if c.StateDir == "" {
		return fmt.Errorf("auditor config: state_dir is required (a directory for state.db and fetched blobs)")
	}
	if c.Bond != "" {
		if _, err := sdk.ParseCoinNormalized(c.Bond); err != nil {
			return fmt.Errorf("auditor config: bond %q: %w (write it like 100000000uhyp)", c.Bond, err)
		}
	}
	if len(c.BlobSources) == 0 {
		return fmt.Errorf("auditor config: blob_sources is required (the solvers' blob server URLs, e.g. http://127.0.0.1:7081)")
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	return nil
}
