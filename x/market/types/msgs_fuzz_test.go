package types_test

import (
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/market/types"
)

var validAddr = sdk.AccAddress([]byte("fuzz-address-0000000")).String()

const fp = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func coin(denom string, amt int64) sdk.Coin {
	return sdk.Coin{Denom: denom, Amount: sdkmath.NewInt(amt)}
}

// Run with: go test ./x/market/types -fuzz FuzzMsgCreateOrder -fuzztime 30s
func FuzzMsgCreateOrder(f *testing.F) {
	f.Add(validAddr, uint64(4000), uint64(1<<34), uint64(0), "", uint32(1), "a100", uint64(40000), "uhyp", int64(100), int64(5_000_000), int64(10), "region", "eu", uint32(443))
	f.Add(validAddr, uint64(0), uint64(1), uint64(5), "nvme", uint32(0), "", uint64(0), "uhyp", int64(-1), int64(0), int64(-3), "", "", uint32(0))
	f.Add("bad", uint64(1), uint64(1), uint64(1), "a b", uint32(2), "x\x00", uint64(1), "u", int64(1), int64(1), int64(0), "k", "v", uint32(70000))
	f.Fuzz(func(t *testing.T, owner string, cpu, mem, storage uint64, class string, gpus uint32, model string,
		vram uint64, denom string, price, deposit, window int64, key, value string, port uint32) {
		m := &types.MsgCreateOrder{
			Owner: owner,
			Resources: types.ResourceSpec{CpuMillis: cpu, MemoryBytes: mem, StorageBytes: storage, StorageClass: class,
				Gpu: types.GPURequirement{Count: gpus, Model: model, MinVramMib: vram}, Ports: []uint32{port}},
			MaxPricePerBlock: coin(denom, price), Deposit: coin(denom, deposit), BidWindow: window,
		}
		if key != "" || value != "" {
			m.Placement = []types.Attribute{{Key: key, Value: value}}
		}
		if err := m.ValidateBasic(); err != nil {
			if registered(err) {
				return
			}
			t.Fatalf("unregistered error: %v", err)
		}
		// Accepted: everything the keeper relies on holds.
		if !m.MaxPricePerBlock.Amount.IsPositive() || !m.Deposit.Amount.IsPositive() || window < 0 ||
			cpu == 0 || mem == 0 || (storage > 0 && class == "") || port == 0 || port > 65535 ||
			(gpus == 0 && (model != "" || vram != 0)) {
			t.Fatalf("accepted invalid message %+v", m)
		}
		if _, err := sdk.AccAddressFromBech32(owner); err != nil {
			t.Fatalf("accepted bad owner %q", owner)
		}
	})
}

func FuzzMsgCreateProvider(f *testing.F) {
	f.Add(validAddr, "https://p.example.com:8443", fp, "region", "eu", uint64(64000), "nvme", uint64(1<<40), "nvidia", "a100", uint32(8), "uhyp", int64(1_000_000_000))
	f.Add(validAddr, "ftp:/x", "ABC", "", "", uint64(0), "", uint64(0), "", "", uint32(0), "", int64(0))
	f.Fuzz(func(t *testing.T, owner, uri, fingerprint, key, value string, cpu uint64, class string, bytes uint64,
		vendor, model string, count uint32, denom string, bond int64) {
		m := &types.MsgCreateProvider{Owner: owner, HostUri: uri, TlsFingerprint: fingerprint, Bond: coin(denom, bond),
			Inventory: types.Inventory{CpuMillis: cpu, Storage: []types.StorageCapacity{{Class: class, Bytes: bytes}},
				Gpus: []types.GPUCapacity{{Vendor: vendor, Model: model, Count: count}}}}
		if key != "" {
			m.Attributes = []types.Attribute{{Key: key, Value: value}}
		}
		if err := m.ValidateBasic(); err != nil {
			if !registered(err) {
				t.Fatalf("unregistered error: %v", err)
			}
			return
		}
		if !m.Bond.Amount.IsPositive() || len(fingerprint) != 64 || count == 0 || bytes == 0 || class == "" || vendor == "" || model == "" {
			t.Fatalf("accepted invalid provider %+v", m)
		}
	})
}

func FuzzMsgCreateBid(f *testing.F) {
	f.Add(validAddr, uint64(1), "uhyp", int64(90))
	f.Add(validAddr, uint64(0), "uhyp", int64(0))
	f.Add("", uint64(7), "1x", int64(-4))
	f.Fuzz(func(t *testing.T, provider string, id uint64, denom string, price int64) {
		m := &types.MsgCreateBid{Provider: provider, OrderId: id, Price: coin(denom, price)}
		if err := m.ValidateBasic(); err != nil {
			if !registered(err) {
				t.Fatalf("unregistered error: %v", err)
			}
			return
		}
		if id == 0 || price <= 0 {
			t.Fatalf("accepted %+v", m)
		}
	})
}

func FuzzMsgDepositEscrow(f *testing.F) {
	f.Add(validAddr, uint64(1), "uhyp", int64(1))
	f.Add(validAddr, uint64(1), "uhyp", int64(-1))
	f.Fuzz(func(t *testing.T, depositor string, id uint64, denom string, amt int64) {
		m := &types.MsgDepositEscrow{Depositor: depositor, OrderId: id, Amount: coin(denom, amt)}
		if err := m.ValidateBasic(); err != nil {
			if !registered(err) {
				t.Fatalf("unregistered error: %v", err)
			}
			return
		}
		if id == 0 || amt <= 0 {
			t.Fatalf("accepted %+v", m)
		}
	})
}

func FuzzLeaseMessages(f *testing.F) {
	f.Add(validAddr, validAddr, uint64(1), "done")
	f.Add("x", "", uint64(0), string(make([]byte, 300)))
	f.Fuzz(func(t *testing.T, a, b string, id uint64, reason string) {
		msgs := []sdk.HasValidateBasic{
			&types.MsgCloseOrder{Owner: a, OrderId: id},
			&types.MsgCloseBid{Provider: a, OrderId: id},
			&types.MsgCreateLease{Owner: a, OrderId: id, Provider: b},
			&types.MsgWithdrawLease{Provider: a, OrderId: id},
			&types.MsgCloseLease{Sender: a, OrderId: id, Reason: reason},
			&types.MsgLeaseHeartbeat{Provider: a, OrderId: id},
			&types.MsgDeleteProvider{Owner: a},
			&types.MsgSignProviderAttributes{Auditor: a, Provider: b, Attributes: []types.Attribute{{Key: reason, Value: "v"}}},
		}
		for _, m := range msgs {
			err := m.ValidateBasic()
			if err != nil && !registered(err) {
				t.Fatalf("%T: unregistered error: %v", m, err)
			}
			if err == nil {
				if _, aerr := sdk.AccAddressFromBech32(a); aerr != nil {
					t.Fatalf("%T accepted bad address", m)
				}
			}
		}
	})
}

// FuzzAllocate: an allocation taken from free fits in free, and free minus it
// plus it gives free back.
func FuzzAllocate(f *testing.F) {
	f.Add(uint64(64000), uint64(1<<38), uint32(8), uint32(3), uint64(4000), uint64(1<<34), uint32(5), uint64(40000))
	f.Fuzz(func(t *testing.T, cpu, mem uint64, g1, g2 uint32, wantCPU, wantMem uint64, wantGPU uint32, vram uint64) {
		free := types.Inventory{CpuMillis: cpu, MemoryBytes: mem, Gpus: []types.GPUCapacity{
			{Vendor: "nvidia", Model: "a100", VramMib: 40960, Count: g1}, {Vendor: "nvidia", Model: "a100", VramMib: 81920, Count: g2}}}
		spec := types.ResourceSpec{CpuMillis: wantCPU, MemoryBytes: wantMem, Gpu: types.GPURequirement{Count: wantGPU, Model: "A100", MinVramMib: vram}}
		alloc, ok := spec.Allocate(free)
		if !ok {
			return
		}
		rest, ok := free.Sub(alloc)
		if !ok {
			t.Fatalf("allocation %+v not contained in %+v", alloc, free)
		}
		back, err := rest.AddChecked(alloc)
		if err != nil {
			t.Fatalf("rest + alloc: %v", err)
		}
		if back.CpuMillis != free.CpuMillis || back.MemoryBytes != free.MemoryBytes {
			t.Fatalf("round trip %+v != %+v", back, free)
		}
		var n uint32
		for _, g := range alloc.Gpus {
			n += g.Count
			if g.VramMib < vram {
				t.Fatalf("allocated gpu below min vram")
			}
		}
		if n != wantGPU {
			t.Fatalf("allocated %d gpus, want %d", n, wantGPU)
		}
	})
}

func registered(err error) bool {
	for _, e := range []error{types.ErrInvalidAddress, types.ErrInvalidProvider, types.ErrInvalidOrder, types.ErrInvalidDenom,
		types.ErrInvalidAmount, types.ErrInvalidBidWindow, types.ErrInvalidAttributes, types.ErrInvalidResources,
		types.ErrInvalidRequest, types.ErrInvalidParams, types.ErrInvalidAuthority} {
		if errorsIs(err, e) {
			return true
		}
	}
	return false
}
