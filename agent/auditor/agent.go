package auditor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/jobsagent"
	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/client"
	"github.com/hypha-network/hypha/blob/store"
	"github.com/hypha-network/hypha/ml/ckpt"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// audit is the persistent record of one assignment. Result and Salt are
// written before the commit is broadcast, so a restarted auditor reveals the
// values it committed to; Committed and Revealed are set from the chain.
type audit struct {
	JobID     string `json:"job_id"`
	Segment   uint64 `json:"segment"`
	Result    []byte `json:"result"`
	Salt      []byte `json:"salt"`
	Committed bool   `json:"committed"`
	Revealed  bool   `json:"revealed"`
}

func auditKey(job string, seg uint64) string { return fmt.Sprintf("audit/%s/%d", job, seg) }

const keyBonded = "bonded"

// Agent is a running auditor.
type Agent struct {
	cfg   *Config
	chain *chainclient.Client
	db    *jobsagent.DB
	st    *store.Store
	out   io.Writer
	log   *slog.Logger
}

// New opens the auditor's state and blob cache and makes its chain client.
// out receives one line per outcome (bond, commit, reveal).
func New(cfg *Config, out io.Writer, log *slog.Logger) (*Agent, error) {
	chain, err := chainclient.New(cfg.Chain)
	if err != nil {
		return nil, err
	}
	db, err := jobsagent.OpenDB(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(filepath.Join(cfg.StateDir, "blobs"), store.Options{})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Agent{cfg: cfg, chain: chain, db: db, st: st, out: out, log: log}, nil
}

// Address is the auditor's account address.
func (a *Agent) Address() string { return a.chain.Address() }

// Run bonds (once) and audits until ctx ends; a failing round is logged and
// retried at the next poll.
func (a *Agent) Run(ctx context.Context) error {
	defer a.db.Close()
	if err := a.chain.WaitReady(ctx); err != nil {
		return err
	}
	t := time.NewTicker(a.cfg.Poll)
	defer t.Stop()
	for {
		err := a.bond(ctx)
		if err == nil {
			err = a.round(ctx)
		}
		if err != nil && ctx.Err() == nil {
			a.log.Warn("auditor round failed; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// bond locks the auditor bond unless the chain already has one.
func (a *Agent) bond(ctx context.Context) error {
	var done bool
	if ok, err := a.db.Get(keyBonded, &done); err != nil || (ok && done) {
		return err
	}
	if _, err := a.chain.JobAuditor(ctx, a.Address()); err == nil {
		return a.db.Put(keyBonded, true)
	} else if !chainclient.IsNotFound(err) {
		return err
	}
	amount := a.cfg.Bond
	if amount == "" {
		p, err := a.chain.JobsParams(ctx)
		if err != nil {
			return err
		}
		amount = p.MinAuditorBond.String()
	}
	coin, err := sdk.ParseCoinNormalized(amount)
	if err != nil {
		return fmt.Errorf("auditor bond %q: %w", amount, err)
	}
	res, err := a.chain.Broadcast(ctx, &types.MsgBondAuditor{Auditor: a.Address(), Amount: coin})
	if err != nil {
		return fmt.Errorf("bond auditor %s: %w", coin, err)
	}
	fmt.Fprintf(a.out, "auditor %s bonded %s tx %s\n", a.Address(), coin, res.Hash)
	return a.db.Put(keyBonded, true)
}

// round handles every assignment to this auditor in jobs that are auditing.
func (a *Agent) round(ctx context.Context) error {
	jobs, err := a.chain.JobsByStatus(ctx, types.JobAuditing)
	if err != nil {
		return err
	}
	h, err := a.chain.Height(ctx)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		_, as, err := a.chain.Job(ctx, j.Id)
		if err != nil {
			return err
		}
		for _, as := range as {
			if as.Auditor != a.Address() {
				continue
			}
			if err := a.handle(ctx, h, j, as); err != nil {
				a.log.Warn("audit", "job", j.Id, "segment", as.Segment, "err", err)
			}
		}
	}
	return nil
}

// handle moves one assignment forward: compute and commit while the commit
// window is open, reveal once it has closed.
func (a *Agent) handle(ctx context.Context, height int64, job types.Job, as types.Assignment) error {
	key := auditKey(job.Id, as.Segment)
	var rec audit
	if _, err := a.db.Get(key, &rec); err != nil {
		return err
	}
	rec.JobID, rec.Segment = job.Id, as.Segment
	switch as.Status {
	case types.AssignmentAssigned:
		if height > job.AuditCommitDeadline {
			return fmt.Errorf("commit window closed at height %d", job.AuditCommitDeadline)
		}
		if rec.Result == nil {
			res, err := a.reexecute(ctx, job, as.Segment)
			if err != nil {
				return err
			}
			salt := make([]byte, 32)
			if _, err := rand.Read(salt); err != nil {
				return err
			}
			rec.Result, rec.Salt = res, salt
			// Stored before the commit is sent: a kill -9 after the
			// broadcast still has the salt to reveal with.
			if err := a.db.Put(key, rec); err != nil {
				return err
			}
		}
		hash := types.AuditCommitHash(job.Id, as.Segment, a.Address(), rec.Result, rec.Salt)
		res, err := a.chain.Broadcast(ctx, &types.MsgAuditCommit{Auditor: a.Address(), JobId: job.Id, Segment: as.Segment, CommitHash: hash})
		if err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		rec.Committed = true
		fmt.Fprintf(a.out, "committed audit of job %s segment %d tx %s\n", job.Id, as.Segment, res.Hash)
		return a.db.Put(key, rec)
	case types.AssignmentCommitted:
		if height <= job.AuditCommitDeadline {
			return nil // reveals open after the commit deadline
		}
		if rec.Result == nil {
			return fmt.Errorf("committed on chain but no salt in state: cannot reveal")
		}
		cs, err := a.chain.JobCommitments(ctx, job.Id)
		if err != nil {
			return err
		}
		start, proof, err := jobsagent.StartProof(cs, as.Segment)
		if err != nil {
			return err
		}
		res, err := a.chain.Broadcast(ctx, &types.MsgAuditReveal{Auditor: a.Address(), JobId: job.Id, Segment: as.Segment,
			Result: rec.Result, Salt: rec.Salt, StartCommitment: start, StartProof: proof})
		if err != nil {
			return fmt.Errorf("reveal: %w", err)
		}
		rec.Revealed = true
		agrees := int(as.Segment+1) < len(cs) && bytes.Equal(cs[as.Segment+1], rec.Result)
		fmt.Fprintf(a.out, "revealed audit of job %s segment %d result %s agrees=%v tx %s\n", job.Id, as.Segment, hex.EncodeToString(rec.Result), agrees, res.Hash)
		return a.db.Put(key, rec)
	}
	return nil
}

// reexecute fetches the start checkpoint of segment s, checks it against the
// posted S_s, runs k steps and returns the resulting state root.
func (a *Agent) reexecute(ctx context.Context, job types.Job, s uint64) ([]byte, error) {
	cs, err := a.chain.JobCommitments(ctx, job.Id)
	if err != nil {
		return nil, err
	}
	if s+1 >= uint64(len(cs)) {
		return nil, fmt.Errorf("segment %d: only %d commitments posted", s, len(cs))
	}
	spec, err := jobsagent.Spec(job)
	if err != nil {
		return nil, err
	}
	var (
		ix  jobsagent.CheckpointIndex
		src string
	)
	for _, u := range a.cfg.BlobSources {
		if ix, err = jobsagent.FetchIndex(ctx, u, job.Id); err == nil {
			src = u
			break
		}
	}
	if src == "" {
		return nil, fmt.Errorf("no blob source serves job %s: %v", job.Id, err)
	}
	if s >= uint64(len(ix.Checkpoints)) {
		return nil, fmt.Errorf("solver at %s lists %d checkpoints, segment %d needs index %d", src, len(ix.Checkpoints), s, s)
	}
	c, err := a.fetchCheckpoint(ctx, ix.Checkpoints[s], src)
	if err != nil {
		return nil, err
	}
	if got := jobsagent.Leaf(c); !bytes.Equal(got, cs[s]) {
		return nil, fmt.Errorf("checkpoint %d from %s has state root %x, the chain has %x", s, src, got, cs[s])
	}
	path, err := jobsagent.DatasetFile(ctx, a.st, spec, job.Terms.DatasetId, filepath.Join(a.cfg.StateDir, "datasets"), []string{src})
	if err != nil {
		return nil, err
	}
	t, err := jobsagent.Trainer(job, spec, path)
	if err != nil {
		return nil, err
	}
	if err := t.Restore(c); err != nil {
		return nil, fmt.Errorf("restore checkpoint %d: %w", s, err)
	}
	end := (s + 1) * job.Terms.Interval
	if err := t.StepTo(end); err != nil {
		return nil, fmt.Errorf("re-execute to step %d: %w", end, err)
	}
	a.log.Info("re-executed", "job", job.Id, "segment", s, "to_step", end)
	return jobsagent.Leaf(t.Checkpoint()), nil
}

func (a *Agent) fetchCheckpoint(ctx context.Context, id, src string) (*ckpt.Checkpoint, error) {
	bid, err := blob.ParseID(id)
	if err != nil {
		return nil, fmt.Errorf("checkpoint id %q: %w", id, err)
	}
	p, err := a.st.Path(bid)
	if err != nil {
		dst := filepath.Join(a.cfg.StateDir, "fetch-"+bid.String())
		var cl client.Client
		if _, err := cl.Get(ctx, bid, dst, src); err != nil {
			return nil, fmt.Errorf("fetch checkpoint %s: %w", bid.Short(), err)
		}
		if _, err := a.st.Import(dst, bid); err != nil {
			return nil, fmt.Errorf("store checkpoint %s: %w", bid.Short(), err)
		}
		if p, err = a.st.Path(bid); err != nil {
			return nil, err
		}
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	c := ckpt.New()
	if err := c.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", bid.Short(), err)
	}
	return c, nil
}
