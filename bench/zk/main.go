// Command zk measures zk inference on a 784-32-10 int8 MLP (deterministic
// pseudo-random weights and inputs from quant.Random: there is no MNIST
// here, and cost does not depend on the weights' values).
//
//	go run ./bench/zk [-reps 5] [-private] [-dir /tmp/hypha-zk-bench] [-reuse]
//
// For each mode it prints the constraint count, the ceremony time (two
// phase-1 and two phase-2 contributions with zk/setup, then verification
// of the transcript, which yields the keys), the best and median prove
// time, the verify time, the proof size and the peak memory of proving,
// each beside its ratio to EZKL's published 784-56-10 MLP figures (2.66 s
// and 221 MB, ZKML-Benchmark, EZKL v7.1.4).
//
// Every measurement runs in a child process (this binary re-executed with
// -child), and peak memory is that child's maximum resident set size from
// getrusage (os.ProcessState.SysUsage, ru_maxrss), so it includes loading
// the keys and the Go runtime. The machine may be shared: times are best of
// -reps, with the median beside, and each time is also given as the
// process's CPU time (getrusage), which waiting for a core does not inflate.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/consensys/gnark/logger"

	"github.com/hypha-network/hypha/ml/quant"
	"github.com/hypha-network/hypha/zk/circuit"
	"github.com/hypha-network/hypha/zk/groth"
	"github.com/hypha-network/hypha/zk/setup"
)

// EZKL's published figures for a 784-56-10 MLP (Halo2-KZG, scale 2^4).
const (
	ezklProveS = 2.66
	ezklMemMB  = 221.0
)

// result is what a child prints as JSON on its last line.
type result struct {
	Constraints int       `json:"constraints,omitempty"`
	Seconds     []float64 `json:"seconds,omitempty"`
	CPUSeconds  []float64 `json:"cpu_seconds,omitempty"`
	ProofBytes  int       `json:"proof_bytes,omitempty"`
	PKBytes     int       `json:"pk_bytes,omitempty"`
	KeyID       string    `json:"key_id,omitempty"`
}

func main() {
	reps := flag.Int("reps", 5, "timed repetitions of prove and verify")
	private := flag.Bool("private", false, "also measure the private-model mode (its ceremony takes minutes)")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "hypha-zk-bench"), "key cache directory")
	reuse := flag.Bool("reuse", false, "skip the ceremony when -dir already holds keys from an earlier run")
	child := flag.String("child", "", "internal: run one measurement (setup|prove|verify) in this process")
	modeFlag := flag.String("mode", "public", "internal: the mode of a -child run")
	flag.Parse()

	logger.Disable()
	m, err := quant.Random(784, 784, 32, 10)
	if err != nil {
		fail(err)
	}
	if *child != "" {
		mode, err := circuit.ParseMode(*modeFlag)
		if err != nil {
			fail(err)
		}
		r, err := runChild(*child, m, mode, *dir, *reps)
		if err != nil {
			fail(err)
		}
		b, _ := json.Marshal(r)
		fmt.Println(string(b))
		return
	}

	modes := []string{"public"}
	if *private {
		modes = append(modes, "private")
	}
	fmt.Printf("zk inference, 784-32-10 int8 MLP, Groth16/BN254, gnark v0.16.3; EZKL reference %.2f s / %.0f MB\n", ezklProveS, ezklMemMB)
	for _, mode := range modes {
		fmt.Printf("\n== %s model, public input ==\n", mode)
		md, _ := circuit.ParseMode(mode)
		if _, man, err := (groth.Cache{Dir: *dir}).Load(m.Hash(), md); *reuse && err == nil {
			fmt.Printf("constraints      %d\n", man.Constraints)
			fmt.Printf("ceremony         skipped (-reuse): keys from %s\n", *dir)
			fmt.Printf("key id           %s\n", man.KeyID)
		} else {
			s, rssS, err := spawn("setup", mode, *dir, *reps)
			if err != nil {
				fail(err)
			}
			fmt.Printf("constraints      %d\n", s.Constraints)
			fmt.Printf("ceremony         %.2f s wall, %.2f s CPU (compile + 2 phase-1 + 2 phase-2 contributions + verify), peak RSS %.0f MB\n", s.Seconds[0], s.CPUSeconds[0], rssS)
			fmt.Printf("key id           %s, proving key %d bytes\n", s.KeyID, s.PKBytes)
		}
		p, rssP, err := spawn("prove", mode, *dir, *reps)
		if err != nil {
			fail(err)
		}
		best, med := stats(p.Seconds)
		cbest, cmed := stats(p.CPUSeconds)
		fmt.Printf("prove wall       best %.1f ms, median %.1f ms   ratio to EZKL %.4f\n", best*1e3, med*1e3, best/ezklProveS)
		fmt.Printf("prove CPU        best %.1f ms, median %.1f ms   ratio to EZKL %.4f (all threads; an idle 1-core wall bound)\n", cbest*1e3, cmed*1e3, cbest/ezklProveS)
		fmt.Printf("prove peak RSS   %.1f MB   ratio to EZKL %.3f\n", rssP, rssP/ezklMemMB)
		fmt.Printf("proof            %d bytes\n", p.ProofBytes)
		v, _, err := spawn("verify", mode, *dir, *reps)
		if err != nil {
			fail(err)
		}
		best, med = stats(v.Seconds)
		cbest, _ = stats(v.CPUSeconds)
		fmt.Printf("verify (native)  best %.2f ms wall, median %.2f ms, best %.2f ms CPU\n", best*1e3, med*1e3, cbest*1e3)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench/zk:", err)
	os.Exit(1)
}

func stats(s []float64) (best, median float64) {
	s = slices.Clone(s)
	slices.Sort(s)
	return s[0], s[len(s)/2]
}

// spawn runs one measurement in a child process and returns its result and
// maximum RSS in MB.
func spawn(task, mode, dir string, reps int) (*result, float64, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(self, "-child", task, "-mode", mode, "-dir", dir, "-reps", fmt.Sprint(reps))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w", task, mode, err)
	}
	var r result
	lines := splitLines(out)
	if len(lines) == 0 || json.Unmarshal(lines[len(lines)-1], &r) != nil {
		return nil, 0, fmt.Errorf("%s %s: unreadable child output %q", task, mode, out)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return &r, 0, nil
	}
	return &r, float64(ru.Maxrss) / 1024, nil // Linux reports KiB
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range b {
		if c == '\n' {
			if i > start {
				out = append(out, b[start:i])
			}
			start = i + 1
		}
	}
	if start < len(b) {
		out = append(out, b[start:])
	}
	return out
}

// cpuTime is this process's user+system CPU seconds (getrusage RUSAGE_SELF):
// on a shared machine it excludes time spent waiting for a core.
func cpuTime() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func input(seed uint64) []int8 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]int8, 784)
	for i := range x {
		x[i] = int8(r.IntN(256) - 128)
	}
	return x
}

func runChild(task string, m *quant.Model, mode circuit.Mode, dir string, reps int) (*result, error) {
	cache := groth.Cache{Dir: dir}
	switch task {
	case "setup":
		t0 := time.Now()
		_, ccs, err := groth.Compile(m, mode)
		if err != nil {
			return nil, err
		}
		tr := setup.New(ccs, m.Hash(), mode.String())
		for _, name := range []string{"owner", "bench"} {
			if _, err := tr.ContributePhase1(name); err != nil {
				return nil, err
			}
		}
		if err := tr.ClosePhase1([]byte("bench beacon 1")); err != nil {
			return nil, err
		}
		for _, name := range []string{"owner", "bench"} {
			if _, err := tr.ContributePhase2(ccs, name); err != nil {
				return nil, err
			}
		}
		if err := tr.Finalize([]byte("bench beacon 2")); err != nil {
			return nil, err
		}
		pk, vk, err := setup.Verify(ccs, m.Hash(), mode.String(), tr)
		if err != nil {
			return nil, err
		}
		secs, cpu := time.Since(t0).Seconds(), cpuTime()
		man, err := cache.Save(m.Hash(), mode, &groth.Keys{CCS: ccs, PK: pk, VK: vk})
		if err != nil {
			return nil, err
		}
		st, _ := os.Stat(filepath.Join(cache.Path(m.Hash(), mode), "pk.bin"))
		return &result{Constraints: ccs.GetNbConstraints(), Seconds: []float64{secs}, CPUSeconds: []float64{cpu}, KeyID: man.KeyID, PKBytes: int(st.Size())}, nil
	case "prove", "verify":
		k, _, err := cache.Load(m.Hash(), mode)
		if err != nil {
			return nil, err
		}
		c, err := circuit.New(m, mode)
		if err != nil {
			return nil, err
		}
		p := &groth.Prover{Circuit: c, CCS: k.CCS, PK: k.PK}
		var r result
		var last *groth.Proof
		for i := 0; i < reps; i++ {
			w := circuit.Witness{Input: input(uint64(i))}
			w.ModelSalt.SetUint64(42)
			t0, c0 := time.Now(), cpuTime()
			proof, _, err := p.Prove(w)
			if err != nil {
				return nil, err
			}
			if task == "prove" {
				r.Seconds = append(r.Seconds, time.Since(t0).Seconds())
				r.CPUSeconds = append(r.CPUSeconds, cpuTime()-c0)
			}
			last = proof
		}
		r.ProofBytes = len(last.Bytes)
		if task == "verify" {
			for i := 0; i < max(reps, 20); i++ {
				t0, c0 := time.Now(), cpuTime()
				if err := groth.Verify(k.VK, last.Public, last.Bytes); err != nil {
					return nil, err
				}
				r.Seconds = append(r.Seconds, time.Since(t0).Seconds())
				r.CPUSeconds = append(r.CPUSeconds, cpuTime()-c0)
			}
		}
		return &r, nil
	}
	return nil, fmt.Errorf("unknown child task %q", task)
}
