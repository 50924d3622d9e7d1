package provider

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/hypha-network/hypha/x/market/types"
)

// Device is one GPU the provider hands to workloads. ID is what the runtime
// passes on (CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES for processes, the
// device request for containers): the GPU's UUID when nvidia-smi reported it,
// else its index.
type Device struct {
	ID string `json:"id"`
	types.GPUCapacity
}

// nvidiaQuery is the nvidia-smi query DetectNVIDIA runs.
var nvidiaQuery = []string{"--query-gpu=index,uuid,name,memory.total", "--format=csv,noheader,nounits"}

// DetectNVIDIA lists the machine's NVIDIA GPUs with nvidia-smi. It returns
// nil and a message saying why when nvidia-smi is missing or fails.
func DetectNVIDIA(ctx context.Context) ([]Device, string) {
	path, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return nil, "nvidia-smi not found: no NVIDIA GPUs detected"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, nvidiaQuery...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Sprintf("nvidia-smi failed: %v: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Sprintf("nvidia-smi failed: %v", err)
	}
	devs, err := ParseNvidiaSMI(string(out))
	if err != nil {
		return nil, err.Error()
	}
	if len(devs) == 0 {
		return nil, "nvidia-smi reports no GPU"
	}
	groups := GroupDevices(devs)
	parts := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = fmt.Sprintf("%d × %s %s %d MiB (%s)", g.Count, g.Vendor, g.Model, g.VramMib, g.Interface)
	}
	return devs, "nvidia-smi found " + strings.Join(parts, ", ")
}

// ParseNvidiaSMI parses `nvidia-smi --query-gpu=index,uuid,name,memory.total
// --format=csv,noheader,nounits` output, e.g.
// "0, GPU-5fd4…, NVIDIA A100-SXM4-80GB, 81920", into devices: model "a100",
// interface "sxm" (else "pcie"), VRAM in MiB.
func ParseNvidiaSMI(out string) ([]Device, error) {
	var devs []Device
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != 4 {
			return nil, fmt.Errorf("unexpected nvidia-smi line %q: want index, uuid, name, memory", line)
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if _, err := strconv.Atoi(f[0]); err != nil {
			return nil, fmt.Errorf("unexpected nvidia-smi index %q", f[0])
		}
		vram, err := strconv.ParseUint(f[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("unexpected nvidia-smi memory %q", f[3])
		}
		name := strings.ToLower(f[2])
		iface := "pcie"
		if strings.Contains(name, "sxm") {
			iface = "sxm"
		}
		model := strings.TrimPrefix(strings.TrimPrefix(name, "nvidia "), "geforce ")
		model = strings.TrimPrefix(model, "tesla ")
		if i := strings.IndexAny(model, " -"); i > 0 && !strings.HasPrefix(model, "rtx") {
			model = model[:i]
		}
		model = strings.ReplaceAll(model, " ", "-")
		id := f[1]
		if id == "" || strings.EqualFold(id, "[N/A]") {
			id = f[0]
		}
		devs = append(devs, Device{ID: id, GPUCapacity: types.GPUCapacity{Vendor: "nvidia", Model: model, VramMib: vram, Interface: iface, Count: 1}})
	}
	return devs, nil
}

// GroupDevices groups devices by vendor, model, memory and interface, in the
// order each group first appears: the inventory registered on chain.
func GroupDevices(devs []Device) []types.GPUCapacity {
	var groups []types.GPUCapacity
	for _, d := range devs {
		merged := false
		for i := range groups {
			g := &groups[i]
			if g.Vendor == d.Vendor && g.Model == d.Model && g.VramMib == d.VramMib && g.Interface == d.Interface {
				g.Count++
				merged = true
				break
			}
		}
		if !merged {
			g := d.GPUCapacity
			g.Count = 1
			groups = append(groups, g)
		}
	}
	return groups
}

// ExpandGPUs numbers the GPUs declared in the config 0, 1, … in declaration
// order (the order nvidia-smi lists them on a typical machine), so declared
// GPUs can be handed out like detected ones.
func ExpandGPUs(groups []types.GPUCapacity) []Device {
	var devs []Device
	for _, g := range groups {
		for range g.Count {
			d := Device{ID: strconv.Itoa(len(devs)), GPUCapacity: g}
			d.Count = 1
			devs = append(devs, d)
		}
	}
	return devs
}

// allocGPUs picks n free devices matching req, in device order; used holds
// the IDs already given to instances.
func allocGPUs(devs []Device, used map[string]bool, req types.GPURequirement, n uint32) ([]string, error) {
	var ids []string
	for _, d := range devs {
		if uint32(len(ids)) == n {
			break
		}
		if used[d.ID] || !req.Matches(d.GPUCapacity) {
			continue
		}
		ids = append(ids, d.ID)
	}
	if uint32(len(ids)) < n {
		return nil, fmt.Errorf("%d free GPU(s) match %s %s (min %d MiB, %s), %d needed", len(ids), req.Vendor, req.Model, req.MinVramMib, req.Interface, n)
	}
	return ids, nil
}
