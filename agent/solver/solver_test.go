package solver_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypha-network/hypha/agent/auditor"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/solver"
	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/store"
	"github.com/hypha-network/hypha/testutil/jobstest"
	"github.com/hypha-network/hypha/testutil/netutil"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// syncBuf is an io.Writer safe for the agents' concurrent prints.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func waitFor(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSolverAndAuditorSettleJob runs a real devnet (short jobs windows), an
// in-process solver and auditor, and an iris-mlp job (T=100, k=25). The
// solver is stopped after its first posting and restarted on the same state:
// it resumes from its stored checkpoint, never re-posts, the auditor agrees,
// and the job settles with exact payments.
func TestSolverAndAuditorSettleJob(t *testing.T) {
	d := jobstest.StartDevnet(t)
	ctx := context.Background()
	alice := jobstest.Client(t, d, "alice")
	root := filepath.Join("..", "..", "examples", "ml")
	data, err := os.ReadFile(filepath.Join(root, "data", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile(filepath.Join(root, "iris-mlp.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec = bytes.Replace(spec, []byte("steps: 600"), []byte("steps: 100"), 1)

	dir := t.TempDir()
	scfg := &solver.Config{Chain: chainclient.Config{Home: d.Home, Key: "carol"}, StateDir: filepath.Join(dir, "solver"),
		Listen: netutil.FreeAddr(t), Poll: 300 * time.Millisecond}
	if err := scfg.Fill(); err != nil {
		t.Fatal(err)
	}
	// The dataset blob: the operator's `hyphad blob put` into the solver's store.
	st, err := store.Open(scfg.BlobDir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(bytes.NewReader(data), blob.IDOf(data)); err != nil {
		t.Fatal(err)
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sout := &syncBuf{}
	start := func() (*solver.Agent, context.CancelFunc, chan error) {
		a, err := solver.New(scfg, sout, log)
		if err != nil {
			t.Fatal(err)
		}
		c, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- a.Run(c) }()
		return a, cancel, done
	}
	s1, stop1, done1 := start()
	url := s1.URL()
	carol, bob := s1.Address(), d.Address(t, "bob")

	acfg := &auditor.Config{Chain: chainclient.Config{Home: d.Home, Key: "bob"}, StateDir: filepath.Join(dir, "auditor"),
		BlobSources: []string{url}, Poll: 300 * time.Millisecond}
	if err := acfg.Fill(); err != nil {
		t.Fatal(err)
	}
	aud, err := auditor.New(acfg, sout, log)
	if err != nil {
		t.Fatal(err)
	}
	actx, stopA := context.WithCancel(ctx)
	defer stopA()
	go aud.Run(actx)
	bobClient := jobstest.Client(t, d, "bob")
	waitFor(t, "auditor bond", 30*time.Second, func() bool { _, err := bobClient.JobAuditor(ctx, bob); return err == nil })

	before := map[string]int64{"alice": jobstest.Balance(t, alice, alice.Address()), "carol": jobstest.Balance(t, alice, carol), "bob": jobstest.Balance(t, alice, bob)}
	terms := jobstest.Terms(t, spec, data, 1, 100, 25)
	id := jobstest.Submit(t, alice, spec, terms, 3_000_000)
	t.Logf("job %s", id)

	// Stop the solver after its first posting, then restart it on the same state.
	waitFor(t, "first posting", 60*time.Second, func() bool { return strings.Contains(sout.String(), "posted commitments") })
	stop1()
	<-done1
	_, stop2, done2 := start()
	defer func() { stop2(); <-done2 }()

	var job types.Job
	waitFor(t, "settlement", 120*time.Second, func() bool {
		job, _, err = alice.Job(ctx, id)
		return err == nil && (job.Status == types.JobSettled || job.Status == types.JobDisputed || job.Status == types.JobFailed)
	})
	out := sout.String()
	t.Logf("agents:\n%s", out)
	if job.Status != types.JobSettled {
		t.Fatalf("job %s, want settled", job.Status)
	}
	if job.CommitmentCount != 5 || !strings.Contains(out, "resumed at step") {
		t.Fatalf("commitments %d (want 5); resumed printed: %v", job.CommitmentCount, strings.Contains(out, "resumed at step"))
	}
	// Each posting starts where the chain's count was: the printed ranges never
	// overlap. (A posting in flight when the first instance stopped lands
	// without its line, so a gap is allowed; an overlap would be a re-post.)
	posted := 0
	for _, l := range strings.Split(out, "\n") {
		var a, b, n int
		var rest string
		if k, _ := sscan(l, &a, &b, &n, &rest); k >= 3 {
			if a < posted {
				t.Fatalf("posting %d..%d after %d leaves posted: re-posted", a, b, posted)
			}
			posted = b + 1
		}
	}
	if posted != 5 {
		t.Fatalf("postings reached leaf %d, want 5", posted)
	}
	_, as, _ := alice.Job(ctx, id)
	if len(as) != 1 || as[0].Auditor != bob || !as[0].Agrees {
		t.Fatalf("assignments %+v, want one agreeing by bob", as)
	}
	after := map[string]int64{"alice": jobstest.Balance(t, alice, alice.Address()), "carol": jobstest.Balance(t, alice, carol), "bob": jobstest.Balance(t, alice, bob)}
	want := map[string]int64{"alice": -2_100_000, "carol": 2_000_000, "bob": 100_000}
	for k, w := range want {
		if got := after[k] - before[k]; got != w {
			t.Errorf("%s balance changed by %d, want %d", k, got, w)
		}
	}
}

// sscan reads "posted commitments A..B of N ..." lines.
func sscan(l string, a, b, n *int, rest *string) (int, error) {
	if !strings.HasPrefix(l, "posted commitments ") {
		return 0, nil
	}
	return fmtSscanf(l, "posted commitments %d..%d of %d %s", a, b, n, rest)
}

var fmtSscanf = fmt.Sscanf
