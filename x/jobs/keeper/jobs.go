package keeper

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/jobs/types"
)

func isNotFound(err error) bool { return errors.Is(err, collections.ErrNotFound) }

// SubmitJob checks a job completely, then escrows deposit from submitter and
// stores the job as Open. Every check runs before any write: a refused job
// leaves no trace and moves no funds.
func (k Keeper) SubmitJob(ctx context.Context, submitter string, spec []byte, ce string,
	terms types.JobTerms, deposit sdk.Coin,
) (types.Job, error) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return types.Job{}, err
	}
	if ce != types.CEVersion {
		return types.Job{}, errorsmod.Wrapf(types.ErrUnsupportedCE, "ce_version %q: this chain runs %q", ce, types.CEVersion)
	}
	if err := terms.Validate(); err != nil {
		return types.Job{}, err
	}
	s, canonical, err := types.CanonicalSpec(spec, p.MaxSpecBytes)
	if err != nil {
		return types.Job{}, err
	}
	if uint64(s.Train.Steps) != terms.Steps {
		return types.Job{}, errorsmod.Wrapf(types.ErrInvalidTerms, "steps T=%d differs from the spec's train.steps %d", terms.Steps, s.Train.Steps)
	}
	if s.Seed != terms.Seed {
		return types.Job{}, errorsmod.Wrapf(types.ErrInvalidTerms, "seed %d differs from the spec's seed %d", terms.Seed, s.Seed)
	}
	if err := checkProvable(spec, terms); err != nil {
		return types.Job{}, err
	}
	if terms.Segments() > p.MaxSegments {
		return types.Job{}, errorsmod.Wrapf(types.ErrInvalidTerms, "T/k = %d segments, more than max_segments %d: raise the interval k", terms.Segments(), p.MaxSegments)
	}
	for _, c := range []struct {
		name     string
		have     sdk.Coin
		min      sdk.Coin
		tooLowEr error
	}{
		{"price", terms.Price, p.MinPrice, types.ErrInvalidAmount},
		{"solver_bond", terms.SolverBond, p.MinSolverBond, types.ErrBondTooLow},
		{"audit_fee", terms.AuditFee, p.MinAuditFee, types.ErrInvalidAmount},
	} {
		if c.have.Denom != p.Denom {
			return types.Job{}, errorsmod.Wrapf(types.ErrInvalidAmount, "%s must be in %s, got %s", c.name, p.Denom, c.have)
		}
		if c.have.Amount.LT(c.min.Amount) {
			return types.Job{}, errorsmod.Wrapf(c.tooLowEr, "%s %s below the minimum %s", c.name, c.have, c.min)
		}
	}
	if deposit.Denom != p.Denom {
		return types.Job{}, errorsmod.Wrapf(types.ErrInvalidAmount, "deposit must be in %s, got %s", p.Denom, deposit)
	}
	if terms.ClaimBlocks > p.MaxClaimBlocks || terms.SolveBlocks > p.MaxSolveBlocks {
		return types.Job{}, errorsmod.Wrapf(types.ErrInvalidTerms, "claim_blocks <= %d and solve_blocks <= %d required", p.MaxClaimBlocks, p.MaxSolveBlocks)
	}
	m := types.AuditCount(terms.AuditRateBps, terms.Segments(), p.MinAudits, p.MaxAudits)
	required := terms.Price.Amount.Add(terms.AuditFee.Amount.MulRaw(int64(m)))
	if deposit.Amount.LT(required) {
		return types.Job{}, errorsmod.Wrapf(types.ErrDepositTooLow, "deposit %s < price %s + %d audits x %s = %s%s",
			deposit, terms.Price, m, terms.AuditFee, required, p.Denom)
	}
	dataset, _ := types.ParseHash32("dataset_id", terms.DatasetId) // checked by terms.Validate
	id := types.JobID(canonical, ce, dataset, terms.Seed, terms.Steps, terms.Interval)
	if has, err := k.Jobs.Has(ctx, id); err != nil || has {
		if err == nil {
			err = errorsmod.Wrapf(types.ErrJobExists, "job %s: the same spec, data, seed, T and k were already submitted", id)
		}
		return types.Job{}, err
	}

	h := height(ctx)
	j := types.Job{
		Id: id, Submitter: submitter, Spec: spec, CanonicalSpec: canonical, CeVersion: ce, Terms: terms,
		Status: types.JobOpen, CreatedHeight: h, ClaimDeadline: h + terms.ClaimBlocks,
		Escrow: deposit, Audits: m, SolverBond: sdk.NewCoin(p.Denom, sdkmath.ZeroInt()),
	}
	if err := k.collect(ctx, submitter, deposit); err != nil {
		return types.Job{}, errorsmod.Wrapf(err, "escrow deposit %s", deposit)
	}
	if err := k.Jobs.Set(ctx, id, j); err != nil {
		return types.Job{}, err
	}
	if err := k.ClaimQueue.Set(ctx, collections.Join(j.ClaimDeadline, id)); err != nil {
		return types.Job{}, err
	}
	emit(ctx, types.EventJobSubmitted, types.AttrJobID, id, types.AttrSubmitter, submitter,
		types.AttrEscrow, deposit.String(), types.AttrAudits, strconv.FormatUint(uint64(m), 10),
		types.AttrDeadline, strconv.FormatInt(j.ClaimDeadline, 10))
	return j, nil
}

// ClaimJob makes solver the solver of an open job, locking the job's solver bond.
func (k Keeper) ClaimJob(ctx context.Context, solver, id string) (types.Job, error) {
	j, err := k.GetJob(ctx, id)
	if err != nil {
		return j, err
	}
	h := height(ctx)
	switch {
	case j.Status != types.JobOpen:
		return j, errorsmod.Wrapf(types.ErrWrongStatus, "job %s is %s, only an open job can be claimed", id, j.Status)
	case h > j.ClaimDeadline:
		return j, errorsmod.Wrapf(types.ErrDeadlinePassed, "claim deadline %d passed (height %d)", j.ClaimDeadline, h)
	case solver == j.Submitter:
		return j, errorsmod.Wrap(types.ErrSelfDealing, "the submitter may not solve its own job")
	}
	if err := k.collect(ctx, solver, j.Terms.SolverBond); err != nil {
		return j, errorsmod.Wrapf(err, "lock solver bond %s", j.Terms.SolverBond)
	}
	if err := k.ClaimQueue.Remove(ctx, collections.Join(j.ClaimDeadline, id)); err != nil {
		return j, err
	}
	j.Status, j.Solver, j.SolverBond = types.JobClaimed, solver, j.Terms.SolverBond
	j.ClaimedHeight, j.SolveDeadline = h, h+j.Terms.SolveBlocks
	if err := k.Jobs.Set(ctx, id, j); err != nil {
		return j, err
	}
	if err := k.SolveQueue.Set(ctx, collections.Join(j.SolveDeadline, id)); err != nil {
		return j, err
	}
	emit(ctx, types.EventJobClaimed, types.AttrJobID, id, types.AttrSolver, solver,
		types.AttrBond, j.SolverBond.String(), types.AttrDeadline, strconv.FormatInt(j.SolveDeadline, 10))
	return j, nil
}

// solverJob loads a claimed job of solver that is still within its solve deadline.
func (k Keeper) solverJob(ctx context.Context, solver, id string) (types.Job, error) {
	j, err := k.GetJob(ctx, id)
	if err != nil {
		return j, err
	}
	h := height(ctx)
	switch {
	case j.Status != types.JobClaimed:
		return j, errorsmod.Wrapf(types.ErrWrongStatus, "job %s is %s, commitments go to a claimed job", id, j.Status)
	case j.Solver != solver:
		return j, errorsmod.Wrapf(types.ErrUnauthorized, "job %s is claimed by %s", id, j.Solver)
	case h > j.SolveDeadline:
		return j, errorsmod.Wrapf(types.ErrDeadlinePassed, "solve deadline %d passed (height %d)", j.SolveDeadline, h)
	}
	return j, nil
}

// PostCommitments appends commitments at index start, which must be the
// number already posted; the job's incremental Merkle root follows.
func (k Keeper) PostCommitments(ctx context.Context, solver, id string, start uint64, cs [][]byte) (types.Job, error) {
	j, err := k.solverJob(ctx, solver, id)
	if err != nil {
		return j, err
	}
	if start != j.CommitmentCount {
		return j, errorsmod.Wrapf(types.ErrOutOfOrder, "start_index %d, but %d commitments are posted: post from index %d", start, j.CommitmentCount, j.CommitmentCount)
	}
	if uint64(len(cs)) > j.Terms.Leaves()-j.CommitmentCount {
		return j, errorsmod.Wrapf(types.ErrInvalidCommitment, "%d commitments after %d exceed T/k+1 = %d", len(cs), j.CommitmentCount, j.Terms.Leaves())
	}
	for _, c := range cs {
		if len(c) != 32 {
			return j, errorsmod.Wrapf(types.ErrInvalidCommitment, "commitment %d is %d bytes, want 32", j.CommitmentCount, len(c))
		}
		if err := k.Commitments.Set(ctx, collections.Join(id, j.CommitmentCount), c); err != nil {
			return j, err
		}
		j.Frontier = types.AppendLeaf(j.Frontier, j.CommitmentCount, c)
		j.CommitmentCount++
	}
	j.Root = types.FrontierRoot(j.Frontier)
	if err := k.Jobs.Set(ctx, id, j); err != nil {
		return j, err
	}
	emit(ctx, types.EventCommitmentsPosted, types.AttrJobID, id,
		types.AttrCount, strconv.FormatUint(j.CommitmentCount, 10), types.AttrRoot, hex.EncodeToString(j.Root))
	return j, nil
}

// FinalizeJob records the final model hash once c_0..c_T are all posted, and
// schedules the audit draw beacon_delay blocks later.
func (k Keeper) FinalizeJob(ctx context.Context, solver, id string, modelHash []byte) (types.Job, error) {
	j, err := k.solverJob(ctx, solver, id)
	if err != nil {
		return j, err
	}
	if j.CommitmentCount != j.Terms.Leaves() {
		return j, errorsmod.Wrapf(types.ErrIncomplete, "%d of %d commitments posted: post c_0..c_T first", j.CommitmentCount, j.Terms.Leaves())
	}
	p, err := k.Params.Get(ctx)
	if err != nil {
		return j, err
	}
	h := height(ctx)
	if err := k.SolveQueue.Remove(ctx, collections.Join(j.SolveDeadline, id)); err != nil {
		return j, err
	}
	j.Status, j.ModelHash, j.FinalizedHeight, j.BeaconHeight = types.JobFinalized, modelHash, h, h+p.BeaconDelay
	if err := k.Jobs.Set(ctx, id, j); err != nil {
		return j, err
	}
	if err := k.BeaconQueue.Set(ctx, collections.Join(j.BeaconHeight, id)); err != nil {
		return j, err
	}
	emit(ctx, types.EventJobFinalized, types.AttrJobID, id, types.AttrRoot, hex.EncodeToString(j.Root),
		types.AttrModelHash, hex.EncodeToString(modelHash), types.AttrHeight, strconv.FormatInt(j.BeaconHeight, 10))
	return j, nil
}

// JobCommitment returns the posted commitment at index i of a job.
func (k Keeper) JobCommitment(ctx context.Context, id string, i uint64) ([]byte, error) {
	c, err := k.Commitments.Get(ctx, collections.Join(id, i))
	if err != nil && isNotFound(err) {
		return nil, errorsmod.Wrapf(types.ErrInvalidSegment, "job %s has no commitment %d", id, i)
	}
	return c, err
}
