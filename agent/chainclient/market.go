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

const marketQuery = "/hypha.market.v1.Query/"

// Params returns the market params.
func (c *Client) Params(ctx context.Context) (types.Params, error) {
	var r types.QueryParamsResponse
	err := c.Query(ctx, marketQuery+"Params", &types.QueryParamsRequest{}, &r)
	return r.Params, err
}

// Provider returns the provider registered by owner.
func (c *Client) Provider(ctx context.Context, owner string) (types.Provider, error) {
	var r types.QueryProviderResponse
	err := c.Query(ctx, marketQuery+"Provider", &types.QueryProviderRequest{Owner: owner}, &r)
	return r.Provider, err
}

// AuditorSignatures returns the auditors' signatures on a provider's
// attributes, which decide whether it may bid on orders that require them.
func (c *Client) AuditorSignatures(ctx context.Context, provider string) ([]types.AuditorSignature, error) {
	var r types.QueryAuditorSignaturesResponse
	err := c.Query(ctx, marketQuery+"AuditorSignatures", &types.QueryAuditorSignaturesRequest{Provider: provider}, &r)
	return r.Signatures, err
}

// Order returns one order.
func (c *Client) Order(ctx context.Context, id uint64) (types.Order, error) {
	var r types.QueryOrderResponse
	err := c.Query(ctx, marketQuery+"Order", &types.QueryOrderRequest{OrderId: id}, &r)
	return r.Order, err
}

// OpenOrders returns every open order (all pages).
func (c *Client) OpenOrders(ctx context.Context) ([]types.Order, error) {
	var out []types.Order
	req := &types.QueryOrdersRequest{State: types.OrderOpen, Pagination: page(nil)}
	for {
		var r types.QueryOrdersResponse
		if err := c.Query(ctx, marketQuery+"Orders", req, &r); err != nil {
			return nil, err
		}
		out = append(out, r.Orders...)
		if r.Pagination == nil || len(r.Pagination.NextKey) == 0 {
			return out, nil
		}
		req.Pagination = page(r.Pagination.NextKey)
	}
}

// Bids returns the open bids on an order.
func (c *Client) Bids(ctx context.Context, orderID uint64) ([]types.Bid, error) {
	var r types.QueryBidsResponse
	err := c.Query(ctx, marketQuery+"Bids", &types.QueryBidsRequest{OrderId: orderID, Pagination: page(nil)}, &r)
	return r.Bids, err
}

// Bid returns the provider's open bid on an order.
func (c *Client) Bid(ctx context.Context, orderID uint64, provider string) (types.Bid, error) {
	var r types.QueryBidResponse
	err := c.Query(ctx, marketQuery+"Bid", &types.QueryBidRequest{OrderId: orderID, Provider: provider}, &r)
	return r.Bid, err
}

// Lease returns a lease with its withdrawable amount and escrow state.
func (c *Client) Lease(ctx context.Context, id uint64) (*types.QueryLeaseResponse, error) {
	var r types.QueryLeaseResponse
	if err := c.Query(ctx, marketQuery+"Lease", &types.QueryLeaseRequest{OrderId: id}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ActiveLeases returns the provider's active leases (all pages).
func (c *Client) ActiveLeases(ctx context.Context, provider string) ([]types.Lease, error) {
	var out []types.Lease
	req := &types.QueryLeasesRequest{Provider: provider, State: types.LeaseActive, Pagination: page(nil)}
	for {
		var r types.QueryLeasesResponse
		if err := c.Query(ctx, marketQuery+"Leases", req, &r); err != nil {
			return nil, err
		}
		out = append(out, r.Leases...)
		if r.Pagination == nil || len(r.Pagination.NextKey) == 0 {
			return out, nil
		}
		req.Pagination = page(r.Pagination.NextKey)
	}
}

// Fit returns the providers that could serve spec right now (the bid pre-check).
func (c *Client) Fit(ctx context.Context, spec types.ResourceSpec, placement []types.Attribute) ([]types.Provider, error) {
	var r types.QueryOrderFitResponse
	err := c.Query(ctx, marketQuery+"OrderFit", &types.QueryOrderFitRequest{Resources: spec, Placement: placement, Pagination: page(nil)}, &r)
	return r.Providers, err
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
	ws, err := rpchttp.New(c.node(), "/websocket")
	if err != nil {
		return fmt.Errorf("websocket client for %s: %w", c.node(), err)
	}
	if err := ws.Start(); err != nil {
		return fmt.Errorf("connect websocket: %w", err)
	}
	defer ws.Stop() //nolint:errcheck
	orders, err := ws.Subscribe(ctx, "hypha-provider", "tm.event='Tx' AND market_order_created.order_id EXISTS", 16)
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
