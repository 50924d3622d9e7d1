package chainclient

import (
	"context"
	"fmt"

	"github.com/hypha-network/hypha/x/jobs/dispute"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// JobDispute returns a job's dispute game as stored on chain (decoded, ready
// for dispute.NextMove) with the addresses of its two sides. Moves are sent
// with Broadcast(types.MsgDisputeMove / MsgDisputeEvidence).
func (c *Client) JobDispute(ctx context.Context, id string) (*dispute.Game, types.DisputeGame, error) {
	r, err := c.jobs().Dispute(ctx, &types.QueryDisputeRequest{JobId: id})
	if err != nil {
		return nil, types.DisputeGame{}, fmt.Errorf("dispute of job %s: %w", id, err)
	}
	g := new(dispute.Game)
	if err := g.UnmarshalBinary(r.Game.Game); err != nil {
		return nil, r.Game, fmt.Errorf("dispute of job %s: decode the game: %w", id, err)
	}
	return g, r.Game, nil
}
