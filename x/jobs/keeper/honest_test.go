package keeper_test

import (
	"bytes"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// The whole honest path on the real app, with exact balances of the
// submitter, solver, auditors and module account at each stage, and the
// escrow invariant after every one.
func TestHonestPath(t *testing.T) {
	e := newEnv(t)
	bonds := int64(5) * auditorBond // four auditors and the watcher
	if got := e.moduleBalance(); got != bonds {
		t.Fatalf("module after bonding: %d, want %d", got, bonds)
	}
	e.checkInvariant()

	id := e.submit()
	j := e.job(id)
	if j.Status != types.JobOpen || j.Audits != 3 || j.Escrow.Amount.Int64() != deposit {
		t.Fatalf("submitted job %+v", j)
	}
	if got := e.Balance(e.submitter); got != startBalance-deposit {
		t.Fatalf("submitter after submit: %d", got)
	}
	if got := e.moduleBalance(); got != bonds+deposit {
		t.Fatalf("module after submit: %d", got)
	}
	e.checkInvariant()

	j = e.solve(id)
	if got := e.Balance(e.solver); got != startBalance-solverBond {
		t.Fatalf("solver after claim: %d", got)
	}
	if got := e.moduleBalance(); got != bonds+deposit+solverBond {
		t.Fatalf("module after claim: %d", got)
	}
	want := merkle.Root(honestCommitments(0, 13))
	if j.Status != types.JobFinalized || j.CommitmentCount != 13 || !bytes.Equal(j.Root, want[:]) {
		t.Fatalf("finalized job: status %s count %d root %x (want %x)", j.Status, j.CommitmentCount, j.Root, want)
	}
	e.checkInvariant()

	// No draw before the beacon height: the beacon's blocks do not exist yet.
	e.advanceTo(j.BeaconHeight - 1)
	if as := e.assignments(id); len(as) != 0 || e.job(id).Status != types.JobFinalized {
		t.Fatalf("assignments before the beacon height: %v", as)
	}
	e.advanceTo(j.BeaconHeight)
	j = e.job(id)
	as := e.assignments(id)
	if j.Status != types.JobAuditing || len(as) != 3 || len(j.Beacon) != 32 {
		t.Fatalf("after the draw: status %s, %d assignments", j.Status, len(as))
	}
	seen := map[string]bool{}
	for _, a := range as {
		if a.Auditor == e.submitter.String() || a.Auditor == e.solver.String() || seen[a.Auditor] {
			t.Fatalf("bad auditor draw %v", as)
		}
		seen[a.Auditor] = true
	}
	e.checkInvariant()

	e.auditAll(id, honestResult, nil)
	for _, a := range e.assignments(id) {
		if a.Status != types.AssignmentRevealed || !a.Agrees {
			t.Fatalf("assignment %+v", a)
		}
	}
	e.advanceTo(j.AuditRevealDeadline)
	j = e.job(id)
	if j.Status != types.JobChallengeable {
		t.Fatalf("after the reveals: %s", j.Status)
	}
	e.checkInvariant()

	e.advanceTo(j.ChallengeEnd - 1)
	if e.job(id).Status != types.JobChallengeable {
		t.Fatal("settled before the challenge window closed")
	}
	e.advanceTo(j.ChallengeEnd)
	j = e.job(id)
	if j.Status != types.JobSettled {
		t.Fatalf("after the challenge window: %s", j.Status)
	}
	if got := e.Balance(e.solver); got != startBalance+price {
		t.Fatalf("solver after settlement: %d, want %d", got, startBalance+price)
	}
	if got := e.Balance(e.submitter); got != startBalance-price-3*auditFee {
		t.Fatalf("submitter after settlement: %d, want %d", got, startBalance-price-3*auditFee)
	}
	for _, a := range e.auditors {
		want := startBalance - auditorBond
		if seen[a.String()] {
			want += auditFee
		}
		if got := e.Balance(a); got != want {
			t.Fatalf("auditor %s after settlement: %d, want %d", a, got, want)
		}
	}
	if got := e.moduleBalance(); got != bonds {
		t.Fatalf("module after settlement: %d, want the bonds %d", got, bonds)
	}
	e.checkInvariant()
}

// Auditor bonds come back only after the unbonding delay, and not while an
// assignment is open.
func TestAuditorUnbonding(t *testing.T) {
	e := newEnv(t)
	a := e.auditors[0].String()
	var h int64
	e.must(e.deliver(func(ctx sdk.Context) error {
		r, err := e.srv.UnbondAuditor(ctx, &types.MsgUnbondAuditor{Auditor: a})
		if err == nil {
			h = r.UnbondingHeight
		}
		return err
	}))
	if n, _ := e.k.AuditorCount.Get(e.Ctx); n != 4 {
		t.Fatalf("active auditors after one unbonds: %d", n)
	}
	e.advanceTo(h - 1)
	if got := e.Balance(e.auditors[0]); got != startBalance-auditorBond {
		t.Fatalf("bond returned early: %d", got)
	}
	e.advanceTo(h)
	if got := e.Balance(e.auditors[0]); got != startBalance {
		t.Fatalf("bond not returned: %d", got)
	}
	// The slot table stayed dense: every slot names an active auditor whose slot it is.
	for s := uint64(0); s < 4; s++ {
		addr, err := e.k.AuditorSlots.Get(e.Ctx, s)
		e.must(err)
		au, err := e.k.Auditors.Get(e.Ctx, addr)
		e.must(err)
		if au.Slot != s || au.UnbondingHeight != 0 {
			t.Fatalf("slot %d -> %+v", s, au)
		}
	}
	e.checkInvariant()
}
