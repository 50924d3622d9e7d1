package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/hypha-network/hypha/x/jobs/dispute"
	"github.com/hypha-network/hypha/x/jobs/types"
)

type msgServer struct{ k Keeper }

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the jobs Msg service: each handler validates its
// message and calls one keeper method with domain values.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k: k} }

func (s msgServer) SubmitJob(ctx context.Context, m *types.MsgSubmitJob) (*types.MsgSubmitJobResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	j, err := s.k.SubmitJob(ctx, m.Submitter, m.Spec, m.CeVersion, m.Terms, m.Deposit)
	if err != nil {
		return nil, err
	}
	return &types.MsgSubmitJobResponse{JobId: j.Id, Escrow: j.Escrow, Audits: j.Audits, ClaimDeadline: j.ClaimDeadline}, nil
}

func (s msgServer) ClaimJob(ctx context.Context, m *types.MsgClaimJob) (*types.MsgClaimJobResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	j, err := s.k.ClaimJob(ctx, m.Solver, m.JobId)
	if err != nil {
		return nil, err
	}
	return &types.MsgClaimJobResponse{Bond: j.SolverBond, SolveDeadline: j.SolveDeadline}, nil
}

func (s msgServer) PostCommitments(ctx context.Context, m *types.MsgPostCommitments) (*types.MsgPostCommitmentsResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	j, err := s.k.PostCommitments(ctx, m.Solver, m.JobId, m.StartIndex, m.Commitments)
	if err != nil {
		return nil, err
	}
	return &types.MsgPostCommitmentsResponse{Count: j.CommitmentCount, Root: j.Root}, nil
}

func (s msgServer) FinalizeJob(ctx context.Context, m *types.MsgFinalizeJob) (*types.MsgFinalizeJobResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	j, err := s.k.FinalizeJob(ctx, m.Solver, m.JobId, m.ModelHash)
	if err != nil {
		return nil, err
	}
	return &types.MsgFinalizeJobResponse{Root: j.Root, BeaconHeight: j.BeaconHeight}, nil
}

func (s msgServer) BondAuditor(ctx context.Context, m *types.MsgBondAuditor) (*types.MsgBondAuditorResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	a, err := s.k.BondAuditor(ctx, m.Auditor, m.Amount)
	if err != nil {
		return nil, err
	}
	return &types.MsgBondAuditorResponse{Bond: a.Bond}, nil
}

func (s msgServer) UnbondAuditor(ctx context.Context, m *types.MsgUnbondAuditor) (*types.MsgUnbondAuditorResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	h, err := s.k.UnbondAuditor(ctx, m.Auditor)
	if err != nil {
		return nil, err
	}
	return &types.MsgUnbondAuditorResponse{UnbondingHeight: h}, nil
}

func (s msgServer) AuditCommit(ctx context.Context, m *types.MsgAuditCommit) (*types.MsgAuditCommitResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	return &types.MsgAuditCommitResponse{}, s.k.AuditCommit(ctx, m.Auditor, m.JobId, m.Segment, m.CommitHash)
}

func (s msgServer) AuditReveal(ctx context.Context, m *types.MsgAuditReveal) (*types.MsgAuditRevealResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	agrees, st, err := s.k.AuditReveal(ctx, m)
	if err != nil {
		return nil, err
	}
	return &types.MsgAuditRevealResponse{Agrees: agrees, Status: st}, nil
}

func (s msgServer) Challenge(ctx context.Context, m *types.MsgChallenge) (*types.MsgChallengeResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	j, err := s.k.Challenge(ctx, m)
	if err != nil {
		return nil, err
	}
	return &types.MsgChallengeResponse{Status: j.Status}, nil
}

func (s msgServer) UpdateParams(ctx context.Context, m *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if m.Authority != s.k.authority {
		return nil, errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", s.k.authority, m.Authority)
	}
	if err := m.Params.Validate(); err != nil {
		return nil, err
	}
	if err := s.k.Params.Set(ctx, m.Params); err != nil {
		return nil, err
	}
	emit(ctx, types.EventParamsUpdated)
	return &types.MsgUpdateParamsResponse{}, nil
}

func (s msgServer) DisputeMove(ctx context.Context, m *types.MsgDisputeMove) (*types.MsgDisputeMoveResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	g, _, err := s.k.PlayMove(ctx, m.Signer, m.JobId, m.Move, false)
	if err != nil {
		return nil, err
	}
	r := &types.MsgDisputeMoveResponse{Round: g.Round, Phase: uint32(g.Phase), Deadline: g.Deadline(), Finished: g.Phase == dispute.PhaseDone}
	if r.Finished {
		r.Winner = g.Outcome.Winner.String()
	}
	return r, nil
}

func (s msgServer) DisputeEvidence(ctx context.Context, m *types.MsgDisputeEvidence) (*types.MsgDisputeEvidenceResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	g, j, err := s.k.PlayMove(ctx, m.Signer, m.JobId, m.Evidence, true)
	if err != nil {
		return nil, err
	}
	return &types.MsgDisputeEvidenceResponse{Winner: g.Outcome.Winner.String(), Reason: g.Outcome.Reason.String(), Status: j.Status}, nil
}
