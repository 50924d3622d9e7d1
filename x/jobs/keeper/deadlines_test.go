package keeper_test

import (
	"bytes"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/jobs/types"
)

// An unclaimed job expires at its claim deadline and refunds the whole escrow.
func TestClaimDeadlineRefunds(t *testing.T) {
	e := newEnv(t)
	id := e.submit()
	j := e.job(id)
	e.advanceTo(j.ClaimDeadline - 1)
	if e.job(id).Status != types.JobOpen {
		t.Fatal("expired early")
	}
	e.advanceTo(j.ClaimDeadline)
	if got := e.job(id); got.Status != types.JobExpired || !got.Escrow.IsZero() {
		t.Fatalf("after the claim deadline: %+v", got)
	}
	if got := e.Balance(e.submitter); got != startBalance {
		t.Fatalf("submitter refund: %d", got)
	}
	e.refused("claim after expiry", types.ErrWrongStatus, func(ctx sdk.Context) error {
		_, err := e.srv.ClaimJob(ctx, &types.MsgClaimJob{Solver: e.solver.String(), JobId: id})
		return err
	})
	e.checkInvariant()
}

// A solver that claims but does not finalize by its deadline loses its whole
// bond to the submitter, who also gets the escrow back.
func TestSolveDeadlineSlashesSolver(t *testing.T) {
	e := newEnv(t)
	id := e.submit()
	s := e.solver.String()
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.ClaimJob(ctx, &types.MsgClaimJob{Solver: s, JobId: id})
		return err
	}))
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.PostCommitments(ctx, &types.MsgPostCommitments{Solver: s, JobId: id, Commitments: honestCommitments(0, 4)})
		return err
	}))
	j := e.job(id)
	e.advanceTo(j.SolveDeadline)
	if got := e.job(id); got.Status != types.JobFailed || !got.Escrow.IsZero() || !got.SolverBond.IsZero() {
		t.Fatalf("after the solve deadline: %+v", got)
	}
	if got := e.Balance(e.submitter); got != startBalance+solverBond {
		t.Fatalf("submitter: %d, want %d", got, startBalance+solverBond)
	}
	if got := e.Balance(e.solver); got != startBalance-solverBond {
		t.Fatalf("solver: %d", got)
	}
	e.checkInvariant()
}

// An auditor that never commits is slashed auditor_slash_fraction (10%) of
// its bond into the community pool; its fee goes back to the submitter and
// the job still settles on the agreeing reveals.
func TestMissingAuditorSlashed(t *testing.T) {
	e := newEnv(t)
	id := e.submit()
	j := e.solve(id)
	e.advanceTo(j.BeaconHeight)
	j = e.job(id)
	lazy := e.assignments(id)[0].Auditor
	pool := func() int64 {
		p, err := e.App.DistrKeeper.FeePool.Get(e.Ctx)
		e.must(err)
		return p.CommunityPool.AmountOf(types.DefaultDenom).TruncateInt64()
	}
	poolBefore := pool()
	e.auditAll(id, honestResult, map[string]bool{lazy: true})
	e.advanceTo(j.AuditRevealDeadline)
	au, err := e.k.Auditors.Get(e.Ctx, lazy)
	e.must(err)
	slash := auditorBond / 10
	if au.Bond.Amount.Int64() != auditorBond-slash || au.OpenAssignments != 0 {
		t.Fatalf("lazy auditor after the deadline: %+v", au)
	}
	if got := pool() - poolBefore; got != slash {
		t.Fatalf("community pool grew by %d, want %d", got, slash)
	}
	for _, a := range e.assignments(id) {
		if (a.Auditor == lazy) != (a.Status == types.AssignmentMissed) {
			t.Fatalf("assignment %+v", a)
		}
	}
	e.checkInvariant()
	j = e.job(id)
	e.advanceTo(j.ChallengeEnd)
	if e.job(id).Status != types.JobSettled {
		t.Fatal("not settled")
	}
	if got := e.Balance(e.submitter); got != startBalance-price-2*auditFee {
		t.Fatalf("submitter: %d, want the missed fee back (%d)", got, startBalance-price-2*auditFee)
	}
	lazyAddr, _ := sdk.AccAddressFromBech32(lazy)
	if got := e.Balance(lazyAddr); got != startBalance-auditorBond {
		t.Fatalf("lazy auditor was paid: %d", got)
	}
	e.checkInvariant()
}

// A reveal that differs from the solver's commitment opens a dispute: the job
// stays Disputed with the auditor and segment recorded, nothing is paid, and
// the escrow invariant holds.
func TestDisagreeingRevealDisputes(t *testing.T) {
	e := newEnv(t)
	id := e.submit()
	j := e.solve(id)
	e.advanceTo(j.BeaconHeight)
	first := e.assignments(id)[0]
	wrong := func(seg uint64) []byte {
		if seg == first.Segment {
			return honestCommitment(7777)
		}
		return honestResult(seg)
	}
	e.auditAll(id, wrong, nil)
	j = e.job(id)
	if j.Status != types.JobDisputed || j.Dispute == nil || j.Dispute.Challenger != first.Auditor ||
		j.Dispute.Segment != first.Segment || !j.Dispute.ByAuditor || !bytes.Equal(j.Dispute.ClaimedEnd, honestCommitment(7777)) {
		t.Fatalf("after a disagreeing reveal: %+v", j)
	}
	e.advanceTo(j.AuditRevealDeadline + 20)
	if got := e.job(id).Status; got != types.JobDisputed {
		t.Fatalf("a disputed job moved on by itself: %s", got)
	}
	if got := e.moduleBalance(); got != 5*auditorBond+deposit+solverBond {
		t.Fatalf("module: %d, funds left escrow during a dispute", got)
	}
	e.checkInvariant()
}

// A bonded watcher challenges within the window: its bond is locked and the
// job is Disputed; after the window closes a challenge is refused.
func TestWatcherChallenge(t *testing.T) {
	e := newEnv(t)
	id := e.submit()
	j := e.solve(id)
	e.advanceTo(j.BeaconHeight)
	e.auditAll(id, honestResult, nil)
	e.advanceTo(j.AuditRevealDeadline + 1)
	msg := &types.MsgChallenge{Challenger: e.watcher.String(), JobId: id, Segment: 4, ClaimedEnd: honestCommitment(4242),
		Bond: uhyp(10_000_000), StartCommitment: honestCommitment(4), StartProof: proof(t, 4, 13)}

	late := newEnv(t)
	lid := late.submit()
	lj := late.solve(lid)
	late.advanceTo(lj.BeaconHeight)
	late.auditAll(lid, honestResult, nil)
	lj = late.job(lid)
	late.advanceTo(lj.AuditRevealDeadline)
	late.Ctx = late.AtHeight(late.job(lid).ChallengeEnd + 1)
	lmsg := *msg
	lmsg.JobId = lid
	late.refused("challenge after the window", types.ErrDeadlinePassed, func(ctx sdk.Context) error {
		_, err := late.srv.Challenge(ctx, &lmsg)
		return err
	})

	e.must(e.deliver(func(ctx sdk.Context) error {
		r, err := e.srv.Challenge(ctx, msg)
		if err == nil && r.Status != types.JobDisputed {
			t.Fatalf("challenge response %v", r.Status)
		}
		return err
	}))
	j = e.job(id)
	if j.Status != types.JobDisputed || j.Dispute.Challenger != e.watcher.String() || j.Dispute.Segment != 4 || j.Dispute.ByAuditor {
		t.Fatalf("after the challenge: %+v", j)
	}
	if got := e.Balance(e.watcher); got != startBalance-auditorBond-10_000_000 {
		t.Fatalf("watcher: %d", got)
	}
	e.advanceTo(j.ChallengeEnd + 5)
	if e.job(id).Status != types.JobDisputed {
		t.Fatal("settled despite a challenge")
	}
	e.checkInvariant()
}
