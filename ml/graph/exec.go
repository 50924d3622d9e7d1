package graph

import (
	"fmt"
	"math"

	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/rng"
	"github.com/hypha-network/hypha/ml/tensor"
)

// Ctx is the per-run context that ops may read: the RNG key parts for dropout
// and whether the run is training (dropout active) or evaluation.
type Ctx struct {
	Seed     uint64
	Step     uint64
	Training bool
}

// InitStep is the RNG step used for parameter initialisation, kept apart
// from every training step.
const InitStep = math.MaxUint64

// args is everything one op invocation sees. Executors prebuild one per node
// so a run does not allocate.
type args struct {
	g       *Graph
	n       *Node
	id      int
	in      [][]float32
	out     []float32
	scratch []float32
	aux     any
	ctx     *Ctx
}

func (a *args) inShape(i int) []int { return a.g.Nodes[a.n.Inputs[i]].Shape }

// Exec runs a graph. It owns one buffer per node, allocated once.
type Exec struct {
	g      *Graph
	Ctx    Ctx
	args   []args
	trace  bool
	hashes []merkle.Hash
}

// NewExec allocates the buffers of every node of g.
func NewExec(g *Graph) (*Exec, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	e := &Exec{g: g, args: make([]args, len(g.Nodes)), hashes: make([]merkle.Hash, len(g.Nodes))}
	for id := range g.Nodes {
		n := &g.Nodes[id]
		def := ops[n.Op]
		a := &e.args[id]
		*a = args{g: g, n: n, id: id, out: make([]float32, tensor.Size(n.Shape)), ctx: &e.Ctx}
		for _, in := range n.Inputs {
			a.in = append(a.in, e.args[in].out)
		}
		if def.prepare != nil {
			a.aux = def.prepare(g, n)
		}
		if def.scratch != nil {
			a.scratch = make([]float32, def.scratch(g, n))
		}
		if n.Op == OpFill {
			for i := range a.out {
				a.out[i] = n.Float
			}
		}
	}
	return e, nil
}

// Graph returns the executed graph.
func (e *Exec) Graph() *Graph { return e.g }

// Value returns the buffer of node id. Callers write inputs and parameters
// into it and read results from it; it stays valid for the executor's life.
func (e *Exec) Value(id int) []float32 { return e.args[id].out }

// SetTrace turns per-node output hashing on or off.
func (e *Exec) SetTrace(on bool) { e.trace = on }

// Trace returns the tensor root (HashValues) of every node's output from the
// last run with tracing on, in node order.
func (e *Exec) Trace() []merkle.Hash { return append([]merkle.Hash(nil), e.hashes...) }

// Run computes every node of the graph in order.
func (e *Exec) Run() error { return e.RunRange(0, len(e.g.Nodes)) }

// RunRange computes nodes [lo, hi). Inputs, parameters and constants are
// not computed: they hold what the caller (or NewExec) put there.
func (e *Exec) RunRange(lo, hi int) error {
	for id := lo; id < hi; id++ {
		a := &e.args[id]
		switch a.n.Op {
		case OpInput, OpParam, OpFill:
		default:
			if err := ops[a.n.Op].forward(a); err != nil {
				return fmt.Errorf("%w: node %d (%s): %v", ErrRuntime, id, a.n.Op, err)
			}
		}
		if e.trace {
			e.hashes[id] = HashValues(a.out)
		}
	}
	return nil
}

// InitParams fills every parameter from the counter RNG keyed by
// (seed, InitStep, node id): InitNormal draws rng.Normal times Scale and
// InitUniform draws (2u-1) times Scale.
func (e *Exec) InitParams(seed uint64) {
	for _, p := range e.g.Params {
		n := &e.g.Nodes[p]
		v := e.Value(p)
		key := rng.Key{Seed: seed, Step: InitStep, Tensor: uint64(p)}
		switch Init(n.Ints[0]) {
		case InitZeros:
			clear(v)
		case InitOnes:
			for i := range v {
				v[i] = 1
			}
		case InitNormal:
			rng.Normal(key, 0, v)
			for i := range v {
				v[i] = float32(v[i] * n.Float)
			}
		case InitUniform:
			rng.Uniform(key, 0, v)
			for i := range v {
				v[i] = float32(float32(float32(2*v[i])-1) * n.Float)
			}
		}
	}
}

// ComputeElement recomputes element i of node id's output from the values of
// its inputs, exactly as the full kernel computes it. Ops that normalise a row
// (softmax, log-softmax, normalize and their gradients) recompute the row that
// holds element i. This is what a dispute resolves to: the chain (or any
// verifier) recomputes one element from inputs proven against agreed roots.
func ComputeElement(g *Graph, id int, inputs [][]float32, ctx Ctx, i int) (float32, error) {
	if id < 0 || id >= len(g.Nodes) {
		return 0, fmt.Errorf("%w: node %d out of range", ErrInvalid, id)
	}
	n := &g.Nodes[id]
	if len(inputs) != len(n.Inputs) {
		return 0, fmt.Errorf("%w: node %d wants %d inputs, got %d", ErrInvalid, id, len(n.Inputs), len(inputs))
	}
	for k, in := range n.Inputs {
		if len(inputs[k]) != g.Size(in) {
			return 0, fmt.Errorf("%w: input %d of node %d has %d elements, want %d", ErrInvalid, k, id, len(inputs[k]), g.Size(in))
		}
	}
	if i < 0 || i >= g.Size(id) {
		return 0, fmt.Errorf("%w: element %d out of range for node %d", ErrInvalid, i, id)
	}
	def := ops[n.Op]
	if def.elem == nil {
		return 0, fmt.Errorf("%w: op %s has no computed elements", ErrInvalid, n.Op)
	}
	a := args{g: g, n: n, id: id, in: inputs, ctx: &ctx}
	if def.prepare != nil {
		a.aux = def.prepare(g, n)
	}
	if def.scratch != nil {
		a.scratch = make([]float32, def.scratch(g, n))
	}
	return def.elem(&a, i)
}
