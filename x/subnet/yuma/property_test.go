package yuma

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// referenceTolerance is the agreement the issue requires between Epoch and
// the float64 reference.
const referenceTolerance = 1e-6

// wellConditioned is the smallest normalizing total for which
// referenceTolerance is required as is. Below it the Q2.62 rounding error,
// about n*2^-62/T, is amplified by the division; the tolerance then scales
// by wellConditioned/T. Such totals need every weight that reaches
// consensus to be ~1e-9 of its row (see docs/yuma.md, "Precision").
const wellConditioned = 1e-10

// randFixed returns a random Fixed in [0, One].
func randFixed(r *rand.Rand) Fixed { return Fixed(r.Uint64N(uint64(One) + 1)) }

// randParams draws parameters covering both versions, liquid alpha on and
// off, and every range.
func randParams(r *rand.Rand, n int) Params {
	p := Params{
		Version:               Version(r.IntN(2)),
		Kappa:                 randFixed(r),
		BondPenalty:           randFixed(r),
		BondsMovingAverage:    randFixed(r),
		LiquidAlpha:           r.IntN(2) == 0,
		AlphaLow:              randFixed(r),
		AlphaHigh:             randFixed(r),
		AlphaSigmoidSteepness: int32(r.IntN(4001) - 2000),
		MaxValidators:         r.IntN(n + 3),
	}
	if p.AlphaLow > p.AlphaHigh {
		p.AlphaLow, p.AlphaHigh = p.AlphaHigh, p.AlphaLow
	}
	switch r.IntN(4) { // common special values
	case 0:
		p.BondPenalty = One
	case 1:
		p.BondPenalty = 0
	}
	return p
}

// randWeights draws sparse rows with random density, including explicit
// zero weights, tiny and full-range values.
func randWeights(r *rand.Rand, n int) [][]Weight {
	w := make([][]Weight, n)
	density := 0.05 + 0.6*r.Float64()
	for i := range w {
		if r.IntN(4) == 0 {
			continue
		}
		for j := 0; j < n; j++ {
			if r.Float64() >= density {
				continue
			}
			var v uint32
			switch r.IntN(10) {
			case 0:
				v = 0
			case 1:
				v = uint32(1 + r.IntN(65535)) // u16-scale row
			case 2:
				v = uint32(1 + r.IntN(16)) // tiny next to full-range values
			default:
				v = r.Uint32()
			}
			w[i] = append(w[i], Weight{UID: uint32(j), Value: v})
		}
	}
	return w
}

// randInput draws an epoch input with optional activity, registration,
// permit and owner data.
func randInput(r *rand.Rand, n int) Input {
	in := Input{N: n, Stake: make([]uint64, n), Weights: randWeights(r, n)}
	for i := range in.Stake {
		if r.IntN(5) > 0 {
			in.Stake[i] = 1 + r.Uint64N(1<<40)
		}
	}
	if r.IntN(2) == 0 {
		in.Permit = make([]bool, n)
		for i := range in.Permit {
			in.Permit[i] = r.IntN(3) > 0
		}
	}
	if r.IntN(2) == 0 {
		in.Block = 1000
		in.ActivityCutoff = r.Uint64N(200)
		in.LastEpochBlock = 900 + r.Uint64N(100)
		in.LastUpdate = make([]uint64, n)
		in.RegisteredAt = make([]uint64, n)
		for i := 0; i < n; i++ {
			in.LastUpdate[i] = 700 + r.Uint64N(301)
			in.RegisteredAt[i] = r.Uint64N(1000)
			if r.IntN(2) == 0 {
				in.RegisteredAt[i] = r.Uint64N(100)
			}
		}
	}
	if r.IntN(2) == 0 {
		in.HasOwner, in.OwnerUID = true, uint32(r.IntN(n))
	}
	return in
}

// randBonds draws sparse starting bonds in [0, One] and their float copy.
func randBonds(r *rand.Rand, n int) ([][]Bond, [][]float64) {
	b := make([][]Bond, n)
	f := dense(n)
	for i := range b {
		for j := 0; j < n; j++ {
			if r.IntN(3) == 0 {
				v := randFixed(r)
				b[i] = append(b[i], Bond{UID: uint32(j), Value: v})
				f[i][j] = fx(v)
			}
		}
	}
	return b, f
}

// maxDiff returns the largest |a_i - b_i|.
func maxDiff(a []Fixed, b []float64) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(fx(a[i])-b[i]))
	}
	return d
}

func bondsDiff(a [][]Bond, b [][]float64) float64 {
	var d float64
	for i, row := range b {
		got := make([]float64, len(row))
		for _, e := range a[i] {
			got[e.UID] = fx(e.Value)
		}
		for j := range row {
			d = max(d, math.Abs(got[j]-row[j]))
		}
	}
	return d
}

// TestEpochMatchesReference runs multi-epoch random scenarios through Epoch
// and the float64 reference, carrying each one's own bonds, and requires
// every output to agree within referenceTolerance.
func TestEpochMatchesReference(t *testing.T) {
	seeds := 3000
	if testing.Short() {
		seeds = 300
	}
	var worst float64
	worstSeed, illConditioned := 0, 0
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
		n := 1 + r.IntN(40)
		p := randParams(r, n)
		in := randInput(r, n)
		var fb [][]float64
		if r.IntN(2) == 0 {
			in.Bonds, fb = randBonds(r, n)
		}
		epochs := 1 + r.IntN(5)
		for e := 0; e < epochs; e++ {
			got, err := Epoch(p, in)
			if err != nil {
				t.Fatalf("seed %d epoch %d: %v", seed, e, err)
			}
			want := refEpoch(p, in, fb)
			tol := referenceTolerance
			if want.minNorm > 0 && want.minNorm < wellConditioned {
				tol *= wellConditioned / want.minNorm
				illConditioned++
			}
			for _, c := range []struct {
				name string
				d    float64
			}{
				{"consensus", maxDiff(got.Consensus, want.consensus)},
				{"incentive", maxDiff(got.Incentive, want.incentive)},
				{"dividends", maxDiff(got.Dividends, want.dividends)},
				{"validator trust", maxDiff(got.ValidatorTrust, want.valTrust)},
				{"bonds", bondsDiff(got.Bonds, want.bonds)},
			} {
				if c.d > worst && tol == referenceTolerance {
					worst, worstSeed = c.d, seed
				}
				if c.d > tol {
					t.Errorf("seed %d epoch %d (%v, n=%d, liquid=%v): %s differs from the reference by %.3g", seed, e, p.Version, n, p.LiquidAlpha, c.name, c.d)
				}
			}
			for i := range want.nextPermit {
				if got.NextPermit[i] != want.nextPermit[i] {
					t.Fatalf("seed %d epoch %d: permit %d = %v, reference %v", seed, e, i, got.NextPermit[i], want.nextPermit[i])
				}
			}
			// Next epoch: carry bonds and permits, sometimes new weights.
			in.Bonds, fb = got.Bonds, want.bonds
			in.Permit = got.NextPermit
			if r.IntN(2) == 0 {
				in.Weights = randWeights(r, n)
			}
		}
	}
	t.Logf("max |fixed - float64| over %d seeds: %.3g (seed %d); %d ill-conditioned epochs checked at a scaled tolerance", seeds, worst, worstSeed, illConditioned)
}

// TestOmittedEqualsZero checks that adding explicit zero weights never
// changes an epoch, in either version and with liquid alpha on or off.
func TestOmittedEqualsZero(t *testing.T) {
	for seed := 0; seed < 300; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		n := 1 + r.IntN(24)
		p := randParams(r, n)
		in := randInput(r, n)
		in.Bonds, _ = randBonds(r, n)
		// Drop zeros, then re-add a zero for every missing uid.
		sparse := make([][]Weight, n)
		full := make([][]Weight, n)
		for i, row := range in.Weights {
			k := 0
			for j := 0; j < n; j++ {
				if k < len(row) && int(row[k].UID) == j {
					if row[k].Value != 0 {
						sparse[i] = append(sparse[i], row[k])
					}
					full[i] = append(full[i], row[k])
					k++
				} else {
					full[i] = append(full[i], Weight{UID: uint32(j)})
				}
			}
		}
		in.Weights = sparse
		a, err := Epoch(p, in)
		if err != nil {
			t.Fatal(err)
		}
		in.Weights = full
		b, err := Epoch(p, in)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("seed %d: explicit zero weights changed the epoch", seed)
		}
	}
}
