package demo

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hypha-network/hypha/agent/provider"
)

// ProviderKey is the devnet account the built-in provider agent uses.
const ProviderKey = "provider1"

// ProviderOptions locate the devnet and choose the provider's lease API port.
type ProviderOptions struct {
	Home string
	// RPC is the devnet's CometBFT RPC URL.
	RPC string
	// Port is the provider's HTTPS lease API port on 127.0.0.1.
	Port int
	// Out receives progress lines.
	Out io.Writer
}

// providerConfig is the built-in provider's configuration: the process
// runtime, a modest inventory and per-resource prices, rewritten at every start
// so that it follows the devnet's ports.
const providerConfig = `# Written by hyphad devnet at every start: run your own agent with
# hyphad provider run --config FILE (and hyphad devnet --provider=false) to customise it.
chain:
  node: %s
  home: %s
  key: %s
listen: 127.0.0.1:%d
data_dir: data
runtime: process
attributes: {region: local, tier: devnet}
inventory:
  cpu: 4
  memory: 8Gi
  storage: [{class: default, size: 20Gi}]
pricing: {cpu_per_core: 20, memory_per_gib: 40, storage_per_gib: 1}
poll_interval: 1s
withdraw_every: 20
`

// RunProvider runs the devnet's provider agent (key provider1) until ctx ends,
// logging to Home/provider/agent.log. Its workloads outlive it, and the next
// start re-adopts them.
func RunProvider(ctx context.Context, o ProviderOptions) error {
	dir := filepath.Join(o.Home, "provider")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("provider: %w", err)
	}
	path := filepath.Join(dir, "provider.yaml")
	content := fmt.Sprintf(providerConfig, o.RPC, o.Home, ProviderKey, o.Port)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("provider: write config: %w", err)
	}
	cfg, err := provider.LoadConfig(path)
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(dir, "agent.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("provider: open log: %w", err)
	}
	defer logf.Close()
	_ = logf.Chmod(0o600) // earlier devnets created it 0644
	a, err := provider.New(ctx, cfg, logf)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "Provider agent %s (%s) takes deployments on https://127.0.0.1:%d (log %s)\n",
		ProviderKey, a.Address(), o.Port, logf.Name())
	return a.Run(ctx)
}
