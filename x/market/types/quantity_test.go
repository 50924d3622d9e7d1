package types_test

import (
	"testing"

	errorsmod "cosmossdk.io/errors"

	"github.com/hypha-network/hypha/x/market/types"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "512": 512, "16Gi": 16 << 30, "2Ti": 2 << 40, "5G": 5e9, " 1Ki ": 1024} {
		if got, err := types.ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-1", "1.5Gi", "99999999999999Pi", "16384Pi", "18446744073709551616"} {
		if _, err := types.ParseSize(bad); !errorsmod.IsOf(err, types.ErrInvalidResources) {
			t.Errorf("ParseSize(%q): %v, want ErrInvalidResources", bad, err)
		}
	}
}

func TestParseCPU(t *testing.T) {
	for in, want := range map[string]uint64{"1": 1000, "0.5": 500, "250m": 250, "2.25": 2250,
		"9223372036854775958m": 9223372036854775958} {
		if got, err := types.ParseCPU(in); err != nil || got != want {
			t.Errorf("ParseCPU(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	// 18446744073709552 cores is more than 2^64 millis.
	for _, in := range []string{"", "x", "1.2345", "xm", "18446744073709552", "18446744073709551.616"} {
		if _, err := types.ParseCPU(in); !errorsmod.IsOf(err, types.ErrInvalidResources) {
			t.Errorf("ParseCPU(%q): %v, want ErrInvalidResources", in, err)
		}
	}
}

// Two instances of 2^63+150 millis would wrap around to 300 millis; the
// checked arithmetic rejects them instead.
func TestQuantityOverflowRejected(t *testing.T) {
	cpu, err := types.ParseCPU("9223372036854775958m")
	if err != nil {
		t.Fatal(err)
	}
	const count = 2
	if got, err := types.MulQuantity(cpu, count); !errorsmod.IsOf(err, types.ErrInvalidResources) {
		t.Fatalf("MulQuantity(%d, %d) = %d, %v; want ErrInvalidResources", cpu, count, got, err)
	}
	spec := types.ResourceSpec{CpuMillis: cpu, MemoryBytes: 1 << 30}
	if got, err := spec.Scale(count); !errorsmod.IsOf(err, types.ErrInvalidResources) {
		t.Fatalf("Scale(%d) = %+v, %v; want ErrInvalidResources", count, got, err)
	}
	if _, err := types.AddQuantity(cpu, cpu); !errorsmod.IsOf(err, types.ErrInvalidResources) {
		t.Fatalf("AddQuantity: %v", err)
	}
	if _, err := (types.ResourceSpec{Gpu: types.GPURequirement{Count: 1 << 31}}).Scale(count); !errorsmod.IsOf(err, types.ErrInvalidResources) {
		t.Fatalf("gpu count overflow: %v", err)
	}
	big := types.Inventory{CpuMillis: cpu}
	if _, err := big.AddChecked(big); !errorsmod.IsOf(err, types.ErrInvalidResources) {
		t.Fatalf("Inventory.AddChecked: %v", err)
	}
	ok, err := (types.ResourceSpec{CpuMillis: 500, MemoryBytes: 1 << 30, Gpu: types.GPURequirement{Count: 1}}).Scale(3)
	if err != nil || ok.CpuMillis != 1500 || ok.MemoryBytes != 3<<30 || ok.Gpu.Count != 3 {
		t.Fatalf("Scale(3) = %+v, %v", ok, err)
	}
}
