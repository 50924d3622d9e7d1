// Package cgroup confines a provider workload to its own Linux control group
// so that CPU, memory and process-count limits are enforced by the kernel for
// the whole process tree, not just per process as rlimits are.
//
// Groups live under a "hypha" directory below the agent's own cgroup, so the
// agent only needs write access to the subtree it was delegated (systemd
// Delegate=yes on cgroup v2, or a writable v1 hierarchy).
package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"
)

// DefaultRoot is where cgroup file systems are mounted on every mainstream
// distribution; Detect uses it when given an empty root.
const DefaultRoot = "/sys/fs/cgroup"

// MaxNameLen bounds names so that paths stay well below PATH_MAX and a bad
// caller cannot create absurd directory names in the cgroup tree.
const MaxNameLen = 128

// cpuPeriod is the CFS period in microseconds; 100ms is the kernel default,
// which keeps quotas proportional to millicpus (quota = millis*100).
const cpuPeriod = 100000

// minCPUQuota is the smallest quota the kernel accepts (1ms); smaller requests
// are rounded up rather than failing.
const minCPUQuota = 1000

// maxCPUMillis keeps CPUMillis*100 far from overflow and within the kernel's
// bandwidth limits.
const maxCPUMillis = 10_000_000

var (
	// ErrUnavailable means no writable cgroup hierarchy with any of the cpu,
	// memory or pids controllers was found, so callers can fall back to
	// rlimits instead of failing the workload.
	ErrUnavailable = errors.New("cgroup: no usable cgroup file system")
	// ErrInvalidName lets callers tell a programming error (bad instance
	// name) apart from a kernel refusal.
	ErrInvalidName = errors.New("cgroup: invalid group name")
	// ErrInvalidLimits rejects negative or absurd limits before anything is
	// written, so a bad spec never leaves a half-configured group.
	ErrInvalidLimits = errors.New("cgroup: invalid limits")
)

// Limits are integers throughout so that no rounding happens between the
// lease spec and the kernel. Zero means unlimited.
type Limits struct {
	// CPUMillis is CPU bandwidth in thousandths of a CPU (1000 = one core).
	CPUMillis int64
	// MemoryBytes caps resident memory; swap is disabled when it is set so the
	// cap cannot be evaded by swapping.
	MemoryBytes int64
	// Pids caps the number of tasks (processes and threads), which stops fork
	// bombs from exhausting the host's pid space.
	Pids int64
}

// Stats is what the kernel accounts for a group; fields the running cgroup
// version or controller set does not offer are left zero.
type Stats struct {
	MemoryBytes     uint64 // current usage, including page cache
	MemoryPeakBytes uint64 // high-water mark, useful to right-size leases
	OOMKills        uint64 // processes killed for exceeding MemoryBytes
	CPUNanos        uint64 // total CPU time consumed
}

// Manager places processes into per-instance groups. It is safe for
// concurrent use; a zero Manager is not usable, obtain one from Detect.
type Manager struct {
	version int
	ctrls   []string // limit-enforcing controllers available: cpu, memory, pids

	// v2: the agent's own cgroup directory; groups go in <v2parent>/hypha.
	v2parent string
	// v1: one entry per mounted hierarchy that carries a controller we use.
	hier []hierarchy

	fs fsOps
	mu sync.Mutex
}

// hierarchy is one v1 mount as seen from this process.
type hierarchy struct {
	ctrls []string // controllers of this mount that we use
	own   string   // <mount>/<own cgroup path>: where our process lives
}

// fsOps is the file-system boundary, swapped in tests to record writes and to
// emulate the kernel creating interface files in new directories.
type fsOps struct {
	mkdir func(path string) error
	rmdir func(path string) error
	write func(path, data string) error
}

var osFS = fsOps{
	mkdir: func(p string) error { return os.Mkdir(p, 0o755) },
	rmdir: os.Remove,
	write: writeFile,
}

// Version is 1 or 2, for log lines such as "limits via cgroup v2".
func (m *Manager) Version() int { return m.version }

// Controllers lists which of cpu, memory and pids will actually be enforced,
// so the caller can log limits that are silently not applied.
func (m *Manager) Controllers() []string { return append([]string(nil), m.ctrls...) }

func (m *Manager) has(ctrl string) bool {
	for _, c := range m.ctrls {
		if c == ctrl {
			return true
		}
	}
	return false
}

// Apply creates (or reuses, after an agent restart) the group for name, sets
// the limits and moves pid into it. On failure it undoes what it created, so
// the process is left where it was.
func (m *Manager) Apply(name string, pid int, lim Limits) error {
	if err := validName(name); err != nil {
		return err
	}
	if err := lim.validate(); err != nil {
		return err
	}
	if pid <= 0 {
		return fmt.Errorf("cgroup: apply %s: invalid pid %d", name, pid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var err error
	if m.version == 2 {
		err = m.applyV2(name, pid, lim)
	} else {
		err = m.applyV1(name, pid, lim)
	}
	if err != nil {
		return fmt.Errorf("cgroup v%d: apply %s to pid %d: %w", m.version, name, pid, err)
	}
	return nil
}

// Stats reads the kernel's accounting for name; it fails only if the group
// does not exist.
func (m *Manager) Stats(name string) (Stats, error) {
	if err := validName(name); err != nil {
		return Stats{}, err
	}
	var (
		st  Stats
		err error
	)
	if m.version == 2 {
		st, err = m.statsV2(name)
	} else {
		st, err = m.statsV1(name)
	}
	if err != nil {
		return Stats{}, fmt.Errorf("cgroup v%d: stats %s: %w", m.version, name, err)
	}
	return st, nil
}

// Remove kills whatever is left in the group (daemonized children escape the
// process group but not the cgroup) and deletes it. Removing a group that does
// not exist is not an error, so Remove can be called unconditionally.
func (m *Manager) Remove(name string) error {
	if err := validName(name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dirs := m.dirs(name)
	var live []string
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			live = append(live, d)
		}
	}
	if len(live) == 0 {
		return nil
	}
	if err := m.removeDirs(live, 5*time.Second); err != nil {
		return fmt.Errorf("cgroup v%d: remove %s: %w", m.version, name, err)
	}
	return nil
}

// dirs returns every directory that makes up group name.
func (m *Manager) dirs(name string) []string {
	if m.version == 2 {
		return []string{filepath.Join(m.v2parent, "hypha", name)}
	}
	out := make([]string, 0, len(m.hier))
	for _, h := range m.hier {
		out = append(out, filepath.Join(h.own, "hypha", name))
	}
	return out
}

// removeDirs empties and deletes dirs, retrying while the kernel is still
// tearing the killed tasks down.
func (m *Manager) removeDirs(dirs []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	if m.version == 2 {
		kill := filepath.Join(dirs[0], "cgroup.kill")
		if _, err := os.Stat(kill); err == nil {
			_ = m.fs.write(kill, "1") // best effort; the SIGKILL loop below covers failure
		}
	}
	delay := time.Millisecond
	for {
		pids, err := readPids(dirs)
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL) // ESRCH just means it already died
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v still alive after SIGKILL", pids)
		}
		time.Sleep(delay)
		delay = min(2*delay, 50*time.Millisecond)
	}
	var errs []error
	for _, d := range dirs {
		for {
			err := m.fs.rmdir(d)
			if err == nil || errors.Is(err, os.ErrNotExist) {
				break
			}
			if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
				errs = append(errs, fmt.Errorf("rmdir %s: %w", d, err))
				break
			}
			time.Sleep(delay)
			delay = min(2*delay, 50*time.Millisecond)
		}
	}
	return errors.Join(errs...)
}

// readPids returns the union of the pids listed in each dir's cgroup.procs.
func readPids(dirs []string) ([]int, error) {
	seen := map[int]bool{}
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, f := range splitFields(string(b)) {
			if n, err := parseUint(f); err == nil && n > 0 {
				seen[int(n)] = true
			}
		}
	}
	pids := make([]int, 0, len(seen))
	for p := range seen {
		pids = append(pids, p)
	}
	sort.Ints(pids)
	return pids, nil
}

// validName accepts only [A-Za-z0-9_-] starting with a letter or digit: no
// path separators or "..", and no dots that could collide with interface files
// such as memory.max in the parent directory.
func validName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return fmt.Errorf("%w: %q: must be 1..%d bytes", ErrInvalidName, name, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if i == 0 && !alnum || !alnum && c != '-' && c != '_' {
			return fmt.Errorf("%w: %q: only letters, digits, '-' and '_', starting with a letter or digit", ErrInvalidName, name)
		}
	}
	return nil
}

func (l Limits) validate() error {
	if l.CPUMillis < 0 || l.MemoryBytes < 0 || l.Pids < 0 {
		return fmt.Errorf("%w: negative value in %+v", ErrInvalidLimits, l)
	}
	if l.CPUMillis > maxCPUMillis {
		return fmt.Errorf("%w: CPUMillis %d exceeds %d", ErrInvalidLimits, l.CPUMillis, maxCPUMillis)
	}
	return nil
}

// cpuQuota converts millicpus to a CFS quota in microseconds per cpuPeriod;
// 0 (unlimited) maps to -1, which callers render per version.
func (l Limits) cpuQuota() int64 {
	if l.CPUMillis == 0 {
		return -1
	}
	return max(l.CPUMillis*(cpuPeriod/1000), minCPUQuota)
}
