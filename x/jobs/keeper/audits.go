package keeper

import (
	"bytes"
	"context"
	"encoding/hex"
	"strconv"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/jobs/types"
)

// drawAudit runs at a finalized job's beacon height: it derives the beacon
// from the header hashes of the beacon_delay blocks after the final posting
// (none existed when the solver posted), samples m segments and draws one
// auditor per segment, and opens the commit window. Work is O(T/k + m²),
// bounded by max_segments and max_audits.
func (k Keeper) drawAudit(ctx context.Context, j types.Job) error {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	h := height(ctx)
	hashes := make([][]byte, 0, h-j.FinalizedHeight)
	for b := j.FinalizedHeight + 1; b <= h; b++ {
		hh, err := k.BlockHashes.Get(ctx, b)
		if err != nil && !isNotFound(err) {
			return err
		}
		hashes = append(hashes, hh)
	}
	j.Beacon = types.Beacon(j.Id, hashes)
	segments := types.SampleSegments(j.Beacon, j.Terms.Segments(), j.Audits)
	auditors, err := k.drawAuditors(ctx, j, p, len(segments))
	if err != nil {
		return err
	}
	assigned := 0
	for i, seg := range segments {
		addr := auditors[i]
		if addr == "" {
			continue // not enough eligible auditors: this segment goes unaudited, its fee is refunded
		}
		a, err := k.Auditors.Get(ctx, addr)
		if err != nil {
			return err
		}
		a.OpenAssignments++
		if err := k.Auditors.Set(ctx, addr, a); err != nil {
			return err
		}
		if err := k.Assignments.Set(ctx, collections.Join(j.Id, seg), types.Assignment{
			JobId: j.Id, Segment: seg, Auditor: addr, Status: types.AssignmentAssigned,
		}); err != nil {
			return err
		}
		assigned++
		emit(ctx, types.EventAuditorAssigned, types.AttrJobID, j.Id, types.AttrSegment, strconv.FormatUint(seg, 10),
			types.AttrAuditor, addr)
	}
	j.AuditCommitDeadline = h + p.AuditCommitBlocks
	j.AuditRevealDeadline = j.AuditCommitDeadline + p.AuditRevealBlocks
	if assigned == 0 {
		// Nobody to audit: watchers still have the whole challenge window.
		return k.openChallengeWindow(ctx, j, p)
	}
	j.Status = types.JobAuditing
	if err := k.Jobs.Set(ctx, j.Id, j); err != nil {
		return err
	}
	if err := k.RevealQueue.Set(ctx, collections.Join(j.AuditRevealDeadline, j.Id)); err != nil {
		return err
	}
	emit(ctx, types.EventAuditDrawn, types.AttrJobID, j.Id, types.AttrBeacon, hex.EncodeToString(j.Beacon),
		types.AttrAudits, strconv.Itoa(assigned), types.AttrDeadline, strconv.FormatInt(j.AuditCommitDeadline, 10))
	return nil
}

// drawAuditors picks n auditors, uniformly over the active auditor table:
// draw i starts at slot Draw(beacon, "auditor", i) mod N and probes forward
// past the job's submitter and solver, auditors already picked and ones below
// min_auditor_bond, for at most n+2 probes (at most n-1 picked plus two
// parties can be skipped, so the bound only bites when the table is nearly
// all ineligible). "" marks a draw that found nobody.
func (k Keeper) drawAuditors(ctx context.Context, j types.Job, p types.Params, n int) ([]string, error) {
	out := make([]string, n)
	total, err := k.AuditorCount.Get(ctx)
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	if total == 0 {
		return out, nil
	}
	picked := make(map[string]bool, n) // membership only, never iterated
	maxProbes := uint64(n + 2)
	if maxProbes > total {
		maxProbes = total
	}
	for i := 0; i < n; i++ {
		start := types.Draw(j.Beacon, "auditor", uint64(i)) % total
		for probe := uint64(0); probe < maxProbes; probe++ {
			addr, err := k.AuditorSlots.Get(ctx, (start+probe)%total)
			if err != nil {
				return nil, err
			}
			if addr == j.Submitter || addr == j.Solver || picked[addr] {
				continue
			}
			a, err := k.Auditors.Get(ctx, addr)
			if err != nil {
				return nil, err
			}
			if a.Bond.Amount.LT(p.MinAuditorBond.Amount) {
				continue
			}
			out[i], picked[addr] = addr, true
			break
		}
	}
	return out, nil
}

// assignment loads the assignment of auditor for (job, segment).
func (k Keeper) assignment(ctx context.Context, auditor, id string, segment uint64) (types.Job, types.Assignment, error) {
	j, err := k.GetJob(ctx, id)
	if err != nil {
		return j, types.Assignment{}, err
	}
	a, err := k.Assignments.Get(ctx, collections.Join(id, segment))
	if err != nil {
		if isNotFound(err) {
			return j, a, errorsmod.Wrapf(types.ErrNotAssigned, "segment %d of job %s is not audited", segment, id)
		}
		return j, a, err
	}
	if a.Auditor != auditor {
		return j, a, errorsmod.Wrapf(types.ErrNotAssigned, "segment %d of job %s is assigned to %s", segment, id, a.Auditor)
	}
	return j, a, nil
}

// AuditCommit records an assigned auditor's commit hash before the commit deadline.
func (k Keeper) AuditCommit(ctx context.Context, auditor, id string, segment uint64, commit []byte) error {
	j, a, err := k.assignment(ctx, auditor, id, segment)
	if err != nil {
		return err
	}
	h := height(ctx)
	switch {
	case j.Status != types.JobAuditing && j.Status != types.JobDisputed:
		return errorsmod.Wrapf(types.ErrWrongStatus, "job %s is %s", id, j.Status)
	case a.Status != types.AssignmentAssigned:
		return errorsmod.Wrapf(types.ErrAlreadyDone, "segment %d is already %s", segment, a.Status)
	case h > j.AuditCommitDeadline:
		return errorsmod.Wrapf(types.ErrDeadlinePassed, "audit commit deadline %d passed (height %d)", j.AuditCommitDeadline, h)
	}
	a.Status, a.CommitHash = types.AssignmentCommitted, commit
	if err := k.Assignments.Set(ctx, collections.Join(id, segment), a); err != nil {
		return err
	}
	emit(ctx, types.EventAuditCommitted, types.AttrJobID, id, types.AttrSegment, strconv.FormatUint(segment, 10),
		types.AttrAuditor, auditor)
	return nil
}

// AuditReveal opens a commit after the commit deadline: the reveal must hash
// to the commit, and the start commitment must be proven against the job's
// root. A result that differs from the solver's commitment for the segment's
// end opens a dispute.
func (k Keeper) AuditReveal(ctx context.Context, m *types.MsgAuditReveal) (bool, types.JobStatus, error) {
	j, a, err := k.assignment(ctx, m.Auditor, m.JobId, m.Segment)
	if err != nil {
		return false, 0, err
	}
	h := height(ctx)
	switch {
	case j.Status != types.JobAuditing && j.Status != types.JobDisputed:
		return false, 0, errorsmod.Wrapf(types.ErrWrongStatus, "job %s is %s", m.JobId, j.Status)
	case a.Status != types.AssignmentCommitted:
		return false, 0, errorsmod.Wrapf(types.ErrWrongStatus, "segment %d is %s, reveal needs a commit", m.Segment, a.Status)
	case h <= j.AuditCommitDeadline:
		return false, 0, errorsmod.Wrapf(types.ErrTooEarly, "reveal after the commit deadline %d (height %d)", j.AuditCommitDeadline, h)
	case h > j.AuditRevealDeadline:
		return false, 0, errorsmod.Wrapf(types.ErrDeadlinePassed, "audit reveal deadline %d passed (height %d)", j.AuditRevealDeadline, h)
	}
	if !bytes.Equal(types.AuditCommitHash(m.JobId, m.Segment, m.Auditor, m.Result, m.Salt), a.CommitHash) {
		return false, 0, errorsmod.Wrap(types.ErrRevealMismatch, "sha256(job ‖ segment ‖ auditor ‖ result ‖ salt) differs from the commit")
	}
	if err := k.checkSegmentStart(ctx, j, m.Segment, m.StartCommitment, m.StartProof); err != nil {
		return false, 0, err
	}
	end, err := k.JobCommitment(ctx, j.Id, m.Segment+1)
	if err != nil {
		return false, 0, err
	}
	auditor, err := k.Auditors.Get(ctx, m.Auditor)
	if err != nil {
		return false, 0, err
	}
	if auditor.OpenAssignments > 0 {
		auditor.OpenAssignments--
	}
	if err := k.Auditors.Set(ctx, m.Auditor, auditor); err != nil {
		return false, 0, err
	}
	a.Status, a.Result, a.Agrees = types.AssignmentRevealed, m.Result, bytes.Equal(m.Result, end)
	if err := k.Assignments.Set(ctx, collections.Join(j.Id, m.Segment), a); err != nil {
		return false, 0, err
	}
	emit(ctx, types.EventAuditRevealed, types.AttrJobID, j.Id, types.AttrSegment, strconv.FormatUint(m.Segment, 10),
		types.AttrAuditor, m.Auditor, types.AttrAgrees, strconv.FormatBool(a.Agrees))
	if !a.Agrees && j.Status != types.JobDisputed {
		d := types.Dispute{Challenger: m.Auditor, Segment: m.Segment, ClaimedEnd: m.Result,
			Bond: sdk.NewCoin(j.Escrow.Denom, sdkmath.ZeroInt()), OpenedHeight: h, ByAuditor: true}
		if j, err = k.OpenDispute(ctx, j, d); err != nil {
			return false, 0, err
		}
	}
	return a.Agrees, j.Status, nil
}

// checkSegmentStart proves that start is commitment c_{segment*k} under the job's root.
func (k Keeper) checkSegmentStart(ctx context.Context, j types.Job, segment uint64, start []byte, proof [][]byte) error {
	if segment >= j.Terms.Segments() {
		return errorsmod.Wrapf(types.ErrInvalidSegment, "segment %d of %d", segment, j.Terms.Segments())
	}
	if err := types.VerifyLeaf(j.Root, start, segment, j.CommitmentCount, proof); err != nil {
		return errorsmod.Wrapf(types.ErrInvalidProof, "start commitment of segment %d (leaf %d of %d): fetch the proof with `hyphad q jobs commitments`", segment, segment, j.CommitmentCount)
	}
	return nil
}

// Challenge lets a bonded watcher contest a segment of a finalized job before
// its challenge window closes, locking bond; the job becomes Disputed.
func (k Keeper) Challenge(ctx context.Context, m *types.MsgChallenge) (types.Job, error) {
	j, err := k.GetJob(ctx, m.JobId)
	if err != nil {
		return j, err
	}
	p, err := k.Params.Get(ctx)
	if err != nil {
		return j, err
	}
	h := height(ctx)
	switch {
	case j.Status != types.JobFinalized && j.Status != types.JobAuditing && j.Status != types.JobChallengeable:
		return j, errorsmod.Wrapf(types.ErrWrongStatus, "job %s is %s: only a finalized, unsettled, undisputed job can be challenged", j.Id, j.Status)
	case j.Status == types.JobChallengeable && h > j.ChallengeEnd:
		return j, errorsmod.Wrapf(types.ErrDeadlinePassed, "challenge window ended at %d", j.ChallengeEnd)
	case m.Challenger == j.Submitter || m.Challenger == j.Solver:
		return j, errorsmod.Wrap(types.ErrSelfDealing, "the job's submitter or solver may not challenge it")
	case m.Bond.Denom != p.Denom || m.Bond.Amount.LT(p.MinChallengeBond.Amount):
		return j, errorsmod.Wrapf(types.ErrBondTooLow, "challenge bond %s below min_challenge_bond %s", m.Bond, p.MinChallengeBond)
	}
	if _, err := k.activeAuditor(ctx, m.Challenger, p); err != nil {
		return j, err
	}
	if err := k.checkSegmentStart(ctx, j, m.Segment, m.StartCommitment, m.StartProof); err != nil {
		return j, err
	}
	end, err := k.JobCommitment(ctx, j.Id, m.Segment+1)
	if err != nil {
		return j, err
	}
	if bytes.Equal(end, m.ClaimedEnd) {
		return j, errorsmod.Wrapf(types.ErrNoDispute, "claimed_end equals the solver's commitment for the end of segment %d", m.Segment)
	}
	if err := k.collect(ctx, m.Challenger, m.Bond); err != nil {
		return j, errorsmod.Wrapf(err, "lock challenge bond %s", m.Bond)
	}
	return k.OpenDispute(ctx, j, types.Dispute{Challenger: m.Challenger, Segment: m.Segment, ClaimedEnd: m.ClaimedEnd,
		Bond: m.Bond, OpenedHeight: h})
}

// OpenDispute is the seam to the dispute game: it moves j to Disputed with d
// recorded, and nothing else. Escrow, solver bond and challenge bond stay in
// the module account; settlement no longer runs for j (its queue entries
// become stale). The dispute game (x/jobs/dispute, x/jobs/referee) must later
// call a resolution method that pays out from j.Escrow, j.SolverBond and
// j.Dispute.Bond according to its verdict; this module never invents one.
func (k Keeper) OpenDispute(ctx context.Context, j types.Job, d types.Dispute) (types.Job, error) {
	d.AuditorStake = sdk.NewCoin(j.Escrow.Denom, sdkmath.ZeroInt())
	if d.ByAuditor {
		// An auditor's reveal opens the game without a challenge bond: it
		// risks min(its bond, min_challenge_bond), taken only if it loses.
		p, err := k.Params.Get(ctx)
		if err != nil {
			return j, err
		}
		a, err := k.Auditors.Get(ctx, d.Challenger)
		if err != nil {
			return j, err
		}
		d.AuditorStake = sdk.NewCoin(j.Escrow.Denom, sdkmath.MinInt(a.Bond.Amount, p.MinChallengeBond.Amount))
	}
	j.Status, j.Dispute = types.JobDisputed, &d
	if err := k.Jobs.Set(ctx, j.Id, j); err != nil {
		return j, err
	}
	if err := k.startGame(ctx, j); err != nil {
		return j, err
	}
	emit(ctx, types.EventJobDisputed, types.AttrJobID, j.Id, types.AttrChallenger, d.Challenger,
		types.AttrSegment, strconv.FormatUint(d.Segment, 10), types.AttrBond, d.Bond.String())
	return j, nil
}

// closeReveals runs at a job's reveal deadline: every assignment without a
// reveal is marked Missed and its auditor slashed; an Auditing job (every
// reveal agreed) opens its challenge window.
func (k Keeper) closeReveals(ctx context.Context, j types.Job) error {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	var missed []types.Assignment
	err = k.Assignments.Walk(ctx, collections.NewPrefixedPairRange[string, uint64](j.Id),
		func(_ collections.Pair[string, uint64], a types.Assignment) (bool, error) {
			if a.Status == types.AssignmentAssigned || a.Status == types.AssignmentCommitted {
				missed = append(missed, a)
			}
			return false, nil
		})
	if err != nil {
		return err
	}
	for _, a := range missed {
		aud, err := k.Auditors.Get(ctx, a.Auditor)
		if err != nil {
			return err
		}
		if err := k.slashAuditor(ctx, &aud, p, j.Id, a.Segment); err != nil {
			return err
		}
		if aud.OpenAssignments > 0 {
			aud.OpenAssignments--
		}
		if err := k.Auditors.Set(ctx, a.Auditor, aud); err != nil {
			return err
		}
		a.Status = types.AssignmentMissed
		if err := k.Assignments.Set(ctx, collections.Join(a.JobId, a.Segment), a); err != nil {
			return err
		}
	}
	if j.Status != types.JobAuditing {
		return nil // Disputed: the dispute game decides
	}
	return k.openChallengeWindow(ctx, j, p)
}

// openChallengeWindow moves j to Challengeable until challenge_blocks from now.
func (k Keeper) openChallengeWindow(ctx context.Context, j types.Job, p types.Params) error {
	j.Status = types.JobChallengeable
	j.ChallengeEnd = height(ctx) + p.ChallengeBlocks
	if err := k.Jobs.Set(ctx, j.Id, j); err != nil {
		return err
	}
	if err := k.SettleQueue.Set(ctx, collections.Join(j.ChallengeEnd, j.Id)); err != nil {
		return err
	}
	emit(ctx, types.EventJobChallengeable, types.AttrJobID, j.Id, types.AttrDeadline, strconv.FormatInt(j.ChallengeEnd, 10))
	return nil
}
