package train

import (
	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/ml/merkle"
)

// Trace is the op trace of one step: the tensor root (graph.HashValues) of
// every node's output in graph order, split into forward and backward
// phases; then Clip, the root of the squared norms of the gradients
// (Dot(g, g) per parameter with a gradient, in parameter order: what global
// norm clipping reads); then the root of each parameter, first moment and
// second moment after the optimizer update (in parameter order, interleaved
// p, m[, v]). Root is the Merkle root over Entries; it is what a dispute
// bisects, and each entry is a tensor root a dispute can open element by
// element.
type Trace struct {
	Step      uint64
	Forward   []merkle.Hash
	Backward  []merkle.Hash
	Clip      merkle.Hash
	Optimizer []merkle.Hash
	Root      merkle.Hash
}

// Entries is the whole trace in order: forward, backward, clip, optimizer.
func (tr *Trace) Entries() []merkle.Hash {
	out := append(append([]merkle.Hash(nil), tr.Forward...), tr.Backward...)
	out = append(out, tr.Clip)
	return append(out, tr.Optimizer...)
}

// TraceRoot is the Merkle root over trace entries, each entry's 32 bytes one
// leaf (so a leaf is domain-separated from an interior node).
func TraceRoot(entries []merkle.Hash) merkle.Hash {
	leaves := make([][]byte, len(entries))
	for i := range entries {
		leaves[i] = entries[i][:]
	}
	return merkle.Root(leaves)
}

// StepRecord is a traced step with the values behind every trace entry
// (same order as Trace.Entries): what a party to a dispute needs to answer
// any query about the step. Gradients are recorded before clipping, as the
// trace hashes them.
type StepRecord struct {
	Trace  *Trace
	Values [][]float32
}

// TraceStep runs one step like Step and returns its op trace.
func (t *Trainer) TraceStep() (*Trace, error) {
	r, err := t.traceStep(false)
	if err != nil {
		return nil, err
	}
	return r.Trace, nil
}

// RecordStep runs one step like Step and returns its trace with every
// entry's values.
func (t *Trainer) RecordStep() (*StepRecord, error) { return t.traceStep(true) }

func (t *Trainer) traceStep(keep bool) (*StepRecord, error) {
	t.exec.SetTrace(true)
	defer t.exec.SetTrace(false)
	step := t.step
	if err := t.runGraph(); err != nil {
		return nil, err
	}
	g := t.Model.G
	rec := &StepRecord{}
	if keep {
		for id := range g.Nodes {
			rec.Values = append(rec.Values, append([]float32(nil), t.exec.Value(id)...))
		}
	}
	t.update()
	all := t.exec.Trace()
	bs := g.BackwardStart
	tr := &Trace{Step: step, Forward: all[:bs], Backward: all[bs:]}
	sq := t.sq[:t.gradCount()]
	tr.Clip = graph.HashValues(sq)
	if keep {
		rec.Values = append(rec.Values, append([]float32(nil), sq...))
	}
	add := func(v []float32) {
		tr.Optimizer = append(tr.Optimizer, graph.HashValues(v))
		if keep {
			rec.Values = append(rec.Values, append([]float32(nil), v...))
		}
	}
	for i, p := range t.params {
		add(p)
		add(t.opt.State.M[i])
		if t.opt.State.V != nil {
			add(t.opt.State.V[i])
		}
	}
	tr.Root = TraceRoot(tr.Entries())
	rec.Trace = tr
	return rec, nil
}

// gradCount is the number of parameters the loss reaches: the length of the
// clip entry.
func (t *Trainer) gradCount() int {
	n := 0
	for _, g := range t.grads {
		if g != nil {
			n++
		}
	}
	return n
}
