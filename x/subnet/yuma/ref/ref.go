// Package ref is a dense float64 reference implementation of one Yuma
// consensus epoch, the algorithm that package yuma
// (github.com/hypha-network/hypha/x/subnet/yuma) computes in fixed point. It
// is written independently of the fixed-point code and as directly as
// possible from docs/yuma.md, on dense n x n matrices (O(n^2) memory and
// time, and worse). It serves two purposes: yuma's property tests require
// yuma.Epoch to agree with it, and bench/yuma times both.
//
// It uses floating point and is not deterministic across platforms in the
// last bits: never use it in the chain's state machine. It does not import
// package yuma (whose tests import it), so its types carry plain numbers:
// proportions as float64 in [0, 1].
package ref

import (
	"math"
	"sort"
)

// Weight is one entry of a validator's sparse weight row, as yuma.Weight.
type Weight struct {
	UID   uint32
	Value uint32
}

// Params mirrors yuma.Params with proportions as float64.
type Params struct {
	// Yuma2 selects Yuma 2 (original Yuma); false is Yuma 3.
	Yuma2                                  bool
	Kappa, BondPenalty, BondsMovingAverage float64
	LiquidAlpha                            bool
	AlphaLow, AlphaHigh                    float64
	AlphaSigmoidSteepness                  int32
	MaxValidators                          int
}

// Input mirrors yuma.Input, without the bonds (Epoch takes them dense).
type Input struct {
	N                                     int
	Stake                                 []uint64
	Permit                                []bool
	Weights                               [][]Weight
	LastUpdate, RegisteredAt              []uint64
	Block, ActivityCutoff, LastEpochBlock uint64
	HasOwner                              bool
	OwnerUID                              uint32
}

// Output mirrors yuma.Output in float64 with dense bonds.
type Output struct {
	NextPermit                                      []bool
	Consensus, Incentive, Dividends, ValidatorTrust []float64
	Bonds                                           [][]float64
	// MinNorm is the smallest non-zero total the epoch divided by (rank
	// total, dividend total, bond column sums): outputs normalized
	// by a total T carry a fixed-point error of about n*2^-62/T.
	MinNorm float64
}

// note records a normalizing total.
func (o *Output) note(total float64) {
	if total > 0 && (o.MinNorm == 0 || total < o.MinNorm) {
		o.MinNorm = total
	}
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

func colSums(m [][]float64) []float64 {
	s := make([]float64, len(m))
	for i := range m {
		for j := range m[i] {
			s[j] += m[i][j]
		}
	}
	return s
}

// Dense returns an n x n zero matrix.
func Dense(n int) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	return m
}

func refNormalize(v []float64) {
	var s float64
	for _, x := range v {
		s += x
	}
	if s == 0 {
		return
	}
	for i := range v {
		v[i] /= s
	}
}

func refColNormalize(m [][]float64) {
	n := len(m)
	for j := 0; j < n; j++ {
		var s float64
		for i := 0; i < n; i++ {
			s += m[i][j]
		}
		if s == 0 {
			continue
		}
		for i := 0; i < n; i++ {
			m[i][j] /= s
		}
	}
}

// refTopK selects permits by repeated selection of the largest stake, lower
// uid first on ties.
func refTopK(stake []uint64, k int) []bool {
	p := make([]bool, len(stake))
	for c := 0; c < k; c++ {
		best := -1
		for i, s := range stake {
			if s > 0 && !p[i] && (best < 0 || s > stake[best]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		p[best] = true
	}
	return p
}

// refMedian returns the smallest score whose cumulative stake exceeds
// total-kappa, or the largest score.
func refMedian(stake, score []float64, kappa float64) float64 {
	var total float64
	idx := []int{}
	for i, s := range stake {
		if s > 0 {
			total += s
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return 0
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] < score[idx[b]] })
	var cum float64
	for a := 0; a < len(idx); {
		v := score[idx[a]]
		for ; a < len(idx) && score[idx[a]] == v; a++ {
			cum += stake[idx[a]]
		}
		if cum+kappa > total {
			return v
		}
	}
	return score[idx[len(idx)-1]]
}

func refSigmoidAlpha(p Params, c, w, b float64) float64 {
	var diff float64
	if w >= b {
		diff = math.Max(w-c, 0)
	} else {
		diff = b - w
	}
	diff = math.Min(diff, 1)
	steep := float64(p.AlphaSigmoidSteepness) / 100
	sig := 1 / (1 + math.Exp(-steep*(diff-0.5)))
	lo, hi := p.AlphaLow, p.AlphaHigh
	return math.Min(math.Max(lo+sig*(hi-lo), lo), hi)
}

// Epoch runs one epoch in float64 on dense matrices: oldBonds[i][j] is
// validator i's bond in uid j from the previous epoch (nil for none).
func Epoch(p Params, in Input, oldBonds [][]float64) Output {
	n := in.N
	out := Output{NextPermit: refTopK(in.Stake, p.MaxValidators)}
	permit := in.Permit
	if permit == nil {
		permit = out.NextPermit
	}
	active := func(i int) bool {
		return in.LastUpdate == nil || in.LastUpdate[i]+in.ActivityCutoff >= in.Block
	}
	s := make([]float64, n)
	for i := 0; i < n; i++ {
		if permit[i] && active(i) {
			s[i] = float64(in.Stake[i])
		}
	}
	refNormalize(s)

	W := Dense(n)
	for i := 0; i < n; i++ {
		if in.Weights == nil || !permit[i] {
			continue
		}
		for _, e := range in.Weights[i] {
			j := int(e.UID)
			if j == i && !(in.HasOwner && int(in.OwnerUID) == i) {
				continue
			}
			if in.LastUpdate != nil && in.RegisteredAt != nil && in.LastUpdate[i] <= in.RegisteredAt[j] {
				continue
			}
			W[i][j] = float64(e.Value)
		}
		refNormalize(W[i])
	}

	kappa := p.Kappa
	out.Consensus = make([]float64, n)
	col := make([]float64, n)
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			col[i] = W[i][j]
		}
		out.Consensus[j] = refMedian(s, col, kappa)
	}
	C := Dense(n)
	out.ValidatorTrust = make([]float64, n)
	ranks := make([]float64, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			C[i][j] = math.Min(W[i][j], out.Consensus[j])
			out.ValidatorTrust[i] += C[i][j]
			ranks[j] += C[i][j] * s[i]
		}
	}
	out.note(sum(ranks))
	refNormalize(ranks)
	out.Incentive = ranks

	beta := p.BondPenalty
	WB := Dense(n)
	for i := range WB {
		for j := range WB[i] {
			WB[i][j] = W[i][j] - beta*(W[i][j]-C[i][j])
		}
	}
	B := Dense(n)
	for i := range B {
		for j := range B[i] {
			fresh := in.RegisteredAt == nil || in.LastEpochBlock > in.RegisteredAt[j]
			if oldBonds != nil && fresh {
				B[i][j] = oldBonds[i][j]
			}
		}
	}
	alpha := 1 - p.BondsMovingAverage
	out.Dividends = make([]float64, n)
	if p.Yuma2 {
		refColNormalize(B)
		D := Dense(n)
		for i := range D {
			for j := range D[i] {
				D[i][j] = WB[i][j] * s[i]
			}
		}
		for _, t := range colSums(D) {
			out.note(t)
		}
		refColNormalize(D)
		for i := range B {
			for j := range B[i] {
				B[i][j] = alpha*D[i][j] + (1-alpha)*B[i][j]
			}
		}
		refColNormalize(B)
		for i := range B {
			for j := range B[i] {
				out.Dividends[i] += B[i][j] * out.Incentive[j]
			}
		}
	} else {
		liquid := false
		for _, c := range out.Consensus {
			liquid = liquid || (p.LiquidAlpha && c != 0)
		}
		for i := range B {
			for j := range B[i] {
				a := alpha
				if liquid {
					a = refSigmoidAlpha(p, out.Consensus[j], WB[i][j], B[i][j])
				}
				B[i][j] = math.Min((1-a)*B[i][j]+a*WB[i][j], 1)
			}
		}
		// Dividends come from the column-normalized bonds (subtensor's
		// inplace_col_normalize; a zero column stays zero), while the bonds
		// themselves are kept as proportions.
		Bn := Dense(n)
		for i := range B {
			copy(Bn[i], B[i])
		}
		for _, t := range colSums(Bn) {
			out.note(t)
		}
		refColNormalize(Bn)
		for i := range Bn {
			var t float64
			for j := range Bn[i] {
				t += Bn[i][j] * out.Incentive[j]
			}
			out.Dividends[i] = t * s[i]
		}
	}
	out.note(sum(out.Dividends))
	refNormalize(out.Dividends)
	out.Bonds = B
	return out
}
