package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// wanted are the controllers that enforce Limits, in a stable order.
var wanted = []string{"cpu", "memory", "pids"}

// procEnv is what Detect learns about the calling process; tests substitute
// fake contents for /proc/self/cgroup and /proc/self/mountinfo.
type procEnv struct {
	cgroup    string // contents of /proc/self/cgroup
	mountinfo string // contents of /proc/self/mountinfo
}

func readProcEnv() (procEnv, error) {
	cg, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return procEnv{}, err
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return procEnv{}, err
	}
	return procEnv{cgroup: string(cg), mountinfo: string(mi)}, nil
}

// Detect finds the cgroup version mounted at root ("" means DefaultRoot) and
// the part of the tree this process may manage. Every failure wraps
// ErrUnavailable, so callers can degrade to rlimits with one errors.Is.
func Detect(root string) (*Manager, error) {
	env, err := readProcEnv()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return detect(root, env, osFS)
}

func detect(root string, env procEnv, fs fsOps) (*Manager, error) {
	if root == "" {
		root = DefaultRoot
	}
	root = filepath.Clean(root)
	var (
		m   *Manager
		err error
	)
	if _, statErr := os.Stat(filepath.Join(root, "cgroup.controllers")); statErr == nil {
		m, err = detectV2(root, env)
	} else {
		m, err = detectV1(root, env)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	m.fs = fs
	return m, nil
}

func detectV2(root string, env procEnv) (*Manager, error) {
	own, ok := ownPaths(env.cgroup)[""]
	if !ok {
		return nil, errors.New("no \"0::\" line in /proc/self/cgroup")
	}
	parent := filepath.Join(root, own)
	if err := writableDir(parent); err != nil {
		return nil, err
	}
	avail, err := readTokens(filepath.Join(parent, "cgroup.controllers"))
	if err != nil {
		return nil, err
	}
	m := &Manager{version: 2, v2parent: parent}
	for _, c := range wanted {
		if avail[c] {
			m.ctrls = append(m.ctrls, c)
		}
	}
	if len(m.ctrls) == 0 {
		return nil, fmt.Errorf("none of cpu, memory, pids is delegated to %s (its cgroup.controllers lists none of them)", parent)
	}
	return m, nil
}

func detectV1(root string, env procEnv) (*Manager, error) {
	own := ownPaths(env.cgroup)
	mounts := v1Mounts(root, env.mountinfo)
	if len(mounts) == 0 {
		mounts = v1Dirs(root)
	}
	if len(mounts) == 0 {
		return nil, fmt.Errorf("no cgroup v1 hierarchy under %s and no cgroup.controllers file (not cgroup v2)", root)
	}
	m := &Manager{version: 1}
	have := map[string]bool{}
	for _, mt := range mounts {
		var use []string
		for _, c := range mt.ctrls {
			if (c == "cpu" || c == "memory" || c == "pids" || c == "cpuacct") && !have[c] {
				use = append(use, c)
			}
		}
		if len(use) == 0 {
			continue
		}
		path, ok := own[strings.Join(mt.ctrls, ",")]
		if !ok {
			path, ok = own[use[0]]
		}
		if !ok {
			path = "/"
		}
		// In a cgroup namespace or bind mount the mount's root is not the
		// hierarchy root; /proc/self/cgroup paths are relative to the latter.
		if mt.root != "/" {
			if rel, err := filepath.Rel(mt.root, path); err == nil && !strings.HasPrefix(rel, "..") {
				path = rel
			} else {
				path = "/"
			}
		}
		dir := filepath.Join(mt.point, path)
		if writableDir(dir) != nil {
			continue
		}
		for _, c := range use {
			have[c] = true
		}
		m.hier = append(m.hier, hierarchy{ctrls: use, own: dir})
	}
	for _, c := range wanted {
		if have[c] {
			m.ctrls = append(m.ctrls, c)
		}
	}
	if len(m.ctrls) == 0 {
		return nil, fmt.Errorf("no writable cpu, memory or pids hierarchy under %s", root)
	}
	return m, nil
}

// v1Mount is one cgroup v1 hierarchy mount.
type v1Mount struct {
	point string   // mount point
	root  string   // path inside the hierarchy that is mounted there
	ctrls []string // controllers bound to the hierarchy
}

// v1Mounts parses mountinfo for cgroup (v1) mounts below root, so renamed or
// co-mounted hierarchies (cpu,cpuacct) are found without guessing names.
func v1Mounts(root, mountinfo string) []v1Mount {
	var out []v1Mount
	for _, line := range strings.Split(mountinfo, "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 || g[0] != "cgroup" {
			continue
		}
		point := unescapeMount(f[4])
		if filepath.Dir(point) != root && point != root {
			continue
		}
		var ctrls []string
		for _, o := range strings.Split(g[2], ",") {
			switch o {
			case "rw", "ro", "", "none", "noprefix", "xattr", "clone_children", "cpuset_v2_mode":
			default:
				if !strings.Contains(o, "=") {
					ctrls = append(ctrls, o)
				}
			}
		}
		if len(ctrls) > 0 {
			out = append(out, v1Mount{point: point, root: unescapeMount(f[3]), ctrls: ctrls})
		}
	}
	return out
}

// v1Dirs is the fallback when root is not a real mount (tests, or an unusual
// /proc): each subdirectory named after its controllers is a hierarchy.
func v1Dirs(root string) []v1Mount {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var out []v1Mount
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), "name=") {
			out = append(out, v1Mount{point: filepath.Join(root, e.Name()), root: "/", ctrls: strings.Split(e.Name(), ",")})
		}
	}
	return out
}

// unescapeMount undoes the octal escaping (\040 for space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// ownPaths maps the controller list of each /proc/self/cgroup line
// ("cpu,cpuacct", "" for the v2 line) and each single controller in it to the
// process's path in that hierarchy.
func ownPaths(procCgroup string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(procCgroup, "\n") {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		out[parts[1]] = parts[2]
		for _, c := range strings.Split(parts[1], ",") {
			if c != "" {
				out[c] = parts[2]
			}
		}
	}
	return out
}

// writableDir reports why dir cannot hold new groups; access(2) catches
// read-only mounts, which root's privileges do not override.
func writableDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return fmt.Errorf("%s is not writable: %w", dir, err)
	}
	return nil
}

// writeFile writes without O_CREATE: a missing interface file means the
// controller is absent, which must be an error, not a new regular file.
func writeFile(path, data string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %q to %s: %w", data, path, err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// readTokens returns the whitespace-separated words of a file such as
// cgroup.controllers, with any leading '+' dropped.
func readTokens(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, f := range splitFields(string(b)) {
		out[strings.TrimPrefix(f, "+")] = true
	}
	return out, nil
}

func splitFields(s string) []string { return strings.Fields(s) }

func parseUint(s string) (uint64, error) { return strconv.ParseUint(strings.TrimSpace(s), 10, 64) }

// readUint reads a single-number file; ok is false if it is absent or not a
// number (e.g. "max").
func readUint(path string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := parseUint(string(b))
	return n, err == nil
}

// readKeyed reads key from a "key value" per line file such as memory.events.
func readKeyed(path, key string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok && k == key {
			n, err := parseUint(v)
			return n, err == nil
		}
	}
	return 0, false
}
