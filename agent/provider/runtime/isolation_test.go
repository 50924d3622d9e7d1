package runtime

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestProcessIsolationDeniesTheNodesFiles runs an attacking workload on the
// process runtime, beside a fake node home laid out like the devnet's (keys
// 0600, the agent's data dir holding the workloads), and another lease's
// instance: every read and write outside its own directory is denied.
func TestProcessIsolationDeniesTheNodesFiles(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	files := map[string]os.FileMode{
		"config/priv_validator_key.json": 0o600,
		"config/node_key.json":           0o600,
		"config/genesis.json":            0o644, // readable mode, but config/ is 0700
		"keyring-test/x.info":            0o600,
		"provider/data/tls.key":          0o600,
		"provider/data/state.db":         0o600,
		"provider/agent.log":             0o600,
	}
	for f, mode := range files {
		path := filepath.Join(home, f)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("secret\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	p := newProcess(t, filepath.Join(home, "provider/data/workloads"))
	if fi, _ := os.Stat(p.Dir); fi.Mode().Perm() != 0o711 {
		t.Fatalf("workloads root mode %v, want 0711", fi.Mode().Perm())
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=."}
	victim := Instance{Lease: 41, Service: "victim", Env: env,
		Command: []string{"sh", "-c", "echo lease41 > secret.txt; sleep 60"}}
	if _, err := p.Start(context.Background(), victim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(context.Background(), victim.Name()) })
	victimWork := filepath.Join(p.Dir, victim.Name(), "work")
	waitFor(t, "victim's file", func() bool { _, err := os.Stat(filepath.Join(victimWork, "secret.txt")); return err == nil })

	var reads []string
	for f := range files {
		reads = append(reads, filepath.Join(home, f))
	}
	reads = append(reads, "/etc/shadow", filepath.Join(victimWork, "secret.txt"), p.LogFile(victim.Name()))
	lists := []string{home, filepath.Join(home, "config"), filepath.Join(home, "provider/data"), p.Dir, victimWork}
	writes := []string{home, filepath.Join(home, "config"), filepath.Join(home, "keyring-test"),
		filepath.Join(home, "provider/data"), p.Dir, filepath.Join(p.Dir, "42-attack-0"), victimWork, "/etc", "/root"}
	script := "id -u; id -G; grep NoNewPrivs /proc/self/status\n"
	for _, f := range reads {
		script += fmt.Sprintf("if cat %q >/dev/null 2>&1; then echo \"READ ALLOWED %s\"; else echo \"read denied %s\"; fi\n", f, f, f)
	}
	for _, d := range lists {
		script += fmt.Sprintf("if ls %q >/dev/null 2>&1; then echo \"LIST ALLOWED %s\"; else echo \"list denied %s\"; fi\n", d, d, d)
	}
	for _, d := range writes {
		script += fmt.Sprintf("if (echo x > %q) 2>/dev/null; then echo \"WRITE ALLOWED %s\"; else echo \"write denied %s\"; fi\n", d+"/pwned", d, d)
	}
	script += "echo mine > own.txt && cat own.txt && echo own write ok; pwd; echo done; sleep 60\n"
	attack := Instance{Lease: 42, Service: "attack", Env: env, Command: []string{"sh", "-c", script}, CPUMillis: 500, MemoryBytes: 64 << 20}
	if p.cg == nil {
		attack.CPUMillis, attack.MemoryBytes = 0, 0
	}
	if _, err := p.Start(context.Background(), attack); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(context.Background(), attack.Name()) })
	var out []string
	waitFor(t, "attack script", func() bool {
		out, _ = p.Logs(attack.Name(), 0)
		return len(out) > 0 && out[len(out)-1] == "done"
	})
	t.Logf("attack script printed:\n%s", strings.Join(out, "\n"))
	uid, _ := p.iso.ids(42)
	joined := strings.Join(out, "\n")
	if out[0] != fmt.Sprint(uid) || out[1] != fmt.Sprint(uid) || !strings.Contains(out[2], "NoNewPrivs:\t1") {
		t.Fatalf("the workload runs as %q groups %q (%s), want uid and only gid %d with no_new_privs", out[0], out[1], out[2], uid)
	}
	if strings.Contains(joined, "ALLOWED") {
		t.Fatalf("the workload got through:\n%s", joined)
	}
	for _, want := range []string{"own write ok", filepath.Join(p.Dir, attack.Name(), "work")} {
		if !strings.Contains(joined, want) {
			t.Fatalf("missing %q in:\n%s", want, joined)
		}
	}
	if n := strings.Count(joined, "denied"); n != len(reads)+len(lists)+len(writes) {
		t.Fatalf("%d denials, want %d:\n%s", n, len(reads)+len(lists)+len(writes), joined)
	}
	work := filepath.Join(p.Dir, attack.Name(), "work")
	if fi, _ := os.Stat(work); fi.Mode().Perm() != 0o700 {
		t.Fatalf("work dir mode %v", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(p.LogFile(attack.Name())); fi.Mode().Perm() != 0o600 {
		t.Fatalf("log mode %v", fi.Mode().Perm())
	}
	// A stopped instance's directory goes back to the agent, so a later lease
	// with the same uid cannot read it.
	if err := p.Stop(context.Background(), attack.Name()); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(work); fi.Sys() == nil || ownerUID(fi) != uint32(os.Geteuid()) {
		t.Fatalf("work dir of a stopped instance still owned by the workload uid")
	}
	_ = time.Second
}

// TestProcessRefusesUnenforceableLimits: a limit that cannot be applied
// fails the start, and nothing keeps running.
func TestProcessRefusesUnenforceableLimits(t *testing.T) {
	p := newProcess(t, t.TempDir())
	env := []string{"PATH=/usr/bin:/bin"}
	// An overflowing CPU limit (what broken manifest totals produced).
	inst := Instance{Lease: 7, Service: "huge", Env: env, Command: []string{"sh", "-c", "echo started; sleep 60"}, CPUMillis: 1 << 63}
	if _, err := p.Start(context.Background(), inst); err == nil {
		t.Fatal("an instance with an impossible CPU limit started")
	} else {
		t.Logf("refused: %v", err)
	}
	if _, ok := p.Status(inst.Name()); ok {
		t.Fatal("refused instance is listed")
	}
	// Without control groups, CPU and memory limits cannot be enforced.
	p.cg = nil
	inst = Instance{Lease: 8, Service: "nocg", Env: env, Command: []string{"sh", "-c", "echo started; sleep 60"}, CPUMillis: 500}
	if _, err := p.Start(context.Background(), inst); err == nil || !strings.Contains(err.Error(), "cannot limit CPU") {
		t.Fatalf("start without a cpu controller: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	for _, name := range []string{"7-huge-0", "8-nocg-0"} {
		if l, _ := p.Logs(name, 0); slices.Contains(l, "started") {
			t.Fatalf("%s ran: %q", name, l)
		}
	}
}

func ownerUID(fi os.FileInfo) uint32 { return fi.Sys().(*syscall.Stat_t).Uid }
