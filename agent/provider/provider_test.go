package provider

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hypha-network/hypha/agent/leaseapi"
	"github.com/hypha-network/hypha/agent/provider/runtime"
	"github.com/hypha-network/hypha/x/market/types"
)

func TestPricing(t *testing.T) {
	p := Pricing{Denom: "uhyp", PerCPUCore: 10, PerMemoryGiB: 4, PerStorageGiB: 1, PerGPU: map[string]uint64{"a100": 500}, Min: 1}
	spec := types.ResourceSpec{CpuMillis: 1500, MemoryBytes: 1 << 29, StorageBytes: 1}
	// 1.5 cores × 10 = 15; 0.5 GiB × 4 = 2; 1 byte rounds up to 1.
	if got, ok := p.Price(spec); !ok || got != 18 {
		t.Fatalf("price = %d, %v; want 18", got, ok)
	}
	spec.Gpu = types.GPURequirement{Count: 2, Model: "A100"}
	if got, ok := p.Price(spec); !ok || got != 1018 {
		t.Fatalf("gpu price = %d, %v; want 1018", got, ok)
	}
	spec.Gpu.Model = "h100"
	if _, ok := p.Price(spec); ok {
		t.Fatal("priced a GPU model without a price")
	}
	if got, _ := (Pricing{Min: 7}).Price(types.ResourceSpec{CpuMillis: 1}); got != 7 {
		t.Fatalf("min price = %d", got)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "provider.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`chain: {key: provider1, home: /h}
listen: 127.0.0.1:9443
data_dir: data
attributes: {region: local, tier: community}
inventory: {cpu: 4, memory: 8Gi, storage: [{class: default, size: 100Gi}]}
pricing: {cpu_per_core: 10}
`)
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.HostURI != "https://127.0.0.1:9443" || c.DataDir != filepath.Join(dir, "data") || c.Runtime != "process" {
		t.Fatalf("defaults: %+v", c)
	}
	inv, _ := c.InventorySpec()
	if inv.CpuMillis != 4000 || inv.MemoryBytes != 8<<30 || inv.Storage[0].Bytes != 100<<30 {
		t.Fatalf("inventory = %+v", inv)
	}
	if a := attrString(c.AttributeList()); a != "region=local,tier=community" {
		t.Fatalf("attributes = %s", a)
	}
	for bad, want := range map[string]string{
		"chain: {home: /h, key: k}\ndata_dir: d\ninventory: {cpu: 1, memory: 1Gi}\nruntime: kubernetes": "unknown",
		"chain: {home: /h, key: k}\ndata_dir: d\ninventory: {cpu: 0, memory: 1Gi}":                      "inventory.cpu",
		"chain: {home: /h}\ndata_dir: d\ninventory: {cpu: 1, memory: 1Gi}":                              "key is required",
		"chain: {key: k}\ndata_dir: d\ninventory: {cpu: 1, memory: 1Gi}":                                "home is required",
		"chain: {key: k}\nbogus: 1": "bogus",
	} {
		write(bad)
		if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config %q: err = %v, want %q", bad, err, want)
		}
	}
}

func TestStoreSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutBid(&BidRecord{OrderID: 3, Price: "5uhyp", State: "open"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutLease(&LeaseRecord{ID: 3, Owner: "o", State: leaseRunning, Manifest: []byte("m")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, _ := s.Bid(3)
	l, _ := s.Lease(3)
	if b == nil || b.Price != "5uhyp" || l == nil || string(l.Manifest) != "m" {
		t.Fatalf("after reopen: %+v %+v", b, l)
	}
	if missing, _ := s.Bid(4); missing != nil {
		t.Fatal("unknown bid found")
	}
}

func TestCertIsStable(t *testing.T) {
	dir := t.TempDir()
	_, fp1, err := loadOrCreateCert(dir, "https://127.0.0.1:8443")
	if err != nil {
		t.Fatal(err)
	}
	_, fp2, err := loadOrCreateCert(dir, "https://127.0.0.1:8443")
	if err != nil || fp1 != fp2 || len(fp1) != 64 {
		t.Fatalf("fingerprints %s %s %v", fp1, fp2, err)
	}
	if err := types.ValidateTLSFingerprint(fp1); err != nil {
		t.Fatal(err)
	}
}

func TestPricingScript(t *testing.T) {
	dir := t.TempDir()
	script := func(body string) string {
		p := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+strconv.Itoa(len(body))+".sh")
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	order := types.Order{Id: 9, Resources: types.ResourceSpec{CpuMillis: 2000}}
	ctx := context.Background()
	// The script sees the order: 7 per core from the JSON.
	p := Pricing{Denom: "uhyp", Script: script(`grep -q '"cpu_millis":2000' && echo 14uhyp`)}
	if price, ok, err := p.Quote(ctx, order); err != nil || !ok || price != 14 {
		t.Fatalf("quote = %d %v %v", price, ok, err)
	}
	p.Script = script("true")
	if _, ok, err := p.Quote(ctx, order); err != nil || ok {
		t.Fatalf("empty output must skip: %v %v", ok, err)
	}
	p.Script = script("echo lots")
	if _, _, err := p.Quote(ctx, order); err == nil || !strings.Contains(err.Error(), "positive integer") {
		t.Fatalf("bad output: %v", err)
	}
	p.Script, p.ScriptTimeout = script("sleep 5"), 200*time.Millisecond
	if _, _, err := p.Quote(ctx, order); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("timeout: %v", err)
	}
}

const smiOutput = "0, GPU-aaaa, NVIDIA A100-SXM4-80GB, 81920\n1, GPU-bbbb, NVIDIA A100-SXM4-80GB, 81920\n" +
	"2, GPU-cccc, NVIDIA GeForce RTX 4090, 24564\n3, [N/A], Tesla T4, 15360\n"

func TestParseNvidiaSMI(t *testing.T) {
	devs, err := ParseNvidiaSMI(smiOutput)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, d := range devs {
		ids = append(ids, d.ID)
	}
	if got := strings.Join(ids, ","); got != "GPU-aaaa,GPU-bbbb,GPU-cccc,3" {
		t.Fatalf("device ids = %s", got)
	}
	want := []types.GPUCapacity{
		{Vendor: "nvidia", Model: "a100", VramMib: 81920, Interface: "sxm", Count: 2},
		{Vendor: "nvidia", Model: "rtx-4090", VramMib: 24564, Interface: "pcie", Count: 1},
		{Vendor: "nvidia", Model: "t4", VramMib: 15360, Interface: "pcie", Count: 1},
	}
	if got := GroupDevices(devs); !slices.Equal(got, want) {
		t.Fatalf("groups = %+v, want %+v", got, want)
	}
	for _, bad := range []string{"garbage", "x, GPU-a, NVIDIA A100, 81920", "0, GPU-a, NVIDIA A100, lots", "NVIDIA A100, 81920"} {
		if _, err := ParseNvidiaSMI(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestDetectNVIDIA runs a stand-in nvidia-smi (a script on PATH printing
// what the real one prints for the agent's query) through the detector.
func TestDetectNVIDIA(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\n[ \"$1\" = --query-gpu=index,uuid,name,memory.total ] || { echo bad query >&2; exit 2; }\nprintf '" +
		strings.ReplaceAll(smiOutput, "\n", "\\n") + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	devs, msg := DetectNVIDIA(context.Background())
	if len(devs) != 4 || msg != "nvidia-smi found 2 × nvidia a100 81920 MiB (sxm), 1 × nvidia rtx-4090 24564 MiB (pcie), 1 × nvidia t4 15360 MiB (pcie)" {
		t.Fatalf("devices %+v, message %q", devs, msg)
	}
	t.Setenv("PATH", t.TempDir())
	if devs, msg := DetectNVIDIA(context.Background()); devs != nil || !strings.Contains(msg, "not found") {
		t.Fatalf("without nvidia-smi: %+v %q", devs, msg)
	}
}

func TestAllocGPUs(t *testing.T) {
	devs, err := ParseNvidiaSMI(smiOutput)
	if err != nil {
		t.Fatal(err)
	}
	declared := ExpandGPUs([]types.GPUCapacity{{Vendor: "nvidia", Model: "a100", VramMib: 81920, Interface: "sxm", Count: 2},
		{Vendor: "nvidia", Model: "t4", VramMib: 15360, Interface: "pcie", Count: 1}})
	if len(declared) != 3 || declared[0].ID != "0" || declared[2].ID != "2" || declared[2].Model != "t4" || declared[2].Count != 1 {
		t.Fatalf("declared devices = %+v", declared)
	}
	for _, tc := range []struct {
		name string
		devs []Device
		used map[string]bool
		req  types.GPURequirement
		n    uint32
		want string // joined ids, or "error"
	}{
		{"any", devs, nil, types.GPURequirement{}, 2, "GPU-aaaa,GPU-bbbb"},
		{"model", devs, nil, types.GPURequirement{Model: "t4"}, 1, "3"},
		{"skips used", devs, map[string]bool{"GPU-aaaa": true}, types.GPURequirement{Model: "a100"}, 1, "GPU-bbbb"},
		{"min vram", devs, nil, types.GPURequirement{MinVramMib: 20000}, 3, "GPU-aaaa,GPU-bbbb,GPU-cccc"},
		{"interface", devs, nil, types.GPURequirement{Interface: "sxm"}, 3, "error"},
		{"all used", devs, map[string]bool{"GPU-aaaa": true, "GPU-bbbb": true}, types.GPURequirement{Model: "a100"}, 1, "error"},
		{"declared", declared, map[string]bool{"0": true}, types.GPURequirement{Vendor: "nvidia"}, 2, "1,2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, err := allocGPUs(tc.devs, tc.used, tc.req, tc.n)
			got := strings.Join(ids, ",")
			if err != nil {
				got = "error"
			}
			if got != tc.want {
				t.Fatalf("got %s (%v), want %s", got, err, tc.want)
			}
		})
	}
}

func TestServiceEnvGPUs(t *testing.T) {
	svc := &leaseapi.Service{Command: []string{"train", "--port", "$PORT"}, Env: map[string]string{"CUDA_VISIBLE_DEVICES": "0,1,2,3"},
		Expose: []leaseapi.Expose{{Port: 8080}}}
	inst := runtime.Instance{Lease: 7, Service: "train", Ports: map[uint32]int{8080: 31000}, GPUs: []string{"GPU-bbbb"}}
	pr, err := runtime.NewProcess(t.TempDir(), nil, runtime.Isolation{None: true})
	if err != nil {
		t.Fatal(err)
	}
	a := &Agent{rt: pr, devices: ExpandGPUs([]types.GPUCapacity{{Vendor: "nvidia", Model: "a100", Count: 2}})}
	env, cmd, _ := a.serviceEnv(inst, svc)
	if !slices.Contains(env, "CUDA_VISIBLE_DEVICES=GPU-bbbb") || !slices.Contains(env, "PORT=31000") || strings.Join(cmd, " ") != "train --port 31000" {
		t.Fatalf("env %v cmd %v", env, cmd)
	}
	// A non-GPU instance on a GPU provider sees no GPU.
	inst.GPUs = nil
	if env, _, _ := a.serviceEnv(inst, svc); !slices.Contains(env, "CUDA_VISIBLE_DEVICES=") {
		t.Fatalf("env %v", env)
	}
	// Without GPUs on the provider the variable is the tenant's.
	a.devices = nil
	if env, _, _ := a.serviceEnv(inst, svc); !slices.Contains(env, "CUDA_VISIBLE_DEVICES=0,1,2,3") {
		t.Fatalf("env %v", env)
	}
}

// FuzzParseNvidiaSMI checks the nvidia-smi parser on arbitrary output: no
// panic, one device per accepted line, and groups that account for every
// device.
func FuzzParseNvidiaSMI(f *testing.F) {
	f.Add(smiOutput)
	f.Add("0, GPU-x, NVIDIA H100 80GB HBM3, 81559\n")
	f.Add(", , ,\n")
	f.Fuzz(func(t *testing.T, out string) {
		devs, err := ParseNvidiaSMI(out)
		if err != nil {
			return
		}
		var n uint32
		for _, g := range GroupDevices(devs) {
			n += g.Count
		}
		if int(n) != len(devs) {
			t.Fatalf("groups hold %d devices, parsed %d", n, len(devs))
		}
		for _, d := range devs {
			if d.ID == "" || d.Count != 1 {
				t.Fatalf("device %+v", d)
			}
		}
	})
}
