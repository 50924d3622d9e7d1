// Package referee is the CE-v1 referee of the x/jobs dispute game: it knows
// the layout of one training step of a job (its op trace and state leaves)
// and recomputes the one value a game ends on, from inputs proven against
// the agreed roots, with the CE-v1 reference code (graph.ComputeElement,
// optim.Optimizer.Element). Its Prover is the matching off-chain side: it
// records a segment's steps and answers every move and evidence request.
//
// Like x/jobs/dispute it has no Cosmos SDK dependency. It does float32
// arithmetic, which CE-v1 defines bit for bit on every platform; no float
// ever enters chain state (a value is judged as its 4 canonical bytes).
package referee

import (
	"fmt"
	"slices"

	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/model"
	"github.com/hypha-network/hypha/ml/optim"
	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/x/jobs/dispute"
)

// Checkpoint entry names the referee reads (those ml/train writes).
const (
	keyStep     = "run/step"
	keyLoss     = "run/loss"
	keyRNGStep  = "rng/step"
	keyEpoch    = "data/epoch"
	keyPos      = "data/pos"
	keyLR       = "sched/lr"
	keyB1Pow    = "optim/beta1_pow"
	keyB2Pow    = "optim/beta2_pow"
	prefixParam = "param/"
	prefixM     = "optim/m/"
	prefixV     = "optim/v/"
)

// Dataset is what the referee knows of the job's training set: its size,
// example shapes and root D (never the data itself).
type Dataset struct {
	N            int
	XSize, YSize int
	Root         merkle.Hash
}

// Referee judges the final value of disputes over one job.
type Referee struct {
	Seed  uint64
	Spec  *train.Spec
	Data  Dataset
	Model *model.Model
	opt   optim.Config
	// names are the state leaf names in canonical order.
	names []string
	// per is the optimizer entries per parameter (p, m[, v]).
	per int
	// gradIdx[i] is the position of parameter i's gradient in the clip
	// entry, -1 without a gradient.
	gradIdx []int
	grads   []int // gradient node of each clip entry position
}

// New builds the referee of a job: the training graph exactly as ml/train
// builds it (model.Build with gradients at the spec's batch size), the
// optimizer, and the state leaf names of the job's checkpoints.
func New(spec *train.Spec, seed uint64, ds Dataset, xShape []int, classes int, stateNames []string) (*Referee, error) {
	m, err := model.Build(spec.Model, xShape, classes, spec.Train.Batch, true)
	if err != nil {
		return nil, fmt.Errorf("referee: build the job's graph: %w", err)
	}
	r := &Referee{Seed: seed, Spec: spec, Data: ds, Model: m, opt: spec.Optimizer.WithDefaults(),
		names: slices.Clone(stateNames)}
	if !slices.IsSorted(r.names) {
		return nil, fmt.Errorf("%w: state leaf names not in canonical order", dispute.ErrParams)
	}
	if err := r.opt.Validate(); err != nil {
		return nil, err
	}
	r.per = 2
	if r.opt.Kind == optim.AdamW {
		r.per = 3
	}
	for i := range m.G.Params {
		r.gradIdx = append(r.gradIdx, -1)
		if gid := m.G.Grads[i]; gid >= 0 {
			r.gradIdx[i] = len(r.grads)
			r.grads = append(r.grads, gid)
		}
	}
	if ds.N <= 0 || spec.Train.Batch > ds.N || ds.XSize*spec.Train.Batch != m.G.Size(m.X) {
		return nil, fmt.Errorf("%w: dataset of %d examples of %d values does not fit the graph", dispute.ErrParams, ds.N, ds.XSize)
	}
	return r, nil
}

// FromTrainer is the referee of a trainer's job (its spec, seed and data).
func FromTrainer(t *train.Trainer) (*Referee, error) {
	ds := Dataset{N: t.Train.N, XSize: t.Train.XSize(), YSize: t.Train.YSize(), Root: t.Train.Root()}
	return New(t.Spec, t.Seed, ds, t.Train.XShape, t.Train.Classes, t.Checkpoint().Names())
}

// Graph is the job's training graph.
func (r *Referee) Graph() *graph.Graph { return r.Model.G }

// TraceLen is the number of trace entries of one step: every node, the clip
// entry, then p, m[, v] per parameter (train.Trace.Entries).
func (r *Referee) TraceLen() int { return len(r.Model.G.Nodes) + 1 + r.per*len(r.Model.G.Params) }

// StateLen is the number of state leaves.
func (r *Referee) StateLen() int { return len(r.names) }

// entry kinds
const (
	entryNode = iota
	entryClip
	entryOptim
)

// classify returns the kind of entry j and, for an optimizer entry, the
// parameter and which of p (0), m (1), v (2) it is.
func (r *Referee) classify(j int) (kind, param, which int, err error) {
	g := r.Model.G
	switch {
	case j < 0 || j >= r.TraceLen():
		return 0, 0, 0, fmt.Errorf("%w: trace entry %d of %d", dispute.ErrOutOfRange, j, r.TraceLen())
	case j < len(g.Nodes):
		return entryNode, 0, 0, nil
	case j == len(g.Nodes):
		return entryClip, 0, 0, nil
	}
	k := j - len(g.Nodes) - 1
	return entryOptim, k / r.per, k % r.per, nil
}

// EntryValues is the size of entry j; parameter nodes are judged whole
// against the start state, so they report 0.
func (r *Referee) EntryValues(j int) int {
	kind, p, _, err := r.classify(j)
	if err != nil {
		return 0
	}
	g := r.Model.G
	switch kind {
	case entryNode:
		if g.Nodes[j].Op == graph.OpParam {
			return 0
		}
		return g.Size(j)
	case entryClip:
		return len(r.grads)
	}
	return g.Size(g.Params[p])
}

// entrySize is the value count of entry j, parameters included.
func (r *Referee) entrySize(j int) int {
	if j < len(r.Model.G.Nodes) {
		return r.Model.G.Size(j)
	}
	return r.EntryValues(j)
}

// leafIndex is the index of a state leaf name.
func (r *Referee) leafIndex(name string) (int, error) {
	i, ok := slices.BinarySearch(r.names, name)
	if !ok {
		return 0, fmt.Errorf("%w: the job's state has no entry %q", dispute.ErrBadProof, name)
	}
	return i, nil
}

// paramName is the graph name of parameter i.
func (r *Referee) paramName(i int) string { return r.Model.G.Nodes[r.Model.G.Params[i]].Name }

var _ dispute.Layout = (*Referee)(nil)
var _ dispute.Referee = (*Referee)(nil)
