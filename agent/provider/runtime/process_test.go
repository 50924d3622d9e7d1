package runtime

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func newProcess(t *testing.T, dir string) *Process {
	t.Helper()
	p, err := NewProcess(dir, t.Logf, Isolation{})
	if err != nil {
		t.Skipf("process runtime unavailable here: %v", err)
	}
	return p
}

func alive(pid int) bool { _, ok := procStart(pid); return ok }

func TestProcessStartLogsStop(t *testing.T) {
	p := newProcess(t, t.TempDir())
	inst := Instance{Lease: 1, Service: "web", Command: []string{"sh", "-c", "echo hello $GREETING; pwd; sleep 60"},
		Env: []string{"GREETING=world", "PATH=/usr/bin:/bin"}, MemoryBytes: 256 << 20}
	if _, err := p.Start(context.Background(), inst); err != nil {
		t.Fatal(err)
	}
	st, ok := p.Status(inst.Name())
	if !ok || !st.Running || st.PID == 0 {
		t.Fatalf("status = %+v, %v", st, ok)
	}
	waitFor(t, "logs", func() bool {
		l, _ := p.Logs(inst.Name(), 10)
		return len(l) == 2 && l[0] == "hello world" && strings.HasSuffix(l[1], "/1-web-0/work")
	})
	if err := p.Stop(context.Background(), inst.Name()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "process gone", func() bool { return !alive(st.PID) })
	if _, ok := p.Status(inst.Name()); ok {
		t.Fatal("stopped instance still listed")
	}
}

func TestProcessRestartsWithBackoff(t *testing.T) {
	p := newProcess(t, t.TempDir())
	p.MaxBackoff = 2 * time.Second
	inst := Instance{Lease: 2, Service: "crash", Command: []string{"sh", "-c", "echo boom; exit 3"}, Env: []string{"PATH=/usr/bin:/bin"}}
	if _, err := p.Start(context.Background(), inst); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two restarts", func() bool { st, _ := p.Status(inst.Name()); return st.Restarts >= 2 })
	st, _ := p.Status(inst.Name())
	if !strings.Contains(st.LastExit, "exit status 3") {
		t.Fatalf("last exit = %q", st.LastExit)
	}
	if err := p.Stop(context.Background(), inst.Name()); err != nil {
		t.Fatal(err)
	}
}

func TestProcessAdoptAfterDetach(t *testing.T) {
	dir := t.TempDir()
	p := newProcess(t, dir)
	inst := Instance{Lease: 3, Service: "svc", Command: []string{"sleep", "60"}, Env: []string{"PATH=/usr/bin:/bin"}}
	h, err := p.Start(context.Background(), inst)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := p.Status(inst.Name())
	p.Detach() // the agent stops; the workload keeps running
	if !alive(st.PID) {
		t.Fatal("detach stopped the workload")
	}
	q := newProcess(t, dir)
	if _, err := q.Adopt(context.Background(), inst, h); err != nil {
		t.Fatal(err)
	}
	st2, ok := q.Status(inst.Name())
	if !ok || !st2.Running || st2.PID != st.PID {
		t.Fatalf("adopted status = %+v (want pid %d)", st2, st.PID)
	}
	// A crash of an adopted process is noticed and restarted.
	_ = syscall.Kill(st.PID, syscall.SIGKILL)
	waitFor(t, "restart of adopted instance", func() bool {
		s, _ := q.Status(inst.Name())
		return s.Running && s.PID != st.PID && s.Restarts == 1
	})
	st3, _ := q.Status(inst.Name())
	if err := q.Stop(context.Background(), inst.Name()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "process gone", func() bool { return !alive(st3.PID) })

	// Adopting a dead handle starts the instance again.
	r := newProcess(t, dir)
	if _, err := r.Adopt(context.Background(), inst, h); err != nil {
		t.Fatal(err)
	}
	st4, _ := r.Status(inst.Name())
	if !st4.Running || st4.PID == st.PID {
		t.Fatalf("re-started status = %+v", st4)
	}
	_ = r.Stop(context.Background(), inst.Name())
}

func TestProcessMemoryLimitByCgroup(t *testing.T) {
	p := newProcess(t, t.TempDir())
	if p.cg == nil || !slices.Contains(p.cg.Controllers(), "memory") {
		t.Skip("no writable cgroup memory controller on this host: the process runtime limits memory with rlimits")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not found")
	}
	py := "python3" // found by the runtime among the programs the workload user may run
	inst := Instance{Lease: uint64(time.Now().UnixNano() % 1e9), Service: "hog",
		Command: []string{py, "-c", "import time; b = b'x' * (300 << 20); print('allocated', flush=True); time.sleep(60)"},
		Env:     []string{"PATH=/usr/bin:/bin"}, MemoryBytes: 64 << 20, CPUMillis: 1000}
	if _, err := p.Start(context.Background(), inst); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(context.Background(), inst.Name()) })
	waitFor(t, "OOM kill", func() bool {
		st, _ := p.Status(inst.Name())
		return strings.Contains(st.LastExit, "out of memory")
	})
	if l, _ := p.Logs(inst.Name(), 0); countLines(l, "allocated") != 0 {
		t.Fatalf("the process allocated 300 MiB under a 64 MiB limit: %q", l)
	}
	if err := p.Stop(context.Background(), inst.Name()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.cg.Stats(inst.Name()); err == nil {
		t.Fatal("control group left behind after Stop")
	}
}
