// Command trainstep benchmarks one CE-v1 training step against PyTorch.
//
// For each training spec it measures a steady-state training step (next
// batch, forward, backward, clipping by global norm, optimizer update, with
// the spec's batch size) of our runtime (ml/train) and of the same
// architecture built in PyTorch float32 on the CPU (bench/trainstep/ref.py,
// embedded and run as a python3 subprocess; skipped when torch is not
// installed), and prints milliseconds per step and their ratio:
//
//	go run ./bench/trainstep [-specs examples/ml/digits-mlp.yaml,examples/ml/charlm.yaml]
//	                         [-reps 7] [-warmup 20] [-time 0.3] [-threads 0] [-ompwait PASSIVE]
//
// The machine may be shared, so every figure is the best of -reps timed
// runs of several steps each (the median is printed as well). A first table
// times the wall clock with all threads; a second one times single-threaded
// runs by process CPU time, which other processes competing for the cores
// do not inflate. No network access is needed: PyTorch trains on synthetic
// data of the same shapes (the cost of a step does not depend on the
// values), and the parameter counts of both models are compared to check
// that the architectures agree. PyTorch runs with OMP_WAIT_POLICY=PASSIVE
// (see -ompwait): its default spinning OpenMP threads are 10-40x slower on
// a machine shared with other jobs.
package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/hypha-network/hypha/ml/kernel"
	"github.com/hypha-network/hypha/ml/model"
	"github.com/hypha-network/hypha/ml/optim"
	"github.com/hypha-network/hypha/ml/tensor"
	"github.com/hypha-network/hypha/ml/train"

	"github.com/hypha-network/hypha/bench/internal/cputime"
)

//go:embed ref.py
var refScript string

func main() {
	specsFlag := flag.String("specs", "examples/ml/digits-mlp.yaml,examples/ml/charlm.yaml", "comma-separated training specs")
	reps := flag.Int("reps", 7, "timed runs per measurement (best is reported)")
	warmup := flag.Int("warmup", 20, "untimed warm-up steps")
	target := flag.Float64("time", 0.3, "approximate seconds per timed run (sets the steps per run)")
	threads := flag.Int("threads", 0, "threads for both runtimes (0: GOMAXPROCS)")
	noTorch := flag.Bool("notorch", false, "skip the PyTorch comparison")
	noCPU := flag.Bool("nocpu", false, "skip the single-thread CPU-time table")
	ompWait := flag.String("ompwait", "PASSIVE", "OMP_WAIT_POLICY for PyTorch (empty: inherit the environment)")
	flag.Parse()
	if *reps < 1 || *warmup < 0 || *target <= 0 {
		fatalf("bad -reps, -warmup or -time")
	}
	nthreads := *threads
	if nthreads <= 0 {
		nthreads = runtime.GOMAXPROCS(0)
	}

	var benches []*bench
	for _, p := range strings.Split(*specsFlag, ",") {
		b, err := load(strings.TrimSpace(p), *warmup, *target)
		if err != nil {
			fatalf("%v", err)
		}
		benches = append(benches, b)
	}

	fmt.Printf("CE-v1 training-step benchmark: %s/%s, matmul kernel %s, best of %d runs after %d warm-up steps\n",
		runtime.GOOS, runtime.GOARCH, kernel.Implementation(), *reps, *warmup)
	for _, b := range benches {
		fmt.Printf("  %-12s %s\n", b.cfg.Name, b.describe())
	}

	tables := []struct {
		title   string
		threads int
		cpu     bool
	}{{fmt.Sprintf("Wall clock, %d threads: ms/step best (median)", nthreads), nthreads, false}}
	if !*noCPU {
		tables = append(tables, struct {
			title   string
			threads int
			cpu     bool
		}{"One thread, by process CPU time (robust to other load): ms/step best (median)", 1, true})
	}
	for ti, tab := range tables {
		kernel.SetThreads(tab.threads)
		var torch torchResult
		note := "skipped (-notorch)"
		if !*noTorch {
			var err error
			torch, note, err = runTorch(benches, *reps, *warmup, tab.threads, tab.cpu, *ompWait)
			if err != nil {
				note = "unavailable: " + err.Error()
			}
		}
		if ti == 0 {
			fmt.Printf("PyTorch: %s\n", note)
		}
		fmt.Printf("\n%s\n", tab.title)
		fmt.Printf("%-12s %7s  %16s  %16s  %12s\n", "model", "threads", "ours", "pytorch", "ours/pytorch")
		for _, b := range benches {
			clock := wallClock
			if tab.cpu {
				clock = cpuClock
			}
			ours, err := b.measure(*reps, clock)
			if err != nil {
				fatalf("%s: %v", b.cfg.Name, err)
			}
			ref := torch.Models[b.cfg.Name]
			if ref.Params != 0 && ref.Params != b.params {
				fatalf("%s: PyTorch model has %d parameters, ours %d: architectures differ", b.cfg.Name, ref.Params, b.params)
			}
			th := fmt.Sprint(tab.threads)
			if torch.Threads != 0 && torch.Threads != tab.threads {
				th += fmt.Sprintf("/%d", torch.Threads)
			}
			fmt.Printf("%-12s %7s  %16s  %16s  %12s\n", b.cfg.Name, th, ours, ref.timing(), ratio(ours.best, ref.Best))
		}
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "trainstep: "+format+"\n", args...)
	os.Exit(1)
}

// modelConfig is what ref.py needs to build and train the same model.
type modelConfig struct {
	Name       string       `json:"name"`
	Kind       string       `json:"kind"`
	Batch      int          `json:"batch"`
	Inputs     int          `json:"inputs"`
	Classes    int          `json:"classes"`
	Hidden     []int        `json:"hidden"`
	Activation string       `json:"activation"`
	Dropout    float32      `json:"dropout"`
	Vocab      int          `json:"vocab"`
	Context    int          `json:"context"`
	Dim        int          `json:"dim"`
	Heads      int          `json:"heads"`
	Layers     int          `json:"layers"`
	MLPRatio   int          `json:"mlp_ratio"`
	Optimizer  optim.Config `json:"optimizer"`
	LR         float32      `json:"lr"`
	ClipNorm   float32      `json:"clip_norm"`
	Steps      int          `json:"steps"` // steps per timed run
}

// bench is one spec: our trainer, its parameter count and the PyTorch
// description.
type bench struct {
	cfg    modelConfig
	tr     *train.Trainer
	params int
}

// load builds the trainer for the spec at path (relative to the working
// directory or, failing that, to the module root), runs the warm-up steps
// and picks the steps per timed run from their duration.
func load(path string, warmup int, target float64) (*bench, error) {
	spec, err := train.LoadSpec(path)
	if errors.Is(err, os.ErrNotExist) {
		if root := moduleRoot(); root != "" && !filepath.IsAbs(path) {
			spec, err = train.LoadSpec(filepath.Join(root, path))
		}
	}
	if err != nil {
		return nil, err
	}
	tr, err := train.New(spec, spec.Seed)
	if err != nil {
		return nil, err
	}
	mc := spec.Model
	c := modelConfig{
		Name: spec.Name, Kind: mc.Kind, Batch: spec.Train.Batch, Classes: tr.Train.Classes,
		Hidden: mc.Hidden, Activation: mc.Activation, Dropout: mc.Dropout,
		Optimizer: spec.Optimizer.WithDefaults(), LR: spec.Schedule.LR, ClipNorm: spec.Train.ClipNorm,
	}
	if c.Activation == "" {
		c.Activation = "relu"
	}
	switch mc.Kind {
	case model.MLP:
		c.Inputs = tensor.Size(tr.Train.XShape)
	case model.Transformer:
		c.Vocab, c.Context = tr.Train.Classes, tr.Train.XShape[0]
		c.Dim, c.Heads, c.Layers, c.MLPRatio = mc.Dim, mc.Heads, mc.Layers, mc.MLPRatio
		if c.MLPRatio == 0 {
			c.MLPRatio = 4
		}
	default:
		return nil, fmt.Errorf("%s: model kind %q has no PyTorch twin in this bench (mlp, transformer)", path, mc.Kind)
	}
	b := &bench{cfg: c, tr: tr}
	for _, p := range tr.Model.G.Params {
		b.params += tr.Model.G.Size(p)
	}
	t0 := time.Now()
	for range max(warmup, 1) {
		if err := tr.Step(); err != nil {
			return nil, err
		}
	}
	per := time.Since(t0).Seconds() / float64(max(warmup, 1))
	b.cfg.Steps = max(3, int(target/per))
	return b, nil
}

// moduleRoot returns the directory holding go.mod above the working
// directory, or "".
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func (b *bench) describe() string {
	c := b.cfg
	var arch string
	if c.Kind == model.Transformer {
		arch = fmt.Sprintf("transformer vocab %d, context %d, d_model %d, %d heads, %d layers, MLP x%d, dropout %g",
			c.Vocab, c.Context, c.Dim, c.Heads, c.Layers, c.MLPRatio, c.Dropout)
	} else {
		arch = fmt.Sprintf("mlp %d-%s-%d %s", c.Inputs, strings.Trim(strings.ReplaceAll(fmt.Sprint(c.Hidden), " ", "-"), "[]"), c.Classes, c.Activation)
		if c.Dropout > 0 {
			arch += fmt.Sprintf(", dropout %g", c.Dropout)
		}
	}
	return fmt.Sprintf("%s; %s; batch %d; %d parameters; %d steps per run",
		arch, c.Optimizer.Kind, c.Batch, b.params, c.Steps)
}

// timing is a best and median time per step in seconds (zero: not measured).
type timing struct{ best, median float64 }

func (t timing) String() string {
	if t.best == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f (%.3f)", 1e3*t.best, 1e3*t.median)
}

func ratio(ours, ref float64) string {
	if ours == 0 || ref == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", ours/ref)
}

// measure runs one untimed step, then reps timed runs of cfg.Steps steps,
// and returns the best and median seconds per step by clock.
func (b *bench) measure(reps int, clock func() float64) (timing, error) {
	if err := b.tr.Step(); err != nil {
		return timing{}, err
	}
	per := make([]float64, reps)
	for i := range per {
		t := clock()
		for range b.cfg.Steps {
			if err := b.tr.Step(); err != nil {
				return timing{}, err
			}
		}
		per[i] = (clock() - t) / float64(b.cfg.Steps)
	}
	slices.Sort(per)
	return timing{best: per[0], median: per[len(per)/2]}, nil
}

var start = time.Now()

// wallClock returns seconds since start.
func wallClock() float64 { return time.Since(start).Seconds() }

// cpuClock returns the process's CPU time in seconds (garbage collection
// included).
func cpuClock() float64 { return cputime.Now().Seconds() }

// torchResult is ref.py's output.
type torchResult struct {
	Version string                 `json:"version"`
	Threads int                    `json:"threads"`
	Models  map[string]torchTiming `json:"models"`
}

type torchTiming struct {
	Best   float64 `json:"best"`
	Median float64 `json:"median"`
	Params int     `json:"params"`
}

func (t torchTiming) timing() timing { return timing{best: t.Best, median: t.Median} }

// runTorch runs ref.py with the first python3 that can import torch,
// /usr/bin/python3 first. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed
// from its environment so that OpenBLAS picks its own kernels for this CPU;
// with cpu the run is single-threaded (OpenBLAS and OpenMP too) and timed
// by process CPU time.
//
// ompWait, unless empty, replaces OMP_WAIT_POLICY. PyTorch's OpenMP threads
// spin between parallel regions by default; on a machine whose cores are
// busy with other processes the spinning thread takes the core from the one
// with work, and a training step of thousands of small parallel regions
// slows down 10-40x (digits-mlp: 15-40 ms instead of about 1 ms with two
// threads). PASSIVE makes idle threads sleep, like our helper goroutines.
func runTorch(benches []*bench, reps, warmup, threads int, cpu bool, ompWait string) (torchResult, string, error) {
	var env []string
	for _, kv := range os.Environ() {
		switch {
		case strings.HasPrefix(kv, "OPENBLAS_CORETYPE="), strings.HasPrefix(kv, "OPENBLAS_L2_SIZE="),
			strings.HasPrefix(kv, "OPENBLAS_NUM_THREADS="), strings.HasPrefix(kv, "OMP_NUM_THREADS="):
			continue
		case ompWait != "" && strings.HasPrefix(kv, "OMP_WAIT_POLICY="):
			continue
		}
		env = append(env, kv)
	}
	if ompWait != "" {
		env = append(env, "OMP_WAIT_POLICY="+ompWait)
	}
	clock := "wall"
	if cpu {
		clock = "cpu"
		env = append(env, "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1")
	}
	in := struct {
		Threads int           `json:"threads"`
		Clock   string        `json:"clock"`
		Warmup  int           `json:"warmup"`
		Reps    int           `json:"reps"`
		Models  []modelConfig `json:"models"`
	}{threads, clock, warmup, reps, nil}
	for _, b := range benches {
		in.Models = append(in.Models, b.cfg)
	}
	arg, err := json.Marshal(in)
	if err != nil {
		return torchResult{}, "", err
	}
	var lastErr error
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			lastErr = err
			continue
		}
		cmd := exec.Command(path, "-c", refScript, string(arg))
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
		var res torchResult
		if err := json.Unmarshal(out, &res); err != nil {
			return torchResult{}, "", fmt.Errorf("parsing PyTorch output: %v", err)
		}
		note := fmt.Sprintf("torch %s via %s, %d threads", res.Version, path, res.Threads)
		if ompWait != "" {
			note += ", OMP_WAIT_POLICY=" + ompWait
		}
		return res, note, nil
	}
	return torchResult{}, "", fmt.Errorf("no python3 with torch (install Debian's python3-torch and libopenblas0-pthread): %v", lastErr)
}
