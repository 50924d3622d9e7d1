package dispute

import (
	"encoding/binary"
	"fmt"
)

// Move is one side's move in one round. Which fields it carries depends on
// the phase:
//
//	commit:   Root (its tree of step end states), Path (of the last leaf)
//	bisect:   Hashes (the subtree roots under the disputed node)
//	reveal:   Value (the leaf's preimage); at the step level also Start,
//	          Path (Start as the previous leaf) and TraceRoot
//	evidence: Evidence (for the referee)
type Move struct {
	Side      Side
	Round     uint32
	Root      Hash
	Start     Hash
	TraceRoot Hash
	Path      []Hash
	Hashes    []Hash
	Value     []byte
	Evidence  []byte
}

// Validate checks the move's sizes against the package limits; it is the
// check to run before any other work on a move.
func (m *Move) Validate() error {
	switch {
	case m.Side != Solver && m.Side != Challenger:
		return fmt.Errorf("%w: side %d (0 solver, 1 challenger)", ErrBadMove, m.Side)
	case len(m.Path) > MaxPath:
		return fmt.Errorf("%w: path of %d hashes (max %d)", ErrOutOfRange, len(m.Path), MaxPath)
	case len(m.Hashes) > MaxArity:
		return fmt.Errorf("%w: %d subtree roots (max %d)", ErrOutOfRange, len(m.Hashes), MaxArity)
	case len(m.Value) > MaxValueBytes:
		return fmt.Errorf("%w: value of %d bytes (max %d)", ErrOutOfRange, len(m.Value), MaxValueBytes)
	case len(m.Evidence) > MaxEvidenceBytes:
		return fmt.Errorf("%w: evidence of %d bytes (max %d)", ErrOutOfRange, len(m.Evidence), MaxEvidenceBytes)
	}
	return nil
}

// moveMagic starts an encoded move and names its version.
const moveMagic = "HYPHA-DISPUTE-MOVE-1\n"

// Size is the encoded size of the move.
func (m *Move) Size() int {
	return len(moveMagic) + 1 + 4 + 3*32 + 4*4 + 32*(len(m.Path)+len(m.Hashes)) + len(m.Value) + len(m.Evidence)
}

// MarshalBinary encodes the move: the magic, side byte, u32 round, Root,
// Start, TraceRoot, then u32-counted Path, Hashes, Value and Evidence (all
// little-endian).
func (m *Move) MarshalBinary() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, m.Size())
	b = append(b, moveMagic...)
	b = append(b, byte(m.Side))
	b = binary.LittleEndian.AppendUint32(b, m.Round)
	b = append(b, m.Root[:]...)
	b = append(b, m.Start[:]...)
	b = append(b, m.TraceRoot[:]...)
	for _, hs := range [][]Hash{m.Path, m.Hashes} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(hs)))
		for _, h := range hs {
			b = append(b, h[:]...)
		}
	}
	for _, v := range [][]byte{m.Value, m.Evidence} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	return b, nil
}

// UnmarshalBinary decodes a move, rejecting truncation, trailing bytes and
// anything beyond the limits before allocating for it.
func (m *Move) UnmarshalBinary(b []byte) error {
	r := reader{b: b}
	if string(r.take(len(moveMagic))) != moveMagic {
		return fmt.Errorf("%w: not a dispute move (bad magic)", ErrBadMove)
	}
	var out Move
	side := r.take(1)
	if side != nil {
		out.Side = Side(side[0])
	}
	out.Round = r.u32()
	copy(out.Root[:], r.take(32))
	copy(out.Start[:], r.take(32))
	copy(out.TraceRoot[:], r.take(32))
	out.Path = r.hashes(MaxPath)
	out.Hashes = r.hashes(MaxArity)
	out.Value = r.bytes(MaxValueBytes)
	out.Evidence = r.bytes(MaxEvidenceBytes)
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrBadMove, len(r.b))
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*m = out
	return nil
}

// reader decodes little-endian fields, remembering the first error.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = fmt.Errorf("%w: truncated", ErrBadMove)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u32() uint32 {
	v := r.take(4)
	if v == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(v)
}

func (r *reader) count(max int) int {
	n := r.u32()
	if r.err == nil && n > uint32(max) {
		r.err = fmt.Errorf("%w: count %d over the limit %d", ErrOutOfRange, n, max)
	}
	if r.err != nil {
		return 0
	}
	return int(n)
}

func (r *reader) hashes(max int) []Hash {
	n := r.count(max)
	if n == 0 || 32*n > len(r.b) {
		if n != 0 {
			r.err = fmt.Errorf("%w: truncated", ErrBadMove)
		}
		return nil
	}
	hs := make([]Hash, n)
	for i := range hs {
		copy(hs[i][:], r.take(32))
	}
	return hs
}

func (r *reader) bytes(max int) []byte {
	n := r.count(max)
	if n == 0 {
		return nil
	}
	v := r.take(n)
	if v == nil {
		return nil
	}
	return append([]byte(nil), v...)
}
