package yuma

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// tiedWeights draws rows whose values come from a tiny set, so that
// columns are full of equal scores (and equal normalized scores when rows
// share their support), and rows of every density.
func tiedWeights(r *rand.Rand, n, validators int) [][]Weight {
	w := make([][]Weight, n)
	density := r.Float64()
	levels := 1 + r.IntN(4)
	for i := 0; i < validators && i < n; i++ {
		for j := 0; j < n; j++ {
			if r.Float64() < density {
				w[i] = append(w[i], Weight{UID: uint32(j), Value: uint32(1 + r.IntN(levels))})
			}
		}
	}
	return w
}

// compareLegacy runs Epoch, EpochWith on a shared workspace and legacyEpoch
// on the same input and requires identical outputs, bit for bit.
func compareLegacy(t *testing.T, ws *Workspace, label string, p Params, in Input) Output {
	t.Helper()
	want, werr := legacyEpoch(p, in)
	got, gerr := Epoch(p, in)
	with, err := EpochWith(ws, p, in)
	if (werr == nil) != (gerr == nil) || (werr == nil) != (err == nil) {
		t.Fatalf("%s: errors differ: legacy %v, Epoch %v, EpochWith %v", label, werr, gerr, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: Epoch differs from the legacy implementation\n got %v\nwant %v", label, got, want)
	}
	if !reflect.DeepEqual(with, want) {
		t.Fatalf("%s: EpochWith differs from the legacy implementation", label)
	}
	return got
}

// TestLegacyBitIdentical requires the optimized epoch to reproduce the
// implementation it replaced (legacy_test.go) bit for bit, on random
// multi-epoch scenarios of both versions with every option, including
// columns full of ties, columns long enough for the selection path, and a
// workspace reused across differently sized epochs.
func TestLegacyBitIdentical(t *testing.T) {
	seeds := 1500
	if testing.Short() {
		seeds = 200
	}
	ws := NewWorkspace()
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
		var n int
		switch r.IntN(4) {
		case 0:
			n = r.IntN(300) // long columns: quickselect rounds
		default:
			n = r.IntN(48)
		}
		if n == 0 {
			n = r.IntN(2) // n = 0 sometimes
		}
		p := randParams(r, max(n, 1))
		var in Input
		if n == 0 {
			in = Input{Stake: []uint64{}}
		} else {
			in = randInput(r, n)
			if r.IntN(3) == 0 {
				in.Weights = tiedWeights(r, n, 1+r.IntN(n))
			}
			if r.IntN(4) == 0 {
				for i := range in.Stake { // equal stakes tie in medians too
					in.Stake[i] = uint64(r.IntN(3)) * 1000
				}
			}
			if r.IntN(2) == 0 {
				in.Bonds, _ = randBonds(r, n)
			}
		}
		epochs := 1 + r.IntN(4)
		for e := 0; e < epochs; e++ {
			out := compareLegacy(t, ws, fmt.Sprintf("seed %d epoch %d", seed, e), p, in)
			if n == 0 {
				break
			}
			in.Bonds, in.Permit = out.Bonds, out.NextPermit
			if r.IntN(2) == 0 {
				in.Weights = randWeights(r, n)
			}
		}
	}
}

// TestLegacyBitIdenticalBench compares the two implementations on the
// benchmark's subnet shapes (scaled down), in every mode.
func TestLegacyBitIdenticalBench(t *testing.T) {
	ws := NewWorkspace()
	for _, c := range []struct {
		n, v    int
		density float64
	}{{256, 64, 1}, {256, 64, 0.25}, {600, 100, 1}, {600, 100, 0.1}} {
		for _, version := range []Version{Yuma3, Yuma2} {
			for _, liquid := range []bool{false, true} {
				for _, penalty := range []Fixed{One, 0, Ratio(1, 3)} {
					p := DefaultParams()
					p.Version, p.LiquidAlpha, p.MaxValidators, p.BondPenalty = version, liquid, c.v, penalty
					in := benchInput(c.n, c.v, c.density, p)
					for e := 0; e < 2; e++ {
						out := compareLegacy(t, ws, "bench", p, in)
						in.Bonds, in.Permit = out.Bonds, out.NextPermit
					}
				}
			}
		}
	}
}

// TestMedianSelect compares the selection median with the legacy sorting
// median on random columns: every size around the sort cutoff and beyond,
// few or many distinct scores, scores spread over many binary orders (which
// take the radix select through many rounds), sorted and reversed orders,
// zero stakes, zero-score stake and random kappa.
func TestMedianSelect(t *testing.T) {
	r := rand.New(rand.NewPCG(99, 1))
	for k := 0; k < 100000; k++ {
		size := r.IntN(40)
		if r.IntN(4) == 0 {
			size = r.IntN(1000)
		}
		col := make([]scored, size)
		levels := uint64(1) << r.IntN(63)
		exponential := r.IntN(4) == 0 // scores spanning many binary orders
		var sum Fixed
		for i := range col {
			score := Fixed(r.Uint64N(levels) * (uint64(One) / levels))
			if exponential {
				score = One >> r.IntN(63)
				score -= Fixed(r.Uint64N(uint64(score)/4 + 1))
			}
			col[i] = scored{score: score, stake: Fixed(r.Uint64N(uint64(One) / 1024))}
			if r.IntN(10) == 0 {
				col[i].stake = 0
			}
			sum += col[i].stake
		}
		switch r.IntN(4) {
		case 0:
			slicesSortByScore(col, false)
		case 1:
			slicesSortByScore(col, true)
		}
		zero := Fixed(0)
		if r.IntN(2) == 0 {
			zero = Fixed(r.Uint64N(uint64(One) / 8))
		}
		total := sum + zero
		kappa := Fixed(r.Uint64N(uint64(total) + 2))
		if r.IntN(10) == 0 {
			kappa = 0 // the cumulative stake never exceeds the minority
		}
		orig := append([]scored(nil), col...)
		want := legacyWeightedMedian(col, nil, zero, total, kappa)
		if got := weightedMedian(col, nil, zero, total, kappa); got != want {
			t.Fatalf("case %d (size %d): median %v, legacy %v", k, size, got, want)
		}
		if !slices.Equal(col, orig) {
			t.Fatalf("case %d: weightedMedian modified its input", k)
		}
	}
}

// TestSigmoidUnchanged compares sigmoid with its legacy form.
func TestSigmoidUnchanged(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for k := 0; k < 300000; k++ {
		x := randFixed(r)
		s := int32(r.Uint32())
		if r.IntN(2) == 0 {
			s = int32(r.IntN(4001) - 2000)
		}
		if got, want := sigmoid(x, s), legacySigmoid(x, s); got != want {
			t.Fatalf("sigmoid(%v, %d) = %v, legacy %v", x, s, got, want)
		}
	}
}

// TestExpNegUnchanged compares expNegSmall with its legacy form on every
// argument it can take (all 2^24 values of rho), and expNeg on random and
// edge arguments.
func TestExpNegUnchanged(t *testing.T) {
	for rho := uint64(0); rho < 1<<24; rho++ {
		if got, want := expNegSmall(rho), legacyExpNegSmall(rho<<30); got != want {
			t.Fatalf("expNegSmall(%d) = %d, legacy %d", rho, got, want)
		}
	}
	r := rand.New(rand.NewPCG(5, 5))
	for k := 0; k < 1000000; k++ {
		u := r.Uint64()
		switch k % 4 {
		case 0:
			u >>= 26 // integer part below expMaxInt
		case 1:
			u = u>>58<<32 | uint64(r.IntN(3))<<24 | uint64(r.IntN(3))
		case 2:
			u = uint64(k)
		}
		if got, want := expNeg(u), legacyExpNeg(u); got != want {
			t.Fatalf("expNeg(%d) = %d, legacy %d", u, got, want)
		}
	}
}

// slicesSortByScore sorts a column by score, descending if desc.
func slicesSortByScore(col []scored, desc bool) {
	slices.SortFunc(col, func(x, y scored) int {
		if desc {
			return cmp.Compare(y.score, x.score)
		}
		return cmp.Compare(x.score, y.score)
	})
}

// TestEpochConcurrent runs epochs of different sizes from several goroutines
// at once, so that pooled workspaces pass between calls of every size, and
// requires each result to equal the legacy implementation's. Run it with
// -race to check that no workspace is shared by two epochs.
func TestEpochConcurrent(t *testing.T) {
	const workers, perWorker = 4, 40
	type job struct {
		p    Params
		in   Input
		want Output
	}
	jobs := make([][]job, workers)
	for g := range jobs {
		for k := 0; k < perWorker; k++ {
			r := rand.New(rand.NewPCG(uint64(g), uint64(k)))
			n := 1 + r.IntN(120)
			p, in := randParams(r, n), randInput(r, n)
			in.Bonds, _ = randBonds(r, n)
			want, err := legacyEpoch(p, in)
			if err != nil {
				t.Fatal(err)
			}
			jobs[g] = append(jobs[g], job{p, in, want})
		}
	}
	errs := make(chan error, workers)
	for g := range jobs {
		go func() {
			for k, j := range jobs[g] {
				got, err := Epoch(j.p, j.in)
				if err != nil || !reflect.DeepEqual(got, j.want) {
					errs <- fmt.Errorf("worker %d job %d: result differs (err %v)", g, k, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range jobs {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// FuzzLegacyBitIdentical feeds the fuzz inputs of FuzzEpoch, valid or not,
// to the optimized and the legacy implementation and requires the same
// result and the same error.
func FuzzLegacyBitIdentical(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"))
	seed := make([]byte, 512)
	for i := range seed {
		seed[i] = byte(i*131 + 7)
	}
	f.Add(seed)
	ws := NewWorkspace()
	f.Fuzz(func(t *testing.T, data []byte) {
		p, in := fuzzInput(data)
		want, werr := legacyEpoch(p, in)
		got, err := EpochWith(ws, p, in)
		if fmt.Sprint(err) != fmt.Sprint(werr) {
			t.Fatalf("error %v, legacy %v", err, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("result differs from the legacy implementation")
		}
	})
}
