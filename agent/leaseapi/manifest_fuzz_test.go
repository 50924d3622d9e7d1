package leaseapi

import (
	"fmt"
	"math/big"
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

// FuzzManifestFitsLease builds manifests from fuzzed quantities and counts and
// checks the property the provider relies on: if a manifest fits a lease, the
// instances it will start (per-instance limits × count, summed exactly in
// big integers) fit that lease too. A wrapped uint64 sum breaks this, which
// is how count 2 × cpu 9223372036854775958m passed a 500m lease.
func FuzzManifestFitsLease(f *testing.F) {
	f.Add("9223372036854775958m", "1Mi", uint8(2), "100m", uint8(1))
	f.Add("0.5", "128Mi", uint8(2), "1", uint8(1))
	f.Add("18446744073709551615m", "16Ei", uint8(255), "1m", uint8(3))
	f.Fuzz(func(t *testing.T, cpu, mem string, count uint8, cpu2 string, count2 uint8) {
		doc := fmt.Sprintf(`services:
  a: {command: [x], profile: p, count: %d}
  b: {command: [y], profile: q, count: %d}
profiles:
  p: {cpu: %q, memory: %q}
  q: {cpu: %q, memory: 1Mi}
pricing: {max_price: 1uhyp}
`, count, count2, cpu, mem, cpu2)
		m, err := ParseManifest([]byte(doc))
		if err != nil {
			return
		}
		lease := types.Inventory{CpuMillis: 500, MemoryBytes: 256 << 20}
		if m.FitsLease(lease, nil) != nil {
			return
		}
		cpuTotal, memTotal := new(big.Int), new(big.Int)
		for _, name := range m.ServiceNames() {
			s := m.Services[name]
			p := m.Profiles[s.Profile]
			c, err := types.ParseCPU(p.CPU)
			if err != nil {
				t.Fatalf("accepted manifest has an unparsable cpu %q: %v", p.CPU, err)
			}
			b, err := types.ParseSize(orZero(p.Memory))
			if err != nil {
				t.Fatalf("accepted manifest has an unparsable memory %q: %v", p.Memory, err)
			}
			n := new(big.Int).SetUint64(uint64(s.Count))
			cpuTotal.Add(cpuTotal, new(big.Int).Mul(new(big.Int).SetUint64(c), n))
			memTotal.Add(memTotal, new(big.Int).Mul(new(big.Int).SetUint64(b), n))
		}
		if cpuTotal.Cmp(new(big.Int).SetUint64(lease.CpuMillis)) > 0 || memTotal.Cmp(new(big.Int).SetUint64(lease.MemoryBytes)) > 0 {
			t.Fatalf("manifest fits a %dm/%d B lease but its instances need %sm and %s B:\n%s",
				lease.CpuMillis, lease.MemoryBytes, cpuTotal, memTotal, doc)
		}
	})
}
