// Command yuma benchmarks one Yuma consensus epoch (package
// x/subnet/yuma) against the targets and against the dense float64
// reference implementation (package x/subnet/yuma/ref):
//
//	go run ./bench/yuma            # the four target cases
//	go run ./bench/yuma -all       # also Yuma 2 and liquid alpha
//	go run ./bench/yuma -case n=4096 -refreps 0 -cpuprofile cpu.prof
//
// Each case is a subnet of n uids in which V staked validators weight a
// fraction (the density) of the other uids with u16-scale weights, after
// three warm-up epochs that form bonds; the default parameters apply, with
// MaxValidators = V. Times are process CPU time (user + system, from
// getrusage, so garbage collection counts), because wall time on a shared
// machine measures the other tenants. Each measurement is repeated and the
// table shows the best and the median repetition; a case passes when its
// median is within the target: 2 ms per epoch for n=256/V=64 and 40 ms for
// n=4096/V=256 on a 2-core machine, for every mode (-all adds liquid alpha
// and Yuma 2 to the default Yuma 3 with fixed alpha). The
// reference column is the float64 reference's median CPU time on the same
// input, the ratio is fixed-point over reference time, and max |Δ| is the
// largest difference between their outputs.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hypha-network/hypha/x/subnet/yuma"
	"github.com/hypha-network/hypha/x/subnet/yuma/ref"

	"github.com/hypha-network/hypha/bench/internal/cputime"
)

// benchCase is one subnet shape and parameter set.
type benchCase struct {
	n, v    int
	density float64
	version yuma.Version
	liquid  bool
	target  time.Duration // 0: no target
}

func (c benchCase) name() string {
	mode := c.version.String()
	if c.liquid {
		mode += "+liquid"
	}
	return fmt.Sprintf("n=%d V=%d density=%g %s", c.n, c.v, c.density, mode)
}

// cases returns the target cases and, with all, the other modes.
func cases(all bool) []benchCase {
	var out []benchCase
	modes := []struct {
		version yuma.Version
		liquid  bool
	}{{yuma.Yuma3, false}}
	if all {
		modes = append(modes, struct {
			version yuma.Version
			liquid  bool
		}{yuma.Yuma3, true}, struct {
			version yuma.Version
			liquid  bool
		}{yuma.Yuma2, false})
	}
	for _, m := range modes {
		for _, s := range []struct {
			n, v   int
			target time.Duration
		}{{256, 64, 2 * time.Millisecond}, {4096, 256, 40 * time.Millisecond}} {
			for _, d := range []float64{1, 0.1} {
				out = append(out, benchCase{n: s.n, v: s.v, density: d, version: m.version, liquid: m.liquid, target: s.target})
			}
		}
	}
	return out
}

// subnet builds the benchmark input: v validators with stake, each
// weighting a random density fraction of the uids v..n-1 with u16-scale
// weights, and bonds and permits from three warm-up epochs. It draws the
// same subnets as the package's go test benchmarks.
func subnet(c benchCase, p yuma.Params) yuma.Input {
	r := rand.New(rand.NewPCG(uint64(c.n), uint64(c.v)))
	in := yuma.Input{N: c.n, Stake: make([]uint64, c.n), Weights: make([][]yuma.Weight, c.n)}
	for i := 0; i < c.v; i++ {
		in.Stake[i] = 1_000_000 + r.Uint64N(1_000_000_000_000)
		for j := c.v; j < c.n; j++ {
			if r.Float64() < c.density {
				in.Weights[i] = append(in.Weights[i], yuma.Weight{UID: uint32(j), Value: 1 + r.Uint32N(65535)})
			}
		}
	}
	for e := 0; e < 3; e++ {
		out, err := yuma.Epoch(p, in)
		if err != nil {
			panic(err)
		}
		in.Bonds, in.Permit = out.Bonds, out.NextPermit
	}
	return in
}

// fx converts a Fixed to float64.
func fx(f yuma.Fixed) float64 { return float64(f) / float64(yuma.One) }

// toRef converts params, input and bonds to the reference's types.
func toRef(p yuma.Params, in yuma.Input) (ref.Params, ref.Input, [][]float64) {
	rp := ref.Params{
		Yuma2:                 p.Version == yuma.Yuma2,
		Kappa:                 fx(p.Kappa),
		BondPenalty:           fx(p.BondPenalty),
		BondsMovingAverage:    fx(p.BondsMovingAverage),
		LiquidAlpha:           p.LiquidAlpha,
		AlphaLow:              fx(p.AlphaLow),
		AlphaHigh:             fx(p.AlphaHigh),
		AlphaSigmoidSteepness: p.AlphaSigmoidSteepness,
		MaxValidators:         p.MaxValidators,
	}
	ri := ref.Input{
		N: in.N, Stake: in.Stake, Permit: in.Permit,
		LastUpdate: in.LastUpdate, RegisteredAt: in.RegisteredAt,
		Block: in.Block, ActivityCutoff: in.ActivityCutoff, LastEpochBlock: in.LastEpochBlock,
		HasOwner: in.HasOwner, OwnerUID: in.OwnerUID,
		Weights: make([][]ref.Weight, in.N),
	}
	for i, row := range in.Weights {
		for _, e := range row {
			ri.Weights[i] = append(ri.Weights[i], ref.Weight{UID: e.UID, Value: e.Value})
		}
	}
	bonds := ref.Dense(in.N)
	for i, row := range in.Bonds {
		for _, e := range row {
			bonds[i][e.UID] = fx(e.Value)
		}
	}
	return rp, ri, bonds
}

// maxDelta returns the largest difference between the two outputs.
func maxDelta(got yuma.Output, want ref.Output) float64 {
	var d float64
	vec := func(a []yuma.Fixed, b []float64) {
		for i := range a {
			d = max(d, math.Abs(fx(a[i])-b[i]))
		}
	}
	vec(got.Consensus, want.Consensus)
	vec(got.Incentive, want.Incentive)
	vec(got.Dividends, want.Dividends)
	vec(got.ValidatorTrust, want.ValidatorTrust)
	for i, row := range want.Bonds {
		k := 0
		for j, b := range row {
			var g float64
			if k < len(got.Bonds[i]) && int(got.Bonds[i][k].UID) == j {
				g = fx(got.Bonds[i][k].Value)
				k++
			}
			d = max(d, math.Abs(g-b))
		}
	}
	return d
}

// measure runs f in reps repetitions of at least minTime CPU time each (at
// least one call) after a warm-up call, and returns the CPU time per call
// of every repetition, sorted.
func measure(reps int, minTime time.Duration, f func()) []time.Duration {
	// Warm up (caches, workspace memory, page faults) and time the call to
	// choose the calls per repetition.
	start := cputime.Now()
	f()
	one := max(cputime.Now()-start, time.Microsecond)
	calls := max(1, int(minTime/one))
	per := make([]time.Duration, reps)
	for r := range per {
		runtime.GC() // start every repetition from a collected heap
		start := cputime.Now()
		for range calls {
			f()
		}
		per[r] = (cputime.Now() - start) / time.Duration(calls)
	}
	slices.Sort(per)
	return per
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
}

func main() {
	all := flag.Bool("all", false, "also run Yuma 2 and liquid alpha")
	reps := flag.Int("reps", 7, "repetitions of each fixed-point measurement")
	minTime := flag.Duration("min", 200*time.Millisecond, "CPU time per repetition")
	refReps := flag.Int("refreps", 3, "repetitions of each reference measurement (0 skips the reference)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file (with -refreps 0, of the fixed-point epochs only)")
	strict := flag.Bool("strict", false, "exit with status 1 if a case misses its target")
	only := flag.String("case", "", "run only the cases whose name contains this string")
	flag.Parse()
	var cs []benchCase
	for _, c := range cases(*all) {
		if strings.Contains(c.name(), *only) {
			cs = append(cs, c)
		}
	}
	if err := run(os.Stdout, os.Stderr, cs, *reps, *refReps, *minTime, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "yuma bench:", err)
		if err != errMissed || *strict {
			os.Exit(1)
		}
	}
}

// errMissed reports that a case missed its target.
var errMissed = errors.New("a case missed its target")

// run measures the cases and prints the table to w, and progress to log.
func run(w, log io.Writer, cs []benchCase, reps, refReps int, minTime time.Duration, cpuProfile string) error {
	fmt.Fprintf(w, "Yuma epoch: CPU time per epoch (getrusage user+sys), best and median of %d repetitions\n", reps)
	fmt.Fprintf(w, "%s %s/%s, GOMAXPROCS=%d, NumCPU=%d%s\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH,
		runtime.GOMAXPROCS(0), runtime.NumCPU(), loadAverage())
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tnnz\tfixed best\tfixed median\tfloat64 ref\tfixed/ref\tmax |Δ|\ttarget\tresult\t")
	missed := false
	for _, c := range cs {
		fmt.Fprintf(log, "running: %s\n", c.name())
		p := yuma.DefaultParams()
		p.Version, p.LiquidAlpha, p.MaxValidators = c.version, c.liquid, c.v
		in := subnet(c, p)
		nnz := 0
		for _, row := range in.Weights {
			nnz += len(row)
		}
		ws := yuma.NewWorkspace()
		var out yuma.Output
		fixed := measure(reps, minTime, func() {
			var err error
			if out, err = yuma.EpochWith(ws, p, in); err != nil {
				panic(err)
			}
		})
		median := fixed[len(fixed)/2]
		refTime, ratio, delta := "-", "-", "-"
		if refReps > 0 {
			rp, ri, rb := toRef(p, in)
			var want ref.Output
			rt := measure(refReps, 0, func() { want = ref.Epoch(rp, ri, rb) })
			refMedian := rt[len(rt)/2]
			refTime = ms(refMedian)
			ratio = fmt.Sprintf("%.4f (%.0f× faster)", float64(median)/float64(refMedian), float64(refMedian)/float64(median))
			delta = fmt.Sprintf("%.2g", maxDelta(out, want))
		}
		target, result := "-", "-"
		if c.target > 0 {
			target = fmt.Sprintf("≤ %g ms", float64(c.target)/float64(time.Millisecond))
			result = "PASS"
			if median > c.target {
				result, missed = "FAIL", true
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", c.name(), nnz, ms(fixed[0]), ms(median), refTime, ratio, delta, target, result)
		fmt.Fprintf(log, "done: %s\n", c.name())
	}
	tw.Flush()
	if missed {
		return errMissed
	}
	return nil
}

// loadAverage returns ", load average X" where the system reports it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return ", load average " + strings.Join(f[:3], " ")
}
