package keeper

import (
	"context"
	"strconv"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/x/jobs/dispute"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// gameParams are the dispute game's rules taken from the module params.
func gameParams(p types.Params) dispute.Params {
	return dispute.Params{Arity: p.DisputeArity, Budget: p.DisputeBudget, MinResponse: p.DisputeMinResponse}
}

// startGame opens the dispute game of a job just moved to Disputed: the
// segment's start state S_{s·k} (already proven against R by the caller),
// the solver's end S_{(s+1)·k} (leaf s+1) and the challenger's claimed end.
// The game is stored under the job id and indexed by its deadline.
func (k Keeper) startGame(ctx context.Context, j types.Job) error {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	d := j.Dispute
	r, err := buildReferee(j.Spec, j.Terms)
	if err != nil {
		return err
	}
	start, err := k.JobCommitment(ctx, j.Id, d.Segment)
	if err != nil {
		return err
	}
	end, err := k.JobCommitment(ctx, j.Id, d.Segment+1)
	if err != nil {
		return err
	}
	var s, se, ce merkle.Hash
	copy(s[:], start)
	copy(se[:], end)
	copy(ce[:], d.ClaimedEnd)
	g, err := dispute.Open(gameParams(p), r, j.Terms.Interval, s, se, ce, uint64(height(ctx)))
	if err != nil {
		return errorsmod.Wrapf(types.ErrMoveRefused, "open the dispute game: %v", err)
	}
	if err := k.saveGame(ctx, types.DisputeGame{JobId: j.Id, Solver: j.Solver, Challenger: d.Challenger, Segment: d.Segment}, g, 0); err != nil {
		return err
	}
	emit(ctx, types.EventDisputeOpened, types.AttrJobID, j.Id, types.AttrChallenger, d.Challenger,
		types.AttrSegment, strconv.FormatUint(d.Segment, 10), types.AttrDeadline, strconv.FormatUint(g.Deadline(), 10))
	return nil
}

// saveGame stores g and moves its queue entry from oldDeadline (0: none) to
// its current deadline (none once finished).
func (k Keeper) saveGame(ctx context.Context, dg types.DisputeGame, g *dispute.Game, oldDeadline uint64) error {
	b, err := g.MarshalBinary()
	if err != nil {
		return errorsmod.Wrapf(types.ErrMoveRefused, "encode the game: %v", err)
	}
	dg.Game = b
	if err := k.Games.Set(ctx, dg.JobId, dg); err != nil {
		return err
	}
	if oldDeadline != 0 {
		if err := k.GameQueue.Remove(ctx, collections.Join(int64(oldDeadline), dg.JobId)); err != nil {
			return err
		}
	}
	if d := g.Deadline(); d != 0 {
		return k.GameQueue.Set(ctx, collections.Join(int64(d), dg.JobId))
	}
	return nil
}

// loadGame returns a job's stored game.
func (k Keeper) loadGame(ctx context.Context, id string) (types.DisputeGame, *dispute.Game, error) {
	dg, err := k.Games.Get(ctx, id)
	if err != nil {
		if isNotFound(err) {
			return dg, nil, errorsmod.Wrapf(types.ErrDisputeNotFound, "job %s has no dispute game", id)
		}
		return dg, nil, err
	}
	g := new(dispute.Game)
	if err := g.UnmarshalBinary(dg.Game); err != nil {
		return dg, nil, errorsmod.Wrapf(types.ErrDisputeNotFound, "stored game of job %s: %v", id, err)
	}
	return dg, g, nil
}

// PlayMove applies one encoded dispute.Move from signer to the game of job
// id. evidence says the move came in a MsgDisputeEvidence, the only message
// that may carry the final move (and pays referee_gas for the recompute).
// The signer must be the side the move names. A refused move changes nothing.
func (k Keeper) PlayMove(ctx context.Context, signer, id string, raw []byte, evidence bool) (*dispute.Game, types.Job, error) {
	j, err := k.GetJob(ctx, id)
	if err != nil {
		return nil, j, err
	}
	if j.Status != types.JobDisputed || j.Dispute == nil {
		return nil, j, errorsmod.Wrapf(types.ErrWrongStatus, "job %s is %s, not Disputed", id, j.Status)
	}
	dg, g, err := k.loadGame(ctx, id)
	if err != nil {
		return nil, j, err
	}
	var m dispute.Move
	if err := m.UnmarshalBinary(raw); err != nil {
		return nil, j, errorsmod.Wrapf(types.ErrInvalidMove, "decode the move: %v", err)
	}
	want := dg.Solver
	if m.Side == dispute.Challenger {
		want = dg.Challenger
	}
	if signer != want {
		return nil, j, errorsmod.Wrapf(types.ErrNotParty, "a %s move must be signed by %s, not %s", m.Side, want, signer)
	}
	if evidence != (g.Phase == dispute.PhaseEvidence) {
		if evidence {
			return nil, j, errorsmod.Wrapf(types.ErrMoveRefused, "the game is in phase %d, not at its evidence step: send MsgDisputeMove", g.Phase)
		}
		return nil, j, errorsmod.Wrap(types.ErrMoveRefused, "the game is at its evidence step: send MsgDisputeEvidence")
	}
	p, err := k.Params.Get(ctx)
	if err != nil {
		return nil, j, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	if evidence {
		sdkCtx.GasMeter().ConsumeGas(p.RefereeGas, "jobs: referee recompute")
	}
	r, err := buildReferee(j.Spec, j.Terms)
	if err != nil {
		return nil, j, err
	}
	old := g.Deadline()
	if err := g.Play(&m, r, r, uint64(height(ctx))); err != nil {
		return nil, j, errorsmod.Wrapf(types.ErrMoveRefused, "%s move for round %d: %v", m.Side, m.Round, err)
	}
	if err := k.saveGame(ctx, dg, g, old); err != nil {
		return nil, j, err
	}
	emit(ctx, types.EventDisputeMove, types.AttrJobID, id, types.AttrSide, m.Side.String(),
		types.AttrRound, strconv.FormatUint(uint64(m.Round), 10), types.AttrPhase, strconv.Itoa(int(g.Phase)),
		types.AttrDeadline, strconv.FormatUint(g.Deadline(), 10))
	if g.Phase == dispute.PhaseDone {
		if j, err = k.ResolveDispute(ctx, j, g.Outcome); err != nil {
			return nil, j, err
		}
	}
	return g, j, nil
}

// tickGame runs at a game's deadline height: a side that owes a move and
// has run out of time loses.
func (k Keeper) tickGame(ctx context.Context, id string, due int64) error {
	dg, g, err := k.loadGame(ctx, id)
	if err != nil {
		return err
	}
	if g.Deadline() != uint64(due) {
		return nil // stale entry: a move re-indexed the game
	}
	j, err := k.GetJob(ctx, id)
	if err != nil {
		return err
	}
	if j.Status != types.JobDisputed {
		return nil
	}
	if !g.Tick(uint64(height(ctx))) {
		// Not due after all (cannot happen: Deadline is the first height Tick
		// ends the game); keep it indexed for the next block.
		return k.GameQueue.Set(ctx, collections.Join(max(int64(g.Deadline()), height(ctx)+1), id))
	}
	if err := k.saveGame(ctx, dg, g, uint64(due)); err != nil {
		return err
	}
	_, err = k.ResolveDispute(ctx, j, g.Outcome)
	return err
}

// lossSplit divides a loser's stake: floor(stake × dispute_cost_bps / 10000)
// to the community pool as the chain's cost, the rest to the winner.
func lossSplit(stake sdk.Coin, bps uint32) (winner, cost sdk.Coin) {
	c := stake.Amount.MulRaw(int64(bps)).QuoRaw(10_000)
	return sdk.NewCoin(stake.Denom, stake.Amount.Sub(c)), sdk.NewCoin(stake.Denom, c)
}

// ResolveDispute pays out a decided dispute (docs/jobs-module.md, "Dispute
// game"). Solver loses: its bond goes to the challenger less the chain's
// cost, the challenger's own bond comes back, the submitter gets the whole
// escrow back (price and audit budget: no fee is paid for a wrong result),
// open audit assignments are released, and the job is Failed. Challenger
// loses: its stake (challenge bond, or for an auditor's reveal its auditor
// stake taken from its auditor bond) goes to the solver less the chain's
// cost, and the job resumes where the dispute interrupted it (Finalized,
// Auditing or a fresh challenge window), so it still settles.
func (k Keeper) ResolveDispute(ctx context.Context, j types.Job, o dispute.Outcome) (types.Job, error) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return j, err
	}
	d := j.Dispute
	zero := sdk.NewCoin(j.Escrow.Denom, sdkmath.ZeroInt())
	var paid, cost sdk.Coin
	if o.SolverWins() {
		stake := d.Bond
		if d.ByAuditor {
			a, err := k.Auditors.Get(ctx, d.Challenger)
			if err != nil {
				return j, err
			}
			stake = d.AuditorStake
			if a.Bond.Amount.LT(stake.Amount) {
				stake = a.Bond // slashed meanwhile: it loses what is left
			}
			a.Bond = a.Bond.Sub(stake)
			if err := k.Auditors.Set(ctx, a.Address, a); err != nil {
				return j, err
			}
		}
		paid, cost = lossSplit(stake, p.DisputeCostBps)
		if err := k.pay(ctx, j.Solver, paid); err != nil {
			return j, err
		}
	} else {
		paid, cost = lossSplit(j.SolverBond, p.DisputeCostBps)
		if err := k.pay(ctx, d.Challenger, paid.Add(d.Bond)); err != nil {
			return j, err
		}
		if err := k.pay(ctx, j.Submitter, j.Escrow); err != nil {
			return j, err
		}
		if err := k.releaseAssignments(ctx, j.Id); err != nil {
			return j, err
		}
	}
	if cost.IsPositive() {
		if err := k.distr.FundCommunityPool(ctx, sdk.NewCoins(cost), k.ModuleAddress()); err != nil {
			return j, errorsmod.Wrapf(err, "dispute of job %s: chain cost %s", j.Id, cost)
		}
	}
	d.Bond, d.AuditorStake = zero, zero
	h := height(ctx)
	if !o.SolverWins() {
		j.Status, j.Escrow, j.SolverBond, j.SettledHeight = types.JobFailed, zero, zero, h
		if err := k.Jobs.Set(ctx, j.Id, j); err != nil {
			return j, err
		}
	} else if j, err = k.resume(ctx, j, p); err != nil {
		return j, err
	}
	emit(ctx, types.EventDisputeResolved, types.AttrJobID, j.Id, types.AttrWinner, o.Winner.String(),
		types.AttrReason, o.Reason.String(), types.AttrWinnerPaid, paid.String(), types.AttrChainCost, cost.String())
	return j, nil
}

// resume puts a job whose solver won its dispute back where it was: before
// its audit draw (Finalized, or drawn now if the beacon height passed while
// disputed), in its audit (Auditing: the reveal deadline still closes it),
// or else in a fresh challenge window, so it always reaches settlement.
func (k Keeper) resume(ctx context.Context, j types.Job, p types.Params) (types.Job, error) {
	h := height(ctx)
	switch {
	case len(j.Beacon) == 0 && j.BeaconHeight > h:
		j.Status = types.JobFinalized
	case len(j.Beacon) == 0:
		j.Status = types.JobFinalized
		if err := k.drawAudit(ctx, j); err != nil {
			return j, err
		}
		return k.GetJob(ctx, j.Id)
	case h <= j.AuditRevealDeadline:
		j.Status = types.JobAuditing
	default:
		if err := k.openChallengeWindow(ctx, j, p); err != nil {
			return j, err
		}
		return k.GetJob(ctx, j.Id)
	}
	return j, k.Jobs.Set(ctx, j.Id, j)
}

// releaseAssignments frees the auditors of a failed job's unrevealed
// assignments (at most max_audits), unslashed: the job ended before their
// deadline, so they could not have missed it.
func (k Keeper) releaseAssignments(ctx context.Context, id string) error {
	var open []types.Assignment
	err := k.Assignments.Walk(ctx, collections.NewPrefixedPairRange[string, uint64](id),
		func(_ collections.Pair[string, uint64], a types.Assignment) (bool, error) {
			if a.Status == types.AssignmentAssigned || a.Status == types.AssignmentCommitted {
				open = append(open, a)
			}
			return false, nil
		})
	if err != nil {
		return err
	}
	for _, a := range open {
		aud, err := k.Auditors.Get(ctx, a.Auditor)
		if err != nil {
			return err
		}
		if aud.OpenAssignments > 0 {
			aud.OpenAssignments--
		}
		if err := k.Auditors.Set(ctx, a.Auditor, aud); err != nil {
			return err
		}
	}
	return nil
}

// tickGames is EndBlock's part for dispute games: only the games whose
// deadline is this height (or earlier, never normally) are visited.
func (k Keeper) tickGames(ctx context.Context) error {
	due, err := dueKeys(ctx, k.GameQueue, height(ctx))
	if err != nil {
		return err
	}
	for _, key := range due {
		k.runItem(ctx, "dispute", key.K2(), func(c context.Context) error { return k.tickGame(c, key.K2(), key.K1()) })
		if err := k.GameQueue.Remove(ctx, key); err != nil {
			return err
		}
	}
	return nil
}
