package keeper

import (
	"context"
	"strings"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hypha-network/hypha/x/market/types"
)

type queryServer struct{ k Keeper }

var _ types.QueryServer = queryServer{}

// NewQueryServerImpl returns the market's Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k: k} }

func notFound(err error) error {
	if errorsmod.IsOf(err, types.ErrProviderNotFound, types.ErrOrderNotFound, types.ErrLeaseNotFound, types.ErrBidNotFound) {
		return status.Error(codes.NotFound, err.Error())
	}
	return err
}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Provider(ctx context.Context, req *types.QueryProviderRequest) (*types.QueryProviderResponse, error) {
	if req == nil || req.Owner == "" {
		return nil, status.Error(codes.InvalidArgument, "owner is required")
	}
	p, err := q.k.GetProvider(ctx, req.Owner)
	if err != nil {
		return nil, notFound(err)
	}
	return &types.QueryProviderResponse{Provider: p, Reputation: p.Reputation()}, nil
}

func (q queryServer) Providers(ctx context.Context, req *types.QueryProvidersRequest) (*types.QueryProvidersResponse, error) {
	if req == nil {
		req = &types.QueryProvidersRequest{}
	}
	filter := func(_ string, p types.Provider) (bool, error) {
		if req.AttributeKey != "" {
			ok := false
			for _, a := range p.Attributes {
				if a.Key == req.AttributeKey && (req.AttributeValue == "" || a.Value == req.AttributeValue) {
					ok = true
					break
				}
			}
			if !ok {
				return false, nil
			}
		}
		if req.GpuModel != "" {
			ok := false
			for _, g := range p.Inventory.Gpus {
				if strings.EqualFold(g.Model, req.GpuModel) {
					ok = true
					break
				}
			}
			if !ok {
				return false, nil
			}
		}
		return true, nil
	}
	out, page, err := query.CollectionFilteredPaginate(ctx, q.k.Providers, req.Pagination, filter,
		func(_ string, p types.Provider) (types.Provider, error) { return p, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryProvidersResponse{Providers: out, Pagination: page}, nil
}

func (q queryServer) AuditorSignatures(ctx context.Context, req *types.QueryAuditorSignaturesRequest) (*types.QueryAuditorSignaturesResponse, error) {
	if req == nil || req.Provider == "" {
		return nil, status.Error(codes.InvalidArgument, "provider is required")
	}
	it, err := q.k.Signatures.Iterate(ctx, collections.NewPrefixedPairRange[string, string](req.Provider))
	if err != nil {
		return nil, err
	}
	sigs, err := it.Values()
	if err != nil {
		return nil, err
	}
	return &types.QueryAuditorSignaturesResponse{Signatures: sigs}, nil
}

func (q queryServer) Order(ctx context.Context, req *types.QueryOrderRequest) (*types.QueryOrderResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	o, err := q.k.GetOrder(ctx, req.OrderId)
	if err != nil {
		return nil, notFound(err)
	}
	return &types.QueryOrderResponse{Order: o}, nil
}

// Orders lists orders. With a state, an owner or both it is a prefix scan of
// the matching index (so its cost follows the page, not the closed history);
// an owner's orders come by state, then id. Without a filter it pages the map.
func (q queryServer) Orders(ctx context.Context, req *types.QueryOrdersRequest) (*types.QueryOrdersResponse, error) {
	if req == nil {
		req = &types.QueryOrdersRequest{}
	}
	var (
		out  []types.Order
		page *query.PageResponse
		err  error
	)
	byID := func(id uint64) (types.Order, error) { return q.k.Orders.Get(ctx, id) }
	switch {
	case req.Owner != "":
		out, page, err = query.CollectionPaginate(ctx, q.k.Orders.Indexes.Owner.Keys, req.Pagination,
			func(key AddrStateKey, _ collections.NoValue) (types.Order, error) { return byID(key.K3()) },
			addrStatePrefix(req.Owner, int32(req.State)))
	case req.State != types.OrderStateUnspecified:
		out, page, err = query.CollectionPaginate(ctx, q.k.Orders.Indexes.State.Keys, req.Pagination,
			func(key StateKey, _ collections.NoValue) (types.Order, error) { return byID(key.K2()) },
			query.WithCollectionPaginationPairPrefix[int32, uint64](int32(req.State)))
	default:
		out, page, err = query.CollectionPaginate(ctx, q.k.Orders, req.Pagination,
			func(_ uint64, o types.Order) (types.Order, error) { return o, nil })
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryOrdersResponse{Orders: out, Pagination: page}, nil
}

// addrStatePrefix pages an (address, state, id) index over one address, or
// over one address and state when state is set (non-zero).
func addrStatePrefix(addr string, state int32) func(*query.CollectionsPaginateOptions[AddrStateKey]) {
	return func(o *query.CollectionsPaginateOptions[AddrStateKey]) {
		p := collections.TriplePrefix[string, int32, uint64](addr)
		if state != 0 {
			p = collections.TripleSuperPrefix[string, int32, uint64](addr, state)
		}
		o.Prefix = &p
	}
}

func (q queryServer) Bid(ctx context.Context, req *types.QueryBidRequest) (*types.QueryBidResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	b, err := q.k.Bids.Get(ctx, collections.Join(req.OrderId, req.Provider))
	if err != nil {
		return nil, status.Errorf(codes.NotFound, "bid of %s on order %d", req.Provider, req.OrderId)
	}
	return &types.QueryBidResponse{Bid: b}, nil
}

func (q queryServer) Bids(ctx context.Context, req *types.QueryBidsRequest) (*types.QueryBidsResponse, error) {
	if req == nil || (req.OrderId == 0 && req.Provider == "") {
		return nil, status.Error(codes.InvalidArgument, "set order_id or provider")
	}
	var (
		out  []types.Bid
		page *query.PageResponse
		err  error
	)
	if req.OrderId != 0 {
		out, page, err = query.CollectionFilteredPaginate(ctx, q.k.Bids, req.Pagination,
			func(key collections.Pair[uint64, string], _ types.Bid) (bool, error) {
				return req.Provider == "" || key.K2() == req.Provider, nil
			},
			func(_ collections.Pair[uint64, string], b types.Bid) (types.Bid, error) { return b, nil },
			query.WithCollectionPaginationPairPrefix[uint64, string](req.OrderId))
	} else {
		out, page, err = query.CollectionPaginate(ctx, q.k.Bids.Indexes.Provider.Keys, req.Pagination,
			func(key collections.Pair[string, uint64], _ collections.NoValue) (types.Bid, error) {
				return q.k.Bids.Get(ctx, collections.Join(key.K2(), key.K1()))
			},
			query.WithCollectionPaginationPairPrefix[string, uint64](req.Provider))
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryBidsResponse{Bids: out, Pagination: page}, nil
}

func (q queryServer) Lease(ctx context.Context, req *types.QueryLeaseRequest) (*types.QueryLeaseResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	l, err := q.k.GetLease(ctx, req.OrderId)
	if err != nil {
		return nil, notFound(err)
	}
	e, err := q.k.Escrows.Get(ctx, req.OrderId)
	if err != nil {
		return nil, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	denom := l.Price.Denom
	res := &types.QueryLeaseResponse{
		Lease: l, AsOfHeight: h, Withdrawable: coin(denom, zero()), PendingPool: coin(denom, zero()),
		EscrowBalance: e.Balance, RunDryHeight: e.RunDryHeight,
	}
	if l.State == types.LeaseActive {
		s := ComputeSettlement(l, e.Balance.Amount, h)
		res.Withdrawable, res.PendingPool = coin(denom, s.Provider), coin(denom, s.Pool)
		res.EscrowBalance = e.Balance.SubAmount(s.Amount)
	}
	return res, nil
}

// Leases lists leases. A provider or an owner filter (with or without a state)
// is a prefix scan of the (address, state, id) index, a state alone of the
// (state, id) index, so the provider agent's active-lease sync does not read
// the provider's closed history. With both provider and owner set, the
// provider's index is scanned and the owner filtered.
func (q queryServer) Leases(ctx context.Context, req *types.QueryLeasesRequest) (*types.QueryLeasesResponse, error) {
	if req == nil {
		req = &types.QueryLeasesRequest{}
	}
	var (
		out  []types.Lease
		page *query.PageResponse
		err  error
	)
	byID := func(id uint64) (types.Lease, error) { return q.k.Leases.Get(ctx, id) }
	switch {
	case req.Provider != "" && req.Owner != "":
		out, page, err = query.CollectionFilteredPaginate(ctx, q.k.Leases.Indexes.Provider.Keys, req.Pagination,
			func(key AddrStateKey, _ collections.NoValue) (bool, error) {
				l, err := byID(key.K3())
				return err == nil && l.Owner == req.Owner, err
			},
			func(key AddrStateKey, _ collections.NoValue) (types.Lease, error) { return byID(key.K3()) },
			addrStatePrefix(req.Provider, int32(req.State)))
	case req.Provider != "":
		out, page, err = query.CollectionPaginate(ctx, q.k.Leases.Indexes.Provider.Keys, req.Pagination,
			func(key AddrStateKey, _ collections.NoValue) (types.Lease, error) { return byID(key.K3()) },
			addrStatePrefix(req.Provider, int32(req.State)))
	case req.Owner != "":
		out, page, err = query.CollectionPaginate(ctx, q.k.Leases.Indexes.Owner.Keys, req.Pagination,
			func(key AddrStateKey, _ collections.NoValue) (types.Lease, error) { return byID(key.K3()) },
			addrStatePrefix(req.Owner, int32(req.State)))
	case req.State != types.LeaseStateUnspecified:
		out, page, err = query.CollectionPaginate(ctx, q.k.Leases.Indexes.State.Keys, req.Pagination,
			func(key StateKey, _ collections.NoValue) (types.Lease, error) { return byID(key.K2()) },
			query.WithCollectionPaginationPairPrefix[int32, uint64](int32(req.State)))
	default:
		out, page, err = query.CollectionPaginate(ctx, q.k.Leases, req.Pagination,
			func(_ uint64, l types.Lease) (types.Lease, error) { return l, nil })
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryLeasesResponse{Leases: out, Pagination: page}, nil
}

func (q queryServer) Escrow(ctx context.Context, req *types.QueryEscrowRequest) (*types.QueryEscrowResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	e, err := q.k.Escrows.Get(ctx, req.OrderId)
	if err != nil {
		return nil, status.Errorf(codes.NotFound, "escrow of order %d", req.OrderId)
	}
	return &types.QueryEscrowResponse{Escrow: e}, nil
}

func (q queryServer) OrderFit(ctx context.Context, req *types.QueryOrderFitRequest) (*types.QueryOrderFitResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	params, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	spec, placement, auditors, owner := req.Resources, req.Placement, req.RequiredAuditors, ""
	if req.OrderId != 0 {
		o, err := q.k.GetOrder(ctx, req.OrderId)
		if err != nil {
			return nil, notFound(err)
		}
		spec, placement, auditors, owner = o.Resources, o.Placement, o.RequiredAuditors, o.Owner
	} else {
		if err := spec.Validate(); err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		if err := types.ValidateAttributes(placement); err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
		if err := types.ValidateAuditors(auditors); err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
	}
	out, page, err := query.CollectionFilteredPaginate(ctx, q.k.Providers, req.Pagination,
		func(addr string, p types.Provider) (bool, error) {
			if addr == owner {
				return false, nil
			}
			_, err := q.k.Fit(ctx, params, p, spec, placement, auditors)
			return err == nil, nil
		},
		func(_ string, p types.Provider) (types.Provider, error) { return p, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryOrderFitResponse{Providers: out, Pagination: page}, nil
}
