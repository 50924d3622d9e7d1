package chainclient

import (
	"context"
	"fmt"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/hypha-network/hypha/x/subnet/types"
)

// Subnet queries, for the subnet agents: typed responses whose fixed-point
// values stay Q2.62 integers (NeuronInfo.IncentiveFixed and friends).

func (c *Client) subnet() types.QueryClient { return types.NewQueryClient(c.conn) }

// Metagraph returns the subnet's neurons at the latest height.
func (c *Client) Metagraph(ctx context.Context, netuid uint32) (*types.QueryMetagraphResponse, error) {
	return c.subnet().Metagraph(ctx, &types.QueryMetagraphRequest{Netuid: netuid})
}

// RevealWindow returns when weights committed now could be revealed and the
// hotkey's pending commit, if any.
func (c *Client) RevealWindow(ctx context.Context, netuid uint32, hotkey string) (*types.QueryRevealWindowResponse, error) {
	return c.subnet().RevealWindow(ctx, &types.QueryRevealWindowRequest{Netuid: netuid, Hotkey: hotkey})
}

// Subnet returns a subnet with its next epoch and registration price.
func (c *Client) Subnet(ctx context.Context, netuid uint32) (*types.QuerySubnetResponse, error) {
	return c.subnet().Subnet(ctx, &types.QuerySubnetRequest{Netuid: netuid})
}

// Subnets returns every subnet (all pages).
func (c *Client) Subnets(ctx context.Context) ([]types.Subnet, error) {
	return allPages(func(p *query.PageRequest) ([]types.Subnet, *query.PageResponse, error) {
		r, err := c.subnet().Subnets(ctx, &types.QuerySubnetsRequest{Pagination: p})
		if err != nil {
			return nil, nil, err
		}
		return r.Subnets, r.Pagination, nil
	})
}

// FindNeuron returns the hotkey's neuron on the subnet; IsNotFound(err) holds
// when the hotkey is not registered there.
func (c *Client) FindNeuron(ctx context.Context, netuid uint32, hotkey string) (*types.Neuron, error) {
	r, err := c.subnet().Neuron(ctx, &types.QueryNeuronRequest{Netuid: netuid, Hotkey: hotkey})
	if err != nil {
		if IsNotFound(err) {
			return nil, fmt.Errorf("%w: %s is not registered on subnet %d", ErrNotFound, hotkey, netuid)
		}
		return nil, err
	}
	return &r.Neuron, nil
}

// SubnetParams returns the subnet module's params.
func (c *Client) SubnetParams(ctx context.Context) (types.Params, error) {
	r, err := c.subnet().Params(ctx, &types.QueryParamsRequest{})
	if err != nil {
		return types.Params{}, err
	}
	return r.Params, nil
}
