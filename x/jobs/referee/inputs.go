package referee

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/x/jobs/dispute"
)

// values reads proven elements of a tensor.
type values func(i int) (float32, error)

// inputs is where the recomputation gets its inputs. The referee's verifier
// takes them from evidence and checks every proof; the prover takes them
// from its record and writes the evidence. One computation (compute.go)
// drives both, so a prover's evidence is exactly what the referee asks for.
type inputs interface {
	// start opens the state leaf name of the agreed start state and, with
	// elems, those elements of its tensor.
	start(name string, elems []int) (train.StateEntry, values, error)
	// entry opens trace entry j (its tensor root) and, with elems, those
	// elements.
	entry(j int, elems []int) (merkle.Hash, values, error)
	// example opens leaf idx of the dataset tree (1 + example index).
	example(idx int) ([]byte, error)
}

// verifier reads openings from evidence in request order and checks each
// against the agreed root it names.
type verifier struct {
	r    *Referee
	f    *dispute.Final
	side dispute.Side
	ev   dispute.Evidence
	next int
}

func (v *verifier) take(src dispute.Source, idx int) (*dispute.Opening, error) {
	if v.next >= len(v.ev.Openings) {
		return nil, fmt.Errorf("%w: evidence has %d openings, the referee needs more (next: source %d leaf %d)", dispute.ErrBadProof, len(v.ev.Openings), src, idx)
	}
	o := &v.ev.Openings[v.next]
	v.next++
	if o.Source != src || int(o.Index) != idx {
		return nil, fmt.Errorf("%w: opening %d is source %d leaf %d, the referee needs source %d leaf %d", dispute.ErrBadProof, v.next-1, o.Source, o.Index, src, idx)
	}
	return o, nil
}

// chunkValues checks the opened chunks against a tensor root of n values
// and reads elems from them.
func chunkValues(o *dispute.Opening, root merkle.Hash, n int, elems []int) (values, error) {
	if elems == nil {
		if len(o.Chunks) != 0 {
			return nil, fmt.Errorf("%w: unexpected chunks", dispute.ErrBadProof)
		}
		return nil, nil
	}
	if err := o.VerifyChunks(root, 4*n); err != nil {
		return nil, err
	}
	for _, e := range elems {
		if _, ok := o.Word(e); !ok {
			return nil, fmt.Errorf("%w: element %d is not in the opened chunks", dispute.ErrBadProof, e)
		}
	}
	return func(i int) (float32, error) {
		w, ok := o.Word(i)
		if !ok {
			return 0, fmt.Errorf("%w: element %d is not in the opened chunks", dispute.ErrBadProof, i)
		}
		return math.Float32frombits(binary.LittleEndian.Uint32(w)), nil
	}, nil
}

func (v *verifier) start(name string, elems []int) (train.StateEntry, values, error) {
	idx, err := v.r.leafIndex(name)
	if err != nil {
		return train.StateEntry{}, nil, err
	}
	o, err := v.take(dispute.SourceStart, idx)
	if err != nil {
		return train.StateEntry{}, nil, err
	}
	if err := o.VerifyLeaf(v.f.Start, v.f.StateLen); err != nil {
		return train.StateEntry{}, nil, err
	}
	e, err := train.DecodeStateLeaf(o.Leaf)
	if err != nil || e.Name != name {
		return train.StateEntry{}, nil, fmt.Errorf("%w: start leaf %d is not %q", dispute.ErrBadProof, idx, name)
	}
	if elems == nil {
		return e, nil, nil
	}
	n := 1
	for _, d := range e.Shape {
		n *= d
	}
	get, err := chunkValues(o, e.Root, n, elems)
	return e, get, err
}

func (v *verifier) entry(j int, elems []int) (merkle.Hash, values, error) {
	if v.f.Level != dispute.LevelState && j >= v.f.Index {
		return merkle.Hash{}, nil, fmt.Errorf("%w: trace entry %d is not before the disputed entry %d", dispute.ErrBadProof, j, v.f.Index)
	}
	o, err := v.take(dispute.SourceTrace, j)
	if err != nil {
		return merkle.Hash{}, nil, err
	}
	if err := o.VerifyLeaf(v.f.TraceRoot[v.side], v.f.TraceLen); err != nil {
		return merkle.Hash{}, nil, err
	}
	if len(o.Leaf) != 32 {
		return merkle.Hash{}, nil, fmt.Errorf("%w: trace entry of %d bytes", dispute.ErrBadProof, len(o.Leaf))
	}
	var root merkle.Hash
	copy(root[:], o.Leaf)
	get, err := chunkValues(o, root, v.r.entrySize(j), elems)
	return root, get, err
}

func (v *verifier) example(idx int) ([]byte, error) {
	o, err := v.take(dispute.SourceData, idx)
	if err != nil {
		return nil, err
	}
	if err := o.VerifyLeaf(v.r.Data.Root, v.r.Data.N+1); err != nil {
		return nil, err
	}
	return o.Leaf, nil
}
