package referee

import (
	"fmt"

	"github.com/hypha-network/hypha/ml/ckpt"
	"github.com/hypha-network/hypha/ml/data"
	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/x/jobs/dispute"
)

// Step is one recorded step: the checkpoint before it, the values of every
// trace entry, and the checkpoint after it.
type Step struct {
	Start  *ckpt.Checkpoint
	Values [][]float32
	End    *ckpt.Checkpoint
}

// Prover is one side's record of a segment; it implements dispute.Party
// for a solver or an auditor agent.
type Prover struct {
	r     *Referee
	ds    *data.Dataset
	steps []Step
	// caches
	states      []merkle.Hash
	entries     [][]merkle.Hash
	startLeaves [][][]byte
	dsLeaves    [][]byte
	dsLeaf      []merkle.Hash
}

// startLeavesOf caches the state leaves before step t (hashing every tensor
// of a state is the prover's main cost).
func (p *Prover) startLeavesOf(t uint64) [][]byte {
	if p.startLeaves == nil {
		p.startLeaves = make([][][]byte, len(p.steps))
	}
	if p.startLeaves[t] == nil {
		p.startLeaves[t] = train.StateLeaves(p.steps[t].Start)
	}
	return p.startLeaves[t]
}

// Tamper changes a recorded step (its entry values and end checkpoint)
// before the run continues from the changed end state. Tests use it to
// build lying parties; nil records honestly.
type Tamper func(step int, values [][]float32, end *ckpt.Checkpoint)

// Record runs k steps of t with RecordStep and keeps everything a party
// needs to answer a dispute over them.
func Record(r *Referee, t *train.Trainer, k int, tamper Tamper) (*Prover, error) {
	p := &Prover{r: r, ds: t.Train}
	for i := 0; i < k; i++ {
		start := t.Checkpoint()
		rec, err := t.RecordStep()
		if err != nil {
			return nil, err
		}
		end := t.Checkpoint()
		if tamper != nil {
			tamper(i, rec.Values, end)
			if err := t.Restore(end); err != nil {
				return nil, fmt.Errorf("referee: continue from the tampered state: %w", err)
			}
		}
		if len(rec.Values) != r.TraceLen() {
			return nil, fmt.Errorf("%w: trace of %d entries, layout says %d", dispute.ErrParams, len(rec.Values), r.TraceLen())
		}
		p.steps = append(p.steps, Step{Start: start, Values: rec.Values, End: end})
	}
	return p, nil
}

// Steps are the recorded steps.
func (p *Prover) Steps() []Step { return p.steps }

// StartRoot is the state root before the first recorded step.
func (p *Prover) StartRoot() merkle.Hash { return train.StateRoot(p.steps[0].Start) }

// States implements dispute.Party.
func (p *Prover) States() []merkle.Hash {
	if p.states == nil {
		for _, s := range p.steps {
			p.states = append(p.states, train.StateRoot(s.End))
		}
	}
	return p.states
}

func (p *Prover) step(t uint64) (*Step, error) {
	if t >= uint64(len(p.steps)) {
		return nil, fmt.Errorf("%w: step %d of a %d-step record", dispute.ErrOutOfRange, t, len(p.steps))
	}
	return &p.steps[t], nil
}

// TraceEntries implements dispute.Party.
func (p *Prover) TraceEntries(t uint64) ([]merkle.Hash, error) {
	s, err := p.step(t)
	if err != nil {
		return nil, err
	}
	if p.entries == nil {
		p.entries = make([][]merkle.Hash, len(p.steps))
	}
	if p.entries[t] == nil {
		for _, v := range s.Values {
			p.entries[t] = append(p.entries[t], graph.HashValues(v))
		}
	}
	return p.entries[t], nil
}

// StateLeaves implements dispute.Party.
func (p *Prover) StateLeaves(t uint64) ([][]byte, error) {
	s, err := p.step(t)
	if err != nil {
		return nil, err
	}
	return train.StateLeaves(s.End), nil
}

// EntryBytes implements dispute.Party.
func (p *Prover) EntryBytes(t uint64, j int) ([]byte, error) {
	s, err := p.step(t)
	if err != nil {
		return nil, err
	}
	if j < 0 || j >= len(s.Values) {
		return nil, fmt.Errorf("%w: entry %d", dispute.ErrOutOfRange, j)
	}
	return graph.ValueBytes(s.Values[j]), nil
}

// Evidence implements dispute.Party: it runs the referee's computation over
// its own record, writing down every input the referee will ask for.
func (p *Prover) Evidence(f *dispute.Final) ([]byte, error) {
	s, err := p.step(f.Step)
	if err != nil {
		return nil, err
	}
	rec := &recorder{p: p, s: s, t: f.Step}
	if _, err := p.r.compute(rec, f); err != nil {
		return nil, err
	}
	return rec.ev.MarshalBinary()
}

// Truth is the value the prover's record gives for f (what its referee
// computation returns): for tests and for an agent deciding whether to
// dispute.
func (p *Prover) Truth(f *dispute.Final) ([]byte, error) {
	s, err := p.step(f.Step)
	if err != nil {
		return nil, err
	}
	return p.r.compute(&recorder{p: p, s: s, t: f.Step}, f)
}

// recorder answers inputs from a record and writes them as openings.
type recorder struct {
	p  *Prover
	s  *Step
	t  uint64
	ev dispute.Evidence
}

func openChunks(o *dispute.Opening, v []float32, elems []int) error {
	if elems == nil {
		return nil
	}
	vp, err := graph.ProveValues(v, elems)
	if err != nil {
		return err
	}
	for k, c := range vp.Chunks {
		o.Chunks = append(o.Chunks, uint32(c))
		o.Data = append(o.Data, vp.Data[k])
	}
	o.ChunkPath = vp.Path
	return nil
}

func getter(v []float32) values {
	return func(i int) (float32, error) {
		if i < 0 || i >= len(v) {
			return 0, fmt.Errorf("%w: element %d of %d", dispute.ErrOutOfRange, i, len(v))
		}
		return v[i], nil
	}
}

func (c *recorder) start(name string, elems []int) (train.StateEntry, values, error) {
	idx, err := c.p.r.leafIndex(name)
	if err != nil {
		return train.StateEntry{}, nil, err
	}
	leaves := c.p.startLeavesOf(c.t)
	hs := make([]merkle.Hash, len(leaves))
	for i := range leaves {
		hs[i] = merkle.LeafHash(leaves[i])
	}
	path, err := merkle.Proof(hs, idx)
	if err != nil {
		return train.StateEntry{}, nil, err
	}
	o := dispute.Opening{Source: dispute.SourceStart, Index: uint32(idx), Leaf: leaves[idx], Path: path}
	e, err := train.DecodeStateLeaf(leaves[idx])
	if err != nil {
		return train.StateEntry{}, nil, err
	}
	var get values
	if elems != nil {
		ce, _ := c.s.Start.Get(name)
		if err := openChunks(&o, ce.F32, elems); err != nil {
			return train.StateEntry{}, nil, err
		}
		get = getter(ce.F32)
	}
	c.ev.Openings = append(c.ev.Openings, o)
	return e, get, nil
}

func (c *recorder) entry(j int, elems []int) (merkle.Hash, values, error) {
	es, err := c.p.TraceEntries(c.t)
	if err != nil {
		return merkle.Hash{}, nil, err
	}
	if j < 0 || j >= len(es) {
		return merkle.Hash{}, nil, fmt.Errorf("%w: entry %d", dispute.ErrOutOfRange, j)
	}
	hs := make([]merkle.Hash, len(es))
	for i := range es {
		hs[i] = merkle.LeafHash(es[i][:])
	}
	path, err := merkle.Proof(hs, j)
	if err != nil {
		return merkle.Hash{}, nil, err
	}
	o := dispute.Opening{Source: dispute.SourceTrace, Index: uint32(j), Leaf: append([]byte(nil), es[j][:]...), Path: path}
	if err := openChunks(&o, c.s.Values[j], elems); err != nil {
		return merkle.Hash{}, nil, err
	}
	c.ev.Openings = append(c.ev.Openings, o)
	return es[j], getter(c.s.Values[j]), nil
}

func (c *recorder) example(idx int) ([]byte, error) {
	if c.p.dsLeaf == nil {
		c.p.dsLeaves = c.p.ds.Leaves()
		for _, l := range c.p.dsLeaves {
			c.p.dsLeaf = append(c.p.dsLeaf, merkle.LeafHash(l))
		}
	}
	leaves := c.p.dsLeaves
	path, err := merkle.Proof(c.p.dsLeaf, idx)
	if err != nil {
		return nil, err
	}
	c.ev.Openings = append(c.ev.Openings, dispute.Opening{Source: dispute.SourceData, Index: uint32(idx), Leaf: leaves[idx], Path: path})
	return leaves[idx], nil
}

var _ dispute.Party = (*Prover)(nil)

// traceRoot is the trace root of step t as the party commits it.
func (p *Prover) traceRoot(t uint64) merkle.Hash {
	es, _ := p.TraceEntries(t)
	leaves := make([][]byte, len(es))
	for i := range es {
		leaves[i] = es[i][:]
	}
	return merkle.Root(leaves)
}
