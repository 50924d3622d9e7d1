package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/hypha-network/hypha/x/market/types"
)

type msgServer struct{ k Keeper }

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the market's Msg service. Every handler validates
// its message first (the SDK also runs ValidateBasic) and checks all
// preconditions before writing anything.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k: k} }

func (s msgServer) CreateProvider(ctx context.Context, m *types.MsgCreateProvider) (*types.MsgCreateProviderResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	return &types.MsgCreateProviderResponse{}, s.k.createProvider(ctx, m)
}

func (s msgServer) UpdateProvider(ctx context.Context, m *types.MsgUpdateProvider) (*types.MsgUpdateProviderResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	return &types.MsgUpdateProviderResponse{}, s.k.updateProvider(ctx, m)
}

func (s msgServer) DeleteProvider(ctx context.Context, m *types.MsgDeleteProvider) (*types.MsgDeleteProviderResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	h, err := s.k.deleteProvider(ctx, m.Owner)
	if err != nil {
		return nil, err
	}
	return &types.MsgDeleteProviderResponse{UnbondingHeight: h}, nil
}

func (s msgServer) SignProviderAttributes(ctx context.Context, m *types.MsgSignProviderAttributes) (*types.MsgSignProviderAttributesResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	return &types.MsgSignProviderAttributesResponse{}, s.k.signAttributes(ctx, m)
}

func (s msgServer) CreateOrder(ctx context.Context, m *types.MsgCreateOrder) (*types.MsgCreateOrderResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	o, err := s.k.createOrder(ctx, m)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreateOrderResponse{OrderId: o.Id, AuctionEnd: o.AuctionEnd}, nil
}

func (s msgServer) CloseOrder(ctx context.Context, m *types.MsgCloseOrder) (*types.MsgCloseOrderResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	out, err := s.k.closeOrder(ctx, m)
	if err != nil {
		return nil, err
	}
	return &types.MsgCloseOrderResponse{ProviderAmount: out.Provider, PoolAmount: out.Pool, Refund: out.Refund}, nil
}

func (s msgServer) DepositEscrow(ctx context.Context, m *types.MsgDepositEscrow) (*types.MsgDepositEscrowResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	h, err := s.k.depositEscrow(ctx, m)
	if err != nil {
		return nil, err
	}
	return &types.MsgDepositEscrowResponse{RunDryHeight: h}, nil
}

func (s msgServer) CreateBid(ctx context.Context, m *types.MsgCreateBid) (*types.MsgCreateBidResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	revised, end, err := s.k.createBid(ctx, m)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreateBidResponse{Revised: revised, AuctionEnd: end}, nil
}

func (s msgServer) CloseBid(ctx context.Context, m *types.MsgCloseBid) (*types.MsgCloseBidResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	o, err := s.k.GetOrder(ctx, m.OrderId)
	if err != nil {
		return nil, err
	}
	if o.State != types.OrderOpen {
		return nil, errorsmod.Wrapf(types.ErrOrderNotOpen, "order %d is %s", o.Id, o.State)
	}
	return &types.MsgCloseBidResponse{}, s.k.closeBid(ctx, m.OrderId, m.Provider, "closed_by_provider")
}

func (s msgServer) CreateLease(ctx context.Context, m *types.MsgCreateLease) (*types.MsgCreateLeaseResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	return &types.MsgCreateLeaseResponse{}, s.k.createLease(ctx, m)
}

func (s msgServer) WithdrawLease(ctx context.Context, m *types.MsgWithdrawLease) (*types.MsgWithdrawLeaseResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	st, denom, err := s.k.withdrawLease(ctx, m)
	if err != nil {
		return nil, err
	}
	return &types.MsgWithdrawLeaseResponse{ProviderAmount: coin(denom, st.Provider), PoolAmount: coin(denom, st.Pool)}, nil
}

func (s msgServer) CloseLease(ctx context.Context, m *types.MsgCloseLease) (*types.MsgCloseLeaseResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	out, err := s.k.closeLeaseMsg(ctx, m)
	if err != nil {
		return nil, err
	}
	return &types.MsgCloseLeaseResponse{ProviderAmount: out.Provider, PoolAmount: out.Pool, Refund: out.Refund}, nil
}

func (s msgServer) LeaseHeartbeat(ctx context.Context, m *types.MsgLeaseHeartbeat) (*types.MsgLeaseHeartbeatResponse, error) {
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	next, err := s.k.heartbeat(ctx, m)
	if err != nil {
		return nil, err
	}
	return &types.MsgLeaseHeartbeatResponse{NextDeadline: next}, nil
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
	emit(ctx, types.EventParamsUpdated, types.AttrSender, m.Authority)
	return &types.MsgUpdateParamsResponse{}, nil
}
