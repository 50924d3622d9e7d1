package graph

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// graphMagic starts the canonical binary encoding of a graph.
const graphMagic = "HYPHA-CE1-GRAPH\n"

// MarshalBinary returns the canonical encoding of g (see docs/ce-v1.md):
// the magic, then every node (op, name, inputs, shape, ints, float bits),
// then params, grads, loss, output and backward start. All integers are
// little-endian; counts are uint32, attribute integers int64.
func (g *Graph) MarshalBinary() ([]byte, error) {
	if g.err != nil {
		return nil, g.err
	}
	w := &writer{b: []byte(graphMagic)}
	w.u32(len(g.Nodes))
	for _, n := range g.Nodes {
		w.str(string(n.Op))
		w.str(n.Name)
		w.ints32(n.Inputs)
		w.ints32(n.Shape)
		w.u32(len(n.Ints))
		for _, v := range n.Ints {
			w.b = binary.LittleEndian.AppendUint64(w.b, uint64(int64(v)))
		}
		w.b = binary.LittleEndian.AppendUint32(w.b, math.Float32bits(n.Float))
	}
	w.ints32(g.Params)
	w.ints32(g.Grads)
	w.ints32([]int{g.Loss, g.Output, g.BackwardStart})
	return w.b, nil
}

// Hash is the SHA-256 of the canonical encoding: the graph's identity.
func (g *Graph) Hash() ([32]byte, error) {
	b, err := g.MarshalBinary()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// UnmarshalBinary decodes and validates a canonical graph encoding.
func (g *Graph) UnmarshalBinary(data []byte) error {
	r := &reader{b: data}
	if string(r.take(len(graphMagic))) != graphMagic {
		return fmt.Errorf("%w: not a CE-v1 graph encoding", ErrInvalid)
	}
	out := Graph{}
	nn := r.count()
	for i := 0; i < nn && r.err == nil; i++ {
		var n Node
		n.Op = Op(r.str())
		n.Name = r.str()
		n.Inputs = r.ints32()
		n.Shape = r.ints32()
		k := r.count()
		for j := 0; j < k && r.err == nil; j++ {
			n.Ints = append(n.Ints, int(int64(binary.LittleEndian.Uint64(r.take(8)))))
		}
		n.Float = math.Float32frombits(binary.LittleEndian.Uint32(r.take(4)))
		out.Nodes = append(out.Nodes, n)
	}
	out.Params = r.ints32()
	out.Grads = r.ints32()
	tail := r.ints32()
	if r.err == nil && (len(tail) != 3 || len(r.b) != 0) {
		r.err = errors.New("trailing or missing fields")
	}
	if r.err != nil {
		return fmt.Errorf("%w: decoding graph: %v", ErrInvalid, r.err)
	}
	out.Loss, out.Output, out.BackwardStart = tail[0], tail[1], tail[2]
	if err := out.Validate(); err != nil {
		return err
	}
	*g = out
	return nil
}

type writer struct{ b []byte }

func (w *writer) u32(v int) { w.b = binary.LittleEndian.AppendUint32(w.b, uint32(v)) }

func (w *writer) str(s string) {
	w.u32(len(s))
	w.b = append(w.b, s...)
}

// ints32 writes a count and then each value as a two's-complement int32.
func (w *writer) ints32(v []int) {
	w.u32(len(v))
	for _, x := range v {
		w.u32(int(int32(x)))
	}
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		if r.err == nil {
			r.err = errors.New("truncated")
		}
		return make([]byte, max(n, 0))
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// count reads a uint32 count, refusing counts larger than the bytes left so
// hostile input cannot force a huge allocation.
func (r *reader) count() int {
	n := int(binary.LittleEndian.Uint32(r.take(4)))
	if n > len(r.b) && r.err == nil {
		r.err = errors.New("count exceeds data")
		return 0
	}
	return n
}

func (r *reader) str() string { return string(r.take(r.count())) }

func (r *reader) ints32() []int {
	n := r.count()
	v := make([]int, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		v = append(v, int(int32(binary.LittleEndian.Uint32(r.take(4)))))
	}
	return v
}
