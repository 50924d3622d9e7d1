package kernel

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestHelperKernelReport is run as a child process by
// TestKernelSelectionGODEBUG; on its own it does nothing.
func TestHelperKernelReport(t *testing.T) {
	if os.Getenv("HYPHA_KERNEL_REPORT") != "1" {
		t.Skip("helper for TestKernelSelectionGODEBUG")
	}
	fmt.Printf("kernel=%s\n", current.name)
}

// TestKernelSelectionGODEBUG checks that the run-time kernel selection
// honours GODEBUG cpu options (golang.org/x/sys/cpu applies them), and that
// every selected kernel passes the golden conformance vectors and the
// reference comparison.
func TestKernelSelectionGODEBUG(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("kernel selection is amd64-specific")
	}
	noAVX512 := goKernel.name
	if hasAVX2 {
		noAVX512 = "avx2-6x16"
	}
	cases := []struct{ godebug, want string }{
		{"", current.name},
		{"cpu.fma=off", current.name}, // the kernels never use FMA
		{"cpu.avx512f=off", noAVX512},
		{"cpu.avx512=off", noAVX512},
		{"cpu.avx2=off", goKernel.name},
		{"cpu.avx512f=off,cpu.avx2=off,cpu.fma=off", goKernel.name},
	}
	for _, tc := range cases {
		run := "^(TestHelperKernelReport|TestGolden.*|TestMatMulMatchesReference|TestSumDot)$"
		if testing.Short() {
			run = "^(TestHelperKernelReport|TestGolden.*|TestSumDot)$"
		}
		cmd := exec.Command(os.Args[0], "-test.short", "-test.v", "-test.run="+run)
		cmd.Env = append(os.Environ(), "GODEBUG="+tc.godebug, "HYPHA_KERNEL_REPORT=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("GODEBUG=%q: %v\n%s", tc.godebug, err, out)
			continue
		}
		if !strings.Contains(string(out), "kernel="+tc.want+"\n") {
			t.Errorf("GODEBUG=%q: want kernel %s, output:\n%s", tc.godebug, tc.want, out)
		}
	}
}

// TestCrossArch builds the test binaries of ml/num, ml/rng and ml/kernel for
// other architectures and runs their conformance tests (golden vectors and
// fast-versus-reference comparisons), proving that results are bit-identical
// across architectures: GOARCH=386 (SSE2 and softfloat) and amd64 with the
// purego tag run natively; GOARCH=arm64 runs under qemu-aarch64-static when
// it is on PATH (Debian: apt-get install qemu-user-static).
func TestCrossArch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs cross-compiled test binaries; skipped in -short mode")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("cross-architecture runs are set up for linux/amd64 hosts")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	qemu, _ := exec.LookPath("qemu-aarch64-static")
	type target struct {
		name   string
		env    []string
		tags   string
		runner string // empty: run natively
		quick  bool   // golden vectors only (slow emulated float)
	}
	targets := []target{
		{name: "386-sse2", env: []string{"GOARCH=386", "GO386=sse2"}},
		{name: "386-softfloat", env: []string{"GOARCH=386", "GO386=softfloat"}, quick: true},
		{name: "amd64-purego", env: []string{"GOARCH=amd64"}, tags: "purego"},
		{name: "arm64", env: []string{"GOARCH=arm64"}, runner: qemu},
	}
	pkgs := []struct{ dir, run string }{
		{"../num", "^(TestGolden|TestGoldenFileParses|TestSpecialValues|TestNaNIsCanonical|TestOddEven)$"},
		{"../rng", "^(TestPhiloxKnownAnswers|TestGoldenStreams|TestOffsetIndependence|TestPermutation)$"},
		{".", "^(TestGolden.*|TestSumDot|TestSumOrder|TestMatMulMatchesReference|TestMatMulElem|TestMatMulOrder)$"},
	}
	tmp := t.TempDir()
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			if tg.name == "arm64" && qemu == "" {
				t.Skip("qemu-aarch64-static not on PATH; install Debian's qemu-user-static to run the arm64 conformance tests")
			}
			for _, p := range pkgs {
				bin := filepath.Join(tmp, tg.name+"-"+filepath.Base(p.dir)+".test")
				args := []string{"test", "-c", "-o", bin}
				if tg.tags != "" {
					args = append(args, "-tags", tg.tags)
				}
				build := exec.Command(goTool, append(args, ".")...)
				build.Dir = p.dir
				build.Env = append(os.Environ(), append([]string{"CGO_ENABLED=0", "GOOS=linux"}, tg.env...)...)
				if out, err := build.CombinedOutput(); err != nil {
					t.Fatalf("build %s: %v\n%s", p.dir, err, out)
				}
				run := p.run
				if tg.quick {
					run = "^TestGolden"
				}
				cmdArgs := []string{"-test.short", "-test.run=" + run}
				var cmd *exec.Cmd
				if tg.runner != "" {
					cmd = exec.Command(tg.runner, append([]string{bin}, cmdArgs...)...)
				} else {
					cmd = exec.Command(bin, cmdArgs...)
				}
				cmd.Dir = p.dir
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Errorf("%s on %s: %v\n%s", p.dir, tg.name, err, out)
					continue
				}
				t.Logf("%s on %s: %s", p.dir, tg.name, strings.TrimSpace(string(out)))
			}
		})
	}
}

// fusedOp matches the fused multiply-add mnemonics of the Go compiler's
// assembly listings: VFMADD231SS and friends on amd64, FMADDS, FMSUBD,
// FNMADDS, ... on arm64, ppc64le, riscv64, loong64 and s390x.
var fusedOp = regexp.MustCompile(`\bV?FN?M(ADD|SUB)[0-9A-Z]*\b`)

// TestNoFusedMultiplyAdd compiles ml/num, ml/rng and ml/kernel for every
// architecture whose Go compiler fuses x*y+z into one instruction (amd64
// does so when built with GOAMD64=v3 or v4) and scans the compiler's
// assembly listing for fused operations. Every product in CE-v1 code is
// written float32(x*y) or float64(x*y), which the Go specification makes a
// rounding point; this test catches a forgotten conversion even on
// architectures we cannot execute. A positive control checks that the scan
// sees the fusion of a plain x*y+z on each target.
func TestNoFusedMultiplyAdd(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles for six targets; skipped in -short mode")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	control := t.TempDir()
	os.WriteFile(filepath.Join(control, "go.mod"), []byte("module control\n\ngo 1.21\n"), 0o644)
	os.WriteFile(filepath.Join(control, "c.go"), []byte("package control\n\nfunc F(a, b, c float32) float32 { return a*b + c }\n"), 0o644)
	listing := func(dir, pkg string, env []string) string {
		t.Helper()
		build := exec.Command(goTool, "build", "-gcflags=-S", "-o", os.DevNull, pkg)
		build.Dir = dir
		build.Env = append(os.Environ(), append([]string{"GOOS=linux", "CGO_ENABLED=0"}, env...)...)
		out, err := build.CombinedOutput()
		if err != nil {
			t.Fatalf("build %s with %v: %v\n%s", pkg, env, err, out)
		}
		return string(out)
	}
	targets := [][]string{
		{"GOARCH=amd64", "GOAMD64=v3"},
		{"GOARCH=arm64"},
		{"GOARCH=ppc64le"},
		{"GOARCH=riscv64"},
		{"GOARCH=loong64"},
		{"GOARCH=s390x"},
	}
	for _, env := range targets {
		if !fusedOp.MatchString(listing(control, ".", env)) {
			t.Errorf("%v: the scan did not see the fused a*b+c of the control package", env)
			continue
		}
		for _, pkg := range []string{"../num", "../rng", "."} {
			for _, line := range strings.Split(listing(".", pkg, env), "\n") {
				if fusedOp.MatchString(line) {
					t.Errorf("%v %s: fused multiply-add: %s", env, pkg, strings.TrimSpace(line))
				}
			}
		}
	}
}
