package graph

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/tensor"
)

// ChunkValues is the number of float32 values in one chunk of a tensor tree.
const ChunkValues = merkle.ChunkBytes / 4

// ValueBytes is the canonical form of a tensor: its values as little-endian
// IEEE-754 bytes, every NaN written as tensor.CanonicalNaN (CPUs disagree on
// the bits of a NaN they generate).
func ValueBytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], tensor.Float32Bits(x))
	}
	return b
}

// HashValues is the tensor root of v: the Merkle root (merkle.ChunkRoot) of
// its canonical bytes in chunks of ChunkValues values. It is the hash of one
// tensor in the op trace and in the state root, so any element can be proven
// against it with O(log n) hashes (ProveValues).
func HashValues(v []float32) merkle.Hash { return merkle.ChunkRoot(ValueBytes(v)) }

// ValuesProof opens some elements of a tensor of N values against its root:
// the chunks holding them (strictly increasing chunk indices, each chunk's
// canonical bytes) and a merkle.MultiProof of those chunks.
type ValuesProof struct {
	N      int
	Chunks []int
	Data   [][]byte
	Path   []merkle.Hash
}

// ChunksOf returns the strictly increasing chunk indices that hold the
// elements elems (any order, duplicates allowed) of a tensor.
func ChunksOf(elems []int) []int {
	var cs []int
	for _, e := range elems {
		cs = append(cs, e/ChunkValues)
	}
	return sortUnique(cs)
}

func sortUnique(xs []int) []int {
	// Insertion sort: the lists are short (a row or a column) and this keeps
	// the package free of an import for one call.
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// ProveValues opens the elements elems of v (a row, a column, one element:
// any set) against HashValues(v).
func ProveValues(v []float32, elems []int) (*ValuesProof, error) {
	for _, e := range elems {
		if e < 0 || e >= len(v) {
			return nil, fmt.Errorf("%w: element %d of a %d-value tensor", merkle.ErrProof, e, len(v))
		}
	}
	b := ValueBytes(v)
	cs := ChunksOf(append([]int(nil), elems...))
	path, err := merkle.MultiProof(merkle.ChunkLeaves(b), cs)
	if err != nil {
		return nil, err
	}
	p := &ValuesProof{N: len(v), Chunks: cs, Path: path}
	for _, c := range cs {
		lo := c * merkle.ChunkBytes
		p.Data = append(p.Data, append([]byte(nil), b[lo:lo+merkle.ChunkLen(len(b), c)]...))
	}
	return p, nil
}

// Verify checks the proof against root and returns the proven values as a
// sparse view: Get(i) for any element i inside a proven chunk.
func (p *ValuesProof) Verify(root merkle.Hash) (*ProvenValues, error) {
	if p.N < 0 || p.N > math.MaxInt32/4 {
		return nil, fmt.Errorf("%w: tensor size %d", merkle.ErrProof, p.N)
	}
	if len(p.Data) != len(p.Chunks) {
		return nil, fmt.Errorf("%w: %d chunks of data for %d chunk indices", merkle.ErrProof, len(p.Data), len(p.Chunks))
	}
	n := 4 * p.N
	leaves := make([]merkle.Hash, len(p.Chunks))
	for k, c := range p.Chunks {
		if c < 0 || c >= merkle.ChunkCount(n) || len(p.Data[k]) != merkle.ChunkLen(n, c) {
			return nil, fmt.Errorf("%w: chunk %d has %d bytes", merkle.ErrProof, c, len(p.Data[k]))
		}
		leaves[k] = merkle.LeafHash(p.Data[k])
	}
	if err := merkle.VerifyMulti(root, merkle.ChunkCount(n), p.Chunks, leaves, p.Path); err != nil {
		return nil, err
	}
	return &ProvenValues{p: p}, nil
}

// ProvenValues are elements of a tensor proven against its root.
type ProvenValues struct{ p *ValuesProof }

// Get returns element i, or false when no proven chunk holds it.
func (v *ProvenValues) Get(i int) (float32, bool) {
	c := i / ChunkValues
	lo, hi := 0, len(v.p.Chunks)
	for lo < hi {
		mid := (lo + hi) / 2
		if v.p.Chunks[mid] < c {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if i < 0 || i >= v.p.N || lo == len(v.p.Chunks) || v.p.Chunks[lo] != c {
		return 0, false
	}
	off := 4 * (i % ChunkValues)
	return math.Float32frombits(binary.LittleEndian.Uint32(v.p.Data[lo][off:])), true
}
