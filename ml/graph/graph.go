// Package graph is the CE-v1 static model graph: an intermediate
// representation of a computation over float32 tensors, its canonical
// encoding and hash, reverse-mode automatic differentiation, an executor, a
// per-step op trace and per-element recomputation for dispute games.
//
// A Graph is a list of nodes in topological order; each node names an op, its
// input nodes, its output shape and op-specific attributes. Shapes are static,
// so every buffer is allocated once per executor and a training step does no
// allocation. Backward builds the gradient computation as more nodes of the
// same graph, so the forward pass, the backward pass and every gradient
// accumulation are ordinary ops with one canonical definition each, all
// covered by the trace and by ComputeElement.
package graph

import (
	"errors"
	"fmt"

	"github.com/hypha-network/hypha/ml/tensor"
)

// Op names an operation. The names are part of the canonical graph encoding.
type Op string

// The ops of CE-v1. The doc of each builder method gives its exact definition.
const (
	OpInput          Op = "input"
	OpParam          Op = "param"
	OpFill           Op = "fill"
	OpMatMul         Op = "matmul"
	OpAdd            Op = "add"
	OpSub            Op = "sub"
	OpMul            Op = "mul"
	OpScale          Op = "scale"
	OpSum            Op = "sum"
	OpMean           Op = "mean"
	OpSumTo          Op = "sumto"
	OpBroadcast      Op = "broadcast"
	OpReLU           Op = "relu"
	OpReLUGrad       Op = "relu_grad"
	OpGELU           Op = "gelu"
	OpGELUGrad       Op = "gelu_grad"
	OpTanh           Op = "tanh"
	OpTanhGrad       Op = "tanh_grad"
	OpSigmoid        Op = "sigmoid"
	OpSigmoidGrad    Op = "sigmoid_grad"
	OpSoftmax        Op = "softmax"
	OpSoftmaxGrad    Op = "softmax_grad"
	OpLogSoftmax     Op = "logsoftmax"
	OpLogSoftmaxGrad Op = "logsoftmax_grad"
	OpNLL            Op = "nll"
	OpNLLGrad        Op = "nll_grad"
	OpNormalize      Op = "normalize"
	OpNormalizeGrad  Op = "normalize_grad"
	OpEmbedding      Op = "embedding"
	OpEmbeddingGrad  Op = "embedding_grad"
	OpReshape        Op = "reshape"
	OpTranspose      Op = "transpose"
	OpSlice          Op = "slice"
	OpPad            Op = "pad"
	OpConcat         Op = "concat"
	OpConv2D         Op = "conv2d"
	OpConv2DGradIn   Op = "conv2d_grad_input"
	OpConv2DGradW    Op = "conv2d_grad_weight"
	OpMaxPool        Op = "maxpool2d"
	OpMaxPoolGrad    Op = "maxpool2d_grad"
	OpAvgPool        Op = "avgpool2d"
	OpAvgPoolGrad    Op = "avgpool2d_grad"
	OpDropout        Op = "dropout"
	OpDropoutGrad    Op = "dropout_grad"
	OpCausalMask     Op = "causal_mask"
)

// Init says how a parameter is initialised (see InitParams).
type Init int

// Parameter initialisers. Scale is the standard deviation for InitNormal and
// the bound for InitUniform.
const (
	InitZeros Init = iota
	InitOnes
	InitNormal
	InitUniform
)

// Node is one operation of a graph.
type Node struct {
	Op     Op      `json:"op"`
	Name   string  `json:"name,omitempty"`   // unique name of inputs and params
	Inputs []int   `json:"inputs,omitempty"` // ids of earlier nodes
	Shape  []int   `json:"shape"`            // output shape; [] is a scalar
	Ints   []int   `json:"ints,omitempty"`   // op-specific integer attributes
	Float  float32 `json:"float,omitempty"`  // op-specific scalar attribute
}

// Graph is a static computation in topological order.
type Graph struct {
	Nodes []Node `json:"nodes"`
	// Params lists the parameter nodes in creation order; it is the canonical
	// order of weights, gradients and optimizer state.
	Params []int `json:"params"`
	// Grads[i] is the node holding the gradient of Params[i] once Backward
	// has run, or -1 when the loss does not depend on that parameter.
	Grads []int `json:"grads,omitempty"`
	// Loss is the scalar loss node, or -1.
	Loss int `json:"loss"`
	// Output is the node a model exposes for prediction (e.g. logits), or -1.
	Output int `json:"output"`
	// BackwardStart is the id of the first node added by Backward (0 when
	// Backward has not run); the trace uses it to split phases.
	BackwardStart int `json:"backward_start"`

	err error
}

// Errors returned by graph construction, validation and execution.
var (
	ErrInvalid = errors.New("graph: invalid")
	ErrRuntime = errors.New("graph: runtime")
)

// New returns an empty graph.
func New() *Graph { return &Graph{Loss: -1, Output: -1} }

// Err returns the first error met while building the graph. Builder methods
// record an error instead of returning one, so model code can chain calls and
// check once, as with bufio.Scanner.
func (g *Graph) Err() error { return g.err }

// Shape returns the output shape of node id.
func (g *Graph) Shape(id int) []int { return g.Nodes[id].Shape }

// Size returns the number of elements of node id.
func (g *Graph) Size(id int) int { return tensor.Size(g.Nodes[id].Shape) }

// ParamByName returns the node id of the named parameter.
func (g *Graph) ParamByName(name string) (int, bool) {
	for _, p := range g.Params {
		if g.Nodes[p].Name == name {
			return p, true
		}
	}
	return -1, false
}

// InputByName returns the node id of the named input.
func (g *Graph) InputByName(name string) (int, bool) {
	for i, n := range g.Nodes {
		if n.Op == OpInput && n.Name == name {
			return i, true
		}
	}
	return -1, false
}

func (g *Graph) fail(format string, args ...any) int {
	if g.err == nil {
		g.err = fmt.Errorf("%w: node %d: %s", ErrInvalid, len(g.Nodes), fmt.Sprintf(format, args...))
	}
	return -1
}

// add validates n, infers its shape and appends it.
func (g *Graph) add(n Node) int {
	if g.err != nil {
		return -1
	}
	for _, in := range n.Inputs {
		if in < 0 || in >= len(g.Nodes) {
			return g.fail("%s: input %d does not exist", n.Op, in)
		}
	}
	shape, err := inferShape(g, &n)
	if err != nil {
		g.err = fmt.Errorf("%w: node %d (%s): %v", ErrInvalid, len(g.Nodes), n.Op, err)
		return -1
	}
	n.Shape = shape
	g.Nodes = append(g.Nodes, n)
	if n.Op == OpParam {
		g.Params = append(g.Params, len(g.Nodes)-1)
	}
	return len(g.Nodes) - 1
}

// Validate checks a graph read from outside: every input precedes its user,
// names are unique, attributes are well formed and every stored shape equals
// the inferred one.
func (g *Graph) Validate() error {
	names := map[string]bool{}
	params := 0
	for id := range g.Nodes {
		n := g.Nodes[id]
		if _, ok := ops[n.Op]; !ok {
			return fmt.Errorf("%w: node %d: unknown op %q", ErrInvalid, id, n.Op)
		}
		for _, in := range n.Inputs {
			if in < 0 || in >= id {
				return fmt.Errorf("%w: node %d: input %d is not an earlier node", ErrInvalid, id, in)
			}
		}
		if n.Op == OpInput || n.Op == OpParam {
			if n.Name == "" || names[n.Name] {
				return fmt.Errorf("%w: node %d: missing or duplicate name %q", ErrInvalid, id, n.Name)
			}
			names[n.Name] = true
		}
		if n.Op == OpParam {
			if params >= len(g.Params) || g.Params[params] != id {
				return fmt.Errorf("%w: params list does not match param nodes", ErrInvalid)
			}
			params++
		}
		shape, err := inferShape(g, &n)
		if err != nil {
			return fmt.Errorf("%w: node %d (%s): %v", ErrInvalid, id, n.Op, err)
		}
		if !tensor.SameShape(shape, n.Shape) {
			return fmt.Errorf("%w: node %d (%s): shape %v, want %v", ErrInvalid, id, n.Op, n.Shape, shape)
		}
	}
	if params != len(g.Params) {
		return fmt.Errorf("%w: params list does not match param nodes", ErrInvalid)
	}
	if len(g.Grads) != 0 && len(g.Grads) != len(g.Params) {
		return fmt.Errorf("%w: %d grads for %d params", ErrInvalid, len(g.Grads), len(g.Params))
	}
	for i, gr := range g.Grads {
		if gr < -1 || gr >= len(g.Nodes) || (gr >= 0 && !tensor.SameShape(g.Nodes[gr].Shape, g.Nodes[g.Params[i]].Shape)) {
			return fmt.Errorf("%w: bad gradient node %d for param %d", ErrInvalid, gr, i)
		}
	}
	for _, id := range []int{g.Loss, g.Output} {
		if id < -1 || id >= len(g.Nodes) {
			return fmt.Errorf("%w: loss/output node %d out of range", ErrInvalid, id)
		}
	}
	if g.BackwardStart < 0 || g.BackwardStart > len(g.Nodes) {
		return fmt.Errorf("%w: backward_start %d out of range", ErrInvalid, g.BackwardStart)
	}
	return nil
}
