// Package ckpt is the CE-v1 checkpoint: a canonical serialization of all
// training state and its commitment.
//
// A checkpoint is a set of named entries (tensors, unsigned integers and
// byte strings). The canonical encoding sorts entries by name and encodes each
// as one leaf; the commitment is the Merkle root (package merkle) over those
// leaves. Two runs that reach the same state produce byte-identical
// checkpoints and hence the same commitment, and an auditor can prove any one
// entry (say one weight tensor) against the commitment with a Merkle path.
package ckpt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/tensor"
)

// ErrFormat reports a malformed or inconsistent checkpoint.
var ErrFormat = errors.New("ckpt: invalid checkpoint")

// Kind is the type of an entry.
type Kind byte

// Entry kinds.
const (
	Tensor Kind = 1 // float32 tensor
	Uint   Kind = 2 // uint64
	Bytes  Kind = 3 // byte string
)

// Entry is one named piece of state.
type Entry struct {
	Name  string
	Kind  Kind
	Shape []int     // Tensor
	F32   []float32 // Tensor
	U64   uint64    // Uint
	Raw   []byte    // Bytes
}

// Checkpoint is a set of entries with unique names.
type Checkpoint struct {
	entries map[string]Entry
}

// New returns an empty checkpoint.
func New() *Checkpoint { return &Checkpoint{entries: map[string]Entry{}} }

// PutTensor stores a copy of data with the given shape.
func (c *Checkpoint) PutTensor(name string, shape []int, data []float32) {
	c.entries[name] = Entry{Name: name, Kind: Tensor, Shape: slices.Clone(shape), F32: slices.Clone(data)}
}

// PutUint stores an integer.
func (c *Checkpoint) PutUint(name string, v uint64) {
	c.entries[name] = Entry{Name: name, Kind: Uint, U64: v}
}

// PutFloat stores a float32 scalar as a rank-0 tensor.
func (c *Checkpoint) PutFloat(name string, v float32) { c.PutTensor(name, []int{}, []float32{v}) }

// PutBytes stores a copy of b.
func (c *Checkpoint) PutBytes(name string, b []byte) {
	c.entries[name] = Entry{Name: name, Kind: Bytes, Raw: slices.Clone(b)}
}

// Get returns the named entry.
func (c *Checkpoint) Get(name string) (Entry, bool) {
	e, ok := c.entries[name]
	return e, ok
}

// Tensor returns the data of a tensor entry, checking its shape.
func (c *Checkpoint) Tensor(name string, shape []int) ([]float32, error) {
	e, ok := c.entries[name]
	if !ok || e.Kind != Tensor {
		return nil, fmt.Errorf("%w: missing tensor %q", ErrFormat, name)
	}
	if !tensor.SameShape(e.Shape, shape) {
		return nil, fmt.Errorf("%w: tensor %q has shape %v, want %v", ErrFormat, name, e.Shape, shape)
	}
	return e.F32, nil
}

// Float returns a float32 scalar entry.
func (c *Checkpoint) Float(name string) (float32, error) {
	v, err := c.Tensor(name, []int{})
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// Uint returns an integer entry.
func (c *Checkpoint) Uint(name string) (uint64, error) {
	e, ok := c.entries[name]
	if !ok || e.Kind != Uint {
		return 0, fmt.Errorf("%w: missing integer %q", ErrFormat, name)
	}
	return e.U64, nil
}

// Bytes returns a byte-string entry.
func (c *Checkpoint) Bytes(name string) ([]byte, error) {
	e, ok := c.entries[name]
	if !ok || e.Kind != Bytes {
		return nil, fmt.Errorf("%w: missing bytes %q", ErrFormat, name)
	}
	return e.Raw, nil
}

// Names returns the entry names in canonical (byte-wise sorted) order.
func (c *Checkpoint) Names() []string {
	names := make([]string, 0, len(c.entries))
	for n := range c.entries {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// encodeEntry is the canonical leaf of an entry: uint32 name length, name,
// kind byte, then for a tensor uint32 rank, uint32 dims and little-endian
// float32 data (every NaN written as tensor.CanonicalNaN, whatever bits the
// CPU produced); for an integer its uint64; for bytes uint32 length and bytes.
func encodeEntry(e Entry) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(e.Name)))
	b = append(b, e.Name...)
	b = append(b, byte(e.Kind))
	switch e.Kind {
	case Tensor:
		b = binary.LittleEndian.AppendUint32(b, uint32(len(e.Shape)))
		for _, d := range e.Shape {
			b = binary.LittleEndian.AppendUint32(b, uint32(d))
		}
		for _, v := range e.F32 {
			b = binary.LittleEndian.AppendUint32(b, tensor.Float32Bits(v))
		}
	case Uint:
		b = binary.LittleEndian.AppendUint64(b, e.U64)
	case Bytes:
		b = binary.LittleEndian.AppendUint32(b, uint32(len(e.Raw)))
		b = append(b, e.Raw...)
	}
	return b
}

// Leaves returns the canonical leaves in name order.
func (c *Checkpoint) Leaves() [][]byte {
	var out [][]byte
	for _, n := range c.Names() {
		out = append(out, encodeEntry(c.entries[n]))
	}
	return out
}

// Commitment is the Merkle root of the canonical leaves.
func (c *Checkpoint) Commitment() merkle.Hash { return merkle.Root(c.Leaves()) }

// fileMagic starts a checkpoint file.
const fileMagic = "HYPHA-CE1-CKPT\n"

// MarshalBinary is the file form: the magic, a uint32 leaf count, and each
// leaf preceded by its uint32 length.
func (c *Checkpoint) MarshalBinary() ([]byte, error) {
	b := []byte(fileMagic)
	leaves := c.Leaves()
	b = binary.LittleEndian.AppendUint32(b, uint32(len(leaves)))
	for _, l := range leaves {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(l)))
		b = append(b, l...)
	}
	return b, nil
}

// UnmarshalBinary parses the file form, rejecting anything not canonical
// (unsorted or duplicate names, trailing bytes, sizes that do not add up).
func (c *Checkpoint) UnmarshalBinary(b []byte) error {
	if !bytes.HasPrefix(b, []byte(fileMagic)) {
		return fmt.Errorf("%w: not a CE-v1 checkpoint file", ErrFormat)
	}
	b = b[len(fileMagic):]
	u32 := func() (uint32, bool) {
		if len(b) < 4 {
			return 0, false
		}
		v := binary.LittleEndian.Uint32(b)
		b = b[4:]
		return v, true
	}
	n, ok := u32()
	if !ok {
		return fmt.Errorf("%w: truncated", ErrFormat)
	}
	out := New()
	prev := ""
	for i := uint32(0); i < n; i++ {
		l, ok := u32()
		if !ok || uint64(l) > uint64(len(b)) {
			return fmt.Errorf("%w: truncated entry %d", ErrFormat, i)
		}
		e, err := decodeEntry(b[:l])
		if err != nil {
			return err
		}
		if i > 0 && e.Name <= prev {
			return fmt.Errorf("%w: entries not in canonical order at %q", ErrFormat, e.Name)
		}
		prev = e.Name
		out.entries[e.Name] = e
		b = b[l:]
	}
	if len(b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrFormat, len(b))
	}
	*c = *out
	return nil
}

func decodeEntry(b []byte) (Entry, error) {
	bad := fmt.Errorf("%w: malformed entry", ErrFormat)
	take := func(n int) []byte {
		if n < 0 || n > len(b) {
			return nil
		}
		v := b[:n]
		b = b[n:]
		return v
	}
	u32 := func() (int, bool) {
		v := take(4)
		if v == nil {
			return 0, false
		}
		return int(binary.LittleEndian.Uint32(v)), true
	}
	nl, ok := u32()
	name := take(nl)
	kind := take(1)
	if !ok || name == nil || kind == nil {
		return Entry{}, bad
	}
	e := Entry{Name: string(name), Kind: Kind(kind[0])}
	switch e.Kind {
	case Tensor:
		r, ok := u32()
		if !ok || r > len(b)/4 {
			return Entry{}, bad
		}
		e.Shape = make([]int, r)
		for i := range e.Shape {
			e.Shape[i], _ = u32()
		}
		if tensor.CheckShape(e.Shape) != nil || len(b) != 4*tensor.Size(e.Shape) {
			return Entry{}, bad
		}
		e.F32 = make([]float32, tensor.Size(e.Shape))
		for i := range e.F32 {
			e.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		b = nil
	case Uint:
		v := take(8)
		if v == nil {
			return Entry{}, bad
		}
		e.U64 = binary.LittleEndian.Uint64(v)
	case Bytes:
		n, ok := u32()
		v := take(n)
		if !ok || v == nil {
			return Entry{}, bad
		}
		e.Raw = slices.Clone(v)
	default:
		return Entry{}, bad
	}
	if len(b) != 0 {
		return Entry{}, bad
	}
	return e, nil
}

// StateFile is the name of the checkpoint file inside a checkpoint directory.
const StateFile = "state.ckpt"

// Save writes the checkpoint to dir/state.ckpt (creating dir), via a
// temporary file so a crash never leaves a torn checkpoint.
func Save(dir string, c *Checkpoint) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("ckpt: %w", err)
	}
	b, _ := c.MarshalBinary()
	tmp := filepath.Join(dir, StateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("ckpt: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, StateFile)); err != nil {
		return fmt.Errorf("ckpt: %w", err)
	}
	return nil
}

// Load reads dir/state.ckpt.
func Load(dir string) (*Checkpoint, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: no %s in %s (is it a checkpoint directory written by 'ml train --out'?)", ErrFormat, StateFile, dir)
		}
		return nil, fmt.Errorf("ckpt: %w", err)
	}
	c := New()
	if err := c.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return c, nil
}
