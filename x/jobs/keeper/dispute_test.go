package keeper_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"cosmossdk.io/collections"
	storetypes "cosmossdk.io/store/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/ml/ckpt"
	"github.com/hypha-network/hypha/ml/graph"
	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/x/jobs/dispute"
	"github.com/hypha-network/hypha/x/jobs/keeper"
	"github.com/hypha-network/hypha/x/jobs/referee"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// The dispute job: iris-mlp cut to T = 8 steps in two segments of k = 4,
// both audited. Real CE-v1 training produces every commitment and move.
const (
	gameSteps    = 8
	gameInterval = 4
	gameDeposit  = int64(6_000_000) // price + 2 audits x fee = 5.4 HYP
	challBond    = int64(10_000_000)
)

func irisSpec(t *testing.T) *train.Spec {
	t.Helper()
	s, err := train.LoadSpec("../../../examples/ml/iris-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s.Train.Steps = gameSteps
	return s
}

// run is one party's record of the whole job: a prover per segment.
type run struct {
	r    *referee.Referee
	segs []*referee.Prover
}

// states are S_0, S_k, ..., S_T: what the solver posts.
func (ru run) states() [][]byte {
	out := [][]byte{hb(ru.segs[0].StartRoot())}
	for _, p := range ru.segs {
		out = append(out, hb(p.States()[len(p.States())-1]))
	}
	return out
}

// record trains the job from step 0 (or from a given checkpoint) with
// tamper applied to segment tamperSeg.
func record(t *testing.T, tamperSeg int, tamper referee.Tamper) run {
	t.Helper()
	tr, err := train.New(irisSpec(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := referee.FromTrainer(tr)
	if err != nil {
		t.Fatal(err)
	}
	ru := run{r: r}
	for s := 0; s < gameSteps/gameInterval; s++ {
		var tm referee.Tamper
		if s == tamperSeg {
			tm = tamper
		}
		p, err := referee.Record(r, tr, gameInterval, tm)
		if err != nil {
			t.Fatal(err)
		}
		ru.segs = append(ru.segs, p)
	}
	return ru
}

func flipValue(v []float32, e int) { v[e] = -v[e] - 1 }

// flipWeight: the update of parameter pi at step s puts a different value in
// element e (trace entry and end state agree on it; training continues from it).
func flipWeight(r *referee.Referee, s, pi, e int) referee.Tamper {
	g := r.Model.G
	name := "param/" + g.Nodes[g.Params[pi]].Name
	entry := len(g.Nodes) + 1 + pi*2 // SGD: p, m per parameter
	return func(step int, vals [][]float32, end *ckpt.Checkpoint) {
		if step != s {
			return
		}
		flipValue(vals[entry], e)
		ent, _ := end.Get(name)
		flipValue(ent.F32, e)
	}
}

// lieMatmul: a challenger that claims the first forward matmul of step s put
// something else in element 9 (and a parameter to match).
func lieMatmul(r *referee.Referee, s int) referee.Tamper {
	g := r.Model.G
	j := -1
	for id, n := range g.Nodes {
		if n.Op == graph.OpMatMul {
			j = id
			break
		}
	}
	name := "param/" + g.Nodes[g.Params[1]].Name
	return func(step int, vals [][]float32, end *ckpt.Checkpoint) {
		if step != s {
			return
		}
		flipValue(vals[j], 9)
		ent, _ := end.Get(name)
		flipValue(ent.F32, 0)
	}
}

// gameEnv is the jobs env with the iris job's spec and dispute params.
func newGameEnv(t *testing.T) *env {
	e := newEnv(t)
	raw, err := os.ReadFile("../../../examples/ml/iris-mlp.yaml")
	e.must(err)
	e.spec = []byte(strings.Replace(string(raw), "steps: 600", "steps: 8", 1))
	return e
}

func gameTerms() types.JobTerms {
	t := terms()
	t.Steps, t.Interval, t.AuditRateBps = gameSteps, gameInterval, 10_000
	t.DataExamples, t.DataXShape, t.DataClasses = 105, []uint32{4}, 3
	t.DataRoot = mustHex("971a5b4f872408317436a16d20fd91aec0ed23a23c472ada711898fa6afca0d5")
	return t
}

// submitSolve submits the iris job, claims it and posts the solver's state
// roots S_0, S_4, S_8, then runs to the audit draw.
func (e *env) submitSolve(solver run) string {
	e.t.Helper()
	var id string
	e.must(e.deliver(func(ctx sdk.Context) error {
		r, err := e.srv.SubmitJob(ctx, &types.MsgSubmitJob{Submitter: e.submitter.String(), Spec: e.spec,
			CeVersion: types.CEVersion, Terms: gameTerms(), Deposit: uhyp(gameDeposit)})
		if err == nil {
			id = r.JobId
		}
		return err
	}))
	s := e.solver.String()
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.ClaimJob(ctx, &types.MsgClaimJob{Solver: s, JobId: id})
		return err
	}))
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.PostCommitments(ctx, &types.MsgPostCommitments{Solver: s, JobId: id, Commitments: solver.states()})
		return err
	}))
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.FinalizeJob(ctx, &types.MsgFinalizeJob{Solver: s, JobId: id, ModelHash: make([]byte, 32)})
		return err
	}))
	e.advanceTo(e.job(id).BeaconHeight)
	return id
}

// leafProof proves leaf i among the posted states.
func leafProof(t *testing.T, states [][]byte, i uint64) [][]byte {
	hs := make([]merkle.Hash, len(states))
	for j, s := range states {
		hs[j] = merkle.LeafHash(s)
	}
	p, err := merkle.Proof(hs, int(i))
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(p))
	for j := range p {
		out[j] = hb(p[j])
	}
	return out
}

// audit has each assigned auditor commit and reveal result(seg).
func (e *env) audit(id string, states [][]byte, result func(seg uint64) []byte) {
	e.t.Helper()
	salt := []byte("salt-0123456789")
	as := e.assignments(id)
	for _, a := range as {
		e.must(e.deliver(func(ctx sdk.Context) error {
			_, err := e.srv.AuditCommit(ctx, &types.MsgAuditCommit{Auditor: a.Auditor, JobId: id, Segment: a.Segment,
				CommitHash: types.AuditCommitHash(id, a.Segment, a.Auditor, result(a.Segment), salt)})
			return err
		}))
	}
	e.advanceTo(e.job(id).AuditCommitDeadline + 1)
	for _, a := range as {
		e.must(e.deliver(func(ctx sdk.Context) error {
			_, err := e.srv.AuditReveal(ctx, &types.MsgAuditReveal{Auditor: a.Auditor, JobId: id, Segment: a.Segment,
				Result: result(a.Segment), Salt: salt, StartCommitment: states[a.Segment], StartProof: leafProof(e.t, states, a.Segment)})
			return err
		}))
	}
}

// game loads a job's stored game.
func (e *env) game(id string) *dispute.Game {
	e.t.Helper()
	dg, err := e.k.Games.Get(e.Ctx, id)
	e.must(err)
	g := new(dispute.Game)
	e.must(g.UnmarshalBinary(dg.Game))
	return g
}

// sendMove delivers an encoded move from signer, as MsgDisputeEvidence when
// the game is at its evidence step.
func (e *env) sendMove(id string, signer sdk.AccAddress, m *dispute.Move, evidence bool) error {
	raw, err := m.MarshalBinary()
	e.must(err)
	return e.deliver(func(ctx sdk.Context) error {
		if evidence {
			// The evidence pays referee_gas for the recompute.
			gm := storetypes.NewGasMeter(1 << 40)
			_, err := e.srv.DisputeEvidence(ctx.WithGasMeter(gm), &types.MsgDisputeEvidence{Signer: signer.String(), JobId: id, Evidence: raw})
			if p, _ := e.k.Params.Get(ctx); err == nil && gm.GasConsumed() < p.RefereeGas {
				e.t.Fatalf("evidence consumed %d gas, less than referee_gas %d", gm.GasConsumed(), p.RefereeGas)
			}
			return err
		}
		_, err := e.srv.DisputeMove(ctx, &types.MsgDisputeMove{Signer: signer.String(), JobId: id, Move: raw})
		return err
	})
}

// playOut plays the game entirely through the msg server, one block per
// move, both sides' moves from their Provers; it returns the finished game
// and the number of moves.
func (e *env) playOut(id string, parties [2]*referee.Prover, signers [2]sdk.AccAddress) (*dispute.Game, int) {
	e.t.Helper()
	moves := 0
	for {
		g := e.game(id)
		if g.Phase == dispute.PhaseDone {
			return g, moves
		}
		for _, s := range []dispute.Side{dispute.Solver, dispute.Challenger} {
			g = e.game(id)
			if g.Phase == dispute.PhaseDone || !g.Owes(s) {
				continue
			}
			m, err := dispute.NextMove(g, s, parties[s])
			e.must(err)
			e.advanceTo(e.Ctx.BlockHeight() + 1)
			if err := e.sendMove(id, signers[s], m, g.Phase == dispute.PhaseEvidence); err != nil {
				e.t.Fatalf("%s move in phase %d level %d: %v", s, g.Phase, g.Level, err)
			}
			moves++
		}
	}
}

func (e *env) communityPool() int64 {
	p, err := e.App.DistrKeeper.FeePool.Get(e.Ctx)
	e.must(err)
	return p.CommunityPool.AmountOf(types.DefaultDenom).TruncateInt64()
}

// roundsBound is Params.RoundsBound for the iris job.
func roundsBound(r *referee.Referee, p types.Params) int {
	chunks := 0
	for j := 0; j < r.TraceLen(); j++ {
		chunks = max(chunks, merkle.ChunkCount(4*r.EntryValues(j)))
	}
	return dispute.Params{Arity: p.DisputeArity, Budget: p.DisputeBudget, MinResponse: p.DisputeMinResponse}.
		RoundsBound(gameInterval, max(r.TraceLen(), r.StateLen()), chunks)
}

// The chain's referee, built only from the job's spec and terms, has the
// trainer's layout: the same state leaf names and trace.
func TestChainRefereeMatchesTrainer(t *testing.T) {
	ru := record(t, -1, nil)
	raw, err := os.ReadFile("../../../examples/ml/iris-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := keeper.BuildReferee(raw, gameTerms())
	if err != nil {
		t.Fatal(err)
	}
	if r.TraceLen() != ru.r.TraceLen() || r.StateLen() != ru.r.StateLen() || r.Data != ru.r.Data {
		t.Fatalf("chain referee: trace %d state %d data %+v; trainer: trace %d state %d data %+v",
			r.TraceLen(), r.StateLen(), r.Data, ru.r.TraceLen(), ru.r.StateLen(), ru.r.Data)
	}
	if err := r.CheckLimits(); err != nil {
		t.Fatal(err)
	}
}

// (1) A solver that flips one weight at step 2 of segment 1 is caught by the
// auditor of that segment, loses the game at the element level within the
// round bound, and is slashed: exact balances, invariant holds.
func TestDisputeCheatingSolverSlashed(t *testing.T) {
	e := newGameEnv(t)
	honest := record(t, -1, nil)
	liar := record(t, 1, flipWeight(honest.r, 2, 0, 7))
	states := liar.states()
	id := e.submitSolve(liar)
	before := map[string]int64{}
	for _, a := range e.Accounts {
		before[a.String()] = e.Balance(a)
	}
	pool0 := e.communityPool()
	// Auditors re-execute from the solver's (honest) start of each segment.
	auditor := ""
	e.audit(id, states, func(seg uint64) []byte { return honest.states()[seg+1] })
	for _, a := range e.assignments(id) {
		if a.Segment == 1 {
			auditor = a.Auditor
		}
	}
	j := e.job(id)
	if j.Status != types.JobDisputed || j.Dispute.Challenger != auditor || !j.Dispute.ByAuditor {
		t.Fatalf("after reveals: %s, dispute %+v", j.Status, j.Dispute)
	}
	audAddr := sdk.MustAccAddressFromBech32(auditor)
	g, moves := e.playOut(id, [2]*referee.Prover{liar.segs[1], honest.segs[1]}, [2]sdk.AccAddress{e.solver, audAddr})
	p, _ := e.k.Params.Get(e.Ctx)
	bound := roundsBound(honest.r, p)
	if !g.Outcome.ChallengerWins() || g.Outcome.Reason != dispute.ReasonWrongValue || g.Step != 2 || g.FinalLevel != dispute.LevelElements || g.FinalElement != 7 {
		t.Fatalf("outcome %+v at step %d level %d element %d", g.Outcome, g.Step, g.FinalLevel, g.FinalElement)
	}
	if int(g.Rounds) > bound {
		t.Fatalf("%d rounds > bound %d", g.Rounds, bound)
	}
	t.Logf("solver caught at step %d entry %d element %d: %d rounds (bound %d), %d moves, %d bytes", g.Step, g.Entry, g.FinalElement, g.Rounds, bound, moves, g.Bytes)
	j = e.job(id)
	if j.Status != types.JobFailed || !j.Escrow.IsZero() || !j.SolverBond.IsZero() || !j.Dispute.Bond.IsZero() {
		t.Fatalf("job after the game: %s escrow %s bond %s", j.Status, j.Escrow, j.SolverBond)
	}
	cost := solverBond * int64(p.DisputeCostBps) / 10_000
	want := map[string]int64{
		e.submitter.String(): before[e.submitter.String()] + gameDeposit, // the whole escrow back
		e.solver.String():    before[e.solver.String()],                  // its bond is gone
		auditor:              before[auditor] + solverBond - cost,
	}
	for addr, w := range want {
		if got := e.Balance(sdk.MustAccAddressFromBech32(addr)); got != w {
			t.Errorf("%s: balance %d, want %d", addr, got, w)
		}
	}
	if e.Balance(e.submitter) != startBalance || e.Balance(e.solver) != startBalance-solverBond {
		t.Errorf("submitter %d solver %d", e.Balance(e.submitter), e.Balance(e.solver))
	}
	if got := e.communityPool() - pool0; got != cost {
		t.Errorf("community pool +%d, want +%d", got, cost)
	}
	if got := e.moduleBalance(); got != 5*auditorBond {
		t.Errorf("module account %d, want the 5 auditor bonds %d", got, 5*auditorBond)
	}
	e.checkInvariant()
}

// (2) A watcher that challenges an honest solver with a false matmul element
// loses: its bond pays the solver less the chain's cost, and the job settles
// as honest after a fresh challenge window.
func TestDisputeLyingChallengerLoses(t *testing.T) {
	e := newGameEnv(t)
	honest := record(t, -1, nil)
	liar := record(t, 1, lieMatmul(honest.r, 1))
	states := honest.states()
	id := e.submitSolve(honest)
	pool0 := e.communityPool()
	e.audit(id, states, func(seg uint64) []byte { return states[seg+1] })
	e.advanceTo(e.job(id).AuditRevealDeadline)
	if j := e.job(id); j.Status != types.JobChallengeable {
		t.Fatalf("after agreeing audits: %s", j.Status)
	}
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.Challenge(ctx, &types.MsgChallenge{Challenger: e.watcher.String(), JobId: id, Segment: 1,
			ClaimedEnd: liar.states()[2], Bond: uhyp(challBond), StartCommitment: states[1], StartProof: leafProof(t, states, 1)})
		return err
	}))
	e.checkInvariant()
	g, moves := e.playOut(id, [2]*referee.Prover{honest.segs[1], liar.segs[1]}, [2]sdk.AccAddress{e.solver, e.watcher})
	if !g.Outcome.SolverWins() || g.Outcome.Reason != dispute.ReasonWrongValue || g.FinalLevel != dispute.LevelElements || g.FinalElement != 9 {
		t.Fatalf("outcome %+v level %d element %d", g.Outcome, g.FinalLevel, g.FinalElement)
	}
	t.Logf("lying challenger lost at step %d entry %d element %d: %d rounds, %d moves", g.Step, g.Entry, g.FinalElement, g.Rounds, moves)
	j := e.job(id)
	if j.Status != types.JobChallengeable {
		t.Fatalf("after the game: %s", j.Status)
	}
	e.checkInvariant()
	e.advanceTo(j.ChallengeEnd)
	if j = e.job(id); j.Status != types.JobSettled {
		t.Fatalf("at challenge end: %s", j.Status)
	}
	p, _ := e.k.Params.Get(e.Ctx)
	cost := challBond * int64(p.DisputeCostBps) / 10_000
	checks := []struct {
		who  string
		got  int64
		want int64
	}{
		{"submitter", e.Balance(e.submitter), startBalance - price - 2*auditFee},
		{"solver", e.Balance(e.solver), startBalance + price + challBond - cost},
		{"watcher", e.Balance(e.watcher), startBalance - auditorBond - challBond},
		{"community pool", e.communityPool() - pool0, cost},
		{"module", e.moduleBalance(), 5 * auditorBond},
	}
	for _, a := range e.assignments(id) {
		checks = append(checks, struct {
			who       string
			got, want int64
		}{a.Auditor, e.Balance(sdk.MustAccAddressFromBech32(a.Auditor)), startBalance - auditorBond + auditFee})
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.who, c.got, c.want)
		}
	}
	e.checkInvariant()
}

// openChallenge opens a watcher's (false) challenge on segment 1 of an
// honest job and returns the job id and both records.
func (e *env) openChallenge() (string, run, run) {
	e.t.Helper()
	honest := record(e.t, -1, nil)
	liar := record(e.t, 1, lieMatmul(honest.r, 1))
	states := honest.states()
	id := e.submitSolve(honest)
	e.must(e.deliver(func(ctx sdk.Context) error {
		_, err := e.srv.Challenge(ctx, &types.MsgChallenge{Challenger: e.watcher.String(), JobId: id, Segment: 1,
			ClaimedEnd: liar.states()[2], Bond: uhyp(challBond), StartCommitment: states[1], StartProof: leafProof(e.t, states, 1)})
		return err
	}))
	return id, honest, liar
}

// (3) A solver that stops answering loses on its clock, in the EndBlock of
// its deadline height and not before.
func TestDisputeTimeoutLoses(t *testing.T) {
	e := newGameEnv(t)
	p := types.DefaultParams()
	p.BeaconDelay, p.AuditCommitBlocks, p.AuditRevealBlocks, p.ChallengeBlocks, p.AuditorUnbondingBlocks = 2, 5, 5, 10, 20
	p.DisputeBudget, p.DisputeMinResponse = 30, 5
	e.must(e.k.Params.Set(e.Ctx, p))
	id, _, liar := e.openChallenge()
	pool0 := e.communityPool()
	g := e.game(id)
	m, err := dispute.NextMove(g, dispute.Challenger, liar.segs[1])
	e.must(err)
	e.advanceTo(e.Ctx.BlockHeight() + 1)
	e.must(e.sendMove(id, e.watcher, m, false))
	g = e.game(id)
	deadline := int64(g.Deadline())
	e.advanceTo(deadline - 1)
	if e.job(id).Status != types.JobDisputed {
		t.Fatal("ended before the deadline")
	}
	e.advanceTo(deadline)
	g = e.game(id)
	if g.Phase != dispute.PhaseDone || !g.Outcome.ChallengerWins() || g.Outcome.Reason != dispute.ReasonTimeout {
		t.Fatalf("at deadline %d: phase %d outcome %+v", deadline, g.Phase, g.Outcome)
	}
	j := e.job(id)
	cost := solverBond * int64(p.DisputeCostBps) / 10_000
	// The drawn auditors never committed (nobody audits here): each lost
	// 10% of its bond to the pool at the reveal deadline, besides the cost.
	slashed := int64(0)
	for _, a := range e.assignments(id) {
		if a.Status == types.AssignmentMissed {
			slashed += auditorBond / 10
		}
	}
	if j.Status != types.JobFailed || e.Balance(e.watcher) != startBalance-auditorBond+solverBond-cost ||
		e.Balance(e.submitter) != startBalance || e.communityPool()-pool0 != cost+slashed {
		t.Fatalf("status %s watcher %d submitter %d pool +%d", j.Status, e.Balance(e.watcher), e.Balance(e.submitter), e.communityPool()-pool0)
	}
	if n, _ := e.k.GameQueue.Has(e.Ctx, collectionsJoin(deadline, id)); n {
		t.Fatal("finished game still queued")
	}
	e.checkInvariant()
}

// (4) Moves by a third party, for the wrong side, for a stale round, or
// malformed are refused with typed errors and change nothing; an open game
// survives genesis export and import, queue included.
func TestDisputeBadMovesAndGenesis(t *testing.T) {
	e := newGameEnv(t)
	id, honest, _ := e.openChallenge()
	g := e.game(id)
	good, err := dispute.NextMove(g, dispute.Solver, honest.segs[1])
	e.must(err)
	stale := *good
	stale.Round = g.Round + 1
	before, _ := e.k.Games.Get(e.Ctx, id)
	bal := e.moduleBalance()
	third := e.Accounts[7]
	for _, c := range []struct {
		name   string
		signer sdk.AccAddress
		m      *dispute.Move
		raw    []byte
		ev     bool
		want   error
	}{
		{"third party", third, good, nil, false, types.ErrNotParty},
		{"wrong side", e.watcher, good, nil, false, types.ErrNotParty},
		{"stale round", e.solver, &stale, nil, false, types.ErrMoveRefused},
		{"evidence too early", e.solver, good, nil, true, types.ErrMoveRefused},
		{"malformed", e.solver, nil, []byte{1, 2, 3}, false, types.ErrInvalidMove},
		{"empty", e.solver, nil, []byte{}, false, types.ErrInvalidMove},
	} {
		var err error
		if c.m != nil {
			err = e.sendMove(id, c.signer, c.m, c.ev)
		} else {
			err = e.deliver(func(ctx sdk.Context) error {
				_, err := e.srv.DisputeMove(ctx, &types.MsgDisputeMove{Signer: c.signer.String(), JobId: id, Move: c.raw})
				return err
			})
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		after, _ := e.k.Games.Get(e.Ctx, id)
		if string(after.Game) != string(before.Game) || e.moduleBalance() != bal {
			t.Fatalf("%s changed the game or funds", c.name)
		}
	}
	if err := e.sendMove(id, e.solver, good, false); err != nil {
		t.Fatalf("the good move after the refused ones: %v", err)
	}
	exp, err := e.k.ExportGenesis(e.Ctx)
	e.must(err)
	e.must(exp.Validate())
	if len(exp.Games) != 1 {
		t.Fatalf("%d games exported", len(exp.Games))
	}
	cdc := e.App.AppCodec()
	bz := cdc.MustMarshalJSON(exp)
	f := newEnvBare(t)
	f.Ctx = f.AtHeight(e.Ctx.BlockHeight())
	var gs types.GenesisState
	cdc.MustUnmarshalJSON(bz, &gs)
	e2 := &env{Env: f, t: t, k: f.App.JobsKeeper}
	e2.must(e2.k.InitGenesis(e2.Ctx, gs))
	exp2, err := e2.k.ExportGenesis(e2.Ctx)
	e2.must(err)
	if string(cdc.MustMarshalJSON(exp2)) != string(bz) {
		t.Fatal("export -> import -> export changed the state")
	}
	d := int64(e.game(id).Deadline())
	if has, _ := e2.k.GameQueue.Has(e2.Ctx, collectionsJoin(d, id)); !has {
		t.Fatalf("game not re-indexed at its deadline %d", d)
	}
}

func collectionsJoin(h int64, id string) collections.Pair[int64, string] {
	return collections.Join(h, id)
}

func hb(h merkle.Hash) []byte { return append([]byte(nil), h[:]...) }

// A job whose disputes could not be judged within the move limits, or that
// does not describe its dataset, is refused at submit and nothing moves.
func TestSubmitRefusesUnjudgeableJob(t *testing.T) {
	e := newGameEnv(t)
	for _, c := range []struct {
		name string
		edit func(*types.JobTerms)
		want error
	}{
		{"example too large for one leaf opening", func(t *types.JobTerms) { t.DataXShape = []uint32{2048} }, types.ErrUnprovable},
		{"no dataset size", func(t *types.JobTerms) { t.DataExamples = 0 }, types.ErrInvalidDataset},
		{"no data root", func(t *types.JobTerms) { t.DataRoot = nil }, types.ErrInvalidDataset},
		{"batch larger than the dataset", func(t *types.JobTerms) { t.DataExamples = 3 }, types.ErrInvalidDataset},
	} {
		tm := gameTerms()
		c.edit(&tm)
		bal := e.Balance(e.submitter)
		err := e.deliver(func(ctx sdk.Context) error {
			_, err := e.srv.SubmitJob(ctx, &types.MsgSubmitJob{Submitter: e.submitter.String(), Spec: e.spec,
				CeVersion: types.CEVersion, Terms: tm, Deposit: uhyp(gameDeposit)})
			return err
		})
		if !errors.Is(err, c.want) || e.Balance(e.submitter) != bal {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
