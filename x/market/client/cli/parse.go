package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/x/market/types"
)

const (
	flagHostURI     = "host-uri"
	flagTLS         = "tls-fingerprint"
	flagAttributes  = "attributes"
	flagCPU         = "cpu"
	flagMemory      = "memory"
	flagStorage     = "disk"
	flagGPU         = "gpu"
	flagBond        = "bond"
	flagAddBond     = "add-bond"
	flagStorageSize = "storage-size"
	flagStorageCls  = "storage-class"
	flagGPUCount    = "gpu-count"
	flagGPUVendor   = "gpu-vendor"
	flagGPUModel    = "gpu-model"
	flagGPUVRAM     = "gpu-min-vram"
	flagGPUIface    = "gpu-interface"
	flagPorts       = "ports"
	flagPlacement   = "placement"
	flagAuditors    = "auditors"
	flagMaxPrice    = "max-price"
	flagDeposit     = "deposit"
	flagBidWindow   = "bid-window"
	flagReason      = "reason"
	flagOwner       = "owner"
	flagProvider    = "provider"
	flagState       = "state"
	flagOrder       = "order"
	flagAttribute   = "attribute"
)

// ParseAttributes parses "k=v,k2=v2".
func ParseAttributes(s string) ([]types.Attribute, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []types.Attribute
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, fmt.Errorf("attribute %q is not key=value", kv)
		}
		out = append(out, types.Attribute{Key: k, Value: v})
	}
	return out, nil
}

func kvFields(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, fmt.Errorf("%q is not key=value", kv)
		}
		m[k] = v
	}
	return m, nil
}

// ParseGPU parses "vendor=nvidia,model=a100,vram=80Gi,interface=sxm,count=8" (vram in MiB or with a suffix).
func ParseGPU(s string) (types.GPUCapacity, error) {
	m, err := kvFields(s)
	if err != nil {
		return types.GPUCapacity{}, err
	}
	g := types.GPUCapacity{Vendor: m["vendor"], Model: m["model"], Interface: m["interface"]}
	if v := m["vram"]; v != "" {
		b, err := types.ParseSize(v)
		if err != nil {
			return g, err
		}
		if strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			b /= 1 << 20 // a suffixed size is converted to MiB
		}
		g.VramMib = b
	}
	c, err := strconv.ParseUint(m["count"], 10, 32)
	if err != nil {
		return g, fmt.Errorf("gpu count: %w", err)
	}
	g.Count = uint32(c)
	return g, nil
}

// ParseStorage parses "class=nvme,size=1Ti".
func ParseStorage(s string) (types.StorageCapacity, error) {
	m, err := kvFields(s)
	if err != nil {
		return types.StorageCapacity{}, err
	}
	b, err := types.ParseSize(m["size"])
	if err != nil {
		return types.StorageCapacity{}, err
	}
	return types.StorageCapacity{Class: m["class"], Bytes: b}, nil
}

func addInventoryFlags(cmd *cobra.Command) {
	cmd.Flags().String(flagHostURI, "", "provider endpoint, e.g. https://gpu.example.com:8443")
	cmd.Flags().String(flagTLS, "", "hex SHA-256 of the provider's TLS certificate")
	cmd.Flags().String(flagAttributes, "", "attributes key=value,... (e.g. region=eu-west,tier=datacenter)")
	cmd.Flags().Uint64(flagCPU, 0, "CPU capacity in millis (1000 = one core)")
	cmd.Flags().String(flagMemory, "0", "memory capacity (bytes or with suffix: 64Gi)")
	cmd.Flags().StringArray(flagStorage, nil, "storage (disk) class=NAME,size=SIZE (repeatable)")
	cmd.Flags().StringArray(flagGPU, nil, "GPU group vendor=,model=,vram=,interface=,count= (repeatable)")
}

func readInventoryFlags(cmd *cobra.Command) (host, tls string, attrs []types.Attribute, inv types.Inventory, err error) {
	f := cmd.Flags()
	host, _ = f.GetString(flagHostURI)
	tls, _ = f.GetString(flagTLS)
	a, _ := f.GetString(flagAttributes)
	if attrs, err = ParseAttributes(a); err != nil {
		return
	}
	inv.CpuMillis, _ = f.GetUint64(flagCPU)
	mem, _ := f.GetString(flagMemory)
	if inv.MemoryBytes, err = types.ParseSize(mem); err != nil {
		return
	}
	storage, _ := f.GetStringArray(flagStorage)
	for _, s := range storage {
		var sc types.StorageCapacity
		if sc, err = ParseStorage(s); err != nil {
			return
		}
		inv.Storage = append(inv.Storage, sc)
	}
	gpus, _ := f.GetStringArray(flagGPU)
	for _, s := range gpus {
		var g types.GPUCapacity
		if g, err = ParseGPU(s); err != nil {
			return
		}
		inv.Gpus = append(inv.Gpus, g)
	}
	return
}

func addSpecFlags(cmd *cobra.Command) {
	cmd.Flags().Uint64(flagCPU, 0, "CPU in millis (1000 = one core)")
	cmd.Flags().String(flagMemory, "0", "memory (bytes or with suffix: 8Gi)")
	cmd.Flags().String(flagStorageSize, "0", "storage (bytes or with suffix)")
	cmd.Flags().String(flagStorageCls, "", "storage class (required with --storage-size)")
	cmd.Flags().Uint32(flagGPUCount, 0, "number of GPUs")
	cmd.Flags().String(flagGPUVendor, "", "GPU vendor constraint")
	cmd.Flags().String(flagGPUModel, "", "GPU model constraint")
	cmd.Flags().String(flagGPUVRAM, "0", "minimum VRAM per GPU (MiB, or with suffix: 40Gi)")
	cmd.Flags().String(flagGPUIface, "", "GPU interface constraint (pcie, sxm, ...)")
	cmd.Flags().String(flagPorts, "", "exposed ports, comma separated")
	cmd.Flags().String(flagPlacement, "", "required provider attributes key=value,...")
	cmd.Flags().String(flagAuditors, "", "auditor addresses whose signatures are required, comma separated")
}

func readSpecFlags(cmd *cobra.Command) (spec types.ResourceSpec, placement []types.Attribute, auditors []string, err error) {
	f := cmd.Flags()
	spec.CpuMillis, _ = f.GetUint64(flagCPU)
	mem, _ := f.GetString(flagMemory)
	if spec.MemoryBytes, err = types.ParseSize(mem); err != nil {
		return
	}
	st, _ := f.GetString(flagStorageSize)
	if spec.StorageBytes, err = types.ParseSize(st); err != nil {
		return
	}
	spec.StorageClass, _ = f.GetString(flagStorageCls)
	spec.Gpu.Count, _ = f.GetUint32(flagGPUCount)
	spec.Gpu.Vendor, _ = f.GetString(flagGPUVendor)
	spec.Gpu.Model, _ = f.GetString(flagGPUModel)
	spec.Gpu.Interface, _ = f.GetString(flagGPUIface)
	vram, _ := f.GetString(flagGPUVRAM)
	if spec.Gpu.MinVramMib, err = types.ParseSize(vram); err != nil {
		return
	}
	if strings.IndexFunc(vram, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		spec.Gpu.MinVramMib /= 1 << 20
	}
	ports, _ := f.GetString(flagPorts)
	for _, p := range strings.Split(ports, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		var n uint64
		if n, err = strconv.ParseUint(p, 10, 32); err != nil {
			return
		}
		spec.Ports = append(spec.Ports, uint32(n))
	}
	pl, _ := f.GetString(flagPlacement)
	if placement, err = ParseAttributes(pl); err != nil {
		return
	}
	au, _ := f.GetString(flagAuditors)
	for _, a := range strings.Split(au, ",") {
		if a = strings.TrimSpace(a); a != "" {
			auditors = append(auditors, a)
		}
	}
	return
}

func parseID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("invalid order id %q", s)
	}
	return id, nil
}
