package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/testutil/e2e"
	"github.com/hypha-network/hypha/testutil/jobstest"
	"github.com/hypha-network/hypha/testutil/netutil"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// jobsProc is one `hyphad solver|auditor run` process; its stdout and
// stderr go to a file that survives restarts.
type jobsProc struct {
	t    *testing.T
	bin  string
	args []string
	out  string
	cmd  *exec.Cmd
	done chan struct{}
}

func startJobsAgent(t *testing.T, bin, out string, args ...string) *jobsProc {
	p := &jobsProc{t: t, bin: bin, args: args, out: out}
	p.start()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *jobsProc) start() {
	f, err := os.OpenFile(p.out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.done = make(chan struct{})
	go func() { p.cmd.Wait(); f.Close(); close(p.done) }()
}

// kill sends SIGKILL (kill -9) and waits for the process to be gone.
func (p *jobsProc) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *jobsProc) output() string { b, _ := os.ReadFile(p.out); return string(b) }

func (p *jobsProc) waitOutput(s string, limit time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for !strings.Contains(p.output(), s) {
		if time.Now().After(deadline) {
			p.t.Fatalf("no %q in %s within %s:\n%s", s, p.out, limit, p.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// txCount counts the transactions the node indexed with query.
func txCount(t *testing.T, d *e2e.Devnet, query string) int {
	t.Helper()
	u := strings.Replace(d.RPCURL(), "tcp://", "http://", 1) + "/tx_search?per_page=100&query=" + url.QueryEscape(`"`+query+`"`)
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var r struct {
		Result struct {
			TotalCount string `json:"total_count"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("tx_search: %v: %s", err, b)
	}
	var n int
	fmt.Sscan(r.Result.TotalCount, &n)
	return n
}

// TestJobsSolverAuditorKill9 drives `hyphad solver run` and `hyphad auditor
// run` against a devnet (short jobs windows): an iris-mlp job (T=200, k=25)
// is claimed and trained; the solver is killed with SIGKILL after its first
// posting and the auditor right after its commit; both restart on their state.
// The chain sees each of the 9 commitments posted once (commitment events
// counted), the auditor reveals with the salt it stored before committing,
// the job settles with exact payments, and the model hash equals the
// commitment `hyphad ml train` prints for the same spec and seed.
func TestJobsSolverAuditorKill9(t *testing.T) {
	d := jobstest.StartDevnet(t)
	ctx := context.Background()
	dir := t.TempDir()
	root := filepath.Join("..", "..", "examples", "ml")
	data, err := os.ReadFile(filepath.Join(root, "data", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile(filepath.Join(root, "iris-mlp.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec = bytes.Replace(spec, []byte("steps: 600"), []byte("steps: 200"), 1)

	// The dataset blob, put into the solver's store with `hyphad blob put`.
	solverDir := filepath.Join(dir, "solver")
	out := runBin(t, d.Bin, "blob", "put", filepath.Join(root, "data", "iris.csv"), "--home", solverDir)
	if !strings.Contains(string(out), blob.IDOf(data).String()) {
		t.Fatalf("blob put printed %s, want id %s", out, blob.IDOf(data))
	}

	listen := netutil.FreeAddr(t)
	scfg := filepath.Join(dir, "solver.yaml")
	writeFile(t, scfg, fmt.Sprintf("chain:\n  home: %s\n  key: carol\nstate_dir: %s\nlisten: %s\npoll: 300ms\n", d.Home, solverDir, listen))
	acfg := filepath.Join(dir, "auditor.yaml")
	writeFile(t, acfg, fmt.Sprintf("chain:\n  home: %s\n  key: bob\nstate_dir: %s\nblob_sources: [http://%s]\npoll: 300ms\n", d.Home, filepath.Join(dir, "auditor"), listen))

	alice := jobstest.Client(t, d, "alice")
	bob, carol := d.Address(t, "bob"), d.Address(t, "carol")
	aud := startJobsAgent(t, d.Bin, filepath.Join(dir, "auditor.out"), "auditor", "run", "--config", acfg)
	aud.waitOutput("bonded", 60*time.Second)
	before := map[string]int64{"alice": balance(t, d, alice.Address()), "bob": balance(t, d, bob), "carol": balance(t, d, carol)}

	id := jobstest.Submit(t, alice, spec, jobstest.Terms(t, spec, data, 1, 200, 25), 3_000_000)
	sol := startJobsAgent(t, d.Bin, filepath.Join(dir, "solver.out"), "solver", "run", "--config", scfg)
	sol.waitOutput("posted commitments", 60*time.Second)
	sol.kill()
	sol.start()
	sol.waitOutput("resumed at step", 30*time.Second)

	aud.waitOutput("committed audit", 90*time.Second)
	aud.kill()
	aud.start()
	aud.waitOutput("revealed audit", 60*time.Second)

	deadline := time.Now().Add(90 * time.Second)
	var job types.Job
	for {
		job, _, err = alice.Job(ctx, id)
		if err == nil && job.Status != types.JobFinalized && job.Status != types.JobAuditing && job.Status != types.JobChallengeable && job.Status != types.JobClaimed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not settled in time (%v)\nsolver:\n%s\nauditor:\n%s", id, job.Status, sol.output(), aud.output())
		}
		time.Sleep(300 * time.Millisecond)
	}
	if job.Status != types.JobSettled || job.CommitmentCount != 9 {
		t.Fatalf("job %s with %d commitments, want settled with 9\nsolver:\n%s\nauditor:\n%s", job.Status, job.CommitmentCount, sol.output(), aud.output())
	}
	// Each leaf posted once: the commitment events' counts sum to 9.
	posts := txCount(t, d, types.EventCommitmentsPosted+".job_id='"+id+"'")
	if posts < 1 || posts > 9 {
		t.Fatalf("%d commitment postings", posts)
	}
	// The posting in flight at the kill lands without its line being printed;
	// any other difference would be a re-post (which the chain refuses, so
	// its event never appears).
	if printed := strings.Count(sol.output(), "posted commitments"); posts < printed || posts > printed+1 {
		t.Fatalf("solver printed %d postings, chain indexed %d", printed, posts)
	}
	if n := txCount(t, d, types.EventAuditCommitted+".job_id='"+id+"'"); n != 1 {
		t.Fatalf("%d audit commits, want 1", n)
	}
	after := map[string]int64{"alice": balance(t, d, alice.Address()), "bob": balance(t, d, bob), "carol": balance(t, d, carol)}
	for k, w := range map[string]int64{"alice": -2_100_000, "carol": 2_000_000, "bob": 100_000} {
		if got := after[k] - before[k]; got != w {
			t.Errorf("%s balance changed by %d, want %d", k, got, w)
		}
	}

	// The model hash is the commitment `hyphad ml train` prints on its own.
	sp := filepath.Join(dir, "iris.yaml")
	abs, _ := filepath.Abs(filepath.Join(root, "data", "iris.csv"))
	writeFile(t, sp, strings.Replace(string(spec), "path: data/iris.csv", "path: "+abs, 1))
	res := runBin(t, d.Bin, "ml", "train", "--spec", sp, "--out", filepath.Join(dir, "train"), "--quiet")
	var sum struct {
		Commitment string `json:"commitment"`
	}
	lines := strings.Split(strings.TrimSpace(string(res)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatalf("ml train output %s: %v", res, err)
	}
	if got := fmt.Sprintf("%x", job.ModelHash); got != sum.Commitment {
		t.Fatalf("model hash %s, ml train commitment %s", got, sum.Commitment)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runBin runs bin with args (no --home appended) and returns stdout.
func runBin(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hyphad %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}
