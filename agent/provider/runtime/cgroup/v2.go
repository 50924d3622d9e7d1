package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// applyV2 builds <own cgroup>/hypha/<name>. cgroup v2 only lets a group use a
// controller its parent lists in cgroup.subtree_control, and only cgroups
// without member processes may enable domain controllers there, which is why
// groups hang off a process-free "hypha" directory rather than off our own.
func (m *Manager) applyV2(name string, pid int, lim Limits) (err error) {
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	base := filepath.Join(m.v2parent, "hypha")
	if created, err := m.mkdir(base); err != nil {
		return err
	} else if created {
		undo = append(undo, func() { _ = m.fs.rmdir(base) })
	}
	if err := m.enableV2(m.v2parent, true); err != nil {
		return err
	}
	if err := m.enableV2(base, false); err != nil {
		return err
	}
	dir := filepath.Join(base, name)
	if created, err := m.mkdir(dir); err != nil {
		return err
	} else if created {
		undo = append(undo, func() { _ = m.fs.rmdir(dir) })
	}
	w := func(file, val string) error { return m.fs.write(filepath.Join(dir, file), val) }
	if m.has("memory") {
		if err := w("memory.max", limitOrMax(lim.MemoryBytes)); err != nil {
			return err
		}
		if exists(filepath.Join(dir, "memory.swap.max")) {
			swap := "max"
			if lim.MemoryBytes > 0 {
				swap = "0"
			}
			if err := w("memory.swap.max", swap); err != nil {
				return err
			}
		}
	}
	if m.has("cpu") {
		q := "max"
		if n := lim.cpuQuota(); n > 0 {
			q = strconv.FormatInt(n, 10)
		}
		if err := w("cpu.max", q+" "+strconv.Itoa(cpuPeriod)); err != nil {
			return err
		}
	}
	if m.has("pids") {
		if err := w("pids.max", limitOrMax(lim.Pids)); err != nil {
			return err
		}
	}
	return w("cgroup.procs", strconv.Itoa(pid))
}

// enableV2 turns on our controllers in dir's cgroup.subtree_control, writing
// only those not yet enabled so that an already delegated parent is never
// touched.
func (m *Manager) enableV2(dir string, isParent bool) error {
	file := filepath.Join(dir, "cgroup.subtree_control")
	on, err := readTokens(file)
	if err == nil {
		var add []string
		for _, c := range m.ctrls {
			if !on[c] {
				add = append(add, "+"+c)
			}
		}
		if len(add) == 0 {
			return nil
		}
		err = m.fs.write(file, strings.Join(add, " "))
	}
	if err == nil {
		return nil
	}
	hint := "give the agent a delegated cgroup (systemd: Delegate=yes)"
	if isParent && errors.Is(err, syscall.EBUSY) {
		hint = fmt.Sprintf("%s holds processes (the agent itself), and cgroup v2 only enables controllers in cgroups without members; "+
			"run the agent with systemd Delegate=yes in a leaf below it, or in a cgroup whose parent already enables %s", dir, strings.Join(m.ctrls, " "))
	}
	return fmt.Errorf("cannot enable controllers in %s (%s): %w", file, hint, err)
}

func (m *Manager) statsV2(name string) (Stats, error) {
	dir := filepath.Join(m.v2parent, "hypha", name)
	if _, err := os.Stat(dir); err != nil {
		return Stats{}, err
	}
	var st Stats
	st.MemoryBytes, _ = readUint(filepath.Join(dir, "memory.current"))
	st.MemoryPeakBytes, _ = readUint(filepath.Join(dir, "memory.peak"))
	st.OOMKills, _ = readKeyed(filepath.Join(dir, "memory.events"), "oom_kill")
	if us, ok := readKeyed(filepath.Join(dir, "cpu.stat"), "usage_usec"); ok {
		st.CPUNanos = us * 1000
	}
	return st, nil
}

// mkdir reports whether it created dir, so rollback removes only what this
// call made and a group left by a previous agent run can be reused.
func (m *Manager) mkdir(dir string) (bool, error) {
	err := m.fs.mkdir(dir)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, os.ErrExist) {
		return false, nil
	}
	return false, fmt.Errorf("create %s: %w", dir, err)
}

func limitOrMax(n int64) string {
	if n == 0 {
		return "max"
	}
	return strconv.FormatInt(n, 10)
}
