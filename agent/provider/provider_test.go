package provider

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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
		"chain: {key: k}\ndata_dir: d\ninventory: {cpu: 1, memory: 1Gi}\nruntime: kubernetes": "unknown",
		"chain: {key: k}\ndata_dir: d\ninventory: {cpu: 0, memory: 1Gi}":                      "inventory.cpu",
		"chain: {}\ndata_dir: d\ninventory: {cpu: 1, memory: 1Gi}":                            "chain.key",
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

func TestParseNvidiaSMI(t *testing.T) {
	gpus, err := ParseNvidiaSMI("NVIDIA A100-SXM4-80GB, 81920\nNVIDIA A100-SXM4-80GB, 81920\nNVIDIA GeForce RTX 4090, 24564\nTesla T4, 15360\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []types.GPUCapacity{
		{Vendor: "nvidia", Model: "a100", VramMib: 81920, Interface: "sxm", Count: 2},
		{Vendor: "nvidia", Model: "rtx-4090", VramMib: 24564, Interface: "pcie", Count: 1},
		{Vendor: "nvidia", Model: "t4", VramMib: 15360, Interface: "pcie", Count: 1},
	}
	if len(gpus) != len(want) {
		t.Fatalf("gpus = %+v", gpus)
	}
	for i := range want {
		if gpus[i] != want[i] {
			t.Errorf("gpu %d = %+v, want %+v", i, gpus[i], want[i])
		}
	}
	if _, err := ParseNvidiaSMI("garbage"); err == nil {
		t.Fatal("garbage accepted")
	}
}
