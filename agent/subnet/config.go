// Package subnet holds what the subnet agents (miner, validator, gateway)
// share: the chain connection part of their configs and YAML loading.
package subnet

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/hypha-network/hypha/agent/chainclient"
)

// Chain is the chain connection every subnet agent config embeds: the
// agents' shared connection settings plus the subnet worked on.
type Chain struct {
	chainclient.Config `yaml:",inline"`
	// Netuid is the subnet the agent works on.
	Netuid uint32 `yaml:"netuid"`
}

// Validate checks the fields and fills defaults.
func (c *Chain) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	if c.Netuid == 0 {
		return errors.New("config: netuid is required (see `hyphad q subnet subnets`)")
	}
	return nil
}

// Client returns a chain client for the connection that signs with the
// agent's key.
func (c *Chain) Client() (*chainclient.Client, error) { return chainclient.New(c.Config) }

// LoadYAML decodes a YAML config file strictly (unknown fields are errors).
func LoadYAML(path string, out any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}
