package keeper_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/testutil/apptest"
	"github.com/hypha-network/hypha/x/jobs/keeper"
	"github.com/hypha-network/hypha/x/jobs/types"
)

const (
	startBalance = int64(10_000_000_000) // 10,000 HYP per account
	price        = int64(5_000_000)
	solverBond   = int64(2_000_000)
	auditFee     = int64(200_000)
	deposit      = int64(6_000_000) // price + 3 audits x fee = 5.6 HYP, 0.4 HYP over
	auditorBond  = int64(100_000_000)
	dataset      = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// env is a real app with the jobs keeper, test params and named accounts.
type env struct {
	*apptest.Env
	t                          *testing.T
	k                          keeper.Keeper
	srv                        types.MsgServer
	submitter, solver, watcher sdk.AccAddress
	auditors                   []sdk.AccAddress
	spec                       []byte
	// hashSalt varies the fake header hashes, so tests can show the beacon follows them.
	hashSalt string
}

// newEnv builds the app with 8 funded accounts: 0 submitter, 1 solver, 2-5
// auditors (bonded), 6 watcher (bonded), 7 spare; short windows.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{Env: apptest.New(t, 8, startBalance), t: t}
	e.k = e.App.JobsKeeper
	e.srv = keeper.NewMsgServerImpl(e.k)
	e.submitter, e.solver, e.watcher = e.Accounts[0], e.Accounts[1], e.Accounts[6]
	e.auditors = e.Accounts[2:6]
	p := types.DefaultParams()
	p.BeaconDelay, p.AuditCommitBlocks, p.AuditRevealBlocks, p.ChallengeBlocks, p.AuditorUnbondingBlocks = 2, 5, 5, 10, 20
	if err := e.k.Params.Set(e.Ctx, p); err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile("../../../examples/ml/digits-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e.spec = spec
	for _, a := range append(append([]sdk.AccAddress{}, e.auditors...), e.watcher) {
		e.must(e.deliver(func(ctx sdk.Context) error {
			_, err := e.srv.BondAuditor(ctx, &types.MsgBondAuditor{Auditor: a.String(), Amount: uhyp(auditorBond)})
			return err
		}))
	}
	return e
}

func uhyp(n int64) sdk.Coin { return sdk.NewCoin(types.DefaultDenom, sdkmath.NewInt(n)) }

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) deliver(fn func(ctx sdk.Context) error) error { return e.Deliver(fn) }

// terms are the honest job's terms: 1200 steps in 12 segments of 100, 25% audited (m = 3).
func terms() types.JobTerms {
	return types.JobTerms{DatasetId: dataset, Seed: 1, Steps: 1200, Interval: 100,
		Price: uhyp(price), SolverBond: uhyp(solverBond), AuditFee: uhyp(auditFee), AuditRateBps: 2500,
		ClaimBlocks: 20, SolveBlocks: 30,
		// digits-mlp's training split (examples/ml/digits-mlp.yaml).
		DataExamples: 1348, DataXShape: []uint32{64}, DataClasses: 10, DataRoot: mustHex("6dd7215595b34c30046310004b5c69fb5604154d1536ada571fc5a345f3677e1")}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func (e *env) submitMsg() *types.MsgSubmitJob {
	return &types.MsgSubmitJob{Submitter: e.submitter.String(), Spec: e.spec, CeVersion: types.CEVersion,
		Terms: terms(), Deposit: uhyp(deposit)}
}

func (e *env) submit() string {
	e.t.Helper()
	var id string
	e.must(e.deliver(func(ctx sdk.Context) error {
		r, err := e.srv.SubmitJob(ctx, e.submitMsg())
		if err == nil {
			id = r.JobId
		}
		return err
	}))
	return id
}

// honestCommitment is c_{i*k} of the honest run (a stand-in for
// ckpt.Checkpoint.Commitment: the chain only compares hashes).
func honestCommitment(i uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], i)
	h := sha256.Sum256(append([]byte("checkpoint"), b[:]...))
	return h[:]
}

func honestCommitments(from, to uint64) [][]byte {
	var cs [][]byte
	for i := from; i < to; i++ {
		cs = append(cs, honestCommitment(i))
	}
	return cs
}

// proof is the inclusion proof of leaf i among the honest run's n commitments.
func proof(t *testing.T, i, n uint64) [][]byte {
	t.Helper()
	hs := make([]merkle.Hash, n)
	for j := range hs {
		hs[j] = merkle.LeafHash(honestCommitment(uint64(j)))
	}
	p, err := merkle.Proof(hs, int(i))
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(p))
	for j := range p {
		out[j] = append([]byte(nil), p[j][:]...)
	}
	return out
}

// solve claims the job and posts all 13 commitments (in two postings) and the model hash.
func (e *env) solve(id string) types.Job {
	e.t.Helper()
	s := e.solver.String()
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.ClaimJob(ctx, &types.MsgClaimJob{Solver: s, JobId: id})
		return err
	}))
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.PostCommitments(ctx, &types.MsgPostCommitments{Solver: s, JobId: id, StartIndex: 0, Commitments: honestCommitments(0, 7)})
		return err
	}))
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.PostCommitments(ctx, &types.MsgPostCommitments{Solver: s, JobId: id, StartIndex: 7, Commitments: honestCommitments(7, 13)})
		return err
	}))
	model := sha256.Sum256([]byte("model"))
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.FinalizeJob(ctx, &types.MsgFinalizeJob{Solver: s, JobId: id, ModelHash: model[:]})
		return err
	}))
	return e.job(id)
}

func (e *env) job(id string) types.Job {
	e.t.Helper()
	j, err := e.k.GetJob(e.Ctx, id)
	e.must(err)
	return j
}

// headerHash is the fake header hash of block h.
func (e *env) headerHash(h int64) []byte {
	b := sha256.Sum256([]byte(e.hashSalt + "block" + string(rune(h))))
	return b[:]
}

// advanceTo runs the jobs module's BeginBlock and EndBlock for every block
// after the current one up to h, each with its header hash.
func (e *env) advanceTo(h int64) {
	e.t.Helper()
	for b := e.Ctx.BlockHeight() + 1; b <= h; b++ {
		e.Ctx = e.AtHeight(b).WithHeaderHash(e.headerHash(b))
		e.must(e.k.BeginBlocker(e.Ctx))
		e.must(e.k.EndBlocker(e.Ctx))
	}
}

func (e *env) moduleBalance() int64 {
	return e.App.BankKeeper.GetBalance(e.Ctx, e.k.ModuleAddress(), types.DefaultDenom).Amount.Int64()
}

// checkInvariant fails the test if jobs/escrow-balance is broken.
func (e *env) checkInvariant() {
	e.t.Helper()
	if msg, broken := e.k.CheckEscrow(e.Ctx); broken {
		e.t.Fatalf("jobs/escrow-balance broken: %s", msg)
	}
	if err := e.App.Invariants.Check(e.Ctx); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) assignments(id string) []types.Assignment {
	e.t.Helper()
	r, err := keeper.NewQueryServerImpl(e.k).Job(e.Ctx, &types.QueryJobRequest{JobId: id})
	e.must(err)
	return r.Assignments
}

// auditAll has every assigned auditor commit to result(segment) and, after
// the commit deadline, reveal it.
func (e *env) auditAll(id string, result func(seg uint64) []byte, skip map[string]bool) {
	e.t.Helper()
	j := e.job(id)
	salt := []byte("salt-0123456789")
	for _, a := range e.assignments(id) {
		if skip[a.Auditor] {
			continue
		}
		a := a
		e.must(e.deliver(func(ctx sdk.Context) error {
			_, err := e.srv.AuditCommit(ctx, &types.MsgAuditCommit{Auditor: a.Auditor, JobId: id, Segment: a.Segment,
				CommitHash: types.AuditCommitHash(id, a.Segment, a.Auditor, result(a.Segment), salt)})
			return err
		}))
	}
	e.advanceTo(j.AuditCommitDeadline + 1)
	for _, a := range e.assignments(id) {
		if skip[a.Auditor] {
			continue
		}
		a := a
		e.must(e.deliver(func(ctx sdk.Context) error {
			_, err := e.srv.AuditReveal(ctx, &types.MsgAuditReveal{Auditor: a.Auditor, JobId: id, Segment: a.Segment,
				Result: result(a.Segment), Salt: salt, StartCommitment: honestCommitment(a.Segment),
				StartProof: proof(e.t, a.Segment, 13)})
			return err
		}))
	}
}

func honestResult(seg uint64) []byte { return honestCommitment(seg + 1) }

type sdkCtx = sdk.Context

func replaceOnce(s, old, new string) string { return strings.Replace(s, old, new, 1) }

// newEnvBare is a fresh app with default jobs genesis and no bonded auditors.
func newEnvBare(t *testing.T) *apptest.Env { return apptest.New(t, 8, startBalance) }
