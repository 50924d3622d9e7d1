package cgroup

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// fakeTree is a temporary directory laid out like a cgroup hierarchy. Its
// fsOps emulate the kernel: mkdir creates the interface files of the
// controllers the parent enables, writes are recorded, and cgroup.procs
// writes are not persisted (so Remove never signals a real pid).
type fakeTree struct {
	t      *testing.T
	root   string
	writes []string            // "relpath=value"
	fail   map[string]error    // relpath -> error injected on write
	files  map[string][]string // controller -> interface files in a new group
}

func newFakeTree(t *testing.T) *fakeTree {
	return &fakeTree{t: t, root: t.TempDir(), fail: map[string]error{}, files: map[string][]string{}}
}

func (f *fakeTree) rel(p string) string {
	r, err := filepath.Rel(f.root, p)
	if err != nil {
		f.t.Fatalf("path %s outside fake root: %v", p, err)
	}
	return r
}

func (f *fakeTree) put(rel, data string) {
	p := filepath.Join(f.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeTree) ops() fsOps {
	return fsOps{
		mkdir: func(p string) error {
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
			on, _ := readTokens(filepath.Join(filepath.Dir(p), "cgroup.subtree_control"))
			var ctrls []string
			for _, c := range []string{"cpu", "memory", "pids"} {
				if on[c] {
					ctrls = append(ctrls, c)
				}
			}
			names := []string{"cgroup.subtree_control", "cgroup.procs", "cgroup.kill"}
			for _, c := range ctrls {
				names = append(names, f.files[c]...)
			}
			for _, n := range names {
				if err := os.WriteFile(filepath.Join(p, n), nil, 0o644); err != nil {
					return err
				}
			}
			return os.WriteFile(filepath.Join(p, "cgroup.controllers"), []byte(strings.Join(ctrls, " ")), 0o644)
		},
		rmdir: os.RemoveAll,
		write: func(p, data string) error {
			r := f.rel(p)
			if err := f.fail[r]; err != nil {
				return err
			}
			f.writes = append(f.writes, r+"="+data)
			if filepath.Base(p) == "cgroup.procs" {
				_, err := os.Stat(p)
				return err
			}
			return writeFile(p, data)
		},
	}
}

var v2Files = map[string][]string{
	"cpu":    {"cpu.max", "cpu.stat"},
	"memory": {"memory.max", "memory.swap.max", "memory.current", "memory.peak", "memory.events"},
	"pids":   {"pids.max"},
}

// newFakeV2 builds root/cgroup.controllers and the agent's own cgroup
// root/agent.service with the given delegated controllers.
func newFakeV2(t *testing.T, delegated, subtree string) *fakeTree {
	f := newFakeTree(t)
	f.files = v2Files
	f.put("cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc")
	f.put("agent.service/cgroup.controllers", delegated)
	f.put("agent.service/cgroup.subtree_control", subtree)
	f.put("agent.service/cgroup.procs", "1\n")
	return f
}

func (f *fakeTree) detect() (*Manager, error) {
	return detect(f.root, procEnv{cgroup: "0::/agent.service\n"}, f.ops())
}

func TestV2Apply(t *testing.T) {
	const g = "agent.service/hypha/12-web-0/"
	full := []string{
		"agent.service/cgroup.subtree_control=+cpu +memory +pids",
		"agent.service/hypha/cgroup.subtree_control=+cpu +memory +pids",
	}
	tests := []struct {
		name      string
		delegated string
		subtree   string
		lim       Limits
		ctrls     []string
		want      []string
	}{
		{
			name: "all limits", delegated: "cpu memory pids", lim: Limits{CPUMillis: 500, MemoryBytes: 256 << 20, Pids: 512},
			ctrls: []string{"cpu", "memory", "pids"},
			want: append(full[:2:2],
				g+"memory.max=268435456", g+"memory.swap.max=0", g+"cpu.max=50000 100000", g+"pids.max=512", g+"cgroup.procs=4242"),
		},
		{
			name: "unlimited", delegated: "cpu memory pids", lim: Limits{},
			ctrls: []string{"cpu", "memory", "pids"},
			want: append(full[:2:2],
				g+"memory.max=max", g+"memory.swap.max=max", g+"cpu.max=max 100000", g+"pids.max=max", g+"cgroup.procs=4242"),
		},
		{
			name: "tiny cpu rounds up to kernel minimum", delegated: "cpu memory pids", lim: Limits{CPUMillis: 1},
			ctrls: []string{"cpu", "memory", "pids"},
			want: append(full[:2:2],
				g+"memory.max=max", g+"memory.swap.max=max", g+"cpu.max=1000 100000", g+"pids.max=max", g+"cgroup.procs=4242"),
		},
		{
			name: "parent already delegates", delegated: "cpu memory pids io", subtree: "cpu memory pids", lim: Limits{CPUMillis: 2000, MemoryBytes: 1 << 30, Pids: 5},
			ctrls: []string{"cpu", "memory", "pids"},
			want: []string{full[1],
				g + "memory.max=1073741824", g + "memory.swap.max=0", g + "cpu.max=200000 100000", g + "pids.max=5", g + "cgroup.procs=4242"},
		},
		{
			name: "only memory delegated", delegated: "memory io", lim: Limits{CPUMillis: 500, MemoryBytes: 64 << 20, Pids: 10},
			ctrls: []string{"memory"},
			want: []string{"agent.service/cgroup.subtree_control=+memory", "agent.service/hypha/cgroup.subtree_control=+memory",
				g + "memory.max=67108864", g + "memory.swap.max=0", g + "cgroup.procs=4242"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeV2(t, tc.delegated, tc.subtree)
			m, err := f.detect()
			if err != nil {
				t.Fatal(err)
			}
			if m.Version() != 2 || !reflect.DeepEqual(m.Controllers(), tc.ctrls) {
				t.Fatalf("version %d controllers %v, want 2 %v", m.Version(), m.Controllers(), tc.ctrls)
			}
			if err := m.Apply("12-web-0", 4242, tc.lim); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.writes, tc.want) {
				t.Fatalf("writes:\n  %s\nwant:\n  %s", strings.Join(f.writes, "\n  "), strings.Join(tc.want, "\n  "))
			}

			// A second group reuses hypha without touching subtree_control.
			f.writes = nil
			if err := m.Apply("12-web-1", 4243, tc.lim); err != nil {
				t.Fatal(err)
			}
			for _, w := range f.writes {
				if strings.Contains(w, "subtree_control") {
					t.Errorf("second apply rewrote %s", w)
				}
			}

			f.put(g+"memory.current", "1000\n")
			f.put(g+"memory.peak", "2000\n")
			f.put(g+"memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
			f.put(g+"cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n")
			st, err := m.Stats("12-web-0")
			if err != nil {
				t.Fatal(err)
			}
			if want := (Stats{MemoryBytes: 1000, MemoryPeakBytes: 2000, OOMKills: 1, CPUNanos: 1500000}); st != want {
				t.Errorf("stats %+v, want %+v", st, want)
			}

			f.writes = nil
			if err := m.Remove("12-web-0"); err != nil {
				t.Fatal(err)
			}
			if want := []string{g + "cgroup.kill=1"}; !reflect.DeepEqual(f.writes, want) {
				t.Errorf("remove writes %v, want %v", f.writes, want)
			}
			if exists(filepath.Join(f.root, g)) {
				t.Error("group directory left behind")
			}
			if _, err := m.Stats("12-web-0"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("stats after remove: %v, want ErrNotExist", err)
			}
			if err := m.Remove("12-web-0"); err != nil {
				t.Errorf("second remove: %v", err)
			}
		})
	}
}

func TestV2ApplyErrors(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(f *fakeTree)
		want    []string // substrings of the error
		wantErr error
		// hyphaLeft: the hypha dir predates the test, so it must survive.
		hyphaLeft bool
	}{
		{
			name:    "parent subtree_control missing",
			setup:   func(f *fakeTree) { os.Remove(filepath.Join(f.root, "agent.service/cgroup.subtree_control")) },
			want:    []string{"agent.service/cgroup.subtree_control", "Delegate=yes"},
			wantErr: fs.ErrNotExist,
		},
		{
			name:    "parent holds processes",
			setup:   func(f *fakeTree) { f.fail["agent.service/cgroup.subtree_control"] = syscall.EBUSY },
			want:    []string{"agent.service/cgroup.subtree_control", "Delegate=yes", "holds processes"},
			wantErr: syscall.EBUSY,
		},
		{
			name:    "hypha subtree_control not writable",
			setup:   func(f *fakeTree) { f.fail["agent.service/hypha/cgroup.subtree_control"] = syscall.EACCES },
			want:    []string{"agent.service/hypha/cgroup.subtree_control", "Delegate=yes"},
			wantErr: syscall.EACCES,
		},
		{
			name: "existing hypha survives failed limit write",
			setup: func(f *fakeTree) {
				f.put("agent.service/cgroup.subtree_control", "cpu memory pids")
				f.put("agent.service/hypha/cgroup.subtree_control", "cpu memory pids")
				f.fail["agent.service/hypha/12-web-0/pids.max"] = syscall.EINVAL
			},
			want:      []string{"apply 12-web-0 to pid 4242"},
			wantErr:   syscall.EINVAL,
			hyphaLeft: true,
		},
		{
			name:    "procs write fails",
			setup:   func(f *fakeTree) { f.fail["agent.service/hypha/12-web-0/cgroup.procs"] = syscall.ESRCH },
			want:    []string{"cgroup v2"},
			wantErr: syscall.ESRCH,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeV2(t, "cpu memory pids", "")
			tc.setup(f)
			m, err := f.detect()
			if err != nil {
				t.Fatal(err)
			}
			err = m.Apply("12-web-0", 4242, Limits{CPUMillis: 500, MemoryBytes: 64 << 20, Pids: 5})
			if err == nil {
				t.Fatal("apply succeeded")
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v does not wrap %v", err, tc.wantErr)
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if exists(filepath.Join(f.root, "agent.service/hypha/12-web-0")) {
				t.Error("group directory left behind")
			}
			if got := exists(filepath.Join(f.root, "agent.service/hypha")); got != tc.hyphaLeft {
				t.Errorf("hypha exists=%v, want %v", got, tc.hyphaLeft)
			}
		})
	}
}

func TestDetectUnavailable(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fakeTree)
		cg    string
	}{
		{name: "empty root", setup: func(*fakeTree) {}, cg: "0::/\n"},
		{name: "v2 without v2 line", setup: func(f *fakeTree) { f.put("cgroup.controllers", "cpu") }, cg: "4:memory:/\n"},
		{name: "v2 nothing delegated", setup: func(f *fakeTree) {
			f.put("cgroup.controllers", "cpu memory pids")
			f.put("a/cgroup.controllers", "io")
		}, cg: "0::/a\n"},
		{name: "v1 without useful controllers", setup: func(f *fakeTree) { f.put("devices/tasks", "") }, cg: "1:devices:/\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeTree(t)
			tc.setup(f)
			m, err := detect(f.root, procEnv{cgroup: tc.cg}, f.ops())
			if m != nil || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("detect = %v, %v; want nil, ErrUnavailable", m, err)
			}
		})
	}
}

func TestV1Apply(t *testing.T) {
	f := newFakeTree(t)
	f.files = nil
	// Directory names stand in for mounts: cpu and cpuacct co-mounted,
	// memory nested under our own path, no pids hierarchy.
	f.put("cpu,cpuacct/cgroup.procs", "")
	f.put("memory/process_api/abc/cgroup.procs", "")
	f.put("freezer/cgroup.procs", "")
	mk := f.ops().mkdir
	ops := f.ops()
	ops.mkdir = func(p string) error {
		if err := mk(p); err != nil {
			return err
		}
		var files []string
		switch {
		case strings.Contains(p, "/memory/"):
			files = []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.usage_in_bytes", "memory.max_usage_in_bytes", "memory.oom_control"}
		case strings.Contains(p, "/cpu,cpuacct/"):
			files = []string{"cpu.cfs_period_us", "cpu.cfs_quota_us", "cpuacct.usage"}
		}
		for _, n := range files {
			os.WriteFile(filepath.Join(p, n), nil, 0o644)
		}
		return nil
	}
	cg := "5:freezer:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/\n0::/\n"
	m, err := detect(f.root, procEnv{cgroup: cg}, ops)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version() != 1 || !reflect.DeepEqual(m.Controllers(), []string{"cpu", "memory"}) {
		t.Fatalf("version %d controllers %v", m.Version(), m.Controllers())
	}
	if err := m.Apply("7-db-0", 4242, Limits{CPUMillis: 250, MemoryBytes: 64 << 20, Pids: 5}); err != nil {
		t.Fatal(err)
	}
	c, mem := "cpu,cpuacct/hypha/7-db-0/", "memory/process_api/abc/hypha/7-db-0/"
	want := []string{
		c + "cpu.cfs_period_us=100000", c + "cpu.cfs_quota_us=25000",
		mem + "memory.memsw.limit_in_bytes=-1", mem + "memory.limit_in_bytes=67108864", mem + "memory.memsw.limit_in_bytes=67108864",
		c + "cgroup.procs=4242", mem + "cgroup.procs=4242",
	}
	if !reflect.DeepEqual(f.writes, want) {
		t.Fatalf("writes:\n  %s\nwant:\n  %s", strings.Join(f.writes, "\n  "), strings.Join(want, "\n  "))
	}
	f.put(mem+"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
	f.put(mem+"memory.max_usage_in_bytes", "300\n")
	f.put(c+"cpuacct.usage", "123456\n")
	st, err := m.Stats("7-db-0")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Stats{MemoryPeakBytes: 300, OOMKills: 2, CPUNanos: 123456}); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}

	// A failing pid move into the second hierarchy moves it back out of the
	// first and removes both groups.
	f.writes = nil
	f.fail[mem[:len(mem)-len("7-db-0/")]+"7-db-1/cgroup.procs"] = syscall.EPERM
	if err := m.Apply("7-db-1", 4242, Limits{}); !errors.Is(err, syscall.EPERM) {
		t.Fatalf("apply: %v, want EPERM", err)
	}
	if w := f.writes[len(f.writes)-1]; w != "cpu,cpuacct/cgroup.procs=4242" {
		t.Errorf("last write %q, want the pid moved back", w)
	}
	for _, d := range []string{"cpu,cpuacct/hypha/7-db-1", "memory/process_api/abc/hypha/7-db-1"} {
		if exists(filepath.Join(f.root, d)) {
			t.Errorf("%s left behind", d)
		}
	}

	if err := m.Remove("7-db-0"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{c, mem} {
		if exists(filepath.Join(f.root, d)) {
			t.Errorf("%s left behind", d)
		}
	}
}

func TestV1Mounts(t *testing.T) {
	mi := `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 23 0:39 / /mnt/other rw - cgroup cgroup rw,blkio
`
	got := v1Mounts("/sys/fs/cgroup", mi)
	want := []v1Mount{
		{point: "/sys/fs/cgroup/cpu,cpuacct", root: "/", ctrls: []string{"cpu", "cpuacct"}},
		{point: "/sys/fs/cgroup/memory", root: "/docker/abc", ctrls: []string{"memory"}},
		{point: "/sys/fs/cgroup/pids", root: "/", ctrls: []string{"pids"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("v1Mounts:\n %+v\nwant\n %+v", got, want)
	}
	own := ownPaths("3:cpu,cpuacct:/a\n2:memory:/docker/abc/x\n0::/u\n")
	for k, v := range map[string]string{"cpu": "/a", "cpuacct": "/a", "cpu,cpuacct": "/a", "memory": "/docker/abc/x", "": "/u"} {
		if own[k] != v {
			t.Errorf("ownPaths[%q] = %q, want %q", k, own[k], v)
		}
	}
	if got := unescapeMount(`/a\040b`); got != "/a b" {
		t.Errorf("unescape = %q", got)
	}
}

func TestBadInput(t *testing.T) {
	f := newFakeV2(t, "cpu memory pids", "")
	m, err := f.detect()
	if err != nil {
		t.Fatal(err)
	}
	bad := []string{"", "a/b", "..", ".", "a..b", "../x", "/abs", "-lead", "memory.max", "sp ace", "new\nline", "é", strings.Repeat("a", MaxNameLen+1)}
	for _, name := range bad {
		t.Run(name, func(t *testing.T) {
			if err := m.Apply(name, 4242, Limits{}); !errors.Is(err, ErrInvalidName) {
				t.Errorf("Apply: %v, want ErrInvalidName", err)
			}
			if _, err := m.Stats(name); !errors.Is(err, ErrInvalidName) {
				t.Errorf("Stats: %v, want ErrInvalidName", err)
			}
			if err := m.Remove(name); !errors.Is(err, ErrInvalidName) {
				t.Errorf("Remove: %v, want ErrInvalidName", err)
			}
		})
	}
	for _, lim := range []Limits{{CPUMillis: -1}, {MemoryBytes: -1}, {Pids: -1}, {CPUMillis: maxCPUMillis + 1}} {
		if err := m.Apply("ok-name", 4242, lim); !errors.Is(err, ErrInvalidLimits) {
			t.Errorf("Apply(%+v): %v, want ErrInvalidLimits", lim, err)
		}
	}
	if err := m.Apply("ok-name", 0, Limits{}); err == nil {
		t.Error("Apply with pid 0 succeeded")
	}
	if len(f.writes) != 0 || exists(filepath.Join(f.root, "agent.service/hypha")) {
		t.Errorf("bad input touched the tree: writes %v", f.writes)
	}
	for _, good := range []string{"12-web-0", "A_b-9", strings.Repeat("a", MaxNameLen)} {
		if err := validName(good); err != nil {
			t.Errorf("validName(%q): %v", good, err)
		}
	}
}
