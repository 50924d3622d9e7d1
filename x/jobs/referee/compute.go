package referee

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"

	"github.com/hypha-network/hypha/ml/ckpt"
	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/ml/kernel"
	"github.com/hypha-network/hypha/ml/num"
	"github.com/hypha-network/hypha/ml/optim"
	"github.com/hypha-network/hypha/ml/rng"
	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/x/jobs/dispute"
)

// Judge verifies side's evidence for f and returns the true value: the
// element's 4 canonical bytes, a parameter node's tensor root, or an end
// state leaf.
func (r *Referee) Judge(f *dispute.Final, side dispute.Side, raw []byte) ([]byte, error) {
	v := &verifier{r: r, f: f, side: side}
	if err := v.ev.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("%w: %v", dispute.ErrBadProof, err)
	}
	out, err := r.compute(v, f)
	if err != nil {
		return nil, err
	}
	if v.next != len(v.ev.Openings) {
		return nil, fmt.Errorf("%w: %d openings unused", dispute.ErrBadProof, len(v.ev.Openings)-v.next)
	}
	return out, nil
}

// compute is the one definition of every value a game can end on.
func (r *Referee) compute(in inputs, f *dispute.Final) ([]byte, error) {
	switch f.Level {
	case dispute.LevelTrace:
		kind, _, _, err := r.classify(f.Index)
		if err != nil {
			return nil, err
		}
		if kind != entryNode || r.Model.G.Nodes[f.Index].Op != graph.OpParam {
			return nil, fmt.Errorf("%w: entry %d is judged by element", dispute.ErrOutOfRange, f.Index)
		}
		e, _, err := in.start(prefixParam+r.Model.G.Nodes[f.Index].Name, nil)
		if err != nil {
			return nil, err
		}
		return e.Root[:], nil
	case dispute.LevelElements:
		if f.Element < 0 || f.Element >= r.EntryValues(f.Index) {
			return nil, fmt.Errorf("%w: element %d of entry %d", dispute.ErrOutOfRange, f.Element, f.Index)
		}
		x, err := r.element(in, f.Index, f.Element)
		if err != nil {
			return nil, err
		}
		return graph.ValueBytes([]float32{x}), nil
	case dispute.LevelState:
		if f.Index < 0 || f.Index >= len(r.names) {
			return nil, fmt.Errorf("%w: state leaf %d", dispute.ErrOutOfRange, f.Index)
		}
		return r.stateLeaf(in, r.names[f.Index])
	}
	return nil, fmt.Errorf("%w: level %d", dispute.ErrOutOfRange, f.Level)
}

func allOf(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func (r *Referee) startUint(in inputs, name string) (uint64, error) {
	e, _, err := in.start(name, nil)
	if err == nil && e.Kind != ckpt.Uint {
		err = fmt.Errorf("%w: %q is not an integer", dispute.ErrBadProof, name)
	}
	return e.U64, err
}

func (r *Referee) startFloat(in inputs, name string) (float32, error) {
	e, get, err := in.start(name, []int{0})
	if err != nil {
		return 0, err
	}
	if len(e.Shape) != 0 {
		return 0, fmt.Errorf("%w: %q is not a scalar", dispute.ErrBadProof, name)
	}
	return get(0)
}

// element recomputes element e of trace entry j.
func (r *Referee) element(in inputs, j, e int) (float32, error) {
	g := r.Model.G
	kind, pi, which, err := r.classify(j)
	if err != nil {
		return 0, err
	}
	step, err := r.startUint(in, keyStep)
	if err != nil {
		return 0, err
	}
	switch kind {
	case entryClip:
		_, get, err := in.entry(r.grads[e], allOf(g.Size(r.grads[e])))
		if err != nil {
			return 0, err
		}
		v, err := collect(get, g.Size(r.grads[e]))
		if err != nil {
			return 0, err
		}
		return kernel.Dot(v, v), nil
	case entryOptim:
		return r.optimElement(in, step, pi, which, e)
	}
	n := &g.Nodes[j]
	switch n.Op {
	case graph.OpFill:
		return n.Float, nil
	case graph.OpInput:
		return r.inputElement(in, j, e)
	case graph.OpParam:
		return 0, fmt.Errorf("%w: parameter entries are judged whole", dispute.ErrOutOfRange)
	}
	ins := make([][]float32, len(n.Inputs))
	for k, id := range n.Inputs {
		need := deps(g, j, k, e)
		if need == nil {
			need = allOf(g.Size(id))
		}
		_, get, err := in.entry(id, need)
		if err != nil {
			return 0, err
		}
		ins[k] = make([]float32, g.Size(id))
		for _, i := range need {
			if ins[k][i], err = get(i); err != nil {
				return 0, err
			}
		}
	}
	x, err := graph.ComputeElement(g, j, ins, graph.Ctx{Seed: r.Seed, Step: step, Training: true}, e)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", dispute.ErrBadProof, err)
	}
	return x, nil
}

func collect(get values, n int) ([]float32, error) {
	out := make([]float32, n)
	for i := range out {
		var err error
		if out[i], err = get(i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// cursorAfter is the data cursor a batch is drawn at, given the cursor of
// the start state (data.Batcher.Next: a new epoch when fewer than a batch
// remain).
func (r *Referee) cursorAt(epoch, pos uint64) (uint64, uint64) {
	if pos+uint64(r.Spec.Train.Batch) > uint64(r.Data.N) {
		return epoch + 1, 0
	}
	return epoch, pos
}

// inputElement is element e of the batch features (X) or labels (Y): the
// example the seeded permutation puts at that batch position, proven
// against the dataset root.
func (r *Referee) inputElement(in inputs, j, e int) (float32, error) {
	per, off := r.Data.XSize, 0
	switch j {
	case r.Model.X:
	case r.Model.Y:
		per, off = r.Data.YSize, r.Data.XSize
	default:
		return 0, fmt.Errorf("%w: input node %d is neither features nor labels", dispute.ErrOutOfRange, j)
	}
	epoch, err1 := r.startUint(in, keyEpoch)
	pos, err2 := r.startUint(in, keyPos)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("data cursor: %w", firstErr(err1, err2))
	}
	epoch, pos = r.cursorAt(epoch, pos)
	// The permutation is O(N): the referee's cost for an input element grows
	// with the dataset (1 ms per ~10^5 examples).
	perm := rng.Permutation(r.Seed, epoch, r.Data.N)
	k := int(pos) + e/per
	if k >= len(perm) {
		return 0, fmt.Errorf("%w: batch position %d of %d examples", dispute.ErrOutOfRange, k, r.Data.N)
	}
	leaf, err := in.example(1 + perm[k])
	if err != nil {
		return 0, err
	}
	at := 4 * (off + e%per)
	if len(leaf) != 4*(r.Data.XSize+r.Data.YSize) {
		return 0, fmt.Errorf("%w: dataset leaf of %d bytes", dispute.ErrBadProof, len(leaf))
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(leaf[at:])), nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// optimizer returns the optimizer as it stood after the step from start
// state pows (the bias-correction powers advance before the update).
func (r *Referee) optimizer(in inputs) (*optim.Optimizer, error) {
	o := &optim.Optimizer{Config: r.opt, State: optim.State{Beta1Pow: 1, Beta2Pow: 1}}
	if r.opt.Kind != optim.AdamW {
		return o, nil
	}
	b1, err1 := r.startFloat(in, keyB1Pow)
	b2, err2 := r.startFloat(in, keyB2Pow)
	if err := firstErr(err1, err2); err != nil {
		return nil, err
	}
	o.State.Beta1Pow = float32(b1 * r.opt.Beta1)
	o.State.Beta2Pow = float32(b2 * r.opt.Beta2)
	return o, nil
}

// optimElement is element e of parameter pi's p (0), m (1) or v (2) after
// the update: the clipped gradient from the agreed pre-clip gradient and
// clip entry, then optim.Optimizer.Element.
func (r *Referee) optimElement(in inputs, step uint64, pi, which, e int) (float32, error) {
	g := r.Model.G
	name := r.paramName(pi)
	_, getP, err := in.entry(g.Params[pi], []int{e})
	if err != nil {
		return 0, err
	}
	p, _ := getP(e)
	_, getM, err := in.start(prefixM+name, []int{e})
	if err != nil {
		return 0, err
	}
	m, _ := getM(e)
	var v float32
	if r.opt.Kind == optim.AdamW {
		_, getV, err := in.start(prefixV+name, []int{e})
		if err != nil {
			return 0, err
		}
		v, _ = getV(e)
	}
	gid := g.Grads[pi]
	if gid >= 0 {
		_, getG, err := in.entry(gid, []int{e})
		if err != nil {
			return 0, err
		}
		grad, _ := getG(e)
		clip := len(g.Nodes)
		_, getSq, err := in.entry(clip, allOf(len(r.grads)))
		if err != nil {
			return 0, err
		}
		sq, err := collect(getSq, len(r.grads))
		if err != nil {
			return 0, err
		}
		// optim.ClipGlobalNorm, for one element.
		maxNorm := r.Spec.Train.ClipNorm
		if norm := num.Sqrt(kernel.Sum(sq)); maxNorm > 0 && norm > maxNorm {
			grad = float32(grad * (maxNorm / (norm + 1e-6)))
		}
		o, err := r.optimizer(in)
		if err != nil {
			return 0, err
		}
		p, m, v = o.Element(r.Spec.Schedule.At(step), p, grad, m, v)
	}
	return [3]float32{p, m, v}[which], nil
}

// stateLeaf recomputes the end-state leaf name from the start state and the
// agreed trace.
func (r *Referee) stateLeaf(in inputs, name string) ([]byte, error) {
	g := r.Model.G
	step, err := r.startUint(in, keyStep)
	if err != nil {
		return nil, err
	}
	scalar := func(x float32) []byte { return train.TensorStateLeaf(name, nil, graph.HashValues([]float32{x})) }
	switch name {
	case keyStep, keyRNGStep:
		return train.UintStateLeaf(name, step+1), nil
	case keyEpoch, keyPos:
		epoch, err1 := r.startUint(in, keyEpoch)
		pos, err2 := r.startUint(in, keyPos)
		if err := firstErr(err1, err2); err != nil {
			return nil, err
		}
		epoch, pos = r.cursorAt(epoch, pos)
		if name == keyEpoch {
			return train.UintStateLeaf(name, epoch), nil
		}
		return train.UintStateLeaf(name, pos+uint64(r.Spec.Train.Batch)), nil
	case keyLoss:
		_, get, err := in.entry(r.Model.Loss, []int{0})
		if err != nil {
			return nil, err
		}
		x, _ := get(0)
		return scalar(x), nil
	case keyLR:
		return scalar(r.Spec.Schedule.At(step)), nil
	case keyB1Pow, keyB2Pow:
		x, err := r.startFloat(in, name)
		if err != nil {
			return nil, err
		}
		if r.opt.Kind == optim.AdamW {
			beta := r.opt.Beta1
			if name == keyB2Pow {
				beta = r.opt.Beta2
			}
			x = float32(x * beta)
		}
		return scalar(x), nil
	}
	for _, pre := range []struct {
		prefix string
		which  int
	}{{prefixParam, 0}, {prefixM, 1}, {prefixV, 2}} {
		pname, ok := strings.CutPrefix(name, pre.prefix)
		if !ok || (pre.which == 2 && r.per < 3) {
			continue
		}
		for pi := range g.Params {
			if r.paramName(pi) == pname {
				root, _, err := in.entry(len(g.Nodes)+1+pi*r.per+pre.which, nil)
				if err != nil {
					return nil, err
				}
				return train.TensorStateLeaf(name, g.Shape(g.Params[pi]), root), nil
			}
		}
	}
	// Everything else (version, graph, data, program, seed, vocabulary) is
	// constant over a run.
	e, _, err := in.start(name, nil)
	if err != nil {
		return nil, err
	}
	if e.Kind == ckpt.Tensor {
		return train.TensorStateLeaf(name, e.Shape, e.Root), nil
	}
	if e.Kind == ckpt.Uint {
		return train.UintStateLeaf(name, e.U64), nil
	}
	return bytesLeaf(name, e.Raw), nil
}

func bytesLeaf(name string, raw []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(name)))
	b = append(b, name...)
	b = append(b, byte(ckpt.Bytes))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(raw)))
	return append(b, raw...)
}
