package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/hypha-network/hypha/x/jobs/dispute"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// InitGenesis loads g, rebuilding the queues (from each job's status and
// deadlines) and the dense auditor slot table (from the stored slots).
func (k Keeper) InitGenesis(ctx context.Context, g types.GenesisState) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, g.Params); err != nil {
		return err
	}
	for _, j := range g.Jobs {
		if err := k.Jobs.Set(ctx, j.Id, j); err != nil {
			return err
		}
		var q collections.KeySet[collections.Pair[int64, string]]
		var at int64
		switch j.Status {
		case types.JobOpen:
			q, at = k.ClaimQueue, j.ClaimDeadline
		case types.JobClaimed:
			q, at = k.SolveQueue, j.SolveDeadline
		case types.JobFinalized:
			q, at = k.BeaconQueue, j.BeaconHeight
		case types.JobAuditing:
			q, at = k.RevealQueue, j.AuditRevealDeadline
		case types.JobChallengeable:
			q, at = k.SettleQueue, j.ChallengeEnd
		case types.JobDisputed:
			q, at = k.RevealQueue, j.AuditRevealDeadline // slashes auditors who never reveal
		default:
			continue
		}
		if err := q.Set(ctx, collections.Join(at, j.Id)); err != nil {
			return err
		}
	}
	for _, c := range g.Commitments {
		if err := k.Commitments.Set(ctx, collections.Join(c.JobId, c.Index), c.Commitment); err != nil {
			return err
		}
	}
	for _, a := range g.Assignments {
		if err := k.Assignments.Set(ctx, collections.Join(a.JobId, a.Segment), a); err != nil {
			return err
		}
	}
	active := uint64(0)
	for _, a := range g.Auditors {
		if err := k.Auditors.Set(ctx, a.Address, a); err != nil {
			return err
		}
		if a.UnbondingHeight != 0 {
			if err := k.UnbondingQueue.Set(ctx, collections.Join(a.UnbondingHeight, a.Address)); err != nil {
				return err
			}
			continue
		}
		if has, err := k.AuditorSlots.Has(ctx, a.Slot); err != nil || has {
			if err == nil {
				err = errorsmod.Wrapf(types.ErrInvalidGenesis, "auditor slot %d used twice", a.Slot)
			}
			return err
		}
		if err := k.AuditorSlots.Set(ctx, a.Slot, a.Address); err != nil {
			return err
		}
		active++
	}
	for s := uint64(0); s < active; s++ {
		if has, err := k.AuditorSlots.Has(ctx, s); err != nil || !has {
			if err == nil {
				err = errorsmod.Wrapf(types.ErrInvalidGenesis, "auditor slots are not dense: slot %d missing of %d", s, active)
			}
			return err
		}
	}
	if err := k.AuditorCount.Set(ctx, active); err != nil {
		return err
	}
	for _, b := range g.BlockHashes {
		if err := k.BlockHashes.Set(ctx, b.Height, b.Hash); err != nil {
			return err
		}
	}
	for _, dg := range g.Games {
		gm := new(dispute.Game)
		if err := gm.UnmarshalBinary(dg.Game); err != nil {
			return errorsmod.Wrapf(types.ErrInvalidGenesis, "dispute game of job %s: %v", dg.JobId, err)
		}
		if err := k.saveGame(ctx, dg, gm, 0); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis exports the whole state in key order.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	g := &types.GenesisState{Params: p}
	if err := k.Jobs.Walk(ctx, nil, func(_ string, j types.Job) (bool, error) {
		g.Jobs = append(g.Jobs, j)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Commitments.Walk(ctx, nil, func(key collections.Pair[string, uint64], c []byte) (bool, error) {
		g.Commitments = append(g.Commitments, types.Commitment{JobId: key.K1(), Index: key.K2(), Commitment: c})
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Assignments.Walk(ctx, nil, func(_ collections.Pair[string, uint64], a types.Assignment) (bool, error) {
		g.Assignments = append(g.Assignments, a)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Auditors.Walk(ctx, nil, func(_ string, a types.Auditor) (bool, error) {
		g.Auditors = append(g.Auditors, a)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.BlockHashes.Walk(ctx, nil, func(h int64, b []byte) (bool, error) {
		g.BlockHashes = append(g.BlockHashes, types.BlockHash{Height: h, Hash: b})
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Games.Walk(ctx, nil, func(_ string, dg types.DisputeGame) (bool, error) {
		g.Games = append(g.Games, dg)
		return false, nil
	}); err != nil {
		return nil, err
	}
	return g, nil
}
