package train

import (
	"fmt"
	"math"

	"github.com/hypha-network/hypha/ml/ckpt"
	"github.com/hypha-network/hypha/ml/data"
	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/model"
	"github.com/hypha-network/hypha/ml/optim"
)

// Version is the canonical-execution version recorded in every checkpoint.
const Version = "CE-v1"

// Trainer holds a training run's complete state.
type Trainer struct {
	Spec        *Spec
	Seed        uint64
	Train, Eval *data.Dataset
	Model       *model.Model

	exec    *graph.Exec
	opt     *optim.Optimizer
	batcher *data.Batcher
	step    uint64
	lr      float32 // learning rate of the last step
	loss    float32 // loss of the last step

	params, grads [][]float32
	sq            []float32
	graphHash     merkle.Hash
	dataRoot      merkle.Hash

	evalModel *model.Model
	evalExec  *graph.Exec
}

// New prepares a run of spec with the given seed: it loads the data, builds
// the graph and initialises the parameters from the seed.
func New(spec *Spec, seed uint64) (*Trainer, error) {
	trainSet, eval, err := spec.LoadData()
	if err != nil {
		return nil, err
	}
	m, err := model.Build(spec.Model, trainSet.XShape, trainSet.Classes, spec.Train.Batch, true)
	if err != nil {
		return nil, err
	}
	e, err := graph.NewExec(m.G)
	if err != nil {
		return nil, err
	}
	b, err := data.NewBatcher(trainSet, seed, spec.Train.Batch)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpec, err)
	}
	t := &Trainer{Spec: spec, Seed: seed, Train: trainSet, Eval: eval, Model: m, exec: e, batcher: b}
	var sizes []int
	for i, p := range m.G.Params {
		sizes = append(sizes, m.G.Size(p))
		t.params = append(t.params, e.Value(p))
		var g []float32
		if gid := m.G.Grads[i]; gid >= 0 {
			g = e.Value(gid)
		}
		t.grads = append(t.grads, g)
	}
	t.sq = make([]float32, len(sizes))
	if t.opt, err = optim.New(spec.Optimizer, sizes); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpec, err)
	}
	if t.graphHash, err = m.G.Hash(); err != nil {
		return nil, err
	}
	t.dataRoot = trainSet.Root()
	e.InitParams(seed)
	return t, nil
}

// StepCount is the number of steps taken.
func (t *Trainer) StepCount() uint64 { return t.step }

// Loss is the training loss of the last step.
func (t *Trainer) Loss() float32 { return t.loss }

// Step runs one training step: next batch, forward, backward, gradient
// clipping, optimizer update.
func (t *Trainer) Step() error {
	if err := t.runGraph(); err != nil {
		return err
	}
	t.update()
	return nil
}

// runGraph is the first half of a step: next batch, forward and backward.
func (t *Trainer) runGraph() error {
	t.lr = t.Spec.Schedule.At(t.step)
	t.batcher.Next(t.exec.Value(t.Model.X), t.exec.Value(t.Model.Y))
	t.exec.Ctx = graph.Ctx{Seed: t.Seed, Step: t.step, Training: true}
	if err := t.exec.Run(); err != nil {
		return fmt.Errorf("train: step %d: %w", t.step, err)
	}
	t.loss = t.exec.Value(t.Model.Loss)[0]
	return nil
}

// update is the second half: gradient clipping (which leaves the squared
// norms of the gradients in t.sq) and the optimizer.
func (t *Trainer) update() {
	optim.ClipGlobalNorm(t.grads, t.Spec.Train.ClipNorm, t.sq)
	t.opt.Step(t.lr, t.params, t.grads)
	t.step++
}

// StepTo runs steps until StepCount reaches n (none when it already has):
// the whole training run for callers that need no per-step hook.
func (t *Trainer) StepTo(n uint64) error {
	for t.step < n {
		if err := t.Step(); err != nil {
			return err
		}
	}
	return nil
}

// Checkpoint names. Parameters and optimizer moments are keyed by the
// parameter's graph name.
const (
	keyVersion  = "ce/version"
	keyGraph    = "run/graph"
	keyData     = "run/data"
	keyProgram  = "run/program"
	keyStep     = "run/step"
	keyLoss     = "run/loss"
	keyRNGSeed  = "rng/seed"
	keyRNGStep  = "rng/step"
	keyEpoch    = "data/epoch"
	keyPos      = "data/pos"
	keyVocab    = "data/vocab"
	keyLR       = "sched/lr"
	keyB1Pow    = "optim/beta1_pow"
	keyB2Pow    = "optim/beta2_pow"
	prefixParam = "param/"
	prefixM     = "optim/m/"
	prefixV     = "optim/v/"
)

// Checkpoint captures all training state. Its commitment identifies the
// state after StepCount steps.
func (t *Trainer) Checkpoint() *ckpt.Checkpoint {
	c := ckpt.New()
	prog := t.Spec.Program()
	c.PutBytes(keyVersion, []byte(Version))
	c.PutBytes(keyGraph, t.graphHash[:])
	c.PutBytes(keyData, t.dataRoot[:])
	c.PutBytes(keyProgram, prog[:])
	c.PutUint(keyStep, t.step)
	c.PutFloat(keyLoss, t.loss)
	// The RNG is counter based: its whole state is the key (seed, step).
	c.PutUint(keyRNGSeed, t.Seed)
	c.PutUint(keyRNGStep, t.step)
	c.PutUint(keyEpoch, t.batcher.Cursor.Epoch)
	c.PutUint(keyPos, t.batcher.Cursor.Pos)
	if t.Train.Vocab != nil {
		c.PutBytes(keyVocab, t.Train.Vocab)
	}
	c.PutFloat(keyLR, t.lr)
	c.PutFloat(keyB1Pow, t.opt.State.Beta1Pow)
	c.PutFloat(keyB2Pow, t.opt.State.Beta2Pow)
	g := t.Model.G
	for i, p := range g.Params {
		n := g.Nodes[p]
		c.PutTensor(prefixParam+n.Name, n.Shape, t.params[i])
		c.PutTensor(prefixM+n.Name, n.Shape, t.opt.State.M[i])
		if t.opt.State.V != nil {
			c.PutTensor(prefixV+n.Name, n.Shape, t.opt.State.V[i])
		}
	}
	return c
}

// Restore loads the state of a checkpoint written by a run of the same spec
// (same graph, data and program); the run then continues exactly as the
// uninterrupted one would.
func (t *Trainer) Restore(c *ckpt.Checkpoint) error {
	prog := t.Spec.Program()
	for _, want := range []struct {
		key string
		val []byte
		why string
	}{
		{keyVersion, []byte(Version), "canonical-execution version"},
		{keyGraph, t.graphHash[:], "model graph"},
		{keyData, t.dataRoot[:], "training data"},
		{keyProgram, prog[:], "optimizer, schedule or loop settings"},
	} {
		got, err := c.Bytes(want.key)
		if err != nil {
			return err
		}
		if string(got) != string(want.val) {
			return fmt.Errorf("%w: checkpoint was made with a different %s than this spec", ckpt.ErrFormat, want.why)
		}
	}
	seed, err := c.Uint(keyRNGSeed)
	if err != nil {
		return err
	}
	if seed != t.Seed {
		return fmt.Errorf("%w: checkpoint seed %d, run seed %d", ckpt.ErrFormat, seed, t.Seed)
	}
	step, err1 := c.Uint(keyStep)
	epoch, err2 := c.Uint(keyEpoch)
	pos, err3 := c.Uint(keyPos)
	loss, err4 := c.Float(keyLoss)
	lr, err5 := c.Float(keyLR)
	b1, err6 := c.Float(keyB1Pow)
	b2, err7 := c.Float(keyB2Pow)
	for _, err := range []error{err1, err2, err3, err4, err5, err6, err7} {
		if err != nil {
			return err
		}
	}
	g := t.Model.G
	for i, p := range g.Params {
		n := g.Nodes[p]
		load := func(prefix string, dst []float32) error {
			v, err := c.Tensor(prefix+n.Name, n.Shape)
			if err == nil {
				copy(dst, v)
			}
			return err
		}
		if err := load(prefixParam, t.params[i]); err != nil {
			return err
		}
		if err := load(prefixM, t.opt.State.M[i]); err != nil {
			return err
		}
		if t.opt.State.V != nil {
			if err := load(prefixV, t.opt.State.V[i]); err != nil {
				return err
			}
		}
	}
	t.step, t.loss, t.lr = step, loss, lr
	t.batcher.Cursor = data.Cursor{Epoch: epoch, Pos: pos}
	t.opt.State.Beta1Pow, t.opt.State.Beta2Pow = b1, b2
	return nil
}

// Metrics are evaluation results. They are reports, not committed state, so
// Loss is accumulated in float64.
type Metrics struct {
	Examples int     // predictions scored (tokens for language models)
	Loss     float64 // mean cross-entropy in nats
	Accuracy float64 // fraction of argmax predictions equal to the label
}

// Evaluate scores the current parameters on the eval split (or on ds when
// the spec has none and ds is given).
func (t *Trainer) Evaluate(ds *data.Dataset) (Metrics, error) {
	if ds == nil || ds.N == 0 {
		return Metrics{}, fmt.Errorf("%w: no evaluation data (set data.eval_fraction)", ErrSpec)
	}
	batch := min(t.Spec.Train.EvalBatch, ds.N)
	if t.evalModel == nil || t.evalModel.G.Size(t.evalModel.X) != batch*ds.XSize() {
		m, err := model.Build(t.Spec.Model, t.Train.XShape, t.Train.Classes, batch, false)
		if err != nil {
			return Metrics{}, err
		}
		if t.evalExec, err = graph.NewExec(m.G); err != nil {
			return Metrics{}, err
		}
		t.evalModel = m
	}
	return evaluate(t.evalModel, t.evalExec, t.params, ds)
}

// evaluate runs a forward-only model over ds in batches; the last batch is
// padded with copies of the final example, which are not scored.
func evaluate(m *model.Model, e *graph.Exec, params [][]float32, ds *data.Dataset) (Metrics, error) {
	g := m.G
	for i, p := range g.Params {
		copy(e.Value(p), params[i])
	}
	e.Ctx = graph.Ctx{}
	x, y := e.Value(m.X), e.Value(m.Y)
	xs, ys := ds.XSize(), ds.YSize()
	batch := len(x) / xs
	logp := e.Value(g.Nodes[m.Loss].Inputs[0]) // log-softmax of the logits
	classes := g.Shape(m.Logits)[1]
	var res Metrics
	var lossSum float64
	correct := 0
	for start := 0; start < ds.N; start += batch {
		for k := 0; k < batch; k++ {
			i := min(start+k, ds.N-1)
			copy(x[k*xs:(k+1)*xs], ds.X[i*xs:(i+1)*xs])
			copy(y[k*ys:(k+1)*ys], ds.Y[i*ys:(i+1)*ys])
		}
		if err := e.Run(); err != nil {
			return Metrics{}, fmt.Errorf("train: evaluate: %w", err)
		}
		rowsPer := max(ys, 1)
		for k := 0; k < min(batch, ds.N-start); k++ {
			for r := 0; r < rowsPer; r++ {
				row := logp[(k*rowsPer+r)*classes : (k*rowsPer+r+1)*classes]
				label := int(y[k*rowsPer+r])
				lossSum -= float64(row[label])
				if argmax(row) == label {
					correct++
				}
				res.Examples++
			}
		}
	}
	res.Loss = lossSum / float64(res.Examples)
	res.Accuracy = float64(correct) / float64(res.Examples)
	return res, nil
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// UnigramEntropy is the entropy in nats of the label distribution of ds:
// the loss of the best model that ignores its input. A language model must
// get clearly below it to have learned anything.
func UnigramEntropy(ds *data.Dataset) float64 {
	counts := make([]float64, ds.Classes)
	for _, y := range ds.Y {
		counts[int(y)]++
	}
	var h float64
	for _, c := range counts {
		if c > 0 {
			p := c / float64(len(ds.Y))
			// Display only (summary JSON, tests): never hashed or committed.
			// The explicit conversion rounds the product, so the compiler
			// cannot fuse it with the subtraction (FMSUB on arm64, ppc64,
			// s390x) and the printed value is the same on every platform.
			h -= float64(p * math.Log(p))
		}
	}
	return h
}
