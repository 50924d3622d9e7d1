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

// DetectNVIDIA lists the machine's NVIDIA GPUs with nvidia-smi, grouped by
// model and memory. It returns a nil slice and a message saying why when
// nvidia-smi is missing or fails.
func DetectNVIDIA(ctx context.Context) ([]types.GPUCapacity, string) {
	path, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return nil, "nvidia-smi not found: no NVIDIA GPUs detected"
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Sprintf("nvidia-smi failed: %v: %s", err, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Sprintf("nvidia-smi failed: %v", err)
	}
	gpus, err := ParseNvidiaSMI(string(out))
	if err != nil {
		return nil, err.Error()
	}
	if len(gpus) == 0 {
		return nil, "nvidia-smi reports no GPU"
	}
	parts := make([]string, len(gpus))
	for i, g := range gpus {
		parts[i] = fmt.Sprintf("%d × %s %s %d MiB (%s)", g.Count, g.Vendor, g.Model, g.VramMib, g.Interface)
	}
	return gpus, "nvidia-smi found " + strings.Join(parts, ", ")
}

// ParseNvidiaSMI parses `nvidia-smi --query-gpu=name,memory.total
// --format=csv,noheader,nounits` output, e.g. "NVIDIA A100-SXM4-80GB, 81920",
// into GPU groups: model "a100", interface "sxm" (else "pcie"), VRAM in MiB.
func ParseNvidiaSMI(out string) ([]types.GPUCapacity, error) {
	var groups []types.GPUCapacity
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, mem, ok := strings.Cut(line, ",")
		if !ok {
			return nil, fmt.Errorf("unexpected nvidia-smi line %q", line)
		}
		vram, err := strconv.ParseUint(strings.TrimSpace(mem), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("unexpected nvidia-smi memory %q", mem)
		}
		name = strings.ToLower(strings.TrimSpace(name))
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
		g := types.GPUCapacity{Vendor: "nvidia", Model: model, VramMib: vram, Interface: iface, Count: 1}
		merged := false
		for i := range groups {
			if groups[i].Model == g.Model && groups[i].VramMib == g.VramMib && groups[i].Interface == g.Interface {
				groups[i].Count++
				merged = true
			}
		}
		if !merged {
			groups = append(groups, g)
		}
	}
	return groups, nil
}
