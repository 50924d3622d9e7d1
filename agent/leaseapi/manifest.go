package leaseapi

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"gopkg.in/yaml.v3"

	"github.com/hypha-network/hypha/x/market/types"
)

// MaxManifestBytes bounds a manifest file and a manifest upload.
const MaxManifestBytes = 1 << 20

// Manifest describes a deployment (see docs/manifest.md).
type Manifest struct {
	Version   string              `yaml:"version" json:"version"`
	Services  map[string]*Service `yaml:"services" json:"services"`
	Profiles  map[string]*Profile `yaml:"profiles" json:"profiles"`
	Placement Placement           `yaml:"placement" json:"placement"`
	Pricing   Pricing             `yaml:"pricing" json:"pricing"`
}

// Service is one program to run, Count times.
type Service struct {
	// Command is the program and its leading arguments. $PORT, $PORT_<n> and
	// other variables of the service environment are expanded.
	Command []string          `yaml:"command" json:"command"`
	Args    []string          `yaml:"args" json:"args,omitempty"`
	Env     map[string]string `yaml:"env" json:"env,omitempty"`
	Expose  []Expose          `yaml:"expose" json:"expose,omitempty"`
	Count   int               `yaml:"count" json:"count"`
	Profile string            `yaml:"profile" json:"profile"`
	// Image is reserved for the docker runtime; the process runtime refuses it.
	Image string `yaml:"image" json:"image,omitempty"`
}

// Expose is a port the service listens on.
type Expose struct {
	Port  uint32 `yaml:"port" json:"port"`
	Proto string `yaml:"proto" json:"proto,omitempty"`
}

// Profile is the resources of one service instance.
type Profile struct {
	CPU          string `yaml:"cpu" json:"cpu"`
	Memory       string `yaml:"memory" json:"memory"`
	Storage      string `yaml:"storage" json:"storage,omitempty"`
	StorageClass string `yaml:"storage_class" json:"storage_class,omitempty"`
	GPU          struct {
		Count     uint32 `yaml:"count" json:"count,omitempty"`
		Vendor    string `yaml:"vendor" json:"vendor,omitempty"`
		Model     string `yaml:"model" json:"model,omitempty"`
		MinVRAM   string `yaml:"min_vram" json:"min_vram,omitempty"`
		Interface string `yaml:"interface" json:"interface,omitempty"`
	} `yaml:"gpu" json:"gpu"`
}

// GPURequirement is what one instance of the profile asks of each GPU, with
// Count GPUs (0 when the profile needs none).
func (p *Profile) GPURequirement() (types.GPURequirement, error) {
	vram, err := types.ParseSize(orZero(p.GPU.MinVRAM))
	if err != nil {
		return types.GPURequirement{}, fmt.Errorf("gpu.min_vram: %w", err)
	}
	if p.GPU.MinVRAM != "" && strings.ContainsAny(p.GPU.MinVRAM, "KMGTP") {
		vram /= 1 << 20 // a size with a unit is bytes; without one it is MiB
	}
	return types.GPURequirement{Count: p.GPU.Count, Vendor: p.GPU.Vendor, Model: p.GPU.Model,
		MinVramMib: vram, Interface: p.GPU.Interface}, nil
}

// Placement restricts which providers may bid.
type Placement struct {
	Attributes map[string]string `yaml:"attributes" json:"attributes,omitempty"`
	Auditors   []string          `yaml:"auditors" json:"auditors,omitempty"`
}

// Pricing caps the price and sets the auction length.
type Pricing struct {
	MaxPrice  string `yaml:"max_price" json:"max_price"`
	BidWindow int64  `yaml:"bid_window" json:"bid_window,omitempty"`
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// ParseManifest decodes and validates a YAML (or JSON) manifest.
func ParseManifest(data []byte) (*Manifest, error) {
	if len(data) > MaxManifestBytes {
		return nil, fmt.Errorf("manifest is %d bytes, more than the %d allowed", len(data), MaxManifestBytes)
	}
	var m Manifest
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("malformed manifest: %w (see docs/manifest.md)", err)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks the manifest without looking at the chain.
func (m *Manifest) Validate() error {
	if m.Version != "" && m.Version != "1" {
		return fmt.Errorf("manifest version %q is not supported (use \"1\")", m.Version)
	}
	if len(m.Services) == 0 {
		return errors.New("manifest has no services")
	}
	seen := map[uint32]string{}
	for _, name := range m.ServiceNames() {
		s := m.Services[name]
		if !nameRE.MatchString(name) {
			return fmt.Errorf("service name %q: use lower-case letters, digits and '-'", name)
		}
		if s == nil {
			return fmt.Errorf("service %q is empty", name)
		}
		if len(s.Command) == 0 && s.Image == "" {
			return fmt.Errorf("service %q needs a command", name)
		}
		if s.Count == 0 {
			s.Count = 1
		}
		if s.Count < 0 || s.Count > 64 {
			return fmt.Errorf("service %q: count %d must be within 1..64", name, s.Count)
		}
		if _, ok := m.Profiles[s.Profile]; !ok {
			return fmt.Errorf("service %q uses profile %q, which is not in profiles", name, s.Profile)
		}
		for _, e := range s.Expose {
			if e.Port == 0 || e.Port > 65535 {
				return fmt.Errorf("service %q exposes port %d: ports are 1..65535", name, e.Port)
			}
			if e.Proto != "" && e.Proto != "tcp" {
				return fmt.Errorf("service %q port %d: only tcp is supported", name, e.Port)
			}
			if other, dup := seen[e.Port]; dup {
				return fmt.Errorf("port %d is exposed by both %q and %q", e.Port, other, name)
			}
			seen[e.Port] = name
		}
	}
	if _, err := m.Resources(); err != nil {
		return err
	}
	if _, err := m.MaxPrice(); err != nil {
		return err
	}
	return nil
}

// ServiceNames returns the service names in sorted order.
func (m *Manifest) ServiceNames() []string {
	names := make([]string, 0, len(m.Services))
	for n := range m.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// MaxPrice parses pricing.max_price.
func (m *Manifest) MaxPrice() (sdk.Coin, error) {
	c, err := sdk.ParseCoinNormalized(m.Pricing.MaxPrice)
	if err != nil || !c.IsPositive() {
		return sdk.Coin{}, fmt.Errorf("pricing.max_price %q: want a positive amount like 100uhyp", m.Pricing.MaxPrice)
	}
	return c, nil
}

// Resources returns the total resources of the manifest: each profile times
// the count of the services using it, plus every exposed port.
func (m *Manifest) Resources() (types.ResourceSpec, error) {
	var spec types.ResourceSpec
	for _, name := range m.ServiceNames() {
		s := m.Services[name]
		p := m.Profiles[s.Profile]
		if p == nil {
			return spec, fmt.Errorf("service %q: profile %q is not defined", name, s.Profile)
		}
		cpu, err := types.ParseCPU(p.CPU)
		if err != nil {
			return spec, fmt.Errorf("profile %q: %w", s.Profile, err)
		}
		mem, err := types.ParseSize(orZero(p.Memory))
		if err != nil {
			return spec, fmt.Errorf("profile %q memory %q: %w", s.Profile, p.Memory, err)
		}
		disk, err := types.ParseSize(orZero(p.Storage))
		if err != nil {
			return spec, fmt.Errorf("profile %q storage %q: %w", s.Profile, p.Storage, err)
		}
		if cpu == 0 || mem == 0 {
			return spec, fmt.Errorf("profile %q needs cpu and memory", s.Profile)
		}
		// Totals are overflow-checked: a wrapped sum would pass the lease
		// check with limits far larger than the lease pays for.
		n := uint64(s.Count)
		for _, q := range []struct {
			total *uint64
			per   uint64
			what  string
		}{{&spec.CpuMillis, cpu, "cpu"}, {&spec.MemoryBytes, mem, "memory"}, {&spec.StorageBytes, disk, "storage"}} {
			if err := addScaled(q.total, q.per, n); err != nil {
				return spec, fmt.Errorf("service %q: %s × count %d: %w", name, q.what, s.Count, err)
			}
		}
		if disk > 0 {
			if spec.StorageClass != "" && spec.StorageClass != p.StorageClass {
				return spec, errors.New("all profiles with storage must use the same storage_class")
			}
			spec.StorageClass = p.StorageClass
		}
		if p.GPU.Count > 0 {
			g, err := p.GPURequirement()
			if err != nil {
				return spec, fmt.Errorf("profile %q: %w", s.Profile, err)
			}
			gpus := uint64(spec.Gpu.Count)
			if err := addScaled(&gpus, uint64(p.GPU.Count), n); err != nil || gpus > math.MaxUint32 {
				return spec, fmt.Errorf("service %q: gpu count × count %d overflows", name, s.Count)
			}
			g.Count = uint32(gpus)
			if spec.Gpu.Count > 0 && (g.Vendor != spec.Gpu.Vendor || g.Model != spec.Gpu.Model || g.Interface != spec.Gpu.Interface) {
				return spec, errors.New("all GPU profiles must ask for the same vendor, model and interface")
			}
			g.MinVramMib = max(g.MinVramMib, spec.Gpu.MinVramMib)
			spec.Gpu = g
		}
		for _, e := range s.Expose {
			spec.Ports = append(spec.Ports, e.Port)
		}
	}
	sort.Slice(spec.Ports, func(i, j int) bool { return spec.Ports[i] < spec.Ports[j] })
	if err := spec.Validate(); err != nil {
		return spec, fmt.Errorf("manifest resources: %w", err)
	}
	return spec, nil
}

// PlacementAttributes returns placement.attributes in key order.
func (m *Manifest) PlacementAttributes() []types.Attribute {
	keys := make([]string, 0, len(m.Placement.Attributes))
	for k := range m.Placement.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]types.Attribute, 0, len(keys))
	for _, k := range keys {
		out = append(out, types.Attribute{Key: k, Value: m.Placement.Attributes[k]})
	}
	return out
}

// FitsLease checks that the manifest asks for no more than the lease holds.
func (m *Manifest) FitsLease(allocation types.Inventory, ports []uint32) error {
	spec, err := m.Resources()
	if err != nil {
		return err
	}
	if _, ok := spec.Allocate(allocation); !ok {
		return fmt.Errorf("manifest needs cpu %dm, memory %d B, storage %d B, %d GPU(s), more than the lease holds (cpu %dm, memory %d B)",
			spec.CpuMillis, spec.MemoryBytes, spec.StorageBytes, spec.Gpu.Count, allocation.CpuMillis, allocation.MemoryBytes)
	}
	allowed := map[uint32]bool{}
	for _, p := range ports {
		allowed[p] = true
	}
	for _, p := range spec.Ports {
		if !allowed[p] {
			return fmt.Errorf("manifest exposes port %d, which the order did not ask for", p)
		}
	}
	return nil
}

func orZero(s string) string {
	if strings.TrimSpace(s) == "" {
		return "0"
	}
	return s
}

// addScaled adds per × n to *total, refusing any overflow.
func addScaled(total *uint64, per, n uint64) error {
	v, err := types.MulQuantity(per, n)
	if err != nil {
		return err
	}
	if *total, err = types.AddQuantity(*total, v); err != nil {
		return err
	}
	return nil
}
