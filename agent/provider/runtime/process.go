package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hypha-network/hypha/agent/provider/runtime/cgroup"
)

// Process runs each instance as a host process in its own process group, with
// its own working directory (Dir/<name>/work) and log file (Dir/<name>/log).
// Unless Isolation.None, each lease runs as its own unprivileged uid and gid
// (no supplementary groups, no_new_privs), and only that uid may enter its
// working directory (see docs/provider.md, "Isolation").
// Processes outlive the agent, which re-adopts them by pid and start time.
// Limits: CPU, memory and pids through a control group per instance; a limit
// that cannot be applied fails the start (no weaker fallback), except that
// without a pids controller RLIMIT_NPROC on the lease's own uid caps its
// processes. RLIMIT_FSIZE (storage) and RLIMIT_NOFILE always apply.
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
	// iso says whom workloads run as.
	iso Isolation

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
// refuses to run when iso asks for per-lease users and this process cannot
// switch to them. It limits instances through control groups and says which
// limits apply; an instance asking for a limit no controller enforces will
// not start.
func NewProcess(dir string, logf func(string, ...any), iso Isolation) (*Process, error) {
	p := &Process{Dir: dir, Logf: logf, MaxBackoff: 30 * time.Second, procs: map[string]*proc{}, iso: iso}
	if iso.None {
		p.logf("process runtime: WARNING: process_isolation is none: workloads run as the agent's own user (uid %d) and can read and write everything it can, keys included; use this for trusted local testing only", os.Geteuid())
	} else if err := checkCanIsolate(iso); err != nil {
		return nil, fmt.Errorf("process runtime: cannot isolate workloads: %v. Run the agent as root (it runs each lease as its own unprivileged uid), or use runtime: docker", err)
	}
	if err := p.prepareRoot(); err != nil {
		return nil, err
	}
	if !iso.None {
		lo, _ := iso.ids(0)
		n := iso.UIDRange
		if n == 0 {
			n = DefaultUIDRange
		}
		p.logf("process runtime: each lease runs as its own uid/gid %d + lease mod %d, no supplementary groups, no_new_privs, in a 0700 directory under %s", lo, n, p.Dir)
	}
	cg, err := cgroup.Detect("")
	if err != nil {
		p.logf("process runtime: WARNING: no usable control groups (%v): instances with a CPU or memory limit will be refused", err)
		return p, nil
	}
	p.cg = cg
	p.logf("process runtime: limits via cgroup v%d (%s)", cg.Version(), strings.Join(cg.Controllers(), ", "))
	return p, nil
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
	if err := p.checkUID(inst); err != nil {
		return nil, err
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

// checkUID refuses an instance whose lease would share its uid with a
// running instance of another lease (lease ids that are equal mod the uid
// range); p.mu is held.
func (p *Process) checkUID(inst Instance) error {
	if p.iso.None {
		return nil
	}
	uid, _ := p.iso.ids(inst.Lease)
	for _, other := range p.procs {
		if u, _ := p.iso.ids(other.inst.Lease); u == uid && other.inst.Lease != inst.Lease {
			return fmt.Errorf("instance %s: lease %d would run as uid %d, which lease %d still uses; widen the uid range", inst.Name(), inst.Lease, uid, other.inst.Lease)
		}
	}
	return nil
}

// spawn starts the OS process of pr; p.mu is held. The process runs only
// if every limit applies: otherwise it is killed and spawn fails.
func (p *Process) spawn(pr *proc) error {
	dir := filepath.Join(p.Dir, pr.inst.Name())
	work := filepath.Join(dir, "work")
	uid, gid := p.iso.ids(pr.inst.Lease)
	if err := p.prepareInstanceDirs(dir, work, uid, gid); err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(dir, "log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	defer logf.Close()
	_ = logf.Chmod(0o600) // logs of earlier versions were 0640
	if err := p.checkLimits(pr.inst); err != nil {
		fmt.Fprintf(logf, "hypha: not starting: %v\n", err)
		return err
	}
	argv := append(append([]string{}, pr.inst.Command...), pr.inst.Args...)
	env := pr.inst.Env
	var path string
	if p.iso.None {
		path, err = exec.LookPath(argv[0])
	} else {
		env = sandboxPATH(env)
		path, err = lookPathAs(argv[0], env)
	}
	if err == nil && !filepath.IsAbs(path) {
		path = filepath.Join(work, path)
	}
	if err != nil {
		fmt.Fprintf(logf, "hypha: cannot start %q: %v\n", argv[0], err)
		return fmt.Errorf("start %s: %w", pr.inst.Name(), err)
	}
	ids, nproc := "-", uint64(0)
	if !p.iso.None {
		ids = strconv.FormatUint(uint64(uid), 10)
		if p.cg == nil || !slices.Contains(p.cg.Controllers(), "pids") {
			nproc = maxPids // the lease's own uid: as strong as pids.max
		}
	}
	gateR, gateW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("start %s: %w", pr.inst.Name(), err)
	}
	defer gateW.Close()
	launch := []string{sandboxArg0, ids, strconv.FormatUint(uint64(gid), 10), "4096",
		strconv.FormatUint(pr.inst.StorageBytes, 10), strconv.FormatUint(nproc, 10), path}
	cmd := &exec.Cmd{Path: "/proc/self/exe", Args: append(launch, argv...), Dir: work, Env: env,
		Stdout: logf, Stderr: logf, ExtraFiles: []*os.File{gateR}, SysProcAttr: &syscall.SysProcAttr{Setpgid: true}}
	err = cmd.Start()
	gateR.Close()
	if err != nil {
		fmt.Fprintf(logf, "hypha: cannot start %q: %v\n", pr.inst.Command[0], err)
		return fmt.Errorf("start %s: %w", pr.inst.Name(), err)
	}
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	var lastExit string
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		if err != nil {
			lastExit = err.Error()
		} else {
			lastExit = "exit status 0"
		}
		if pr.pid == pid {
			pr.lastExit = lastExit
		}
		p.mu.Unlock()
		close(exited)
	}()
	if err := p.applyLimits(pid, pr.inst); err != nil {
		// Nothing runs without its limits: kill the group and whatever
		// reached the control group.
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		p.mu.Unlock()
		<-exited
		p.mu.Lock()
		p.removeGroup(pr.inst.Name())
		fmt.Fprintf(logf, "hypha: not started: %v\n", err)
		return fmt.Errorf("start %s: %w", pr.inst.Name(), err)
	}
	if _, err := gateW.Write([]byte("g")); err != nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		return fmt.Errorf("start %s: %w", pr.inst.Name(), err)
	}
	pr.pid = pid
	pr.startTick, _ = procStart(pid)
	pr.startedAt = time.Now().UTC()
	pr.exited = exited
	return nil
}

// checkLimits fails when the instance asks for a limit that no control
// group controller on this host enforces.
func (p *Process) checkLimits(inst Instance) error {
	has := func(c string) bool { return p.cg != nil && slices.Contains(p.cg.Controllers(), c) }
	if inst.CPUMillis > 0 && !has("cpu") {
		return fmt.Errorf("instance %s: cannot limit CPU to %dm: no usable cgroup cpu controller (delegate a cgroup subtree to the agent, or use runtime: docker)", inst.Name(), inst.CPUMillis)
	}
	if inst.MemoryBytes > 0 && !has("memory") {
		return fmt.Errorf("instance %s: cannot limit memory to %d bytes: no usable cgroup memory controller (delegate a cgroup subtree to the agent, or use runtime: docker)", inst.Name(), inst.MemoryBytes)
	}
	if !has("pids") && p.iso.None {
		return fmt.Errorf("instance %s: cannot limit processes: no cgroup pids controller, and RLIMIT_NPROC does not bind the agent's own user (process_isolation: none)", inst.Name())
	}
	return nil
}

// maxPids caps the tasks of an instance (cgroup pids.max, or RLIMIT_NPROC
// on the lease's uid without a pids controller).
const maxPids = 1024

// applyLimits puts pid (the launcher, waiting on its gate) in the
// instance's control group, re-used across restarts. Any failure is
// returned: the caller kills the process rather than run it with weaker
// limits. The launcher itself sets RLIMIT_NOFILE, RLIMIT_FSIZE (storage) and,
// only without a pids controller, RLIMIT_NPROC: that one counts every
// process of the lease's own uid, as strong as a per-lease pids.max.
func (p *Process) applyLimits(pid int, inst Instance) error {
	if err := p.checkLimits(inst); err != nil {
		return err
	}
	if p.cg == nil {
		return nil // checkLimits: nothing asked for cpu or memory
	}
	if inst.CPUMillis > math.MaxInt64 || inst.MemoryBytes > math.MaxInt64 {
		return fmt.Errorf("instance %s: limits out of range (cpu %dm, memory %d bytes)", inst.Name(), inst.CPUMillis, inst.MemoryBytes)
	}
	lim := cgroup.Limits{CPUMillis: int64(inst.CPUMillis), MemoryBytes: int64(inst.MemoryBytes), Pids: maxPids}
	if err := p.cg.Apply(inst.Name(), pid, lim); err != nil {
		return fmt.Errorf("instance %s: control group: %w", inst.Name(), err)
	}
	return nil
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
			p.lockWorkDir(pr.inst.Name())
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
	p.lockWorkDir(ph.Name)
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
