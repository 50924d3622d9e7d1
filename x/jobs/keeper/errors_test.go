package keeper_test

import (
	"errors"
	"strings"
	"testing"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/jobs/types"
)

// snapshot is everything a refused message must leave untouched: the whole
// module state (as exported genesis) and every account's balance.
func (e *env) snapshot() string {
	e.t.Helper()
	g, err := e.k.ExportGenesis(e.Ctx)
	e.must(err)
	bz, err := e.App.AppCodec().MarshalJSON(g)
	e.must(err)
	var b strings.Builder
	b.Write(bz)
	for _, a := range e.Accounts {
		b.WriteString(" " + e.App.BankKeeper.GetBalance(e.Ctx, a, types.DefaultDenom).String())
	}
	b.WriteString(" " + e.App.BankKeeper.GetBalance(e.Ctx, e.k.ModuleAddress(), types.DefaultDenom).String())
	return b.String()
}

// refused delivers fn and checks it fails with want and changes nothing.
func (e *env) refused(name string, want *errorsmod.Error, fn func(ctx sdk.Context) error) {
	e.t.Helper()
	before := e.snapshot()
	err := e.deliver(fn)
	if !errors.Is(err, want) {
		e.t.Errorf("%s: got %v, want %v", name, err, want)
		return
	}
	if after := e.snapshot(); after != before {
		e.t.Errorf("%s: refused message changed state or balances", name)
	}
}

// Every bad submission fails with its typed error before anything is written
// or any funds move.
func TestSubmitRefusals(t *testing.T) {
	e := newEnv(t)
	spec := string(e.spec)
	for _, tc := range []struct {
		name string
		want *errorsmod.Error
		edit func(m *types.MsgSubmitJob)
	}{
		{"unknown op", types.ErrInvalidSpec, func(m *types.MsgSubmitJob) {
			m.Spec = []byte(strings.Replace(spec, "kind: mlp", "kind: resnet", 1))
		}},
		{"unknown activation", types.ErrInvalidSpec, func(m *types.MsgSubmitJob) {
			m.Spec = []byte(strings.Replace(spec, "activation: relu", "activation: swish", 1))
		}},
		{"unsupported CE version", types.ErrUnsupportedCE, func(m *types.MsgSubmitJob) { m.CeVersion = "CE-v2" }},
		{"T not a multiple of k", types.ErrInvalidTerms, func(m *types.MsgSubmitJob) { m.Terms.Interval = 7 }},
		{"missing dataset", types.ErrInvalidDataset, func(m *types.MsgSubmitJob) { m.Terms.DatasetId = "" }},
		{"malformed dataset", types.ErrInvalidDataset, func(m *types.MsgSubmitJob) { m.Terms.DatasetId = dataset[:62] + "zz" }},
		{"uppercase dataset", types.ErrInvalidDataset, func(m *types.MsgSubmitJob) { m.Terms.DatasetId = strings.ToUpper(dataset) }},
		{"price below min", types.ErrInvalidAmount, func(m *types.MsgSubmitJob) { m.Terms.Price = uhyp(999_999) }},
		{"bond below min", types.ErrBondTooLow, func(m *types.MsgSubmitJob) { m.Terms.SolverBond = uhyp(1) }},
		{"audit fee below min", types.ErrInvalidAmount, func(m *types.MsgSubmitJob) { m.Terms.AuditFee = uhyp(1) }},
		{"wrong denom", types.ErrInvalidAmount, func(m *types.MsgSubmitJob) { m.Deposit = sdk.NewInt64Coin("stake", deposit) }},
		{"deposit too low", types.ErrDepositTooLow, func(m *types.MsgSubmitJob) { m.Deposit = uhyp(price + 3*auditFee - 1) }},
		{"spec too large", types.ErrInvalidSpec, func(m *types.MsgSubmitJob) {
			m.Spec = []byte(spec + "#" + strings.Repeat("x", int(types.DefaultMaxSpecBytes)) + "\n")
		}},
		{"steps differ from spec", types.ErrInvalidTerms, func(m *types.MsgSubmitJob) { m.Terms.Steps = 1100 }},
		{"seed differs from spec", types.ErrInvalidTerms, func(m *types.MsgSubmitJob) { m.Terms.Seed = 2 }},
		{"claim window too long", types.ErrInvalidTerms, func(m *types.MsgSubmitJob) { m.Terms.ClaimBlocks = types.DefaultMaxClaimBlocks + 1 }},
		{"too many segments", types.ErrInvalidTerms, func(m *types.MsgSubmitJob) {
			m.Spec = []byte(strings.Replace(spec, "steps: 1200", "steps: 8200", 1))
			m.Terms.Steps, m.Terms.Interval = 8200, 1
		}},
	} {
		m := e.submitMsg()
		tc.edit(m)
		e.refused(tc.name, tc.want, func(ctx sdk.Context) error {
			_, err := e.srv.SubmitJob(ctx, m)
			return err
		})
	}
	id := e.submit()
	e.refused("duplicate job", types.ErrJobExists, func(ctx sdk.Context) error {
		_, err := e.srv.SubmitJob(ctx, e.submitMsg())
		return err
	})
	// The same job written with another layout is the same job.
	m := e.submitMsg()
	m.Spec = []byte("# reformatted\n" + strings.ReplaceAll(spec, "  ", "    "))
	e.refused("same job, other whitespace", types.ErrJobExists, func(ctx sdk.Context) error {
		_, err := e.srv.SubmitJob(ctx, m)
		return err
	})
	_ = id
}

// Bad solver, auditor and watcher messages: typed errors, nothing changed.
func TestSolverAndAuditRefusals(t *testing.T) {
	e := newEnv(t)
	id := e.submit()
	s := e.solver.String()
	post := func(start uint64, cs [][]byte) func(ctx sdk.Context) error {
		return func(ctx sdk.Context) error {
			_, err := e.srv.PostCommitments(ctx, &types.MsgPostCommitments{Solver: s, JobId: id, StartIndex: start, Commitments: cs})
			return err
		}
	}
	e.refused("commit before claim", types.ErrWrongStatus, post(0, honestCommitments(0, 1)))
	e.refused("submitter claims", types.ErrSelfDealing, func(ctx sdk.Context) error {
		_, err := e.srv.ClaimJob(ctx, &types.MsgClaimJob{Solver: e.submitter.String(), JobId: id})
		return err
	})
	e.refused("unknown job", types.ErrJobNotFound, func(ctx sdk.Context) error {
		_, err := e.srv.ClaimJob(ctx, &types.MsgClaimJob{Solver: s, JobId: dataset})
		return err
	})
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.ClaimJob(ctx, &types.MsgClaimJob{Solver: s, JobId: id})
		return err
	}))
	e.refused("claim twice", types.ErrWrongStatus, func(ctx sdk.Context) error {
		_, err := e.srv.ClaimJob(ctx, &types.MsgClaimJob{Solver: e.Accounts[7].String(), JobId: id})
		return err
	})
	e.refused("out of order (gap)", types.ErrOutOfOrder, post(1, honestCommitments(1, 2)))
	e.refused("other solver", types.ErrUnauthorized, func(ctx sdk.Context) error {
		_, err := e.srv.PostCommitments(ctx, &types.MsgPostCommitments{Solver: e.Accounts[7].String(), JobId: id, Commitments: honestCommitments(0, 1)})
		return err
	})
	e.refused("too many commitments", types.ErrInvalidCommitment, post(0, honestCommitments(0, 14)))
	e.refused("short commitment", types.ErrInvalidCommitment, post(0, [][]byte{{1, 2, 3}}))
	e.must(e.deliver(post(0, honestCommitments(0, 5))))
	e.refused("out of order (rewrite)", types.ErrOutOfOrder, post(3, honestCommitments(3, 6)))
	e.refused("finalize early", types.ErrIncomplete, func(ctx sdk.Context) error {
		_, err := e.srv.FinalizeJob(ctx, &types.MsgFinalizeJob{Solver: s, JobId: id, ModelHash: honestCommitment(99)})
		return err
	})
	e.must(e.deliver(post(5, honestCommitments(5, 13))))
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.FinalizeJob(ctx, &types.MsgFinalizeJob{Solver: s, JobId: id, ModelHash: honestCommitment(99)})
		return err
	}))
	j := e.job(id)
	e.advanceTo(j.BeaconHeight)
	as := e.assignments(id)
	a := as[0]
	outsider := e.Accounts[7].String()
	salt := []byte("salt")
	commit := func(auditor string, seg uint64, h []byte) func(ctx sdk.Context) error {
		return func(ctx sdk.Context) error {
			_, err := e.srv.AuditCommit(ctx, &types.MsgAuditCommit{Auditor: auditor, JobId: id, Segment: seg, CommitHash: h})
			return err
		}
	}
	reveal := func(result, salt, start []byte, p [][]byte) func(ctx sdk.Context) error {
		return func(ctx sdk.Context) error {
			_, err := e.srv.AuditReveal(ctx, &types.MsgAuditReveal{Auditor: a.Auditor, JobId: id, Segment: a.Segment,
				Result: result, Salt: salt, StartCommitment: start, StartProof: p})
			return err
		}
	}
	good := types.AuditCommitHash(id, a.Segment, a.Auditor, honestResult(a.Segment), salt)
	e.refused("commit by an unassigned auditor", types.ErrNotAssigned, commit(outsider, a.Segment, good))
	e.must(e.deliver(commit(a.Auditor, a.Segment, good)))
	e.refused("commit twice", types.ErrAlreadyDone, commit(a.Auditor, a.Segment, good))
	goodProof := proof(t, a.Segment, 13)
	e.refused("reveal before the commit deadline", types.ErrTooEarly, reveal(honestResult(a.Segment), salt, honestCommitment(a.Segment), goodProof))
	e.advanceTo(j.BeaconHeight + 5 + 1)
	e.refused("reveal that does not match its commit", types.ErrRevealMismatch,
		reveal(honestResult(a.Segment), []byte("other salt"), honestCommitment(a.Segment), goodProof))
	wrongProof := proof(t, (a.Segment+1)%13, 13)
	e.refused("wrong Merkle proof", types.ErrInvalidProof, reveal(honestResult(a.Segment), salt, honestCommitment(a.Segment), wrongProof))
	e.refused("wrong start commitment", types.ErrInvalidProof, reveal(honestResult(a.Segment), salt, honestCommitment(a.Segment+1), goodProof))
	e.refused("late commit", types.ErrDeadlinePassed, commit(as[1].Auditor, as[1].Segment, types.AuditCommitHash(id, as[1].Segment, as[1].Auditor, honestResult(as[1].Segment), salt)))

	challenge := func(who string, end []byte, bond int64, p [][]byte) func(ctx sdk.Context) error {
		return func(ctx sdk.Context) error {
			_, err := e.srv.Challenge(ctx, &types.MsgChallenge{Challenger: who, JobId: id, Segment: 2, ClaimedEnd: end,
				Bond: uhyp(bond), StartCommitment: honestCommitment(2), StartProof: p})
			return err
		}
	}
	p2 := proof(t, 2, 13)
	bad := honestCommitment(1000)
	e.refused("challenge agreeing with the solver", types.ErrNoDispute, challenge(e.watcher.String(), honestCommitment(3), 10_000_000, p2))
	e.refused("challenge by an unbonded account", types.ErrAuditorNotFound, challenge(outsider, bad, 10_000_000, p2))
	e.refused("challenge by the solver", types.ErrSelfDealing, challenge(s, bad, 10_000_000, p2))
	e.refused("challenge bond too low", types.ErrBondTooLow, challenge(e.watcher.String(), bad, 1, p2))
	e.refused("challenge with a wrong proof", types.ErrInvalidProof, challenge(e.watcher.String(), bad, 10_000_000, proof(t, 3, 13)))
	e.refused("unbond with an open assignment", types.ErrAuditorBusy, func(ctx sdk.Context) error {
		_, err := e.srv.UnbondAuditor(ctx, &types.MsgUnbondAuditor{Auditor: a.Auditor})
		return err
	})
	e.refused("bond below min", types.ErrBondTooLow, func(ctx sdk.Context) error {
		_, err := e.srv.BondAuditor(ctx, &types.MsgBondAuditor{Auditor: outsider, Amount: uhyp(1)})
		return err
	})
	e.refused("params from a non-authority", types.ErrInvalidAuthority, func(ctx sdk.Context) error {
		_, err := e.srv.UpdateParams(ctx, &types.MsgUpdateParams{Authority: outsider, Params: types.DefaultParams()})
		return err
	})
	e.checkInvariant()
}

// Commitments after the solve deadline are refused.
func TestCommitAfterDeadline(t *testing.T) {
	e := newEnv(t)
	id := e.submit()
	s := e.solver.String()
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.ClaimJob(ctx, &types.MsgClaimJob{Solver: s, JobId: id})
		return err
	}))
	j := e.job(id)
	e.Ctx = e.AtHeight(j.SolveDeadline + 1) // the deadline's EndBlock has not run in this context
	e.refused("commit after the deadline", types.ErrDeadlinePassed, func(ctx sdk.Context) error {
		_, err := e.srv.PostCommitments(ctx, &types.MsgPostCommitments{Solver: s, JobId: id, Commitments: honestCommitments(0, 1)})
		return err
	})
}
