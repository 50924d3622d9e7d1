package train

import (
	"encoding/binary"
	"fmt"

	"github.com/hypha-network/hypha/ml/ckpt"
	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/ml/merkle"
)

// StateRoot is the commitment a job posts for a training state: the Merkle
// root of StateLeaves. It binds exactly what ckpt.Checkpoint.Commitment
// binds, but each tensor leaf holds the tensor's root (graph.HashValues)
// instead of its data, so one element of one tensor can be proven against it
// with two short paths (leaf in the state tree, element in the tensor tree)
// rather than by sending the whole tensor.
func StateRoot(c *ckpt.Checkpoint) merkle.Hash { return merkle.Root(StateLeaves(c)) }

// StateLeaves are the state-root leaves in entry-name order (the order of
// ckpt.Checkpoint.Names).
func StateLeaves(c *ckpt.Checkpoint) [][]byte {
	var out [][]byte
	for _, n := range c.Names() {
		e, _ := c.Get(n)
		out = append(out, StateLeaf(e))
	}
	return out
}

// StateLeaf encodes one entry: u32 name length, name, kind byte, then for a
// tensor u32 rank, u32 dims and the 32-byte tensor root; for an integer its
// u64; for bytes u32 length and the bytes (all little-endian).
func StateLeaf(e ckpt.Entry) []byte {
	if e.Kind == ckpt.Tensor {
		return TensorStateLeaf(e.Name, e.Shape, graph.HashValues(e.F32))
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(e.Name)))
	b = append(b, e.Name...)
	b = append(b, byte(e.Kind))
	switch e.Kind {
	case ckpt.Uint:
		b = binary.LittleEndian.AppendUint64(b, e.U64)
	case ckpt.Bytes:
		b = binary.LittleEndian.AppendUint32(b, uint32(len(e.Raw)))
		b = append(b, e.Raw...)
	}
	return b
}

// TensorStateLeaf is the state leaf of a tensor entry with the given root:
// what a referee rebuilds from an agreed trace entry.
func TensorStateLeaf(name string, shape []int, root merkle.Hash) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(name)))
	b = append(b, name...)
	b = append(b, byte(ckpt.Tensor))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(shape)))
	for _, d := range shape {
		b = binary.LittleEndian.AppendUint32(b, uint32(d))
	}
	return append(b, root[:]...)
}

// UintStateLeaf is the state leaf of an integer entry.
func UintStateLeaf(name string, v uint64) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(name)))
	b = append(b, name...)
	b = append(b, byte(ckpt.Uint))
	return binary.LittleEndian.AppendUint64(b, v)
}

// StateEntry is a decoded state leaf: a tensor's name, shape and root, an
// integer, or a byte string.
type StateEntry struct {
	Name  string
	Kind  ckpt.Kind
	Shape []int
	Root  merkle.Hash // Tensor
	U64   uint64      // Uint
	Raw   []byte      // Bytes
}

// MaxStateLeafBytes bounds a state leaf a decoder accepts (names, shapes and
// the vocabulary of a text model are small).
const MaxStateLeafBytes = 1 << 16

// DecodeStateLeaf parses a state leaf, rejecting anything that StateLeaf
// would not produce.
func DecodeStateLeaf(b []byte) (StateEntry, error) {
	bad := func(why string) (StateEntry, error) {
		return StateEntry{}, fmt.Errorf("%w: state leaf: %s", ckpt.ErrFormat, why)
	}
	if len(b) > MaxStateLeafBytes {
		return bad("too long")
	}
	u32 := func() (int, bool) {
		if len(b) < 4 {
			return 0, false
		}
		v := binary.LittleEndian.Uint32(b)
		b = b[4:]
		return int(v), true
	}
	nl, ok := u32()
	if !ok || nl > len(b) {
		return bad("truncated name")
	}
	e := StateEntry{Name: string(b[:nl])}
	b = b[nl:]
	if len(b) < 1 {
		return bad("missing kind")
	}
	e.Kind = ckpt.Kind(b[0])
	b = b[1:]
	switch e.Kind {
	case ckpt.Tensor:
		r, ok := u32()
		if !ok || r > 8 {
			return bad("bad rank")
		}
		e.Shape = make([]int, r)
		for i := range e.Shape {
			d, ok := u32()
			if !ok {
				return bad("truncated shape")
			}
			e.Shape[i] = d
		}
		if len(b) != 32 {
			return bad("tensor root must be 32 bytes")
		}
		copy(e.Root[:], b)
	case ckpt.Uint:
		if len(b) != 8 {
			return bad("integer must be 8 bytes")
		}
		e.U64 = binary.LittleEndian.Uint64(b)
	case ckpt.Bytes:
		n, ok := u32()
		if !ok || n != len(b) {
			return bad("byte string length")
		}
		e.Raw = append([]byte(nil), b...)
	default:
		return bad("unknown kind")
	}
	return e, nil
}
