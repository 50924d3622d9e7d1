// Package provider is the provider agent (`hyphad provider run`): it registers
// the provider on chain, bids on orders it can serve, receives tenants'
// manifests over HTTPS, runs the workloads through a runtime backend, sends
// lease heartbeats, withdraws earnings, and stops workloads when leases close.
// Its state lives in a bbolt database so that a restarted agent re-adopts
// running workloads and never bids twice on an order.
package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hypha-network/hypha/agent/agentrun"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/leaseapi"
	"github.com/hypha-network/hypha/agent/provider/runtime"
	"github.com/hypha-network/hypha/x/market/types"
)

// Config is the provider agent's configuration file (see docs/provider.md).
type Config struct {
	// Chain is the connection shared by every agent; its key owns the provider.
	Chain chainclient.Config `yaml:"chain"`
	// Listen is the address of the HTTPS lease API.
	Listen string `yaml:"listen"`
	// HostURI is what tenants dial (registered on chain); default https://<listen>.
	HostURI string `yaml:"host_uri"`
	// DataDir holds the state database, TLS key and workloads.
	DataDir string `yaml:"data_dir"`
	// Runtime is the workload backend: "process" (default) or "docker".
	Runtime string `yaml:"runtime"`
	// ProcessIsolation is "uid" (default: each lease runs as its own
	// unprivileged uid; needs root) or "none" (workloads run as the agent's
	// user: trusted local testing only).
	ProcessIsolation string `yaml:"process_isolation"`
	// ProcessUIDBase is the first per-lease uid (default 200000; lease L runs
	// as base + L mod 100000).
	ProcessUIDBase uint32            `yaml:"process_uid_base"`
	Bond           string            `yaml:"bond"`
	Attributes     map[string]string `yaml:"attributes"`
	Inventory      struct {
		CPU     string `yaml:"cpu"`
		Memory  string `yaml:"memory"`
		Storage []struct {
			Class string `yaml:"class"`
			Size  string `yaml:"size"`
		} `yaml:"storage"`
		// DetectGPUs lists NVIDIA GPUs with nvidia-smi at start; they are
		// used when gpus is empty.
		DetectGPUs bool `yaml:"detect_gpus"`
		GPUs       []struct {
			Vendor    string `yaml:"vendor"`
			Model     string `yaml:"model"`
			VRAM      string `yaml:"vram"`
			Interface string `yaml:"interface"`
			Count     uint32 `yaml:"count"`
		} `yaml:"gpus"`
	} `yaml:"inventory"`
	Pricing Pricing `yaml:"pricing"`
	// PollInterval is how often the agent reconciles with the chain (default 2s).
	PollInterval time.Duration `yaml:"poll_interval"`
	// WithdrawEvery is how many blocks between withdrawals per lease (default 20).
	WithdrawEvery int64 `yaml:"withdraw_every"`
	// HeartbeatMargin: send a heartbeat when the deadline is this many blocks
	// away or fewer (default: half the heartbeat_interval param).
	HeartbeatMargin int64 `yaml:"heartbeat_margin"`
	// Limits bound the lease API's requests and connections (see
	// agentrun.Limits; defaults in APILimits).
	Limits agentrun.Limits `yaml:"limits"`
}

// APILimits are the lease API's default limits: a manifest is the largest
// body; a manifest upload may wait for the lease's previous start, so writes
// get two minutes (a log follow lifts the write deadline).
var APILimits = agentrun.Limits{ReadTimeout: 30 * time.Second, WriteTimeout: 2 * time.Minute,
	MaxBodyBytes: leaseapi.MaxManifestBytes}

// Pricing is the per-resource price scale, in base denom units per block.
type Pricing struct {
	Denom         string            `yaml:"denom"`
	PerCPUCore    uint64            `yaml:"cpu_per_core"`
	PerMemoryGiB  uint64            `yaml:"memory_per_gib"`
	PerStorageGiB uint64            `yaml:"storage_per_gib"`
	PerGPU        map[string]uint64 `yaml:"gpu"` // by model; "*" for any
	Min           uint64            `yaml:"min"`
	// Script, when set, prices orders instead of the scale: it gets the order
	// as JSON on stdin and prints a price (an integer in Denom, or a coin like
	// 15uhyp) on stdout, or nothing to skip the order.
	Script string `yaml:"script"`
	// ScriptTimeout bounds one script run (default 5s).
	ScriptTimeout time.Duration `yaml:"script_timeout"`
}

// Quote prices an order with the script when one is configured, else with the
// scale. ok is false when the provider should not bid.
func (p Pricing) Quote(ctx context.Context, o types.Order) (price uint64, ok bool, err error) {
	if p.Script == "" {
		price, ok = p.Price(o.Resources)
		return price, ok, nil
	}
	timeout := p.ScriptTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	in, err := json.Marshal(o)
	if err != nil {
		return 0, false, fmt.Errorf("encode order %d for the pricing script: %w", o.Id, err)
	}
	cmd := exec.CommandContext(ctx, p.Script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ctx.Err() != nil {
		return 0, false, fmt.Errorf("pricing script %s took longer than %s on order %d", p.Script, timeout, o.Id)
	}
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, msg)
		}
		return 0, false, fmt.Errorf("pricing script %s on order %d: %w", p.Script, o.Id, err)
	}
	s := strings.TrimSpace(string(out))
	if s == "" {
		return 0, false, nil
	}
	s = strings.TrimSuffix(s, p.Denom)
	price, err = strconv.ParseUint(s, 10, 64)
	if err != nil || price == 0 {
		return 0, false, fmt.Errorf("pricing script %s printed %q for order %d: want a positive integer amount of %s", p.Script, strings.TrimSpace(string(out)), o.Id, p.Denom)
	}
	return price, true, nil
}

// LoadConfig reads and validates a config file, filling defaults.
func LoadConfig(path string) (*Config, error) {
	bz, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read provider config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(bz))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("provider config %s: %w (see docs/provider.md)", path, err)
	}
	if c.DataDir != "" && !filepath.IsAbs(c.DataDir) {
		c.DataDir = filepath.Join(filepath.Dir(path), c.DataDir)
	}
	return &c, c.fill()
}

func (c *Config) fill() error {
	if err := c.Chain.Validate(); err != nil {
		return fmt.Errorf("provider %w", err)
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8443"
	}
	if c.HostURI == "" {
		c.HostURI = "https://" + c.Listen
	}
	if err := types.ValidateHostURI(c.HostURI); err != nil {
		return fmt.Errorf("provider config host_uri: %w", err)
	}
	if _, err := url.Parse(c.HostURI); err != nil {
		return fmt.Errorf("provider config host_uri: %w", err)
	}
	if c.DataDir == "" {
		return errors.New("provider config: data_dir is required")
	}
	if c.Runtime == "" {
		c.Runtime = "process"
	}
	if c.Runtime != "process" && c.Runtime != "docker" {
		return fmt.Errorf("provider config: runtime %q is unknown (use \"process\" or \"docker\")", c.Runtime)
	}
	if c.ProcessIsolation == "" {
		c.ProcessIsolation = "uid"
	}
	if c.ProcessIsolation != "uid" && c.ProcessIsolation != "none" {
		return fmt.Errorf("provider config: process_isolation %q is unknown (use \"uid\" or \"none\")", c.ProcessIsolation)
	}
	if c.ProcessUIDBase != 0 && (c.ProcessUIDBase < 1000 || uint64(c.ProcessUIDBase)+runtime.DefaultUIDRange > 1<<31) {
		return fmt.Errorf("provider config: process_uid_base %d must be at least 1000 and leave room for %d uids below 2^31", c.ProcessUIDBase, runtime.DefaultUIDRange)
	}
	if c.Bond == "" {
		c.Bond = "1000000000uhyp"
	}
	if c.Pricing.Denom == "" {
		c.Pricing.Denom = "uhyp"
	}
	if c.Pricing.Min == 0 {
		c.Pricing.Min = 1
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.WithdrawEvery <= 0 {
		c.WithdrawEvery = 20
	}
	_, err := c.InventorySpec()
	return err
}

// InventorySpec converts the declared inventory to the chain type.
func (c *Config) InventorySpec() (types.Inventory, error) {
	var inv types.Inventory
	cpu, err := types.ParseCPU(c.Inventory.CPU)
	if err != nil || cpu == 0 {
		return inv, fmt.Errorf("provider config inventory.cpu %q: give cores (8) or millis (8000m)", c.Inventory.CPU)
	}
	mem, err := types.ParseSize(c.Inventory.Memory)
	if err != nil || mem == 0 {
		return inv, fmt.Errorf("provider config inventory.memory %q: give a size like 16Gi", c.Inventory.Memory)
	}
	inv.CpuMillis, inv.MemoryBytes = cpu, mem
	for _, s := range c.Inventory.Storage {
		n, err := types.ParseSize(s.Size)
		if err != nil {
			return inv, fmt.Errorf("provider config storage %q: %w", s.Class, err)
		}
		inv.Storage = append(inv.Storage, types.StorageCapacity{Class: s.Class, Bytes: n})
	}
	for _, g := range c.Inventory.GPUs {
		v, err := types.ParseSize(g.VRAM)
		if err != nil {
			return inv, fmt.Errorf("provider config gpu %q vram: %w", g.Model, err)
		}
		if strings.ContainsAny(g.VRAM, "KMGTP") {
			v /= 1 << 20
		}
		inv.Gpus = append(inv.Gpus, types.GPUCapacity{Vendor: g.Vendor, Model: g.Model, VramMib: v, Interface: g.Interface, Count: g.Count})
	}
	if err := inv.Validate(); err != nil {
		return inv, fmt.Errorf("provider config inventory: %w", err)
	}
	return inv, nil
}

// AttributeList returns the attributes sorted by key.
func (c *Config) AttributeList() []types.Attribute {
	keys := make([]string, 0, len(c.Attributes))
	for k := range c.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]types.Attribute, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.Attribute{Key: k, Value: c.Attributes[k]})
	}
	return out
}

// Price returns the price per block the scale gives spec (rounded up, at
// least Min), and false if the spec asks for a GPU model without a price.
func (p Pricing) Price(spec types.ResourceSpec) (uint64, bool) {
	total := new(big.Int)
	add := func(units, price uint64, per uint64) {
		t := new(big.Int).Mul(new(big.Int).SetUint64(units), new(big.Int).SetUint64(price))
		t.Add(t, new(big.Int).SetUint64(per-1)) // round up
		total.Add(total, t.Div(t, new(big.Int).SetUint64(per)))
	}
	add(spec.CpuMillis, p.PerCPUCore, 1000)
	add(spec.MemoryBytes, p.PerMemoryGiB, 1<<30)
	add(spec.StorageBytes, p.PerStorageGiB, 1<<30)
	if spec.Gpu.Count > 0 {
		gp, ok := p.PerGPU[strings.ToLower(spec.Gpu.Model)]
		if !ok {
			if gp, ok = p.PerGPU["*"]; !ok {
				return 0, false
			}
		}
		add(uint64(spec.Gpu.Count), gp, 1)
	}
	if !total.IsUint64() {
		return 0, false
	}
	return max(total.Uint64(), p.Min), true
}
