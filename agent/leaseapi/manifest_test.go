package leaseapi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypha-network/hypha/x/market/types"
)

const webManifest = `
version: "1"
services:
  web:
    command: ["python3", "-m", "http.server", "$PORT"]
    expose:
      - port: 8080
    count: 2
    profile: small
  api:
    command: ["./api"]
    env: {MODE: prod}
    expose: [{port: 9090}]
    profile: small
profiles:
  small:
    cpu: 0.5
    memory: 128Mi
    storage: 1Gi
    storage_class: default
placement:
  attributes: {region: local}
pricing:
  max_price: 100uhyp
  bid_window: 3
`

func TestParseManifestResources(t *testing.T) {
	m, err := ParseManifest([]byte(webManifest))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := m.Resources()
	if err != nil {
		t.Fatal(err)
	}
	if spec.CpuMillis != 1500 || spec.MemoryBytes != 3*128<<20 || spec.StorageBytes != 3<<30 || spec.StorageClass != "default" {
		t.Fatalf("resources = %+v", spec)
	}
	if len(spec.Ports) != 2 || spec.Ports[0] != 8080 || spec.Ports[1] != 9090 {
		t.Fatalf("ports = %v", spec.Ports)
	}
	if got := m.PlacementAttributes(); len(got) != 1 || got[0].Key != "region" {
		t.Fatalf("placement = %v", got)
	}
	if m.Services["api"].Count != 1 {
		t.Fatalf("default count = %d, want 1", m.Services["api"].Count)
	}
}

func TestParseManifestErrors(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"malformed":     {"services: [", "malformed manifest"},
		"unknown field": {"services: {}\nfoo: 1", "malformed manifest"},
		"no services":   {"pricing: {max_price: 1uhyp}", "no services"},
		"no profile":    {"services: {web: {command: [x], profile: big}}\npricing: {max_price: 1uhyp}", "not in profiles"},
		"no command":    {"services: {web: {profile: p}}\nprofiles: {p: {cpu: 1, memory: 1Mi}}\npricing: {max_price: 1uhyp}", "needs a command"},
		"bad cpu":       {"services: {web: {command: [x], profile: p}}\nprofiles: {p: {cpu: lots, memory: 1Mi}}\npricing: {max_price: 1uhyp}", "cpu"},
		"bad price":     {"services: {web: {command: [x], profile: p}}\nprofiles: {p: {cpu: 1, memory: 1Mi}}\npricing: {max_price: cheap}", "max_price"},
		"dup port":      {"services: {a: {command: [x], profile: p, expose: [{port: 80}]}, b: {command: [x], profile: p, expose: [{port: 80}]}}\nprofiles: {p: {cpu: 1, memory: 1Mi}}\npricing: {max_price: 1uhyp}", "exposed by both"},
		"bad name":      {"services: {Web: {command: [x], profile: p}}\nprofiles: {p: {cpu: 1, memory: 1Mi}}\npricing: {max_price: 1uhyp}", "service name"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseManifest([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFitsLease(t *testing.T) {
	m, err := ParseManifest([]byte(webManifest))
	if err != nil {
		t.Fatal(err)
	}
	alloc := types.Inventory{CpuMillis: 1500, MemoryBytes: 3 * 128 << 20, Storage: []types.StorageCapacity{{Class: "default", Bytes: 3 << 30}}}
	if err := m.FitsLease(alloc, []uint32{8080, 9090}); err != nil {
		t.Fatal(err)
	}
	small := alloc
	small.CpuMillis = 1000
	if err := m.FitsLease(small, []uint32{8080, 9090}); err == nil || !strings.Contains(err.Error(), "more than the lease holds") {
		t.Fatalf("too big: %v", err)
	}
	if err := m.FitsLease(alloc, []uint32{8080}); err == nil || !strings.Contains(err.Error(), "port 9090") {
		t.Fatalf("port: %v", err)
	}
}

// The example manifests in examples/deploy must stay valid.
func TestExampleManifests(t *testing.T) {
	files, err := filepath.Glob("../../examples/deploy/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("example manifests: %v %v", files, err)
	}
	for _, f := range files {
		bz, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseManifest(bz); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestResourcesRefuseOverflow is the attack of a manifest whose totals wrap
// around: two instances of 2^63+150 millis would sum to 300 millis and pass
// a 500m lease.
func TestResourcesRefuseOverflow(t *testing.T) {
	m, err := ParseManifest([]byte(`services: {web: {command: [x], profile: p, count: 2}}
profiles: {p: {cpu: 9223372036854775958m, memory: 1Mi}}
pricing: {max_price: 1uhyp}`))
	if err == nil {
		_, err = m.Resources()
	}
	if err == nil || !strings.Contains(err.Error(), "overflows") {
		t.Fatalf("overflowing manifest: err = %v, want an overflow error", err)
	}
}
