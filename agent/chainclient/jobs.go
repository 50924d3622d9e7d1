package chainclient

import (
	"context"
	"fmt"

	sdkmath "cosmossdk.io/math"
	query "github.com/cosmos/cosmos-sdk/types/query"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/hypha-network/hypha/client/broadcast"

	"github.com/hypha-network/hypha/x/jobs/types"
)

// Jobs queries, for the solver and auditor agents and `hyphad job`.

func (c *Client) jobs() types.QueryClient { return types.NewQueryClient(c.conn) }

// JobsParams returns the jobs module's params.
func (c *Client) JobsParams(ctx context.Context) (types.Params, error) {
	r, err := c.jobs().Params(ctx, &types.QueryParamsRequest{})
	if err != nil {
		return types.Params{}, err
	}
	return r.Params, nil
}

// Job returns a job and its audit assignments.
func (c *Client) Job(ctx context.Context, id string) (types.Job, []types.Assignment, error) {
	r, err := c.jobs().Job(ctx, &types.QueryJobRequest{JobId: id})
	if err != nil {
		return types.Job{}, nil, fmt.Errorf("job %s: %w", id, err)
	}
	return r.Job, r.Assignments, nil
}

// JobsByStatus returns every job in status (all pages); JobUnspecified lists all.
func (c *Client) JobsByStatus(ctx context.Context, status types.JobStatus) ([]types.Job, error) {
	return allPages(func(p *query.PageRequest) ([]types.Job, *query.PageResponse, error) {
		r, err := c.jobs().Jobs(ctx, &types.QueryJobsRequest{Status: status, Pagination: p})
		if err != nil {
			return nil, nil, err
		}
		return r.Jobs, r.Pagination, nil
	})
}

// JobCommitments returns a job's posted commitments c_0, c_k, … in order (all pages).
func (c *Client) JobCommitments(ctx context.Context, id string) ([][]byte, error) {
	cs, err := allPages(func(p *query.PageRequest) ([]types.Commitment, *query.PageResponse, error) {
		r, err := c.jobs().Commitments(ctx, &types.QueryCommitmentsRequest{JobId: id, Pagination: p})
		if err != nil {
			return nil, nil, err
		}
		return r.Commitments, r.Pagination, nil
	})
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(cs))
	for i, c := range cs {
		if c.Index != uint64(i) {
			return nil, fmt.Errorf("job %s: commitment %d arrived at position %d", id, c.Index, i)
		}
		out[i] = c.Commitment
	}
	return out, nil
}

// JobAuditor returns a bonded (or unbonding) auditor.
func (c *Client) JobAuditor(ctx context.Context, addr string) (types.Auditor, error) {
	r, err := c.jobs().Auditor(ctx, &types.QueryAuditorRequest{Address: addr})
	if err != nil {
		return types.Auditor{}, err
	}
	return r.Auditor, nil
}

// WaitTx waits until the transaction with hash (as Submit returned it) is in a
// block and returns its typed result. Agents record the hash before waiting,
// so after a restart they wait for a transaction already sent instead of
// sending it again.
func (c *Client) WaitTx(ctx context.Context, hash string) (*broadcast.Result, error) {
	return broadcast.Wait(ctx, c.rpc, c.enc.InterfaceRegistry, hash)
}

// Balance returns addr's balance of denom (the agents print what a job paid).
func (c *Client) Balance(ctx context.Context, addr, denom string) (sdkmath.Int, error) {
	r, err := banktypes.NewQueryClient(c.conn).Balance(ctx, &banktypes.QueryBalanceRequest{Address: addr, Denom: denom})
	if err != nil {
		return sdkmath.Int{}, fmt.Errorf("balance of %s: %w", addr, err)
	}
	return r.Balance.Amount, nil
}
