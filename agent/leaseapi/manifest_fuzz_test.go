package leaseapi

import (
	"os"
	"testing"

	"github.com/hypha-network/hypha/x/market/types"
)

// FuzzParseManifest feeds arbitrary bytes to the manifest decoder, which a
// provider runs on every upload: it must never panic, and a manifest it
// accepts must validate, price, and compute its order without panicking.
func FuzzParseManifest(f *testing.F) {
	for _, name := range []string{"web.yaml", "web-docker.yaml", "json-api.yaml"} {
		if b, err := os.ReadFile("../../examples/deploy/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("services: ["))
	f.Add([]byte("version: \"1\"\nservices:\n  a:\n    command: [x]\n    count: 65\n    profile: p\nprofiles:\n  p: {cpu: 1, memory: 1Gi, gpu: {count: 1, min_vram: 80Gi}}\npricing: {max_price: 1uhyp}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted manifest does not validate: %v", err)
		}
		_, _ = m.MaxPrice()
		_ = m.PlacementAttributes()
		spec, err := m.Resources()
		if err != nil {
			return
		}
		alloc := types.Inventory{CpuMillis: spec.CpuMillis, MemoryBytes: spec.MemoryBytes}
		_ = m.FitsLease(alloc, spec.Ports)
		for _, p := range m.Profiles {
			_, _ = p.GPURequirement()
		}
	})
}
