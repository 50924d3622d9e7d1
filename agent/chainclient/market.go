package chainclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	query "github.com/cosmos/cosmos-sdk/types/query"

	"github.com/hypha-network/hypha/x/market/types"
)

// Market queries and events, for the provider agent and `hyphad deploy`.

func (c *Client) market() types.QueryClient { return types.NewQueryClient(c.conn) }

// Params returns the market params.
func (c *Client) Params(ctx context.Context) (types.Params, error) {
	r, err := c.market().Params(ctx, &types.QueryParamsRequest{})
	if err != nil {
		return types.Params{}, err
	}
	return r.Params, nil
}

// Provider returns the provider registered by owner.
func (c *Client) Provider(ctx context.Context, owner string) (types.Provider, error) {
	r, err := c.market().Provider(ctx, &types.QueryProviderRequest{Owner: owner})
	if err != nil {
		return types.Provider{}, err
	}
	return r.Provider, nil
}

// AuditorSignatures returns the auditors' signatures on a provider's
// attributes, which decide whether it may bid on orders that require them.
func (c *Client) AuditorSignatures(ctx context.Context, provider string) ([]types.AuditorSignature, error) {
	r, err := c.market().AuditorSignatures(ctx, &types.QueryAuditorSignaturesRequest{Provider: provider})
	if err != nil {
		return nil, err
	}
	return r.Signatures, nil
}

// Order returns one order.
func (c *Client) Order(ctx context.Context, id uint64) (types.Order, error) {
	r, err := c.market().Order(ctx, &types.QueryOrderRequest{OrderId: id})
	if err != nil {
		return types.Order{}, err
	}
	return r.Order, nil
}

// OpenOrders returns every open order (all pages).
func (c *Client) OpenOrders(ctx context.Context) ([]types.Order, error) {
	return allPages(func(p *query.PageRequest) ([]types.Order, *query.PageResponse, error) {
		r, err := c.market().Orders(ctx, &types.QueryOrdersRequest{State: types.OrderOpen, Pagination: p})
		if err != nil {
			return nil, nil, err
		}
		return r.Orders, r.Pagination, nil
	})
}

// Bids returns the open bids on an order.
func (c *Client) Bids(ctx context.Context, orderID uint64) ([]types.Bid, error) {
	r, err := c.market().Bids(ctx, &types.QueryBidsRequest{OrderId: orderID, Pagination: page(nil)})
	if err != nil {
		return nil, err
	}
	return r.Bids, nil
}

// Bid returns the provider's open bid on an order.
func (c *Client) Bid(ctx context.Context, orderID uint64, provider string) (types.Bid, error) {
	r, err := c.market().Bid(ctx, &types.QueryBidRequest{OrderId: orderID, Provider: provider})
	if err != nil {
		return types.Bid{}, err
	}
	return r.Bid, nil
}

// Lease returns a lease with its withdrawable amount and escrow state.
func (c *Client) Lease(ctx context.Context, id uint64) (*types.QueryLeaseResponse, error) {
	return c.market().Lease(ctx, &types.QueryLeaseRequest{OrderId: id})
}

// ActiveLeases returns the provider's active leases (all pages).
func (c *Client) ActiveLeases(ctx context.Context, provider string) ([]types.Lease, error) {
	return allPages(func(p *query.PageRequest) ([]types.Lease, *query.PageResponse, error) {
		r, err := c.market().Leases(ctx, &types.QueryLeasesRequest{Provider: provider, State: types.LeaseActive, Pagination: p})
		if err != nil {
			return nil, nil, err
		}
		return r.Leases, r.Pagination, nil
	})
}

// Fit returns the providers that could serve spec right now (the bid pre-check).
func (c *Client) Fit(ctx context.Context, spec types.ResourceSpec, placement []types.Attribute) ([]types.Provider, error) {
	r, err := c.market().OrderFit(ctx, &types.QueryOrderFitRequest{Resources: spec, Placement: placement, Pagination: page(nil)})
	if err != nil {
		return nil, err
	}
	return r.Providers, nil
}

// SubscribeOrders calls wake (without blocking) every time a transaction
// creating an order, or a block closing an auction, is committed, until ctx
// ends. Connection errors are retried every few seconds; callers must still
// poll, since events can be missed while reconnecting.
func (c *Client) SubscribeOrders(ctx context.Context, wake func(), logf func(string, ...any)) {
	for ctx.Err() == nil {
		if err := c.subscribe(ctx, wake); err != nil && ctx.Err() == nil {
			logf("order event subscription: %v; retrying in 5s (polling continues)", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
	}
}

func (c *Client) subscribe(ctx context.Context, wake func()) error {
	ws, err := rpchttp.New(c.cfg.Node, "/websocket")
	if err != nil {
		return fmt.Errorf("websocket client for %s: %w", c.cfg.Node, err)
	}
	if err := ws.Start(); err != nil {
		return fmt.Errorf("connect websocket: %w", err)
	}
	defer ws.Stop() //nolint:errcheck
	orders, err := ws.Subscribe(ctx, "hypha-provider", fmt.Sprintf("tm.event='Tx' AND %s.%s EXISTS", types.EventOrderCreated, types.AttrOrderID), 16)
	if err != nil {
		return fmt.Errorf("subscribe to order events: %w", err)
	}
	blocks, err := ws.Subscribe(ctx, "hypha-provider", "tm.event='NewBlock'", 16)
	if err != nil {
		return fmt.Errorf("subscribe to new blocks: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-orders:
			if !ok {
				return errors.New("order event stream closed")
			}
			wake()
		case _, ok := <-blocks:
			if !ok {
				return errors.New("block event stream closed")
			}
			wake()
		}
	}
}

func page(key []byte) *query.PageRequest { return &query.PageRequest{Key: key, Limit: 200} }

// allPages calls fetch page after page until the chain says there is no
// next page, and returns every item.
func allPages[T any](fetch func(*query.PageRequest) ([]T, *query.PageResponse, error)) ([]T, error) {
	var out []T
	p := page(nil)
	for {
		items, res, err := fetch(p)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if res == nil || len(res.NextKey) == 0 {
			return out, nil
		}
		p = page(res.NextKey)
	}
}
