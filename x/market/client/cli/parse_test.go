package cli

import "testing"

func TestParseHelpers(t *testing.T) {
	// ParseSize and ParseCPU are tested in x/market/types (quantity_test.go).
	g, err := ParseGPU("vendor=nvidia,model=a100,vram=80Gi,interface=sxm,count=8")
	if err != nil || g.VramMib != 81920 || g.Count != 8 || g.Model != "a100" || g.Interface != "sxm" {
		t.Fatalf("ParseGPU: %+v %v", g, err)
	}
	if g, err := ParseGPU("vendor=amd,model=mi300x,vram=196608,count=1"); err != nil || g.VramMib != 196608 {
		t.Fatalf("ParseGPU MiB: %+v %v", g, err)
	}
	s, err := ParseStorage("class=nvme,size=1Ti")
	if err != nil || s.Class != "nvme" || s.Bytes != 1<<40 {
		t.Fatalf("ParseStorage: %+v %v", s, err)
	}
	a, err := ParseAttributes("region=eu-west, tier=dc")
	if err != nil || len(a) != 2 || a[1].Key != "tier" {
		t.Fatalf("ParseAttributes: %+v %v", a, err)
	}
	if _, err := ParseAttributes("novalue"); err == nil {
		t.Fatal("attribute without = accepted")
	}
}
