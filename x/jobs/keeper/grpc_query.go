package keeper

import (
	"context"

	"cosmossdk.io/collections"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/hypha-network/hypha/x/jobs/dispute"
	"github.com/hypha-network/hypha/x/jobs/types"
)

type queryServer struct{ k Keeper }

var _ types.QueryServer = queryServer{}

// NewQueryServerImpl returns the jobs Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k: k} }

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Job(ctx context.Context, req *types.QueryJobRequest) (*types.QueryJobResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	j, err := q.k.GetJob(ctx, req.JobId)
	if err != nil {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	var as []types.Assignment
	err = q.k.Assignments.Walk(ctx, collections.NewPrefixedPairRange[string, uint64](j.Id),
		func(_ collections.Pair[string, uint64], a types.Assignment) (bool, error) {
			as = append(as, a)
			return false, nil
		})
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &types.QueryJobResponse{Job: j, Assignments: as}, nil
}

func (q queryServer) Jobs(ctx context.Context, req *types.QueryJobsRequest) (*types.QueryJobsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if req.Status == types.JobUnspecified {
		out, page, err := query.CollectionPaginate(ctx, q.k.Jobs, req.Pagination,
			func(_ string, j types.Job) (types.Job, error) { return j, nil })
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		return &types.QueryJobsResponse{Jobs: out, Pagination: page}, nil
	}
	out, page, err := query.CollectionPaginate(ctx, q.k.Jobs.Indexes.Status.Keys, req.Pagination,
		func(key collections.Pair[int32, string], _ collections.NoValue) (types.Job, error) {
			return q.k.Jobs.Get(ctx, key.K2())
		}, query.WithCollectionPaginationPairPrefix[int32, string](int32(req.Status)))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryJobsResponse{Jobs: out, Pagination: page}, nil
}

func (q queryServer) Commitments(ctx context.Context, req *types.QueryCommitmentsRequest) (*types.QueryCommitmentsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	out, page, err := query.CollectionPaginate(ctx, q.k.Commitments, req.Pagination,
		func(key collections.Pair[string, uint64], c []byte) (types.Commitment, error) {
			return types.Commitment{JobId: key.K1(), Index: key.K2(), Commitment: c}, nil
		}, query.WithCollectionPaginationPairPrefix[string, uint64](req.JobId))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryCommitmentsResponse{Commitments: out, Pagination: page}, nil
}

func (q queryServer) Auditor(ctx context.Context, req *types.QueryAuditorRequest) (*types.QueryAuditorResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	a, err := q.k.Auditors.Get(ctx, req.Address)
	if err != nil {
		return nil, status.Errorf(codes.NotFound, "auditor %s: %v", req.Address, err)
	}
	return &types.QueryAuditorResponse{Auditor: a}, nil
}

func (q queryServer) Auditors(ctx context.Context, req *types.QueryAuditorsRequest) (*types.QueryAuditorsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	out, page, err := query.CollectionPaginate(ctx, q.k.Auditors, req.Pagination,
		func(_ string, a types.Auditor) (types.Auditor, error) { return a, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryAuditorsResponse{Auditors: out, Pagination: page}, nil
}

func (q queryServer) Dispute(ctx context.Context, req *types.QueryDisputeRequest) (*types.QueryDisputeResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	dg, g, err := q.k.loadGame(ctx, req.JobId)
	if err != nil {
		return nil, status.Error(codes.NotFound, err.Error())
	}
	r := &types.QueryDisputeResponse{Game: dg, Phase: uint32(g.Phase), Level: uint32(g.Level), Round: g.Round,
		Deadline: g.Deadline(), SolverRemaining: g.Remaining[0], ChallengerRemaining: g.Remaining[1], Rounds: g.Rounds}
	if g.Phase == dispute.PhaseDone {
		r.Winner, r.Reason = g.Outcome.Winner.String(), g.Outcome.Reason.String()
	}
	return r, nil
}
