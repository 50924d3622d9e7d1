package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Default per-lease uid range: lease L runs as uid and gid
// DefaultUIDBase + L mod DefaultUIDRange.
const (
	DefaultUIDBase  = 200000
	DefaultUIDRange = 100000
)

// Isolation says whom the process runtime runs workloads as.
type Isolation struct {
	// None runs workloads as the agent's own user, with access to everything
	// the agent can read and write: for trusted local testing only.
	None bool
	// UIDBase and UIDRange define the per-lease uids (0: the defaults). The
	// uids need no /etc/passwd entry and must not belong to anyone else.
	UIDBase, UIDRange uint32
}

func (iso Isolation) ids(lease uint64) (uid, gid uint32) {
	base, n := iso.UIDBase, iso.UIDRange
	if base == 0 {
		base = DefaultUIDBase
	}
	if n == 0 {
		n = DefaultUIDRange
	}
	id := base + uint32(lease%uint64(n))
	return id, id
}

// checkCanIsolate reports why this process cannot run workloads as other
// users: it needs CAP_SETUID, CAP_SETGID and CAP_CHOWN, and the uid range
// must be mapped in its user namespace.
func checkCanIsolate(iso Isolation) error {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return err
	}
	var capEff uint64
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
			capEff, _ = strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	for _, c := range []struct {
		bit  uint
		name string
	}{{unix.CAP_SETUID, "CAP_SETUID"}, {unix.CAP_SETGID, "CAP_SETGID"}, {unix.CAP_CHOWN, "CAP_CHOWN"}} {
		if capEff&(1<<c.bit) == 0 {
			return fmt.Errorf("the agent runs as uid %d without %s, so it cannot switch workloads to their own uid", os.Geteuid(), c.name)
		}
	}
	lo, _ := iso.ids(0)
	n := iso.UIDRange
	if n == 0 {
		n = DefaultUIDRange
	}
	for _, f := range []string{"/proc/self/uid_map", "/proc/self/gid_map"} {
		if !idMapped(f, lo, n) {
			return fmt.Errorf("ids %d..%d are not mapped in this user namespace (%s)", lo, lo+n-1, f)
		}
	}
	return nil
}

// idMapped tells whether [lo, lo+n) lies inside one line of an id map.
func idMapped(path string, lo, n uint32) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) != 3 {
			continue
		}
		in, err1 := strconv.ParseUint(f[0], 10, 64)
		cnt, err2 := strconv.ParseUint(f[2], 10, 64)
		if err1 == nil && err2 == nil && uint64(lo) >= in && uint64(lo)+uint64(n) <= in+cnt {
			return true
		}
	}
	return false
}

// prepareRoot makes dir the workloads root: owned by the agent, mode 0711
// (workload users may pass through it to their own directory but not list
// it), and gives every ancestor directory search permission for others
// (o+x, never read), which a workload needs to reach its directory.
func (p *Process) prepareRoot() error {
	if err := os.MkdirAll(p.Dir, 0o711); err != nil {
		return fmt.Errorf("process runtime: create %s: %w", p.Dir, err)
	}
	abs, err := filepath.Abs(p.Dir)
	if err != nil {
		return err
	}
	p.Dir = abs
	if err := os.Lchown(abs, os.Geteuid(), os.Getegid()); err != nil {
		return fmt.Errorf("process runtime: %w", err)
	}
	if err := os.Chmod(abs, 0o711); err != nil {
		return fmt.Errorf("process runtime: %w", err)
	}
	if p.iso.None {
		return nil
	}
	for d := filepath.Dir(abs); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("process runtime: %w", err)
		}
		if fi.Mode().Perm()&0o001 == 0 {
			mode := fi.Mode().Perm() | 0o001
			if err := os.Chmod(d, mode); err != nil {
				return fmt.Errorf("process runtime: workloads cannot reach %s: %s has no search permission for others and chmod o+x failed: %w", abs, d, err)
			}
			p.logf("process runtime: %s is now mode %04o (search only for others, no listing) so workload users can reach their directories under %s", d, mode, abs)
		}
		if d == "/" || d == filepath.Dir(d) {
			return nil
		}
	}
}

// prepareInstanceDirs creates dir (the agent's: 0711, holding the log) and
// dir/work (the workload's: 0700, owned by uid:gid).
func (p *Process) prepareInstanceDirs(dir, work string, uid, gid uint32) error {
	if err := os.Mkdir(dir, 0o711); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create instance directory: %w", err)
	}
	if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("instance directory %s is not a directory", dir)
	}
	if err := os.Lchown(dir, os.Geteuid(), os.Getegid()); err != nil {
		return fmt.Errorf("instance directory: %w", err)
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		return fmt.Errorf("instance directory: %w", err)
	}
	if err := os.Mkdir(work, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create working directory: %w", err)
	}
	if fi, err := os.Lstat(work); err != nil || !fi.IsDir() {
		return fmt.Errorf("working directory %s is not a directory", work)
	}
	if p.iso.None {
		return nil
	}
	if err := os.Lchown(work, int(uid), int(gid)); err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	if err := os.Chmod(work, 0o700); err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	return nil
}

// lockWorkDir gives a stopped instance's working directory back to the
// agent, so a later lease that gets the same uid cannot read it.
func (p *Process) lockWorkDir(name string) {
	if p.iso.None || name == "" || strings.ContainsAny(name, "/") || name == ".." {
		return
	}
	work := filepath.Join(p.Dir, name, "work")
	if fi, err := os.Lstat(work); err != nil || !fi.IsDir() {
		return
	}
	if err := os.Lchown(work, os.Geteuid(), os.Getegid()); err != nil {
		p.logf("instance %s: lock working directory: %v", name, err)
	}
	_ = os.Chmod(work, 0o700)
}

// reachable tells whether a user other than the file's owner and group may
// search every directory on the way to path and, with mode bit, use path.
func reachable(path string, bit os.FileMode) bool {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false
	}
	fi, err := os.Stat(real)
	if err != nil || fi.Mode().Perm()&bit == 0 {
		return false
	}
	for d := filepath.Dir(real); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// sandboxPATH keeps the PATH entries a workload user can search (the
// agent's PATH may name directories under root's home).
func sandboxPATH(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			var keep []string
			for _, d := range filepath.SplitList(v) {
				if d != "" && filepath.IsAbs(d) && reachable(d, 0o001) {
					keep = append(keep, d)
				}
			}
			kv = "PATH=" + strings.Join(keep, ":")
		}
		out = append(out, kv)
	}
	return out
}

// lookPathAs finds file the way the workload's shell would, among the
// programs others may execute.
func lookPathAs(file string, env []string) (string, error) {
	if strings.Contains(file, "/") {
		if fi, err := os.Stat(file); err != nil {
			return "", fmt.Errorf("exec: %w", err)
		} else if !fi.Mode().IsRegular() || !reachable(file, 0o001) {
			return "", fmt.Errorf("exec: %q: not a program the workload user may execute", file)
		}
		return file, nil
	}
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		c := filepath.Join(d, file)
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() && reachable(c, 0o001) {
			return c, nil
		}
	}
	return "", fmt.Errorf("exec: %q: no program of that name that the workload user may execute in PATH %q", file, path)
}

// sandboxArg0 marks a re-execution of the agent's own binary
// (/proc/self/exe) as the launcher of a workload; see sandboxMain.
const sandboxArg0 = "hypha-sandbox-exec"

func init() {
	if filepath.Base(os.Args[0]) == sandboxArg0 {
		sandboxMain(os.Args[1:])
	}
}

// sandboxMain is the launcher between the agent and a workload, started as
// the agent's user with arguments "uid gid nofile fsize nproc path argv...".
// It waits until the agent has put it in its control group (a byte "g" on
// fd 3; anything else, or EOF, means the limits failed and it exits), lowers
// its rlimits (hard and soft), drops to uid:gid with no supplementary groups
// ("-": keep the agent's user), sets no_new_privs and executes the workload
// in its place (same pid), so no workload code runs before its limits.
func sandboxMain(args []string) {
	goruntime.LockOSThread()
	fail := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "hypha: "+format+"\n", a...)
		os.Exit(127)
	}
	if len(args) < 7 {
		fail("sandbox launcher: bad arguments %q", args)
	}
	gate := os.NewFile(3, "gate")
	b := make([]byte, 1)
	if n, _ := gate.Read(b); n != 1 || b[0] != 'g' {
		os.Exit(125)
	}
	gate.Close()
	num := func(i int) uint64 {
		v, err := strconv.ParseUint(args[i], 10, 64)
		if err != nil {
			fail("sandbox launcher: bad argument %q", args[i])
		}
		return v
	}
	for _, l := range []struct {
		res  int
		v    uint64
		what string
	}{{syscall.RLIMIT_NOFILE, num(2), "open files"}, {syscall.RLIMIT_FSIZE, num(3), "file size"}, {unix.RLIMIT_NPROC, num(4), "processes"}} {
		if l.v == 0 {
			continue
		}
		var cur syscall.Rlimit
		if err := syscall.Getrlimit(l.res, &cur); err != nil {
			fail("cannot read the %s limit: %v", l.what, err)
		}
		v := min(l.v, cur.Max)
		if err := syscall.Setrlimit(l.res, &syscall.Rlimit{Cur: v, Max: v}); err != nil {
			fail("cannot set the %s limit: %v", l.what, err)
		}
	}
	if args[0] != "-" {
		uid, gid := int(num(0)), int(num(1))
		if err := syscall.Setgroups([]int{}); err != nil {
			fail("cannot drop supplementary groups: %v", err)
		}
		if err := syscall.Setgid(gid); err != nil {
			fail("cannot switch to gid %d: %v", gid, err)
		}
		if err := syscall.Setuid(uid); err != nil {
			fail("cannot switch to uid %d: %v", uid, err)
		}
		if os.Getuid() != uid || os.Geteuid() != uid || os.Getgid() != gid {
			fail("still uid %d/%d gid %d after switching to %d:%d", os.Getuid(), os.Geteuid(), os.Getgid(), uid, gid)
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fail("cannot set no_new_privs: %v", err)
	}
	err := syscall.Exec(args[5], args[6:], os.Environ())
	fail("cannot start %q: %v", args[5], err)
}
