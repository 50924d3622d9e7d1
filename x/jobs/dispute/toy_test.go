package dispute

import (
	"encoding/binary"
	"fmt"

	"github.com/hypha-network/hypha/ml/merkle"
)

// The abstract deterministic computation of the property tests: a training
// loop in miniature with the same shape as CE-v1 (a parameter loaded from
// the start state, an input derived from the step, element-wise ops, an op
// that reads two elements, a full reduction, an update, end-state scalars),
// on uint32 words so faults are exact. Trace of step t:
//
//	0 w    = start state's w               (judged whole)
//	1 x[i] = mix(step, i)                  (the "dataset")
//	2 a[i] = 3·w[i] + x[i]
//	3 b[i] = a[i] ^ (a[(i+1) mod W] >> 3)
//	4 s    = Σ b[i]                        (one value)
//	5 w'   = b[i] + s + acc
//
// End state leaves, in name order: acc' = acc + s, step' = step + 1, w'.
const (
	toyEntries = 6
	toyLeaves  = 3
)

type toyLayout struct{ w int }

func (l toyLayout) TraceLen() int { return toyEntries }
func (l toyLayout) StateLen() int { return toyLeaves }
func (l toyLayout) EntryValues(j int) int {
	switch j {
	case 0:
		return 0
	case 4:
		return 1
	}
	return l.w
}

type toyState struct {
	acc, step uint64
	w         []uint32
}

func mix(step uint64, i int) uint32 {
	x := uint32(step)*0x9E3779B1 ^ uint32(i)*0x85EBCA6B
	x ^= x >> 15
	return x * 0xC2B2AE35
}

func words(v []uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return b
}

func leafU64(name string, v uint64) []byte {
	return binary.LittleEndian.AppendUint64(append([]byte(name), 0), v)
}

func leafTensor(name string, root Hash) []byte { return append(append([]byte(name), 0), root[:]...) }

func (s *toyState) leaves() [][]byte {
	return [][]byte{leafU64("acc", s.acc), leafU64("step", s.step), leafTensor("w", merkle.ChunkRoot(words(s.w)))}
}

func (s *toyState) root() Hash { return merkle.Root(s.leaves()) }

// fault is a deviation from the computation: at step Step, entry Entry
// (toyEntries means the end state, whose leaf Elem is corrupted), element
// Elem gets XOR Mask. Entry < 0 means no fault.
type fault struct {
	Step  uint64
	Entry int
	Elem  int
	Mask  uint32
}

// toyStep runs one step from s, returning the trace values and the next
// state, with f applied when it is at this step.
func toyStep(s *toyState, f fault) ([][]uint32, *toyState) {
	W := len(s.w)
	at := func(j int, v []uint32) {
		if f.Entry == j && f.Step == s.step {
			v[f.Elem%len(v)] ^= f.Mask
		}
	}
	w := append([]uint32(nil), s.w...)
	at(0, w)
	x := make([]uint32, W)
	for i := range x {
		x[i] = mix(s.step, i)
	}
	at(1, x)
	a := make([]uint32, W)
	for i := range a {
		a[i] = 3*w[i] + x[i]
	}
	at(2, a)
	b := make([]uint32, W)
	for i := range b {
		b[i] = a[i] ^ (a[(i+1)%W] >> 3)
	}
	at(3, b)
	sum := []uint32{0}
	for _, v := range b {
		sum[0] += v
	}
	at(4, sum)
	nw := make([]uint32, W)
	for i := range nw {
		nw[i] = b[i] + sum[0] + uint32(s.acc)
	}
	at(5, nw)
	next := &toyState{acc: s.acc + uint64(sum[0]), step: s.step + 1, w: nw}
	if f.Entry == toyEntries && f.Step == s.step {
		switch f.Elem % toyLeaves {
		case 0:
			next.acc ^= uint64(f.Mask)
		case 1:
			next.step ^= uint64(f.Mask)
		case 2:
			next.w = append([]uint32(nil), nw...)
			next.w[0] ^= f.Mask
		}
	}
	return [][]uint32{w, x, a, b, sum, nw}, next
}

// toyParty is one side's full record of a segment.
type toyParty struct {
	starts []*toyState // state before each step
	ends   []*toyState // state after each step
	traces [][][]uint32
	// bad makes Evidence return garbage (a party that cannot prove).
	bad bool
	// fakeLast, when set, replaces the last state root: a party that
	// computed honestly but claims another result.
	fakeLast *Hash
}

func runToy(start *toyState, k int, f fault) *toyParty {
	p := &toyParty{}
	s := start
	for t := 0; t < k; t++ {
		tr, next := toyStep(s, f)
		p.starts = append(p.starts, s)
		p.ends = append(p.ends, next)
		p.traces = append(p.traces, tr)
		s = next
	}
	return p
}

func (p *toyParty) States() []Hash {
	out := make([]Hash, len(p.ends))
	for i, s := range p.ends {
		out[i] = s.root()
	}
	if p.fakeLast != nil {
		out[len(out)-1] = *p.fakeLast
	}
	return out
}

func (p *toyParty) check(t uint64) error {
	if t >= uint64(len(p.traces)) {
		return fmt.Errorf("%w: step %d", ErrOutOfRange, t)
	}
	return nil
}

func (p *toyParty) TraceEntries(t uint64) ([]Hash, error) {
	if err := p.check(t); err != nil {
		return nil, err
	}
	var out []Hash
	for _, v := range p.traces[t] {
		out = append(out, merkle.ChunkRoot(words(v)))
	}
	return out, nil
}

func (p *toyParty) StateLeaves(t uint64) ([][]byte, error) {
	if err := p.check(t); err != nil {
		return nil, err
	}
	return p.ends[t].leaves(), nil
}

func (p *toyParty) EntryBytes(t uint64, j int) ([]byte, error) {
	if err := p.check(t); err != nil {
		return nil, err
	}
	return words(p.traces[t][j]), nil
}

// open builds an opening of trace entry j of step t with the given elements.
func (p *toyParty) openTrace(t uint64, j int, elems []int) Opening {
	es, _ := p.TraceEntries(t)
	hs := make([]Hash, len(es))
	for i := range es {
		hs[i] = merkle.LeafHash(es[i][:])
	}
	path, _ := merkle.Proof(hs, j)
	o := Opening{Source: SourceTrace, Index: uint32(j), Leaf: append([]byte(nil), es[j][:]...), Path: path}
	if len(elems) > 0 {
		openChunks(&o, words(p.traces[t][j]), elems)
	}
	return o
}

func openChunks(o *Opening, b []byte, elems []int) {
	var cs []int
	for _, e := range elems {
		c := e / (merkle.ChunkBytes / 4)
		if len(cs) == 0 || cs[len(cs)-1] != c {
			cs = append(cs, c)
		}
	}
	// elems are given increasing except for wrap-around; sort the few.
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j] < cs[j-1]; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
	uniq := cs[:0]
	for i, c := range cs {
		if i == 0 || c != cs[i-1] {
			uniq = append(uniq, c)
		}
	}
	o.ChunkPath, _ = merkle.MultiProof(merkle.ChunkLeaves(b), uniq)
	for _, c := range uniq {
		o.Chunks = append(o.Chunks, uint32(c))
		lo := c * merkle.ChunkBytes
		o.Data = append(o.Data, append([]byte(nil), b[lo:lo+merkle.ChunkLen(len(b), c)]...))
	}
}

func (p *toyParty) openStart(t uint64, leaf int) Opening {
	ls := p.starts[t].leaves()
	hs := make([]Hash, len(ls))
	for i := range ls {
		hs[i] = merkle.LeafHash(ls[i])
	}
	path, _ := merkle.Proof(hs, leaf)
	return Opening{Source: SourceStart, Index: uint32(leaf), Leaf: ls[leaf], Path: path}
}

func (p *toyParty) Evidence(f *Final) ([]byte, error) {
	if p.bad {
		return []byte("not evidence"), nil
	}
	t := f.Step
	if err := p.check(t); err != nil {
		return nil, err
	}
	var ev Evidence
	W := len(p.starts[t].w)
	e := f.Element
	switch f.Level {
	case LevelTrace: // entry 0: the start state's w
		ev.Openings = []Opening{p.openStart(t, 2)}
	case LevelElements:
		switch f.Index {
		case 1:
			ev.Openings = []Opening{p.openStart(t, 1)}
		case 2:
			ev.Openings = []Opening{p.openTrace(t, 0, []int{e}), p.openTrace(t, 1, []int{e})}
		case 3:
			ev.Openings = []Opening{p.openTrace(t, 2, []int{e, (e + 1) % W})}
		case 4:
			all := make([]int, W)
			for i := range all {
				all[i] = i
			}
			ev.Openings = []Opening{p.openTrace(t, 3, all)}
		case 5:
			ev.Openings = []Opening{p.openTrace(t, 3, []int{e}), p.openTrace(t, 4, []int{0}), p.openStart(t, 0)}
		}
	case LevelState:
		switch f.Index {
		case 0:
			ev.Openings = []Opening{p.openStart(t, 0), p.openTrace(t, 4, []int{0})}
		case 1:
			ev.Openings = []Opening{p.openStart(t, 1)}
		case 2:
			ev.Openings = []Opening{p.openTrace(t, 5, nil)}
		}
	}
	return ev.MarshalBinary()
}

// toyReferee recomputes one value of the toy computation from evidence.
type toyReferee struct{ w int }

func (r toyReferee) Judge(f *Final, side Side, raw []byte) ([]byte, error) {
	var ev Evidence
	if err := ev.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadProof, err)
	}
	W := r.w
	lay := toyLayout{w: W}
	// get verifies opening k as the given source/index and returns it.
	get := func(k int, src Source, idx int) (*Opening, error) {
		if k >= len(ev.Openings) {
			return nil, fmt.Errorf("%w: missing opening %d", ErrBadProof, k)
		}
		o := &ev.Openings[k]
		if o.Source != src || int(o.Index) != idx {
			return nil, fmt.Errorf("%w: opening %d is source %d leaf %d, want source %d leaf %d", ErrBadProof, k, o.Source, o.Index, src, idx)
		}
		switch src {
		case SourceStart:
			return o, o.VerifyLeaf(f.Start, toyLeaves)
		case SourceTrace:
			if idx >= f.Index && f.Level != LevelState {
				return nil, fmt.Errorf("%w: entry %d is not before the disputed entry %d", ErrBadProof, idx, f.Index)
			}
			if err := o.VerifyLeaf(f.TraceRoot[side], toyEntries); err != nil {
				return nil, err
			}
			if len(o.Leaf) != 32 {
				return nil, fmt.Errorf("%w: trace entry of %d bytes", ErrBadProof, len(o.Leaf))
			}
			if len(o.Chunks) > 0 {
				var root Hash
				copy(root[:], o.Leaf)
				size := W
				if idx == 4 {
					size = 1
				}
				return o, o.VerifyChunks(root, 4*size)
			}
			return o, nil
		}
		return nil, fmt.Errorf("%w: source %d", ErrBadProof, src)
	}
	word := func(o *Opening, e int) (uint32, error) {
		b, ok := o.Word(e)
		if !ok {
			return 0, fmt.Errorf("%w: element %d not opened", ErrBadProof, e)
		}
		return binary.LittleEndian.Uint32(b), nil
	}
	u64 := func(o *Opening, name string) (uint64, error) {
		if len(o.Leaf) != len(name)+9 || string(o.Leaf[:len(name)+1]) != name+"\x00" {
			return 0, fmt.Errorf("%w: leaf is not %q", ErrBadProof, name)
		}
		return binary.LittleEndian.Uint64(o.Leaf[len(name)+1:]), nil
	}
	out := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	e := f.Element
	switch f.Level {
	case LevelTrace:
		o, err := get(0, SourceStart, 2)
		if err != nil {
			return nil, err
		}
		if len(o.Leaf) != 2+32 || string(o.Leaf[:2]) != "w\x00" {
			return nil, fmt.Errorf("%w: leaf is not w", ErrBadProof)
		}
		return o.Leaf[2:], nil
	case LevelElements:
		if e < 0 || e >= lay.EntryValues(f.Index) {
			return nil, fmt.Errorf("%w: element %d", ErrOutOfRange, e)
		}
		switch f.Index {
		case 1:
			o, err := get(0, SourceStart, 1)
			if err != nil {
				return nil, err
			}
			st, err := u64(o, "step")
			if err != nil {
				return nil, err
			}
			return out(mix(st, e)), nil
		case 2:
			ow, err := get(0, SourceTrace, 0)
			if err != nil {
				return nil, err
			}
			ox, err := get(1, SourceTrace, 1)
			if err != nil {
				return nil, err
			}
			w, err1 := word(ow, e)
			x, err2 := word(ox, e)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("%w: inputs not opened", ErrBadProof)
			}
			return out(3*w + x), nil
		case 3:
			o, err := get(0, SourceTrace, 2)
			if err != nil {
				return nil, err
			}
			a0, err1 := word(o, e)
			a1, err2 := word(o, (e+1)%W)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("%w: inputs not opened", ErrBadProof)
			}
			return out(a0 ^ (a1 >> 3)), nil
		case 4:
			o, err := get(0, SourceTrace, 3)
			if err != nil {
				return nil, err
			}
			var s uint32
			for i := 0; i < W; i++ {
				v, err := word(o, i)
				if err != nil {
					return nil, err
				}
				s += v
			}
			return out(s), nil
		case 5:
			ob, err := get(0, SourceTrace, 3)
			if err != nil {
				return nil, err
			}
			os, err := get(1, SourceTrace, 4)
			if err != nil {
				return nil, err
			}
			oa, err := get(2, SourceStart, 0)
			if err != nil {
				return nil, err
			}
			b, err1 := word(ob, e)
			s, err2 := word(os, 0)
			acc, err3 := u64(oa, "acc")
			if err1 != nil || err2 != nil || err3 != nil {
				return nil, fmt.Errorf("%w: inputs not opened", ErrBadProof)
			}
			return out(b + s + uint32(acc)), nil
		}
	case LevelState:
		switch f.Index {
		case 0:
			oa, err := get(0, SourceStart, 0)
			if err != nil {
				return nil, err
			}
			os, err := get(1, SourceTrace, 4)
			if err != nil {
				return nil, err
			}
			acc, err1 := u64(oa, "acc")
			s, err2 := word(os, 0)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("%w: inputs not opened", ErrBadProof)
			}
			return leafU64("acc", acc+uint64(s)), nil
		case 1:
			o, err := get(0, SourceStart, 1)
			if err != nil {
				return nil, err
			}
			st, err := u64(o, "step")
			if err != nil {
				return nil, err
			}
			return leafU64("step", st+1), nil
		case 2:
			o, err := get(0, SourceTrace, 5)
			if err != nil {
				return nil, err
			}
			var root Hash
			copy(root[:], o.Leaf)
			return leafTensor("w", root), nil
		}
	}
	return nil, fmt.Errorf("%w: nothing to judge at level %d index %d", ErrBadProof, f.Level, f.Index)
}
