package solver

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/jobsagent"
	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/store"
	"github.com/hypha-network/hypha/ml/ckpt"
	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// maxPerPosting is the most leaves one MsgPostCommitments carries (the
// chain's bound).
const maxPerPosting = 256

// Agent is a running solver.
type Agent struct {
	cfg   *Config
	chain *chainclient.Client
	db    *jobsagent.DB
	st    *store.Store
	out   io.Writer
	log   *slog.Logger
	ln    net.Listener

	mu  sync.Mutex
	rec record // guarded by mu: the HTTP index reads it
}

// New opens the solver's state and blob store, binds its blob server and
// makes its chain client. out receives one line per outcome (claim, posting,
// finalize, settlement).
func New(cfg *Config, out io.Writer, log *slog.Logger) (*Agent, error) {
	chain, err := chainclient.New(cfg.Chain)
	if err != nil {
		return nil, err
	}
	db, err := jobsagent.OpenDB(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(cfg.BlobDir, store.Options{})
	if err != nil {
		db.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("solver blob server on %s: %w (set listen to a free address)", cfg.Listen, err)
	}
	a := &Agent{cfg: cfg, chain: chain, db: db, st: st, out: out, log: log, ln: ln}
	if _, err := db.Get(keyCurrent, &a.rec); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// URL is the base URL of the solver's blob server (auditors' blob_sources).
func (a *Agent) URL() string { return "http://" + a.ln.Addr().String() }

// Address is the solver's account address.
func (a *Agent) Address() string { return a.chain.Address() }

// Close releases the state and the listener.
func (a *Agent) Close() {
	a.ln.Close()
	a.db.Close()
}

// Run serves blobs and works jobs until ctx ends. A failing round (node down,
// refused transaction) is logged and retried at the next poll.
func (a *Agent) Run(ctx context.Context) error {
	defer a.Close()
	srv := &http.Server{Handler: a.handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(a.ln)
	defer srv.Close()
	if err := a.chain.WaitReady(ctx); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "solver %s serving blobs at %s\n", a.Address(), a.URL())
	t := time.NewTicker(a.cfg.Poll)
	defer t.Stop()
	for {
		if err := a.round(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("solver round failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// current returns a copy of the record.
func (a *Agent) current() record {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.rec
	r.Checkpoints = append([]string(nil), r.Checkpoints...)
	r.Leaves = append([][]byte(nil), r.Leaves...)
	return r
}

// save persists r and makes it current.
func (a *Agent) save(r record) error {
	if err := a.db.Put(keyCurrent, r); err != nil {
		return err
	}
	a.mu.Lock()
	a.rec = r
	a.mu.Unlock()
	return nil
}

// round advances the job in hand by one state, or picks a new job.
func (a *Agent) round(ctx context.Context) error {
	r := a.current()
	if r.JobID == "" || r.Done {
		return a.pick(ctx)
	}
	job, _, err := a.chain.Job(ctx, r.JobID)
	if err != nil {
		return err
	}
	switch {
	case job.Status == types.JobOpen:
		return a.claim(ctx, job)
	case job.Solver != a.Address():
		fmt.Fprintf(a.out, "job %s went to another solver (%s); looking for another\n", job.Id, job.Status)
		r.Done = true
		return a.save(r)
	case job.Status == types.JobClaimed:
		return a.solve(ctx, job, r)
	case job.Status == types.JobFinalized, job.Status == types.JobAuditing, job.Status == types.JobChallengeable:
		return nil // serve checkpoints until it settles
	default:
		fmt.Fprintf(a.out, "job %s %s (solver bond %s, price %s); looking for another\n", job.Id, job.Status, job.SolverBond, job.Terms.Price)
		r.Done = true
		return a.save(r)
	}
}

// pick claims the first open job (in id order) whose terms the config takes.
func (a *Agent) pick(ctx context.Context) error {
	jobs, err := a.chain.JobsByStatus(ctx, types.JobOpen)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Submitter == a.Address() || !a.cfg.takes(j.Terms.SolverBond.Amount, j.Terms.Price.Amount, j.Terms.Steps) {
			continue
		}
		if _, err := jobsagent.Spec(j); err != nil {
			a.log.Warn("skipping job with a spec this solver cannot run", "job", j.Id, "err", err)
			continue
		}
		// The job id is stored before the claim is sent: after a kill -9
		// the restart reads the chain and finds out whether it was claimed.
		if err := a.save(record{JobID: j.Id}); err != nil {
			return err
		}
		return a.claim(ctx, j)
	}
	return nil
}

func (a *Agent) claim(ctx context.Context, job types.Job) error {
	res, err := a.chain.Broadcast(ctx, &types.MsgClaimJob{Solver: a.Address(), JobId: job.Id})
	if err != nil {
		r := a.current()
		r.Done = true // someone else may have it; round re-reads the chain
		if now, _, qerr := a.chain.Job(ctx, job.Id); qerr == nil && now.Solver == a.Address() {
			r.Done = false
		}
		_ = a.save(r)
		return fmt.Errorf("claim job %s: %w", job.Id, err)
	}
	fmt.Fprintf(a.out, "claimed job %s bond %s price %s (T=%d k=%d) tx %s\n", job.Id, job.Terms.SolverBond, job.Terms.Price, job.Terms.Steps, job.Terms.Interval, res.Hash)
	return nil
}

// solve trains from the last stored checkpoint, storing and posting every
// k steps, then finalizes.
func (a *Agent) solve(ctx context.Context, job types.Job, r record) error {
	spec, err := jobsagent.Spec(job)
	if err != nil {
		return err
	}
	path, err := jobsagent.DatasetFile(ctx, a.st, spec, job.Terms.DatasetId, filepath.Join(a.cfg.StateDir, "datasets"), a.cfg.DatasetSources)
	if err != nil {
		return err
	}
	if err := a.serveDataset(job.Terms.DatasetId, path); err != nil {
		return err
	}
	t, err := jobsagent.Trainer(job, spec, path)
	if err != nil {
		return err
	}
	k, n := job.Terms.Interval, job.Terms.Steps/job.Terms.Interval+1
	var last *ckpt.Checkpoint
	if len(r.Checkpoints) > 0 {
		if last, err = a.loadCheckpoint(r.Checkpoints[len(r.Checkpoints)-1]); err != nil {
			return err
		}
		if err := t.Restore(last); err != nil {
			return fmt.Errorf("job %s: restore checkpoint %d: %w", job.Id, len(r.Checkpoints)-1, err)
		}
		fmt.Fprintf(a.out, "job %s resumed at step %d\n", job.Id, t.StepCount())
	}
	if err := a.post(ctx, job.Id, r); err != nil {
		return err
	}
	for i := uint64(len(r.Leaves)); i < n; i++ {
		if err := a.stepTo(t, i*k); err != nil {
			return fmt.Errorf("job %s: train to step %d: %w", job.Id, i*k, err)
		}
		last = t.Checkpoint()
		b, err := last.MarshalBinary()
		if err != nil {
			return fmt.Errorf("job %s: checkpoint %d: %w", job.Id, i, err)
		}
		info, err := a.st.Put(bytes.NewReader(b), blob.ID{})
		if err != nil {
			return fmt.Errorf("job %s: store checkpoint %d: %w", job.Id, i, err)
		}
		r.Checkpoints = append(r.Checkpoints, info.ID.String())
		r.Leaves = append(r.Leaves, jobsagent.Leaf(last))
		if err := a.save(r); err != nil {
			return err
		}
		a.log.Info("checkpoint", "job", job.Id, "step", i*k, "of", job.Terms.Steps, "loss", t.Loss(), "blob", info.ID.Short())
		if err := a.post(ctx, job.Id, r); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if last == nil {
		return fmt.Errorf("job %s: no checkpoint", job.Id)
	}
	model := jobsagent.ModelHash(last)
	res, err := a.chain.Broadcast(ctx, &types.MsgFinalizeJob{Solver: a.Address(), JobId: job.Id, ModelHash: model})
	if err != nil {
		return fmt.Errorf("finalize job %s: %w", job.Id, err)
	}
	r.Finalized = true
	if err := a.save(r); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "finalized job %s model %s loss %.4f tx %s\n", job.Id, hex.EncodeToString(model), t.Loss(), res.Hash)
	return nil
}

// stepTo trains to step n, applying the test-only fault on the way.
func (a *Agent) stepTo(t *train.Trainer, n uint64) error {
	f := a.cfg.Fault.FlipAtStep
	if f > 0 && t.StepCount() < f && f <= n {
		if err := t.StepTo(f); err != nil {
			return err
		}
		c := t.Checkpoint()
		for _, name := range c.Names() {
			e, _ := c.Get(name)
			if e.Kind == ckpt.Tensor && len(e.F32) > 0 {
				e.F32[0] = -e.F32[0] - 1
				c.PutTensor(name, e.Shape, e.F32)
				break
			}
		}
		if err := t.Restore(c); err != nil {
			return err
		}
		a.log.Warn("TEST FAULT: flipped a weight", "step", f)
	}
	return t.StepTo(n)
}

// post sends the leaves the chain does not have yet, up to maxPerPosting per
// message, all messages in one transaction. The chain's count is read first,
// so nothing is ever posted twice.
func (a *Agent) post(ctx context.Context, jobID string, r record) error {
	job, _, err := a.chain.Job(ctx, jobID)
	if err != nil {
		return err
	}
	have := job.CommitmentCount
	if have >= uint64(len(r.Leaves)) {
		return nil
	}
	var msgs []types.MsgPostCommitments
	for i := have; i < uint64(len(r.Leaves)); i += maxPerPosting {
		end := min(i+maxPerPosting, uint64(len(r.Leaves)))
		msgs = append(msgs, types.MsgPostCommitments{Solver: a.Address(), JobId: jobID, StartIndex: i, Commitments: r.Leaves[i:end]})
	}
	sdkMsgs := make([]sdkMsg, len(msgs))
	for i := range msgs {
		sdkMsgs[i] = &msgs[i]
	}
	res, err := a.chain.Broadcast(ctx, sdkMsgs...)
	if err != nil {
		return fmt.Errorf("post commitments %d..%d of job %s: %w", have, len(r.Leaves)-1, jobID, err)
	}
	fmt.Fprintf(a.out, "posted commitments %d..%d of %d for job %s tx %s\n", have, len(r.Leaves)-1, job.Terms.Steps/job.Terms.Interval+1, jobID, res.Hash)
	return nil
}

func (a *Agent) loadCheckpoint(id string) (*ckpt.Checkpoint, error) {
	bid, err := blob.ParseID(id)
	if err != nil {
		return nil, err
	}
	p, err := a.st.Path(bid)
	if err != nil {
		return nil, fmt.Errorf("checkpoint blob %s: %w", bid.Short(), err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("checkpoint blob %s: %w", bid.Short(), err)
	}
	c := ckpt.New()
	if err := c.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("checkpoint blob %s: %w", bid.Short(), err)
	}
	return c, nil
}

// serveDataset makes sure the dataset file is in the served store.
func (a *Agent) serveDataset(id, path string) error {
	bid, err := blob.ParseID(id)
	if err != nil {
		return err
	}
	if _, err := a.st.Path(bid); err == nil {
		return nil
	}
	if _, err := a.st.PutFile(path, bid); err != nil {
		if errors.Is(err, blob.ErrMismatch) {
			return fmt.Errorf("dataset file %s does not hash to the job's dataset id %s", path, id)
		}
		return fmt.Errorf("serve dataset %s: %w", bid.Short(), err)
	}
	return nil
}
