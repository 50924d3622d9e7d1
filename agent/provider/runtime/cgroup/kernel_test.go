package cgroup

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a workload instead of running tests.
const helperEnv = "HYPHA_CGROUP_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "alloc":
		// Wait until the parent has moved us into the group, then touch
		// ~300 MiB page by page so it is really resident.
		bufio.NewReader(os.Stdin).ReadString('\n')
		buf := make([]byte, 300<<20)
		for i := 0; i < len(buf); i += 4096 {
			buf[i] = 1
		}
		fmt.Println("allocated", len(buf))
		os.Exit(0)
	default:
		os.Exit(3)
	}
}

// kernelManager returns the real manager or skips when this host offers no
// writable cgroup file system.
func kernelManager(t *testing.T) *Manager {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("real cgroup tests need root (or a delegated cgroup); skipping")
	}
	m, err := Detect("")
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("no writable cgroup file system here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cgroup v%d, controllers %v", m.Version(), m.Controllers())
	return m
}

// uniqueName keeps concurrent test runs on the same host apart.
func uniqueName(tag string) string {
	return fmt.Sprintf("test-%d-%s-%d", os.Getpid(), tag, time.Now().UnixNano()%1e6)
}

// apply applies limits, skipping if the kernel refuses for permission
// reasons (e.g. no delegation on a v2 developer machine), and registers
// cleanup that also removes the shared hypha directories if now empty.
func apply(t *testing.T, m *Manager, name string, pid int, lim Limits) {
	t.Helper()
	if err := m.Apply(name, pid, lim); err != nil {
		for _, e := range []error{syscall.EACCES, syscall.EPERM, syscall.EROFS, syscall.EBUSY} {
			if errors.Is(err, e) {
				t.Skipf("cgroup fs not writable for us: %v", err)
			}
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Remove(name); err != nil {
			t.Errorf("cleanup remove: %v", err)
		}
		for _, d := range m.dirs(name) {
			os.Remove(filepath.Dir(d)) // hypha: best effort, other groups may live there
		}
	})
}

func start(t *testing.T, cmd *exec.Cmd) io.WriteCloser {
	t.Helper()
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return in
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func (m *Manager) dirOf(name, ctrl string) string {
	if m.version == 2 {
		return filepath.Join(m.v2parent, "hypha", name)
	}
	for _, h := range m.hier {
		for _, c := range h.ctrls {
			if c == ctrl {
				return filepath.Join(h.own, "hypha", name)
			}
		}
	}
	return ""
}

func TestKernelApplyRemove(t *testing.T) {
	m := kernelManager(t)
	name := uniqueName("limits")
	cmd := exec.Command("sleep", "30")
	start(t, cmd)
	apply(t, m, name, cmd.Process.Pid, Limits{CPUMillis: 500, MemoryBytes: 64 << 20, Pids: 512})

	files := map[string][2]string{ // controller -> file, want
		"memory": {"memory.limit_in_bytes", "67108864"},
		"cpu":    {"cpu.cfs_quota_us", "50000"},
		"pids":   {"pids.max", "512"},
	}
	if m.Version() == 2 {
		files = map[string][2]string{"memory": {"memory.max", "67108864"}, "cpu": {"cpu.max", "50000 100000"}, "pids": {"pids.max", "512"}}
	}
	for _, c := range m.Controllers() {
		dir := m.dirOf(name, c)
		if got := readFile(t, filepath.Join(dir, files[c][0])); got != files[c][1] {
			t.Errorf("%s/%s = %q, want %q", dir, files[c][0], got, files[c][1])
		}
		procs := strings.Fields(readFile(t, filepath.Join(dir, "cgroup.procs")))
		if len(procs) != 1 || procs[0] != strconv.Itoa(cmd.Process.Pid) {
			t.Errorf("%s/cgroup.procs = %v, want [%d]", dir, procs, cmd.Process.Pid)
		}
	}
	if _, err := m.Stats(name); err != nil {
		t.Errorf("stats: %v", err)
	}

	// Remove kills the still-running sleep and deletes every directory.
	if err := m.Remove(name); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("sleep ended with %v, want SIGKILL", err)
	}
	for _, d := range m.dirs(name) {
		if exists(d) {
			t.Errorf("%s left behind", d)
		}
	}
}

func TestKernelMemoryLimit(t *testing.T) {
	m := kernelManager(t)
	if !m.has("memory") {
		t.Skip("memory controller unavailable")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		lim    Limits
		killed bool
	}{
		{name: "limited", lim: Limits{MemoryBytes: 64 << 20}, killed: true},
		{name: "control", lim: Limits{}, killed: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := uniqueName("mem-" + tc.name)
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), helperEnv+"=alloc")
			var out bytes.Buffer
			cmd.Stdout = &out
			in := start(t, cmd)
			apply(t, m, name, cmd.Process.Pid, tc.lim)
			in.Write([]byte("go\n"))
			err := cmd.Wait()
			st, serr := m.Stats(name)
			if serr != nil {
				t.Fatal(serr)
			}
			t.Logf("exit %v, stats %+v", err, st)
			var ee *exec.ExitError
			killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
			if killed != tc.killed {
				t.Fatalf("killed=%v (err %v, output %q), want %v", killed, err, out.String(), tc.killed)
			}
			if tc.killed && st.OOMKills == 0 {
				t.Errorf("OOM kill not accounted: %+v", st)
			}
			if !tc.killed && (err != nil || !strings.HasPrefix(out.String(), "allocated")) {
				t.Errorf("control run: %v %q", err, out.String())
			}
			// The kernel may overshoot by a few pages while charging.
			if tc.killed && st.MemoryPeakBytes > 65<<20 {
				t.Errorf("peak %d is well above the 64 MiB limit", st.MemoryPeakBytes)
			}
		})
	}
}

func TestKernelPidsLimit(t *testing.T) {
	m := kernelManager(t)
	if !m.has("pids") {
		t.Skip("pids controller unavailable")
	}
	tests := []struct {
		name string
		lim  Limits
		ok   bool
	}{
		{name: "limited", lim: Limits{Pids: 5}, ok: false},
		{name: "control", lim: Limits{}, ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := uniqueName("pids-" + tc.name)
			cmd := exec.Command("sh", "-c", `read x; i=0; while [ $i -lt 20 ]; do sleep 5 </dev/null >/dev/null 2>&1 & i=$((i+1)); done; echo forked $i`)
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			in := start(t, cmd)
			apply(t, m, name, cmd.Process.Pid, tc.lim)
			in.Write([]byte("go\n"))
			err := cmd.Wait()
			t.Logf("exit %v, stdout %q, stderr %q", err, out.String(), errOut.String())
			ok := err == nil && strings.TrimSpace(out.String()) == "forked 20"
			if ok != tc.ok {
				t.Fatalf("forking 20 children succeeded=%v, want %v", ok, tc.ok)
			}
			n, err := readPids([]string{m.dirOf(name, "pids")})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.ok && len(n) > 5 {
				t.Errorf("%d processes in group, limit 5", len(n))
			}
			// The orphaned sleeps are still in the group: Remove must kill
			// them, or rmdir would fail with EBUSY.
			if err := m.Remove(name); err != nil {
				t.Fatal(err)
			}
			for _, d := range m.dirs(name) {
				if exists(d) {
					t.Errorf("%s left behind", d)
				}
			}
		})
	}
}
