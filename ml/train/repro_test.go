package train

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// childEnv marks a test binary started by TestCrossPlatform.
const childEnv = "HYPHA_CE1_REPRO_CHILD"

// TestCrossPlatform reruns TestGoldenCommitments (200 steps of digits-mlp
// and charlm against the checked-in commitments) in separate processes:
// under GOMAXPROCS 1, 2 and 8; with AVX-512, AVX2 and FMA disabled; as a
// GOARCH=386 binary; and as a GOARCH=arm64 binary under qemu-aarch64-static.
// Any difference in any bit of state changes a commitment and fails.
func TestCrossPlatform(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("running as a child")
	}
	if testing.Short() {
		t.Skip("cross-platform reproducibility runs many full trainings; skipped in -short mode")
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		t.Skipf("go toolchain not found at %s: %v", goBin, err)
	}
	dir := t.TempDir()
	build := func(goarch string) string {
		bin := filepath.Join(dir, "train-"+goarch+".test")
		cmd := exec.Command(goBin, "test", "-c", "-o", bin, ".")
		cmd.Env = append(os.Environ(), "GOARCH="+goarch, "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building for %s: %v\n%s", goarch, err, out)
		}
		return bin
	}
	type variant struct {
		name string
		argv []string
		env  []string
	}
	var variants []variant
	golden := []string{"-test.run", "^TestGoldenCommitments$", "-test.count", "1"}
	native := build(runtime.GOARCH)
	for _, p := range []string{"1", "2", "8"} {
		variants = append(variants, variant{"GOMAXPROCS=" + p, append([]string{native}, golden...), []string{"GOMAXPROCS=" + p}})
	}
	if runtime.GOARCH == "amd64" {
		variants = append(variants,
			variant{"no AVX-512/AVX2/FMA", append([]string{native}, golden...), []string{"GODEBUG=cpu.avx512f=off,cpu.avx2=off,cpu.fma=off"}},
			variant{"GOARCH=386", append([]string{build("386")}, golden...), nil})
	}
	if runtime.GOARCH != "arm64" {
		if qemu, err := exec.LookPath("qemu-aarch64-static"); err != nil {
			t.Log("SKIP arm64: qemu-aarch64-static not installed (apt-get install qemu-user-static)")
		} else {
			variants = append(variants, variant{"GOARCH=arm64 (qemu)", append([]string{qemu, build("arm64")}, golden...), nil})
		}
	}
	// Two at a time: the machines this runs on have two cores, and the qemu
	// run dominates.
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, v := range variants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			start := time.Now()
			cmd := exec.Command(v.argv[0], v.argv[1:]...)
			cmd.Env = append(append(os.Environ(), childEnv+"=1"), v.env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("%s: %v\n%s", v.name, err, out)
				return
			}
			t.Logf("%s: commitments match golden (%s)", v.name, time.Since(start).Round(time.Millisecond))
		}()
	}
	wg.Wait()
}
