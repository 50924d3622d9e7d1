// Command matmul benchmarks the canonical CE-v1 matrix multiplication.
//
// It prints GFLOP/s for square n×n×n products of the fast kernel
// (ml/kernel.MatMul), the reference triple loop (ml/kernel.MatMulRef) and
// PyTorch's CPU float32 matmul (run as a python3 subprocess; skipped when
// torch is not installed), and the ratios between them:
//
//	go run ./bench/matmul [-sizes 256,512,1024] [-reps 10] [-threads 0]
//
// The machine may be shared, so every figure is the best of -reps timed
// runs after a warm-up; the median is printed as well. A first table times
// the wall clock with all threads; a second one times single-threaded runs
// by thread CPU time, which other processes competing for the cores do not
// inflate (it is the rate of one core while the kernel holds it).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hypha-network/hypha/ml/kernel"
	"github.com/hypha-network/hypha/ml/rng"
)

func main() {
	sizesFlag := flag.String("sizes", "256,512,1024", "comma-separated matrix sizes")
	reps := flag.Int("reps", 10, "timed repetitions per measurement (best is reported)")
	threads := flag.Int("threads", 0, "threads for both Go and PyTorch (0: GOMAXPROCS)")
	noTorch := flag.Bool("notorch", false, "skip the PyTorch comparison")
	noRef := flag.Bool("noref", false, "skip the (slow) reference kernel")
	noCPU := flag.Bool("nocpu", false, "skip the single-thread CPU-time table")
	flag.Parse()

	var sizes []int
	for _, f := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "matmul: bad size %q\n", f)
			os.Exit(2)
		}
		sizes = append(sizes, n)
	}
	nthreads := *threads
	if nthreads <= 0 {
		nthreads = runtime.GOMAXPROCS(0)
	}
	kernel.SetThreads(nthreads)

	fmt.Printf("CE-v1 matmul benchmark: %s/%s, kernel %s, %d threads, best of %d runs\n",
		runtime.GOOS, runtime.GOARCH, kernel.Implementation(), nthreads, *reps)

	torch, torchNote := map[int]result{}, "skipped (-notorch)"
	if !*noTorch {
		var err error
		torch, torchNote, err = runTorch(sizes, *reps, nthreads, false)
		if err != nil {
			torchNote = "unavailable: " + err.Error()
		}
	}
	fmt.Printf("PyTorch: %s\n", torchNote)

	fmt.Printf("\nWall clock, %d threads: GFLOP/s best (median)\n", nthreads)
	header()
	for _, n := range sizes {
		a, b, c, cref := inputs(n)
		flops := 2 * float64(n) * float64(n) * float64(n)
		fast := measure(*reps, flops, wallClock, func() { kernel.MatMul(c, a, b, n, n, n, false, false) })
		var ref result
		if !*noRef {
			// The reference is slow: about two seconds of it per size.
			refReps := max(1, min(*reps, int(2e9/flops)))
			ref = measure(refReps, flops, wallClock, func() { kernel.MatMulRef(cref, a, b, n, n, n, false, false) })
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(cref[i]) {
					fmt.Fprintf(os.Stderr, "matmul: fast and reference kernels differ at n=%d element %d\n", n, i)
					os.Exit(1)
				}
			}
		}
		row(n, fast, ref, torch[n])
	}

	if *noCPU {
		return
	}
	// On a shared machine wall-clock figures measure the competition as
	// much as the kernel. Thread CPU time of a single-threaded run does
	// not: it is the throughput of one core while we actually hold it.
	kernel.SetThreads(1)
	torch1 := map[int]result{}
	if !*noTorch {
		torch1, _, _ = runTorch(sizes, *reps, 1, true)
	}
	fmt.Printf("\nOne thread, by thread CPU time (robust to other load): GFLOP/s best (median)\n")
	header()
	for _, n := range sizes {
		a, b, c, cref := inputs(n)
		flops := 2 * float64(n) * float64(n) * float64(n)
		fast := measure(*reps, flops, threadCPUTime, func() { kernel.MatMul(c, a, b, n, n, n, false, false) })
		var ref result
		if !*noRef {
			refReps := max(1, min(*reps, int(1e9/flops)))
			ref = measure(refReps, flops, threadCPUTime, func() { kernel.MatMulRef(cref, a, b, n, n, n, false, false) })
		}
		row(n, fast, ref, torch1[n])
	}
}

func header() {
	fmt.Printf("%6s  %16s  %16s  %16s  %9s  %10s\n", "n", "fast", "reference", "pytorch", "fast/ref", "fast/torch")
}

func row(n int, fast, ref, torch result) {
	fmt.Printf("%6d  %16s  %16s  %16s  %9s  %10s\n", n, fast, ref, torch, ratio(fast.best, ref.best), ratio(fast.best, torch.best))
}

// inputs returns deterministic standard-normal n×n inputs and two outputs.
func inputs(n int) (a, b, c, cref []float32) {
	a, b = make([]float32, n*n), make([]float32, n*n)
	rng.Normal(rng.Key{Seed: 1, Tensor: 1}, 0, a)
	rng.Normal(rng.Key{Seed: 1, Tensor: 2}, 0, b)
	return a, b, make([]float32, n*n), make([]float32, n*n)
}

// result is a best and median throughput in GFLOP/s (zero: not measured).
type result struct{ best, median float64 }

func (r result) String() string {
	if r.best == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f (%.1f)", r.best, r.median)
}

func ratio(x, y float64) string {
	if x == 0 || y == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", x/y)
}

// measure runs f once to warm up, then reps times, and returns the best
// and median rate, timing with clock.
func measure(reps int, flops float64, clock func() float64, f func()) result {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f()
	rates := make([]float64, reps)
	for i := range rates {
		t := clock()
		f()
		rates[i] = flops / (clock() - t) / 1e9
	}
	slices.Sort(rates)
	return result{best: rates[len(rates)-1], median: rates[len(rates)/2]}
}

var start = time.Now()

// wallClock returns seconds since start.
func wallClock() float64 { return time.Since(start).Seconds() }

// torchScript measures torch.matmul on float32 CPU tensors with the same
// best-of-reps protocol and prints one JSON object.
const torchScript = `
import json, sys, time
import torch
sizes, reps, threads = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
clock = time.thread_time if sys.argv[4] == "cpu" else time.perf_counter
torch.set_num_threads(threads)
out = {"version": torch.__version__, "threads": torch.get_num_threads(), "results": {}}
try:
    out["blas"] = [l.strip() for l in torch.__config__.show().splitlines() if "BLAS" in l][:1]
except Exception:
    pass
for n in sizes:
    a = torch.randn(n, n, dtype=torch.float32)
    b = torch.randn(n, n, dtype=torch.float32)
    torch.matmul(a, b)
    rates = []
    for _ in range(reps):
        t = clock()
        torch.matmul(a, b)
        rates.append(2 * n**3 / max(clock() - t, 1e-9) / 1e9)
    rates.sort()
    out["results"][str(n)] = [rates[-1], rates[len(rates) // 2]]
print(json.dumps(out))
`

// runTorch runs torchScript with the first python3 that can import torch.
// OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from its environment so
// that OpenBLAS picks its own kernels for this CPU. With cpuTime the
// measurement is single-threaded (OpenBLAS too) and timed by thread CPU
// time.
func runTorch(sizes []int, reps, threads int, cpuTime bool) (map[int]result, string, error) {
	var env []string
	for _, kv := range os.Environ() {
		switch {
		case strings.HasPrefix(kv, "OPENBLAS_CORETYPE="), strings.HasPrefix(kv, "OPENBLAS_L2_SIZE="),
			strings.HasPrefix(kv, "OPENBLAS_NUM_THREADS="), strings.HasPrefix(kv, "OMP_NUM_THREADS="):
			continue
		}
		env = append(env, kv)
	}
	mode := "wall"
	if cpuTime {
		mode = "cpu"
		env = append(env, "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1")
	}
	sizesJSON, _ := json.Marshal(sizes)
	var lastErr error
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			lastErr = err
			continue
		}
		cmd := exec.Command(path, "-c", torchScript, string(sizesJSON), strconv.Itoa(reps), strconv.Itoa(threads), mode)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			msg := strings.TrimSpace(stderr.String())
			if i := strings.LastIndex(msg, "\n"); i >= 0 {
				msg = msg[i+1:]
			}
			lastErr = fmt.Errorf("%s: %v: %s", path, err, msg)
			continue
		}
		var parsed struct {
			Version string               `json:"version"`
			Threads int                  `json:"threads"`
			BLAS    []string             `json:"blas"`
			Results map[string][]float64 `json:"results"`
		}
		if err := json.Unmarshal(out, &parsed); err != nil {
			return nil, "", fmt.Errorf("parsing torch output: %v", err)
		}
		res := map[int]result{}
		for k, v := range parsed.Results {
			n, _ := strconv.Atoi(k)
			if len(v) == 2 {
				res[n] = result{best: v[0], median: v[1]}
			}
		}
		note := fmt.Sprintf("torch %s via %s, %d threads", parsed.Version, path, parsed.Threads)
		if blas := blasLibrary(path); blas != "" {
			note += ", BLAS " + blas
		}
		return res, note, nil
	}
	return nil, "", fmt.Errorf("no python3 with torch (install Debian's python3-torch and libopenblas0-pthread): %v", lastErr)
}

// blasLibrary reports which libblas.so.3 the Debian alternatives system
// selects, since Debian's torch without OpenBLAS falls back to the slow
// reference BLAS.
func blasLibrary(python string) string {
	out, err := exec.Command(python, "-c",
		"import torch, os\n"+
			"for l in open('/proc/self/maps'):\n"+
			"    if 'blas' in l:\n"+
			"        print(os.path.realpath(l.split()[-1])); break\n").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
