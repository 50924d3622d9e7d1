package chainclient

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// DefaultNode is the CometBFT RPC address hyphad itself falls back to, used
// when neither Config.Node nor the home's client.toml names one.
const DefaultNode = "tcp://127.0.0.1:26657"

// DefaultGasAdjustment multiplies simulated gas: execution may touch a little
// more state than the simulation against the mempool did.
const DefaultGasAdjustment = 1.5

// Config is the chain connection every agent's configuration embeds (as the
// `chain:` section of its YAML file), so all agents connect, sign and pay
// fees the same way.
type Config struct {
	// Home is the hyphad home with the keyring and config/client.toml.
	Home string `yaml:"home"`
	// Key names the agent's account key in the keyring.
	Key string `yaml:"key"`
	// KeyringBackend is the keyring backend; empty means client.toml's, else "test".
	KeyringBackend string `yaml:"keyring_backend"`
	// Node is the CometBFT RPC address; empty means client.toml's, else DefaultNode.
	Node string `yaml:"node"`
	// ChainID is the chain's id; empty means client.toml's, else the node's.
	ChainID string `yaml:"chain_id"`
	// GasPrices are the fees paid per unit of gas (e.g. "0.025uhyp"); empty
	// means no fee, which only a node with zero minimum gas prices accepts.
	GasPrices string `yaml:"gas_prices"`
	// GasAdjustment multiplies simulated gas (default DefaultGasAdjustment).
	GasAdjustment float64 `yaml:"gas_adjustment"`
}

// Validate checks the fields and fills defaults from the home's client.toml.
// It reads only local files.
func (c *Config) Validate() error {
	if c.Home == "" {
		return errors.New("chain config: home is required (the hyphad home holding the keyring, e.g. ~/.hypha-devnet)")
	}
	c.Home = ExpandHome(c.Home)
	if c.Key == "" {
		return errors.New("chain config: key is required (the keyring name of the agent's account; see `hyphad keys list --home HOME`)")
	}
	ct := ClientConfig(c.Home)
	if c.Node == "" {
		c.Node = ct["node"]
	}
	if c.Node == "" {
		c.Node = DefaultNode
	}
	if c.ChainID == "" {
		c.ChainID = ct["chain-id"]
	}
	if c.KeyringBackend == "" {
		c.KeyringBackend = ct["keyring-backend"]
	}
	if c.KeyringBackend == "" {
		c.KeyringBackend = "test"
	}
	if c.GasPrices == "" {
		c.GasPrices = ct["gas-prices"]
	}
	if c.GasPrices != "" {
		if _, err := sdk.ParseDecCoins(c.GasPrices); err != nil {
			return fmt.Errorf("chain config: gas_prices %q: %w (write it like 0.025uhyp)", c.GasPrices, err)
		}
	}
	if c.GasAdjustment == 0 {
		c.GasAdjustment = DefaultGasAdjustment
	}
	if c.GasAdjustment < 1 {
		return fmt.Errorf("chain config: gas_adjustment %v is below 1: transactions would run out of gas", c.GasAdjustment)
	}
	return nil
}

// ClientConfig returns the key = "value" settings of a hyphad home's
// config/client.toml (empty if there is none), so agents pick the same node,
// chain id and keyring backend as the hyphad CLI.
func ClientConfig(home string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(filepath.Join(home, "config", "client.toml"))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok || strings.HasPrefix(strings.TrimSpace(k), "#") {
			continue
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	return out
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
