package types

import (
	"fmt"
	"net/url"
	"strings"

	errorsmod "cosmossdk.io/errors"
)

// Validation limits of user-supplied descriptions.
const (
	MaxAttributes        = 32
	MaxAttributeKeyLen   = 64
	MaxAttributeValueLen = 128
	MaxHostURILen        = 256
	MaxNameLen           = 64 // vendor, model, interface, storage class
	MaxGPUGroups         = 16
	MaxStorageClasses    = 16
	MaxPorts             = 32
	MaxRequiredAuditors  = 8
	MaxCloseNoteLen      = 256
)

// ValidateAttributes checks a list of key/value attributes: bounded, non-empty
// printable keys and values, keys unique.
func ValidateAttributes(attrs []Attribute) error {
	if len(attrs) > MaxAttributes {
		return errorsmod.Wrapf(ErrInvalidAttributes, "at most %d attributes", MaxAttributes)
	}
	for i, a := range attrs {
		if err := validName(a.Key, MaxAttributeKeyLen); err != nil {
			return errorsmod.Wrapf(ErrInvalidAttributes, "attribute %d key: %v", i, err)
		}
		if err := validName(a.Value, MaxAttributeValueLen); err != nil {
			return errorsmod.Wrapf(ErrInvalidAttributes, "attribute %q value: %v", a.Key, err)
		}
		for _, b := range attrs[:i] {
			if b.Key == a.Key {
				return errorsmod.Wrapf(ErrInvalidAttributes, "duplicate attribute key %q", a.Key)
			}
		}
	}
	return nil
}

// validName accepts 1..max printable ASCII characters without spaces.
func validName(s string, max int) error {
	if s == "" {
		return fmt.Errorf("empty")
	}
	if len(s) > max {
		return fmt.Errorf("longer than %d", max)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Errorf("character %q not allowed", s[i])
		}
	}
	return nil
}

// validOptionalName is validName that also accepts the empty string.
func validOptionalName(s string, max int) error {
	if s == "" {
		return nil
	}
	return validName(s, max)
}

// ValidateHostURI requires an absolute URI with a scheme and host.
func ValidateHostURI(s string) error {
	if s == "" || len(s) > MaxHostURILen {
		return errorsmod.Wrapf(ErrInvalidProvider, "host uri must have 1..%d characters", MaxHostURILen)
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return errorsmod.Wrapf(ErrInvalidProvider, "host uri %q is not an absolute URI with a host", s)
	}
	return nil
}

// ValidateTLSFingerprint requires 64 lowercase hex digits (a SHA-256).
func ValidateTLSFingerprint(s string) error {
	if len(s) != 64 {
		return errorsmod.Wrap(ErrInvalidProvider, "tls fingerprint must be 64 hex digits (SHA-256)")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return errorsmod.Wrap(ErrInvalidProvider, "tls fingerprint must be lowercase hex")
		}
	}
	return nil
}

// Validate checks an inventory: named, positive, unique groups.
func (inv Inventory) Validate() error {
	if len(inv.Storage) > MaxStorageClasses {
		return errorsmod.Wrapf(ErrInvalidResources, "at most %d storage classes", MaxStorageClasses)
	}
	if len(inv.Gpus) > MaxGPUGroups {
		return errorsmod.Wrapf(ErrInvalidResources, "at most %d gpu groups", MaxGPUGroups)
	}
	for i, s := range inv.Storage {
		if err := validName(s.Class, MaxNameLen); err != nil {
			return errorsmod.Wrapf(ErrInvalidResources, "storage %d class: %v", i, err)
		}
		if s.Bytes == 0 {
			return errorsmod.Wrapf(ErrInvalidResources, "storage class %q has zero bytes", s.Class)
		}
		for _, o := range inv.Storage[:i] {
			if strings.EqualFold(o.Class, s.Class) {
				return errorsmod.Wrapf(ErrInvalidResources, "duplicate storage class %q", s.Class)
			}
		}
	}
	for i, g := range inv.Gpus {
		if err := validName(g.Vendor, MaxNameLen); err != nil {
			return errorsmod.Wrapf(ErrInvalidResources, "gpu %d vendor: %v", i, err)
		}
		if err := validName(g.Model, MaxNameLen); err != nil {
			return errorsmod.Wrapf(ErrInvalidResources, "gpu %d model: %v", i, err)
		}
		if err := validOptionalName(g.Interface, MaxNameLen); err != nil {
			return errorsmod.Wrapf(ErrInvalidResources, "gpu %d interface: %v", i, err)
		}
		if g.Count == 0 {
			return errorsmod.Wrapf(ErrInvalidResources, "gpu group %d has zero count", i)
		}
		for _, o := range inv.Gpus[:i] {
			if sameGPU(o, g) {
				return errorsmod.Wrapf(ErrInvalidResources, "duplicate gpu group %s/%s", g.Vendor, g.Model)
			}
		}
	}
	return nil
}

// Validate checks what an order asks for.
func (r ResourceSpec) Validate() error {
	if r.CpuMillis == 0 || r.MemoryBytes == 0 {
		return errorsmod.Wrap(ErrInvalidResources, "cpu_millis and memory_bytes must be positive")
	}
	if r.StorageBytes > 0 {
		if err := validName(r.StorageClass, MaxNameLen); err != nil {
			return errorsmod.Wrapf(ErrInvalidResources, "storage class: %v", err)
		}
	} else if r.StorageClass != "" {
		return errorsmod.Wrap(ErrInvalidResources, "storage class without storage bytes")
	}
	g := r.Gpu
	if g.Count == 0 && (g.Vendor != "" || g.Model != "" || g.MinVramMib != 0 || g.Interface != "") {
		return errorsmod.Wrap(ErrInvalidResources, "gpu constraints without a gpu count")
	}
	for _, s := range []string{g.Vendor, g.Model, g.Interface} {
		if err := validOptionalName(s, MaxNameLen); err != nil {
			return errorsmod.Wrapf(ErrInvalidResources, "gpu constraint: %v", err)
		}
	}
	if len(r.Ports) > MaxPorts {
		return errorsmod.Wrapf(ErrInvalidResources, "at most %d ports", MaxPorts)
	}
	for i, p := range r.Ports {
		if p == 0 || p > 65535 {
			return errorsmod.Wrapf(ErrInvalidResources, "port %d out of range", p)
		}
		for _, o := range r.Ports[:i] {
			if o == p {
				return errorsmod.Wrapf(ErrInvalidResources, "duplicate port %d", p)
			}
		}
	}
	return nil
}

func sameGPU(a, b GPUCapacity) bool {
	return strings.EqualFold(a.Vendor, b.Vendor) && strings.EqualFold(a.Model, b.Model) &&
		a.VramMib == b.VramMib && strings.EqualFold(a.Interface, b.Interface)
}

func matchOpt(want, have string) bool { return want == "" || strings.EqualFold(want, have) }

// Matches reports whether the GPU group satisfies the requirement's constraints.
func (req GPURequirement) Matches(g GPUCapacity) bool {
	return matchOpt(req.Vendor, g.Vendor) && matchOpt(req.Model, g.Model) &&
		g.VramMib >= req.MinVramMib && matchOpt(req.Interface, g.Interface)
}

// AddChecked returns inv + other, merging storage classes and identical GPU
// groups, or ErrInvalidResources if a total overflows.
func (inv Inventory) AddChecked(other Inventory) (Inventory, error) {
	out := inv.clone()
	var err error
	if out.CpuMillis, err = AddQuantity(out.CpuMillis, other.CpuMillis); err != nil {
		return Inventory{}, errorsmod.Wrap(err, "cpu")
	}
	if out.MemoryBytes, err = AddQuantity(out.MemoryBytes, other.MemoryBytes); err != nil {
		return Inventory{}, errorsmod.Wrap(err, "memory")
	}
	for _, s := range other.Storage {
		found := false
		for i := range out.Storage {
			if strings.EqualFold(out.Storage[i].Class, s.Class) {
				if out.Storage[i].Bytes, err = AddQuantity(out.Storage[i].Bytes, s.Bytes); err != nil {
					return Inventory{}, errorsmod.Wrapf(err, "storage %s", s.Class)
				}
				found = true
				break
			}
		}
		if !found {
			out.Storage = append(out.Storage, s)
		}
	}
	for _, g := range other.Gpus {
		found := false
		for i := range out.Gpus {
			if sameGPU(out.Gpus[i], g) {
				if out.Gpus[i].Count, err = addCount(out.Gpus[i].Count, g.Count); err != nil {
					return Inventory{}, err
				}
				found = true
				break
			}
		}
		if !found {
			out.Gpus = append(out.Gpus, g)
		}
	}
	return out, nil
}

// Sub returns inv - other, dropping emptied groups; ok is false if other is not
// contained in inv.
func (inv Inventory) Sub(other Inventory) (Inventory, bool) {
	out := inv.clone()
	if other.CpuMillis > out.CpuMillis || other.MemoryBytes > out.MemoryBytes {
		return Inventory{}, false
	}
	out.CpuMillis -= other.CpuMillis
	out.MemoryBytes -= other.MemoryBytes
	for _, s := range other.Storage {
		found := false
		for i := range out.Storage {
			if strings.EqualFold(out.Storage[i].Class, s.Class) {
				if s.Bytes > out.Storage[i].Bytes {
					return Inventory{}, false
				}
				out.Storage[i].Bytes -= s.Bytes
				found = true
				break
			}
		}
		if !found && s.Bytes > 0 {
			return Inventory{}, false
		}
	}
	for _, g := range other.Gpus {
		found := false
		for i := range out.Gpus {
			if sameGPU(out.Gpus[i], g) {
				if g.Count > out.Gpus[i].Count {
					return Inventory{}, false
				}
				out.Gpus[i].Count -= g.Count
				found = true
				break
			}
		}
		if !found && g.Count > 0 {
			return Inventory{}, false
		}
	}
	storage := out.Storage[:0]
	for _, s := range out.Storage {
		if s.Bytes > 0 {
			storage = append(storage, s)
		}
	}
	out.Storage = storage
	gpus := out.Gpus[:0]
	for _, g := range out.Gpus {
		if g.Count > 0 {
			gpus = append(gpus, g)
		}
	}
	out.Gpus = gpus
	if len(out.Storage) == 0 {
		out.Storage = nil
	}
	if len(out.Gpus) == 0 {
		out.Gpus = nil
	}
	return out, true
}

func (inv Inventory) clone() Inventory {
	out := Inventory{CpuMillis: inv.CpuMillis, MemoryBytes: inv.MemoryBytes}
	if len(inv.Storage) > 0 {
		out.Storage = append([]StorageCapacity(nil), inv.Storage...)
	}
	if len(inv.Gpus) > 0 {
		out.Gpus = append([]GPUCapacity(nil), inv.Gpus...)
	}
	return out
}

// Allocate takes the resources of spec out of free and returns the allocation
// (GPUs are taken greedily from the groups in free's order), or false if free
// cannot serve spec.
func (r ResourceSpec) Allocate(free Inventory) (Inventory, bool) {
	alloc := Inventory{CpuMillis: r.CpuMillis, MemoryBytes: r.MemoryBytes}
	if r.CpuMillis > free.CpuMillis || r.MemoryBytes > free.MemoryBytes {
		return Inventory{}, false
	}
	if r.StorageBytes > 0 {
		ok := false
		for _, s := range free.Storage {
			if strings.EqualFold(s.Class, r.StorageClass) && s.Bytes >= r.StorageBytes {
				alloc.Storage = []StorageCapacity{{Class: s.Class, Bytes: r.StorageBytes}}
				ok = true
				break
			}
		}
		if !ok {
			return Inventory{}, false
		}
	}
	need := r.Gpu.Count
	for _, g := range free.Gpus {
		if need == 0 {
			break
		}
		if !r.Gpu.Matches(g) {
			continue
		}
		take := min(need, g.Count)
		g.Count = take
		alloc.Gpus = append(alloc.Gpus, g)
		need -= take
	}
	if need > 0 {
		return Inventory{}, false
	}
	return alloc, true
}

// CheckAuditors checks that every required auditor has signed the provider's
// attributes and that each signature vouches for every placement attribute.
// sig looks up the provider's signature from an auditor; found is false when
// there is none. The keeper's Fit and the provider agent's bid filter share it.
func CheckAuditors(auditors []string, placement []Attribute, sig func(auditor string) (s AuditorSignature, found bool, err error)) error {
	for _, a := range auditors {
		s, found, err := sig(a)
		if err != nil {
			return err
		}
		if !found {
			return errorsmod.Wrapf(ErrAuditorMissing, "no signature from %s", a)
		}
		if !HasAttributes(s.Attributes, placement) {
			return errorsmod.Wrapf(ErrAuditorMissing, "%s did not sign every placement attribute", a)
		}
	}
	return nil
}

// HasAttributes reports whether have contains every key/value of want.
func HasAttributes(have, want []Attribute) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h.Key == w.Key && h.Value == w.Value {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Reputation is the provider's score used to break auction ties:
// leases_completed - 2 * leases_faulted (saturating at the int64 range).
func (p Provider) Reputation() int64 {
	const limit = uint64(1) << 62
	c, f := min(p.LeasesCompleted, limit), min(p.LeasesFaulted, limit/2)
	return int64(c) - 2*int64(f)
}
