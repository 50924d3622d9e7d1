// Package model builds the CE-v1 reference models as graphs: a multilayer
// perceptron, a small convolutional network and a tiny decoder-only
// (GPT-style) transformer for character-level language modelling.
package model

import (
	"errors"
	"fmt"

	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/ml/num"
	"github.com/hypha-network/hypha/ml/tensor"
)

// ErrConfig reports an invalid model configuration.
var ErrConfig = errors.New("model: invalid config")

// Kinds of model.
const (
	MLP         = "mlp"
	CNN         = "cnn"
	Transformer = "transformer"
)

// Config describes a model. Fields apply to the kinds noted.
type Config struct {
	Kind       string  `yaml:"kind" json:"kind"`
	Hidden     []int   `yaml:"hidden,omitempty" json:"hidden,omitempty"`         // mlp: hidden widths; cnn: dense widths after the convolutions
	Activation string  `yaml:"activation,omitempty" json:"activation,omitempty"` // relu (default), gelu, tanh, sigmoid
	Dropout    float32 `yaml:"dropout,omitempty" json:"dropout,omitempty"`       // dropout after hidden activations
	Channels   []int   `yaml:"channels,omitempty" json:"channels,omitempty"`     // cnn: output channels per conv block
	Kernel     int     `yaml:"kernel,omitempty" json:"kernel,omitempty"`         // cnn: square kernel size (default 3, "same" padding)
	Pool       string  `yaml:"pool,omitempty" json:"pool,omitempty"`             // cnn: max (default) or avg, 2x2 stride 2
	Dim        int     `yaml:"dim,omitempty" json:"dim,omitempty"`               // transformer: model width
	Heads      int     `yaml:"heads,omitempty" json:"heads,omitempty"`           // transformer: attention heads
	Layers     int     `yaml:"layers,omitempty" json:"layers,omitempty"`         // transformer: blocks
	MLPRatio   int     `yaml:"mlp_ratio,omitempty" json:"mlp_ratio,omitempty"`   // transformer: MLP width / Dim (default 4)
}

// Model is a built graph with its named endpoints.
type Model struct {
	G      *graph.Graph
	X      int // input features [B, XShape...] (token ids for transformers)
	Y      int // labels [B] or [B, T]
	Logits int // [B, classes] or [B*T, vocab]
	Loss   int // mean cross-entropy
}

// Build returns the model for examples of shape xShape with the given number
// of classes (vocabulary size for transformers) and batch size. With
// withGrad the backward pass is appended (see graph.Backward).
func Build(c Config, xShape []int, classes, batch int, withGrad bool) (*Model, error) {
	if classes < 2 || batch <= 0 || tensor.CheckShape(xShape) != nil {
		return nil, fmt.Errorf("%w: %d classes, batch %d, example shape %v", ErrConfig, classes, batch, xShape)
	}
	if c.Activation == "" {
		c.Activation = "relu"
	}
	if c.Activation != "relu" && c.Activation != "gelu" && c.Activation != "tanh" && c.Activation != "sigmoid" {
		return nil, fmt.Errorf("%w: activation %q (want relu, gelu, tanh or sigmoid)", ErrConfig, c.Activation)
	}
	if !(c.Dropout >= 0 && c.Dropout < 1) {
		return nil, fmt.Errorf("%w: dropout %v not in [0, 1)", ErrConfig, c.Dropout)
	}
	g := graph.New()
	b := &builder{g: g, c: c}
	m := &Model{G: g}
	var err error
	switch c.Kind {
	case MLP:
		m.X = g.Input("x", append([]int{batch}, xShape...)...)
		m.Y = g.Input("y", batch)
		m.Logits = b.dense(g.Reshape(m.X, batch, tensor.Size(xShape)), tensor.Size(xShape), c.Hidden, classes)
	case CNN:
		m.X = g.Input("x", append([]int{batch}, xShape...)...)
		m.Y = g.Input("y", batch)
		m.Logits, err = b.cnn(m.X, batch, xShape, classes)
	case Transformer:
		if len(xShape) != 1 {
			return nil, fmt.Errorf("%w: transformer wants token windows [T], got %v", ErrConfig, xShape)
		}
		m.X = g.Input("x", batch, xShape[0])
		m.Y = g.Input("y", batch, xShape[0])
		m.Logits, err = b.transformer(m.X, batch, xShape[0], classes)
	default:
		return nil, fmt.Errorf("%w: kind %q (want mlp, cnn or transformer)", ErrConfig, c.Kind)
	}
	if err != nil {
		return nil, err
	}
	y := m.Y
	if c.Kind == Transformer {
		y = g.Reshape(y, batch*xShape[0])
	}
	m.Loss = g.CrossEntropy(m.Logits, y)
	g.Output = m.Logits
	g.Loss = m.Loss
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if withGrad {
		if err := g.Backward(m.Loss); err != nil {
			return nil, err
		}
	}
	return m, nil
}

type builder struct {
	g *graph.Graph
	c Config
	n int // layer counter for parameter names
}

func (b *builder) name(s string) string { return fmt.Sprintf("%s%d", s, b.n) }

// linear is x [B, in] @ w [in, out] + bias, w drawn uniformly in
// ±Sqrt(6/(in+out)) (Glorot) and the bias zero.
func (b *builder) linear(x, in, out int) int {
	b.n++
	w := b.g.Param(b.name("fc")+".w", graph.InitUniform, num.Sqrt(float32(6)/float32(in+out)), in, out)
	bias := b.g.Param(b.name("fc")+".b", graph.InitZeros, 0, out)
	return b.g.Add(b.g.MatMul(x, w, false, false), bias)
}

func (b *builder) act(x int) int {
	switch b.c.Activation {
	case "gelu":
		return b.g.GELU(x)
	case "tanh":
		return b.g.Tanh(x)
	case "sigmoid":
		return b.g.Sigmoid(x)
	}
	return b.g.ReLU(x)
}

// dense is the MLP head: hidden linear+activation(+dropout) layers, then a
// linear layer to the classes.
func (b *builder) dense(x, in int, hidden []int, classes int) int {
	for _, h := range hidden {
		x = b.act(b.linear(x, in, h))
		if b.c.Dropout > 0 {
			x = b.g.Dropout(x, b.c.Dropout)
		}
		in = h
	}
	return b.linear(x, in, classes)
}

// cnn: per entry of Channels, conv (same padding) + bias + activation +
// 2x2 pooling; then the dense head.
func (b *builder) cnn(x, batch int, shape []int, classes int) (int, error) {
	if len(shape) != 3 || len(b.c.Channels) == 0 {
		return -1, fmt.Errorf("%w: cnn wants image examples [C, H, W] and channels, got %v and %v", ErrConfig, shape, b.c.Channels)
	}
	k := b.c.Kernel
	if k == 0 {
		k = 3
	}
	if k%2 == 0 || k < 1 {
		return -1, fmt.Errorf("%w: kernel %d must be odd", ErrConfig, k)
	}
	c, h, w := shape[0], shape[1], shape[2]
	for _, o := range b.c.Channels {
		if h < 2 || w < 2 || o <= 0 {
			return -1, fmt.Errorf("%w: image %dx%d too small for another conv block", ErrConfig, h, w)
		}
		b.n++
		fan := c * k * k
		wt := b.g.Param(b.name("conv")+".w", graph.InitUniform, num.Sqrt(float32(6)/float32(fan+o)), o, c, k, k)
		bias := b.g.Param(b.name("conv")+".b", graph.InitZeros, 0, o, 1, 1)
		x = b.act(b.g.Add(b.g.Conv2D(x, wt, 1, k/2), bias))
		if b.c.Pool == "avg" {
			x = b.g.AvgPool2D(x, 2, 2)
		} else {
			x = b.g.MaxPool2D(x, 2, 2)
		}
		c, h, w = o, h/2, w/2
	}
	flat := c * h * w
	return b.dense(b.g.Reshape(x, batch, flat), flat, b.c.Hidden, classes), nil
}

// transformer: token + position embeddings, Layers pre-norm blocks of causal
// multi-head self-attention and a GELU MLP, a final layer norm and a linear
// read-out to the vocabulary. Logits are [B*T, V].
func (b *builder) transformer(ids, batch, t, vocab int) (int, error) {
	c := b.c
	d, h := c.Dim, c.Heads
	if d <= 0 || h <= 0 || d%h != 0 || c.Layers <= 0 {
		return -1, fmt.Errorf("%w: transformer needs dim > 0 divisible by heads > 0 and layers > 0", ErrConfig)
	}
	ratio := c.MLPRatio
	if ratio == 0 {
		ratio = 4
	}
	g := b.g
	tok := g.Param("tok_emb", graph.InitNormal, 0.02, vocab, d)
	pos := g.Param("pos_emb", graph.InitNormal, 0.02, t, d)
	x := g.Reshape(g.Add(g.Embedding(tok, ids), pos), batch*t, d)
	for l := 0; l < c.Layers; l++ {
		x = g.Add(x, b.attention(b.layerNorm(x, d), batch, t, d, h))
		x = g.Add(x, b.mlp(b.layerNorm(x, d), d, ratio*d))
	}
	x = b.layerNorm(x, d)
	b.n++
	head := g.Param("head.w", graph.InitNormal, 0.02, d, vocab)
	return g.MatMul(x, head, false, false), nil
}

func (b *builder) layerNorm(x, d int) int {
	b.n++
	gamma := b.g.Param(b.name("ln")+".g", graph.InitOnes, 0, d)
	beta := b.g.Param(b.name("ln")+".b", graph.InitZeros, 0, d)
	return b.g.LayerNorm(x, gamma, beta, 1e-5)
}

func (b *builder) mlp(x, d, hidden int) int {
	x = b.g.GELU(b.linear(x, d, hidden))
	x = b.linear(x, hidden, d)
	if b.c.Dropout > 0 {
		x = b.g.Dropout(x, b.c.Dropout)
	}
	return x
}

// attention is causal multi-head self-attention composed from graph ops:
// q, k, v projections, per-head scores q·kᵀ scaled by 1/Sqrt(d/h), the
// causal mask (fill -1e9), softmax, the weighted sum of v and an output
// projection. x is [B*T, D].
func (b *builder) attention(x, batch, t, d, h int) int {
	g := b.g
	dh := d / h
	heads := func(p int) int { // [B*T, D] -> [B*H, T, Dh]
		return g.Reshape(g.Transpose(g.Reshape(p, batch, t, h, dh), 0, 2, 1, 3), batch*h, t, dh)
	}
	q := heads(b.linear(x, d, d))
	k := heads(b.linear(x, d, d))
	v := heads(b.linear(x, d, d))
	s := g.Scale(g.MatMul(q, k, false, true), 1/num.Sqrt(float32(dh)))
	p := g.Softmax(g.CausalMask(s, -1e9))
	o := g.MatMul(p, v, false, false) // [B*H, T, Dh]
	o = g.Reshape(g.Transpose(g.Reshape(o, batch, h, t, dh), 0, 2, 1, 3), batch*t, d)
	o = b.linear(o, d, d)
	if b.c.Dropout > 0 {
		o = g.Dropout(o, b.c.Dropout)
	}
	return o
}
