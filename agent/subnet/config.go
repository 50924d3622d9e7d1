// Package subnet holds what the subnet agents (miner, validator, gateway)
// share: the chain connection part of their configs and YAML loading.
package subnet

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hypha-network/hypha/agent/chainclient"
)

// Chain is the chain connection every agent config embeds.
type Chain struct {
	// Home is the hyphad home with the keyring and client.toml (e.g. ~/.hypha-devnet).
	Home string `yaml:"home"`
	// KeyringBackend is the keyring backend (default "test", as on a devnet).
	KeyringBackend string `yaml:"keyring_backend"`
	// Key names the agent's account key (its hotkey) in the keyring.
	Key string `yaml:"key"`
	// API is the node's REST endpoint (default http://127.0.0.1:1317).
	API string `yaml:"api"`
	// Node optionally overrides the CometBFT RPC address for transactions (and
	// for waiting until they are in a block); empty means client.toml's.
	Node string `yaml:"node"`
	// Netuid is the subnet the agent works on.
	Netuid uint32 `yaml:"netuid"`
}

// Validate checks the fields and fills defaults.
func (c *Chain) Validate() error {
	if c.Home == "" {
		return errors.New("config: home is required (the hyphad home holding the keyring)")
	}
	c.Home = ExpandHome(c.Home)
	if c.Key == "" {
		return errors.New("config: key is required (the keyring name of the agent's hotkey)")
	}
	if c.Netuid == 0 {
		return errors.New("config: netuid is required (see `hyphad q subnet subnets`)")
	}
	if c.KeyringBackend == "" {
		c.KeyringBackend = "test"
	}
	if c.API == "" {
		c.API = "http://127.0.0.1:1317"
	}
	return nil
}

// Client returns a chain client for the connection that signs with the
// agent's key.
func (c *Chain) Client() *chainclient.Client {
	return &chainclient.Client{API: c.API, Home: c.Home, Node: c.Node, KeyringBackend: c.KeyringBackend, From: c.Key}
}

// ExpandHome replaces a leading ~/ with the user's home directory.
func ExpandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, p[1:])
		}
	}
	return p
}

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
