package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hypha-network/hypha/agent/provider/runtime/cgroup"
)

// Process runs each instance as a host process in its own process group, with
// its own working directory (Dir/<name>/work) and log file (Dir/<name>/log).
// Processes outlive the agent, which re-adopts them by pid and start time.
// Limits: CPU, memory and pids through a control group per instance when the
// host's cgroup fs (v2, or v1 controllers) is writable; otherwise RLIMIT_DATA
// stands in for memory. RLIMIT_FSIZE (storage) and RLIMIT_NOFILE always apply.
type Process struct {
	// Dir holds the instances' working directories and logs.
	Dir string
	// Logf receives supervision messages; nil discards them.
	Logf func(format string, args ...any)
	// MaxBackoff caps the delay between restarts of a crashing instance.
	MaxBackoff time.Duration

	// cg puts instances in control groups; nil when the host has none we
	// can use.
	cg *cgroup.Manager

	mu    sync.Mutex
	procs map[string]*proc
}

type proc struct {
	inst      Instance
	pid       int
	startTick uint64
	restarts  int
	startedAt time.Time
	lastExit  string
	exited    chan struct{} // closed when the current OS process is gone
	stop      chan struct{} // closed by Stop or Detach
	stopped   chan struct{} // closed when the supervisor returns
	kill      bool          // Stop (kill) rather than Detach (leave running)
}

type processHandle struct {
	Name      string    `json:"name,omitempty"`
	PID       int       `json:"pid"`
	StartTick uint64    `json:"start_tick"`
	Restarts  int       `json:"restarts"`
	StartedAt time.Time `json:"started_at"`
}

// NewProcess returns a process runtime keeping its files under dir. It
// limits instances through control groups when the host's cgroup fs allows,
// and says which limits apply.
func NewProcess(dir string, logf func(string, ...any)) *Process {
	p := &Process{Dir: dir, Logf: logf, MaxBackoff: 30 * time.Second, procs: map[string]*proc{}}
	cg, err := cgroup.Detect("")
	if err != nil {
		p.logf("process runtime: no usable control groups (%v); limiting memory with rlimits only", err)
		return p
	}
	p.cg = cg
	p.logf("process runtime: limits via cgroup v%d (%s)", cg.Version(), strings.Join(cg.Controllers(), ", "))
	return p
}

func (p *Process) logf(format string, args ...any) {
	if p.Logf != nil {
		p.Logf(format, args...)
	}
}

// Kind implements Runtime.
func (p *Process) Kind() string { return "process" }

// Start implements Runtime.
func (p *Process) Start(_ context.Context, inst Instance) (Handle, error) {
	if len(inst.Command) == 0 {
		return nil, fmt.Errorf("service %s has no command: the process runtime runs commands, not images", inst.Service)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.procs[inst.Name()]; ok {
		return nil, fmt.Errorf("instance %s is already running", inst.Name())
	}
	pr := &proc{inst: inst, stop: make(chan struct{}), stopped: make(chan struct{})}
	if err := p.spawn(pr); err != nil {
		return nil, err
	}
	p.procs[inst.Name()] = pr
	go p.supervise(pr)
	return pr.handle(), nil
}

// Adopt implements Runtime.
func (p *Process) Adopt(ctx context.Context, inst Instance, h Handle) (Handle, error) {
	var ph processHandle
	if err := json.Unmarshal(h, &ph); err != nil || ph.PID <= 0 {
		return p.Start(ctx, inst)
	}
	tick, alive := procStart(ph.PID)
	if !alive || tick != ph.StartTick {
		p.logf("instance %s (pid %d) is gone; starting it again", inst.Name(), ph.PID)
		return p.Start(ctx, inst)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.procs[inst.Name()]; ok {
		return nil, fmt.Errorf("instance %s is already supervised", inst.Name())
	}
	pr := &proc{inst: inst, pid: ph.PID, startTick: tick, restarts: ph.Restarts, startedAt: ph.StartedAt,
		exited: make(chan struct{}), stop: make(chan struct{}), stopped: make(chan struct{})}
	go watchPID(pr.pid, pr.startTick, pr.exited)
	p.procs[inst.Name()] = pr
	go p.supervise(pr)
	p.logf("re-adopted instance %s (pid %d)", inst.Name(), pr.pid)
	return pr.handle(), nil
}

func (pr *proc) handle() Handle {
	b, _ := json.Marshal(processHandle{Name: pr.inst.Name(), PID: pr.pid, StartTick: pr.startTick, Restarts: pr.restarts, StartedAt: pr.startedAt})
	return b
}

// Handle implements Runtime.
func (p *Process) Handle(name string) (Handle, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, ok := p.procs[name]
	if !ok {
		return nil, false
	}
	return pr.handle(), true
}

// spawn starts the OS process of pr; p.mu is held.
func (p *Process) spawn(pr *proc) error {
	dir := filepath.Join(p.Dir, pr.inst.Name())
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o750); err != nil {
		return fmt.Errorf("create working directory: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(dir, "log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	defer logf.Close()
	argv := append(append([]string{}, pr.inst.Command...), pr.inst.Args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = work, pr.inst.Env, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(logf, "hypha: cannot start %q: %v\n", pr.inst.Command[0], err)
		return fmt.Errorf("start %s: %w", pr.inst.Name(), err)
	}
	pr.pid = cmd.Process.Pid
	pr.startTick, _ = procStart(pr.pid)
	pr.startedAt = time.Now().UTC()
	p.applyLimits(pr.pid, pr.inst)
	exited := make(chan struct{})
	pr.exited = exited
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		if err != nil {
			pr.lastExit = err.Error()
		} else {
			pr.lastExit = "exit status 0"
		}
		p.mu.Unlock()
		close(exited)
	}()
	return nil
}

// applyLimits puts pid in the instance's control group (re-used across
// restarts) and sets its rlimits; RLIMIT_DATA stands in for the memory limit
// when no cgroup memory controller applies.
func (p *Process) applyLimits(pid int, inst Instance) {
	set := func(res int, v uint64, what string) {
		if err := unix.Prlimit(pid, res, &unix.Rlimit{Cur: v, Max: v}, nil); err != nil {
			p.logf("instance %s: cannot set %s limit: %v", inst.Name(), what, err)
		}
	}
	set(unix.RLIMIT_NOFILE, 4096, "open files")
	if inst.StorageBytes > 0 {
		set(unix.RLIMIT_FSIZE, inst.StorageBytes, "file size")
	}
	memByCgroup := false
	if p.cg != nil {
		lim := cgroup.Limits{CPUMillis: int64(inst.CPUMillis), MemoryBytes: int64(inst.MemoryBytes), Pids: 1024}
		if err := p.cg.Apply(inst.Name(), pid, lim); err != nil {
			p.logf("instance %s: control group: %v; falling back to rlimits", inst.Name(), err)
		} else {
			memByCgroup = slices.Contains(p.cg.Controllers(), "memory")
		}
	}
	if inst.MemoryBytes > 0 && !memByCgroup {
		set(unix.RLIMIT_DATA, inst.MemoryBytes, "memory")
	}
}

// removeGroup deletes an instance's control group, killing whatever is left
// in it.
func (p *Process) removeGroup(name string) {
	if p.cg == nil || name == "" {
		return
	}
	if err := p.cg.Remove(name); err != nil {
		p.logf("instance %s: remove control group: %v", name, err)
	}
}

// supervise restarts pr with exponential backoff until it is stopped.
func (p *Process) supervise(pr *proc) {
	defer close(pr.stopped)
	defer func() {
		if pr.kill { // set before stop was closed
			p.removeGroup(pr.inst.Name())
		}
	}()
	backoff := time.Second
	for {
		p.mu.Lock()
		exited := pr.exited
		p.mu.Unlock()
		select {
		case <-pr.stop:
			if pr.kill {
				terminate(pr.pid, exited)
			}
			return
		case <-exited:
		}
		p.mu.Lock()
		if time.Since(pr.startedAt) > time.Minute {
			backoff = time.Second
		}
		p.logf("instance %s exited (%s); restarting in %s", pr.inst.Name(), pr.lastExit, backoff)
		p.mu.Unlock()
		select {
		case <-pr.stop:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, p.MaxBackoff)
		p.mu.Lock()
		pr.restarts++
		err := p.spawn(pr)
		if err != nil {
			pr.lastExit = err.Error()
			ch := make(chan struct{})
			close(ch)
			pr.exited = ch
			p.logf("instance %s: %v", pr.inst.Name(), err)
		}
		p.mu.Unlock()
	}
}

// terminate sends SIGTERM to the process group, then SIGKILL after 5 s.
func terminate(pid int, exited <-chan struct{}) {
	if pid <= 0 {
		return
	}
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
		}
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL) // leftovers of the group
}

// Status implements Runtime.
func (p *Process) Status(name string) (State, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pr, ok := p.procs[name]
	if !ok {
		return State{}, false
	}
	running := false
	select {
	case <-pr.exited:
	default:
		running = true
	}
	st := State{Name: name, Running: running, Restarts: pr.restarts, StartedAt: pr.startedAt, LastExit: pr.lastExit}
	if p.cg != nil && st.LastExit != "" {
		if cs, err := p.cg.Stats(name); err == nil && cs.OOMKills > 0 {
			st.LastExit += fmt.Sprintf(" (out of memory: %d kill(s))", cs.OOMKills)
		}
	}
	if running {
		st.PID = pr.pid
	}
	return st, true
}

// LogFile implements Runtime.
func (p *Process) LogFile(name string) string { return filepath.Join(p.Dir, name, "log") }

// Logs implements Runtime.
func (p *Process) Logs(name string, n int) ([]string, error) {
	return tailLines(name, p.LogFile(name), n)
}

// Stop implements Runtime.
func (p *Process) Stop(_ context.Context, name string) error {
	p.mu.Lock()
	pr, ok := p.procs[name]
	if ok {
		delete(p.procs, name)
		pr.kill = true
		close(pr.stop)
	}
	p.mu.Unlock()
	if !ok {
		return nil
	}
	<-pr.stopped
	return nil
}

// StopOrphan implements Runtime: it stops a process group left by an earlier
// agent, if that process (same pid and start time) still runs.
func (p *Process) StopOrphan(_ context.Context, h Handle) {
	var ph processHandle
	if json.Unmarshal(h, &ph) != nil || ph.PID <= 0 {
		return
	}
	if tick, alive := procStart(ph.PID); alive && tick == ph.StartTick {
		done := make(chan struct{})
		go watchPID(ph.PID, tick, done)
		terminate(ph.PID, done)
	}
	p.removeGroup(ph.Name)
}

// Detach implements Runtime.
func (p *Process) Detach() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, pr := range p.procs {
		close(pr.stop)
		delete(p.procs, name)
	}
}

// procStart returns the start time (clock ticks since boot) of a live,
// non-zombie process.
func procStart(pid int) (uint64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return 0, false
	}
	t, err := strconv.ParseUint(f[19], 10, 64)
	return t, err == nil
}

// watchPID closes done when the process pid (with that start time) is gone.
func watchPID(pid int, tick uint64, done chan struct{}) {
	for {
		if t, alive := procStart(pid); !alive || t != tick {
			close(done)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}
