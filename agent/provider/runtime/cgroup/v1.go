package cgroup

import (
	"os"
	"path/filepath"
	"strconv"
)

// applyV1 creates <mount>/<own path>/hypha/<name> in every hierarchy we use,
// writes the limits, and only then moves pid, so a failed write never leaves
// the process half-moved.
func (m *Manager) applyV1(name string, pid int, lim Limits) (err error) {
	var undo []func()
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	dirs := make([]string, len(m.hier))
	for i, h := range m.hier {
		base := filepath.Join(h.own, "hypha")
		if created, err := m.mkdir(base); err != nil {
			return err
		} else if created {
			undo = append(undo, func() { _ = m.fs.rmdir(base) })
		}
		dirs[i] = filepath.Join(base, name)
		if created, err := m.mkdir(dirs[i]); err != nil {
			return err
		} else if created {
			dir := dirs[i]
			undo = append(undo, func() { _ = m.fs.rmdir(dir) })
		}
	}
	for i, h := range m.hier {
		if err := m.limitV1(dirs[i], h.ctrls, lim); err != nil {
			return err
		}
	}
	for i, h := range m.hier {
		if err := m.fs.write(filepath.Join(dirs[i], "cgroup.procs"), strconv.Itoa(pid)); err != nil {
			return err
		}
		// A group holding a task cannot be removed: move pid back first.
		own := h.own
		undo = append(undo, func() { _ = m.fs.write(filepath.Join(own, "cgroup.procs"), strconv.Itoa(pid)) })
	}
	return nil
}

func (m *Manager) limitV1(dir string, ctrls []string, lim Limits) error {
	w := func(file, val string) error { return m.fs.write(filepath.Join(dir, file), val) }
	for _, c := range ctrls {
		switch c {
		case "memory":
			// memsw (memory+swap) must stay >= the memory limit, so lift it
			// before changing the limit and lower it afterwards. It exists
			// only with swap accounting, hence failures are ignored.
			memsw := filepath.Join(dir, "memory.memsw.limit_in_bytes")
			hasSw := exists(memsw)
			if hasSw {
				_ = m.fs.write(memsw, "-1")
			}
			if err := w("memory.limit_in_bytes", limitOrMinus1(lim.MemoryBytes)); err != nil {
				return err
			}
			if hasSw && lim.MemoryBytes > 0 {
				_ = m.fs.write(memsw, limitOrMinus1(lim.MemoryBytes))
			}
		case "cpu":
			if err := w("cpu.cfs_period_us", strconv.Itoa(cpuPeriod)); err != nil {
				return err
			}
			if err := w("cpu.cfs_quota_us", strconv.FormatInt(lim.cpuQuota(), 10)); err != nil {
				return err
			}
		case "pids":
			if err := w("pids.max", limitOrMax(lim.Pids)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Manager) statsV1(name string) (Stats, error) {
	var (
		st    Stats
		found bool
	)
	for _, h := range m.hier {
		dir := filepath.Join(h.own, "hypha", name)
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		found = true
		for _, c := range h.ctrls {
			switch c {
			case "memory":
				st.MemoryBytes, _ = readUint(filepath.Join(dir, "memory.usage_in_bytes"))
				st.MemoryPeakBytes, _ = readUint(filepath.Join(dir, "memory.max_usage_in_bytes"))
				st.OOMKills, _ = readKeyed(filepath.Join(dir, "memory.oom_control"), "oom_kill")
			case "cpuacct":
				st.CPUNanos, _ = readUint(filepath.Join(dir, "cpuacct.usage"))
			}
		}
	}
	if !found {
		return Stats{}, os.ErrNotExist
	}
	return st, nil
}

func limitOrMinus1(n int64) string {
	if n == 0 {
		return "-1"
	}
	return strconv.FormatInt(n, 10)
}
