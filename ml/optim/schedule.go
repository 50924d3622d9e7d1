package optim

import (
	"fmt"

	"github.com/hypha-network/hypha/ml/num"
)

// Kinds of learning-rate schedule.
const (
	Constant = "constant"
	StepLR   = "step"
	Cosine   = "cosine"
)

// Schedule maps a step number to a learning rate. Every kind supports a
// linear warmup: during the first Warmup steps lr = base * (step+1)/Warmup.
type Schedule struct {
	Kind   string  `yaml:"kind" json:"kind"`
	LR     float32 `yaml:"lr" json:"lr"`         // base learning rate
	Warmup int     `yaml:"warmup" json:"warmup"` // warmup steps
	// Step: multiply by Gamma every Every steps (after warmup).
	Every int     `yaml:"every" json:"every"`
	Gamma float32 `yaml:"gamma" json:"gamma"`
	// Cosine: decay from LR to MinLR over Total steps (warmup included).
	Total int     `yaml:"total" json:"total"`
	MinLR float32 `yaml:"min_lr" json:"min_lr"`
}

// Validate checks the schedule.
func (s Schedule) Validate() error {
	switch {
	case s.Kind != Constant && s.Kind != StepLR && s.Kind != Cosine:
		return fmt.Errorf("%w: schedule kind %q (want constant, step or cosine)", ErrConfig, s.Kind)
	case !(s.LR > 0) || s.Warmup < 0 || s.MinLR < 0:
		return fmt.Errorf("%w: lr must be > 0, warmup and min_lr >= 0", ErrConfig)
	case s.Kind == StepLR && (s.Every <= 0 || !(s.Gamma > 0)):
		return fmt.Errorf("%w: step schedule needs every > 0 and gamma > 0", ErrConfig)
	case s.Kind == Cosine && s.Total <= s.Warmup:
		return fmt.Errorf("%w: cosine schedule needs total > warmup", ErrConfig)
	}
	return nil
}

// At returns the learning rate of step t (counting from 0):
//
//	warmup:   LR * float32(t+1) / float32(Warmup)              for t < Warmup
//	constant: LR
//	step:     LR * Pow(Gamma, float32((t-Warmup)/Every))
//	cosine:   MinLR + (LR-MinLR) * (0.5 * (1 + Cos(pi*q))),
//	          q = min(1, float32(t-Warmup) / float32(Total-Warmup))
func (s Schedule) At(t uint64) float32 {
	if t < uint64(s.Warmup) {
		return float32(s.LR*float32(t+1)) / float32(s.Warmup)
	}
	a := t - uint64(s.Warmup)
	switch s.Kind {
	case StepLR:
		return float32(s.LR * num.Pow(s.Gamma, float32(a/uint64(s.Every))))
	case Cosine:
		q := float32(a) / float32(s.Total-s.Warmup)
		if q > 1 {
			q = 1
		}
		const pi float32 = 3.14159265358979323846
		c := float32(0.5 * (1 + num.Cos(float32(pi*q))))
		return s.MinLR + float32((s.LR-s.MinLR)*c)
	}
	return s.LR
}
