// Package optim holds the CE-v1 optimizers (SGD with momentum, AdamW),
// learning-rate schedules and gradient clipping by global norm.
//
// Every update is elementwise float32 arithmetic with each product rounded
// explicitly, defined once in a per-element function that both the full step
// and dispute recomputation use.
package optim

import (
	"errors"
	"fmt"

	"github.com/hypha-network/hypha/ml/kernel"
	"github.com/hypha-network/hypha/ml/num"
)

// ErrConfig reports an invalid optimizer or schedule configuration.
var ErrConfig = errors.New("optim: invalid config")

// Kinds of optimizer.
const (
	SGD   = "sgd"
	AdamW = "adamw"
)

// Config selects and parameterises an optimizer.
type Config struct {
	Kind        string  `yaml:"kind" json:"kind"`
	Momentum    float32 `yaml:"momentum" json:"momentum"` // SGD
	Beta1       float32 `yaml:"beta1" json:"beta1"`       // AdamW
	Beta2       float32 `yaml:"beta2" json:"beta2"`       // AdamW
	Eps         float32 `yaml:"eps" json:"eps"`           // AdamW
	WeightDecay float32 `yaml:"weight_decay" json:"weight_decay"`
}

// WithDefaults fills unset AdamW fields with the usual 0.9, 0.999, 1e-8.
func (c Config) WithDefaults() Config {
	if c.Kind == "" {
		c.Kind = AdamW
	}
	if c.Kind == AdamW {
		if c.Beta1 == 0 {
			c.Beta1 = 0.9
		}
		if c.Beta2 == 0 {
			c.Beta2 = 0.999
		}
		if c.Eps == 0 {
			c.Eps = 1e-8
		}
	}
	return c
}

// Validate checks the ranges of the fields.
func (c Config) Validate() error {
	in01 := func(v float32) bool { return v >= 0 && v < 1 }
	switch {
	case c.Kind != SGD && c.Kind != AdamW:
		return fmt.Errorf("%w: kind %q (want %q or %q)", ErrConfig, c.Kind, SGD, AdamW)
	case !in01(c.Momentum) || !in01(c.Beta1) || !in01(c.Beta2):
		return fmt.Errorf("%w: momentum and betas must be in [0, 1)", ErrConfig)
	case c.Eps < 0 || c.WeightDecay < 0 || !(c.WeightDecay < 1):
		return fmt.Errorf("%w: eps and weight_decay must be >= 0 (weight_decay < 1)", ErrConfig)
	}
	return nil
}

// State is everything an optimizer carries between steps; checkpoints store
// all of it. For SGD, M is the velocity and V is empty.
type State struct {
	M, V     [][]float32
	Beta1Pow float32 // Beta1^t after t steps (AdamW)
	Beta2Pow float32 // Beta2^t after t steps (AdamW)
}

// Optimizer updates parameters in place from their gradients.
type Optimizer struct {
	Config Config
	State  State
}

// New returns an optimizer for parameters of the given sizes.
func New(cfg Config, sizes []int) (*Optimizer, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := &Optimizer{Config: cfg, State: State{Beta1Pow: 1, Beta2Pow: 1}}
	for _, n := range sizes {
		o.State.M = append(o.State.M, make([]float32, n))
		if cfg.Kind == AdamW {
			o.State.V = append(o.State.V, make([]float32, n))
		}
	}
	return o, nil
}

// Step applies one update with learning rate lr. params[i] and grads[i] are
// the values and gradient of parameter i; a nil gradient (a parameter the
// loss does not reach) leaves the parameter and its state unchanged.
func (o *Optimizer) Step(lr float32, params, grads [][]float32) {
	c := o.Config
	if c.Kind == AdamW {
		o.State.Beta1Pow = float32(o.State.Beta1Pow * c.Beta1)
		o.State.Beta2Pow = float32(o.State.Beta2Pow * c.Beta2)
	}
	for i, p := range params {
		g := grads[i]
		if g == nil {
			continue
		}
		m := o.State.M[i]
		if c.Kind == SGD {
			for j := range p {
				p[j], m[j] = o.sgdElem(lr, p[j], g[j], m[j])
			}
			continue
		}
		v := o.State.V[i]
		for j := range p {
			p[j], m[j], v[j] = o.adamwElem(lr, p[j], g[j], m[j], v[j])
		}
	}
}

// sgdElem: g' = g + wd*p; m' = momentum*m + g'; p' = p - lr*m'.
func (o *Optimizer) sgdElem(lr, p, g, m float32) (float32, float32) {
	c := o.Config
	g += float32(c.WeightDecay * p)
	m = float32(c.Momentum*m) + g
	return p - float32(lr*m), m
}

// adamwElem is one AdamW element update with the bias-correction powers
// already advanced to this step:
//
//	p1 = p - (lr*wd)*p
//	m' = b1*m + (1-b1)*g
//	v' = b2*v + ((1-b2)*g)*g
//	p' = p1 - lr * ((m'/(1-b1^t)) / (Sqrt(v'/(1-b2^t)) + eps))
func (o *Optimizer) adamwElem(lr, p, g, m, v float32) (float32, float32, float32) {
	c := o.Config
	p -= float32(float32(lr*c.WeightDecay) * p)
	m = float32(c.Beta1*m) + float32((1-c.Beta1)*g)
	v = float32(c.Beta2*v) + float32(float32((1-c.Beta2)*g)*g)
	mh := m / (1 - o.State.Beta1Pow)
	vh := v / (1 - o.State.Beta2Pow)
	return p - float32(lr*(mh/(num.Sqrt(vh)+c.Eps))), m, v
}

// Element recomputes one element of the last Step: given that step's lr and
// the element's parameter, gradient and moments before the step, it returns
// the parameter and moments after it (v is ignored and returned as 0 for
// SGD). The optimizer's state must be the state after that step, so the
// bias-correction powers are the ones the step used.
func (o *Optimizer) Element(lr, p, g, m, v float32) (float32, float32, float32) {
	if o.Config.Kind == SGD {
		p, m = o.sgdElem(lr, p, g, m)
		return p, m, 0
	}
	return o.adamwElem(lr, p, g, m, v)
}

// GlobalNorm returns Sqrt(Sum(sq)) where sq[i] = Dot(grads[i], grads[i]) for
// the non-nil gradients in order; sq must have room for len(grads) values.
func GlobalNorm(grads [][]float32, sq []float32) float32 {
	sq = sq[:0]
	for _, g := range grads {
		if g != nil {
			sq = append(sq, kernel.Dot(g, g))
		}
	}
	return num.Sqrt(kernel.Sum(sq))
}

// ClipGlobalNorm scales all gradients by maxNorm / (norm + 1e-6) when their
// global norm exceeds maxNorm, and returns the norm before clipping.
// maxNorm <= 0 disables clipping.
func ClipGlobalNorm(grads [][]float32, maxNorm float32, sq []float32) float32 {
	norm := GlobalNorm(grads, sq)
	if maxNorm <= 0 || !(norm > maxNorm) {
		return norm
	}
	s := maxNorm / (norm + 1e-6)
	for _, g := range grads {
		for j := range g {
			g[j] = float32(g[j] * s)
		}
	}
	return norm
}
