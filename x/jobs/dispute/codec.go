package dispute

import (
	"encoding/binary"
	"fmt"

	"github.com/hypha-network/hypha/ml/merkle"
)

// gameMagic starts an encoded game and names its version.
const gameMagic = "HYPHA-DISPUTE-GAME-1\n"

// writer appends little-endian fields.
type writer struct{ b []byte }

func (w *writer) u8(v uint8)   { w.b = append(w.b, v) }
func (w *writer) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *writer) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }
func (w *writer) hash(h Hash)  { w.b = append(w.b, h[:]...) }
func (w *writer) bool(v bool) {
	if v {
		w.u8(1)
	} else {
		w.u8(0)
	}
}
func (w *writer) bytes(v []byte) { w.u32(uint32(len(v))); w.b = append(w.b, v...) }
func (w *writer) hashes(hs []Hash) {
	w.u32(uint32(len(hs)))
	for _, h := range hs {
		w.hash(h)
	}
}

// MarshalBinary is the game's stored form, for a keeper that keeps games as
// bytes: every field in declaration order, fixed-width little-endian
// integers, u32-counted lists.
func (g *Game) MarshalBinary() ([]byte, error) {
	w := &writer{b: []byte(gameMagic)}
	w.u32(g.Params.Arity)
	w.u64(g.Params.Budget)
	w.u64(g.Params.MinResponse)
	w.u64(g.Steps)
	w.u32(g.TraceLen)
	w.u32(g.StateLen)
	w.hash(g.Start)
	for s := range 2 {
		w.hash(g.Claims[s])
	}
	w.u8(uint8(g.Phase))
	w.u8(uint8(g.Level))
	w.u32(g.Round)
	w.u32(uint32(g.Span.Lo))
	w.u32(uint32(g.Span.Hi))
	for s := range 2 {
		w.hash(g.Node[s])
		w.bool(g.Moved[s])
		w.hashes(g.Pieces[s])
		w.bytes(g.Reveal[s])
		w.u64(g.Remaining[s])
		w.hash(g.StepsRoot[s])
		w.hash(g.TraceRoot[s])
		w.hash(g.EntryValue[s])
		w.bytes(g.FinalClaims[s])
	}
	w.u64(g.PhaseStart)
	w.u64(g.Step)
	w.hash(g.StepStart)
	w.bool(g.HaveStart)
	w.u32(g.Entry)
	w.u8(uint8(g.FinalLevel))
	w.u32(g.FinalElement)
	w.u32(g.Rounds)
	w.u64(g.Bytes)
	w.u8(uint8(g.Outcome.Winner))
	w.u8(uint8(g.Outcome.Reason))
	w.u64(g.Outcome.Height)
	return w.b, nil
}

func (r *reader) u8() uint8 {
	v := r.take(1)
	if v == nil {
		return 0
	}
	return v[0]
}

func (r *reader) u64() uint64 {
	v := r.take(8)
	if v == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(v)
}

func (r *reader) hash() (h Hash) {
	copy(h[:], r.take(32))
	return h
}

func (r *reader) flag() bool {
	v := r.u8()
	if r.err == nil && v > 1 {
		r.err = fmt.Errorf("%w: flag byte %d", ErrBadMove, v)
	}
	return v == 1
}

// UnmarshalBinary decodes a stored game, rejecting truncation, trailing
// bytes, out-of-range enums and sizes beyond the package limits.
func (g *Game) UnmarshalBinary(b []byte) error {
	r := &reader{b: b}
	if string(r.take(len(gameMagic))) != gameMagic {
		return fmt.Errorf("%w: not a stored dispute game (bad magic)", ErrBadMove)
	}
	var out Game
	out.Params = Params{Arity: r.u32(), Budget: r.u64(), MinResponse: r.u64()}
	out.Steps = r.u64()
	out.TraceLen, out.StateLen = r.u32(), r.u32()
	out.Start = r.hash()
	for s := range 2 {
		out.Claims[s] = r.hash()
	}
	out.Phase, out.Level = Phase(r.u8()), Level(r.u8())
	out.Round = r.u32()
	out.Span = merkle.Span{Lo: int(r.u32()), Hi: int(r.u32())}
	for s := range 2 {
		out.Node[s] = r.hash()
		out.Moved[s] = r.flag()
		out.Pieces[s] = r.hashes(MaxArity)
		out.Reveal[s] = r.bytes(MaxValueBytes)
		out.Remaining[s] = r.u64()
		out.StepsRoot[s] = r.hash()
		out.TraceRoot[s] = r.hash()
		out.EntryValue[s] = r.hash()
		out.FinalClaims[s] = r.bytes(MaxValueBytes)
	}
	out.PhaseStart, out.Step = r.u64(), r.u64()
	out.StepStart = r.hash()
	out.HaveStart = r.flag()
	out.Entry = r.u32()
	out.FinalLevel = Level(r.u8())
	out.FinalElement, out.Rounds = r.u32(), r.u32()
	out.Bytes = r.u64()
	out.Outcome = Outcome{Winner: Side(r.u8()), Reason: Reason(r.u8()), Height: r.u64()}
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrBadMove, len(r.b))
	}
	switch {
	case out.Params.Validate() != nil:
		return fmt.Errorf("stored game: %w", out.Params.Validate())
	case out.Phase < PhaseCommit || out.Phase > PhaseDone || out.Level < LevelSteps || out.Level > LevelElements:
		return fmt.Errorf("%w: phase %d level %d", ErrOutOfRange, out.Phase, out.Level)
	case out.Steps == 0 || out.Steps > MaxLeaves || out.TraceLen == 0 || out.TraceLen > MaxLeaves || out.StateLen == 0 || out.StateLen > MaxLeaves:
		return fmt.Errorf("%w: tree sizes", ErrOutOfRange)
	case out.Span.Lo < 0 || out.Span.Hi <= out.Span.Lo || out.Span.Hi > MaxLeaves:
		return fmt.Errorf("%w: span [%d,%d)", ErrOutOfRange, out.Span.Lo, out.Span.Hi)
	case out.Outcome.Winner > Challenger || out.Outcome.Reason > ReasonTimeout:
		return fmt.Errorf("%w: outcome", ErrOutOfRange)
	}
	*g = out
	return nil
}
