package dispute

import (
	"encoding/binary"
	"fmt"

	"github.com/hypha-network/hypha/ml/merkle"
)

// Source names the agreed tree an opening is proven against.
type Source uint8

// Sources of openings.
const (
	// SourceTrace: an entry of the submitting side's trace root of the
	// disputed step (only entries before the disputed one are agreed).
	SourceTrace Source = 1
	// SourceStart: a leaf of the agreed start state root.
	SourceStart Source = 2
	// SourceData: a leaf of the job's dataset root D.
	SourceData Source = 3
)

// Opening proves one leaf of an agreed tree and, optionally, some chunks of
// the tensor whose root that leaf holds (a trace entry is a tensor root; a
// state leaf of a tensor ends with one).
type Opening struct {
	Source Source
	// Index is the leaf in the source tree.
	Index uint32
	// Leaf is the leaf's bytes: a 32-byte trace entry, a state leaf or a
	// dataset example.
	Leaf []byte
	// Path is the leaf's audit path in the source tree.
	Path []Hash
	// Chunks, Data and ChunkPath open chunks of the leaf's tensor
	// (merkle.MultiProof over its chunk tree): empty when the leaf itself is
	// the input.
	Chunks    []uint32
	Data      [][]byte
	ChunkPath []Hash
}

// Evidence is the final move's payload: the openings of every input of the
// disputed value.
type Evidence struct {
	Openings []Opening
}

// Limits on one opening.
const (
	// MaxChunkOpen bounds the chunks of one opening (a whole 256k-value
	// tensor at most).
	MaxChunkOpen = 1 << 13
	// MaxChunkPath bounds a multiproof: at most MaxPath hashes per chunk.
	MaxChunkPath = MaxPath * MaxChunkOpen
)

// VerifyLeaf checks the opening's leaf against the root of an n-leaf tree.
func (o *Opening) VerifyLeaf(root Hash, n int) error {
	if err := merkle.Verify(root, merkle.LeafHash(o.Leaf), int(o.Index), n, o.Path); err != nil {
		return fmt.Errorf("%w: leaf %d of source %d: %v", ErrBadProof, o.Index, o.Source, err)
	}
	return nil
}

// VerifyChunks checks the opened chunks against the root of a tensor of
// nBytes canonical bytes.
func (o *Opening) VerifyChunks(root Hash, nBytes int) error {
	if len(o.Data) != len(o.Chunks) || len(o.Chunks) == 0 {
		return fmt.Errorf("%w: %d chunks of data for %d chunk indices", ErrBadProof, len(o.Data), len(o.Chunks))
	}
	n := merkle.ChunkCount(nBytes)
	idx := make([]int, len(o.Chunks))
	leaves := make([]Hash, len(o.Chunks))
	for k, c := range o.Chunks {
		if int(c) >= n || len(o.Data[k]) != merkle.ChunkLen(nBytes, int(c)) {
			return fmt.Errorf("%w: chunk %d (%d bytes) of a %d-byte tensor", ErrBadProof, c, len(o.Data[k]), nBytes)
		}
		idx[k] = int(c)
		leaves[k] = merkle.LeafHash(o.Data[k])
	}
	if err := merkle.VerifyMulti(root, n, idx, leaves, o.ChunkPath); err != nil {
		return fmt.Errorf("%w: chunks of leaf %d of source %d: %v", ErrBadProof, o.Index, o.Source, err)
	}
	return nil
}

// Word returns the 4 bytes of element e from the opened chunks, or false
// when no opened chunk holds it.
func (o *Opening) Word(e int) ([]byte, bool) {
	c := e / (merkle.ChunkBytes / 4)
	lo, hi := 0, len(o.Chunks)
	for lo < hi {
		mid := (lo + hi) / 2
		if int(o.Chunks[mid]) < c {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if e < 0 || lo == len(o.Chunks) || int(o.Chunks[lo]) != c {
		return nil, false
	}
	off := 4 * (e % (merkle.ChunkBytes / 4))
	if off+4 > len(o.Data[lo]) {
		return nil, false
	}
	return o.Data[lo][off : off+4], true
}

// evidenceMagic starts encoded evidence.
const evidenceMagic = "HYPHA-DISPUTE-EVIDENCE-1\n"

// MarshalBinary encodes the evidence: the magic, u32 opening count, then per
// opening the source byte, u32 index, u32-counted leaf bytes, path, chunk
// indices, chunk data (each u32-counted) and chunk path.
func (ev *Evidence) MarshalBinary() ([]byte, error) {
	b := []byte(evidenceMagic)
	u32 := func(v int) { b = binary.LittleEndian.AppendUint32(b, uint32(v)) }
	u32(len(ev.Openings))
	for _, o := range ev.Openings {
		b = append(b, byte(o.Source))
		u32(int(o.Index))
		u32(len(o.Leaf))
		b = append(b, o.Leaf...)
		u32(len(o.Path))
		for _, h := range o.Path {
			b = append(b, h[:]...)
		}
		u32(len(o.Chunks))
		for _, c := range o.Chunks {
			u32(int(c))
		}
		for _, d := range o.Data {
			u32(len(d))
			b = append(b, d...)
		}
		u32(len(o.ChunkPath))
		for _, h := range o.ChunkPath {
			b = append(b, h[:]...)
		}
	}
	if len(b) > MaxEvidenceBytes {
		return nil, fmt.Errorf("%w: evidence of %d bytes (max %d)", ErrOutOfRange, len(b), MaxEvidenceBytes)
	}
	return b, nil
}

// UnmarshalBinary decodes evidence, rejecting truncation, trailing bytes,
// counts beyond the limits and chunk indices that are not strictly
// increasing.
func (ev *Evidence) UnmarshalBinary(b []byte) error {
	if len(b) > MaxEvidenceBytes {
		return fmt.Errorf("%w: evidence of %d bytes (max %d)", ErrOutOfRange, len(b), MaxEvidenceBytes)
	}
	r := reader{b: b}
	if string(r.take(len(evidenceMagic))) != evidenceMagic {
		return fmt.Errorf("%w: not dispute evidence (bad magic)", ErrBadMove)
	}
	n := r.count(MaxOpenings)
	out := Evidence{}
	for i := 0; i < n && r.err == nil; i++ {
		var o Opening
		if s := r.take(1); s != nil {
			o.Source = Source(s[0])
		}
		o.Index = r.u32()
		o.Leaf = r.bytes(MaxValueBytes)
		o.Path = r.hashes(MaxPath)
		nc := r.count(MaxChunkOpen)
		if r.err == nil && 4*nc > len(r.b) {
			r.err = fmt.Errorf("%w: truncated", ErrBadMove)
		}
		for k := 0; k < nc && r.err == nil; k++ {
			o.Chunks = append(o.Chunks, r.u32())
			if k > 0 && o.Chunks[k] <= o.Chunks[k-1] {
				r.err = fmt.Errorf("%w: chunk indices must be strictly increasing", ErrBadMove)
			}
		}
		for k := 0; k < nc && r.err == nil; k++ {
			o.Data = append(o.Data, r.bytes(merkle.ChunkBytes))
		}
		o.ChunkPath = r.hashes(MaxChunkPath)
		if r.err == nil && (o.Source < SourceTrace || o.Source > SourceData) {
			r.err = fmt.Errorf("%w: unknown source %d", ErrBadMove, o.Source)
		}
		out.Openings = append(out.Openings, o)
	}
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrBadMove, len(r.b))
	}
	*ev = out
	return nil
}
