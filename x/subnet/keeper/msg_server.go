package keeper

import (
	"context"

	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/subnet/types"
)

// msgServer turns messages into keeper calls: it validates the message,
// decodes its addresses and amounts, calls the keeper and builds the response.
// The rules live in the keeper (subnets.go, registration.go, staking.go,
// weights.go, params.go), so other modules and tests can call them directly.
type msgServer struct{ k Keeper }

// NewMsgServerImpl returns the subnet module's Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k: k} }

var _ types.MsgServer = msgServer{}

func (m msgServer) CreateSubnet(ctx context.Context, msg *types.MsgCreateSubnet) (*types.MsgCreateSubnetResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := types.ParseAddress("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	s, err := m.k.CreateSubnet(ctx, owner, msg.Name, sdkmath.NewIntFromUint64(msg.MaxLock), msg.Hyperparams)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreateSubnetResponse{Netuid: s.Netuid, LockBurned: s.LockBurned}, nil
}

func (m msgServer) SetHyperparams(ctx context.Context, msg *types.MsgSetHyperparams) (*types.MsgSetHyperparamsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	owner, err := types.ParseAddress("owner", msg.Owner)
	if err != nil {
		return nil, err
	}
	if err := m.k.SetHyperparams(ctx, owner, msg.Netuid, msg.Hyperparams); err != nil {
		return nil, err
	}
	return &types.MsgSetHyperparamsResponse{}, nil
}

func (m msgServer) Register(ctx context.Context, msg *types.MsgRegister) (*types.MsgRegisterResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	hotkey, err := types.ParseAddress("hotkey", msg.Hotkey)
	if err != nil {
		return nil, err
	}
	r, err := m.k.Register(ctx, hotkey, msg.Netuid, msg.Axon, sdkmath.NewIntFromUint64(msg.MaxBurn))
	if err != nil {
		return nil, err
	}
	return &types.MsgRegisterResponse{Uid: r.UID, Burned: r.Burned, Replaced: r.Replaced}, nil
}

func (m msgServer) AddStake(ctx context.Context, msg *types.MsgAddStake) (*types.MsgAddStakeResponse, error) {
	staker, hotkey, err := stakeAddresses(msg)
	if err != nil {
		return nil, err
	}
	if err := m.k.AddStake(ctx, staker, hotkey, msg.Netuid, sdkmath.NewIntFromUint64(msg.Amount)); err != nil {
		return nil, err
	}
	return &types.MsgAddStakeResponse{}, nil
}

func (m msgServer) RemoveStake(ctx context.Context, msg *types.MsgRemoveStake) (*types.MsgRemoveStakeResponse, error) {
	staker, hotkey, err := stakeAddresses(msg)
	if err != nil {
		return nil, err
	}
	if err := m.k.RemoveStake(ctx, staker, hotkey, msg.Netuid, sdkmath.NewIntFromUint64(msg.Amount)); err != nil {
		return nil, err
	}
	return &types.MsgRemoveStakeResponse{}, nil
}

// stakeMsg is what MsgAddStake and MsgRemoveStake share.
type stakeMsg interface {
	ValidateBasic() error
	GetStaker() string
	GetHotkey() string
}

// stakeAddresses validates a stake message and decodes its staker and hotkey.
func stakeAddresses(msg stakeMsg) (staker, hotkey sdk.AccAddress, err error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, nil, err
	}
	if staker, err = types.ParseAddress("staker", msg.GetStaker()); err != nil {
		return nil, nil, err
	}
	if hotkey, err = types.ParseAddress("hotkey", msg.GetHotkey()); err != nil {
		return nil, nil, err
	}
	return staker, hotkey, nil
}

func (m msgServer) CommitWeights(ctx context.Context, msg *types.MsgCommitWeights) (*types.MsgCommitWeightsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	hotkey, err := types.ParseAddress("hotkey", msg.Hotkey)
	if err != nil {
		return nil, err
	}
	c, err := m.k.CommitWeights(ctx, hotkey, msg.Netuid, msg.Hash)
	if err != nil {
		return nil, err
	}
	return &types.MsgCommitWeightsResponse{RevealStart: c.RevealStart, RevealEnd: c.RevealEnd}, nil
}

func (m msgServer) RevealWeights(ctx context.Context, msg *types.MsgRevealWeights) (*types.MsgRevealWeightsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	hotkey, err := types.ParseAddress("hotkey", msg.Hotkey)
	if err != nil {
		return nil, err
	}
	if err := m.k.RevealWeights(ctx, hotkey, msg.Netuid, msg.Uids, msg.Values, msg.Salt); err != nil {
		return nil, err
	}
	return &types.MsgRevealWeightsResponse{}, nil
}

func (m msgServer) SetWeights(ctx context.Context, msg *types.MsgSetWeights) (*types.MsgSetWeightsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	hotkey, err := types.ParseAddress("hotkey", msg.Hotkey)
	if err != nil {
		return nil, err
	}
	if err := m.k.SetWeights(ctx, hotkey, msg.Netuid, msg.Uids, msg.Values); err != nil {
		return nil, err
	}
	return &types.MsgSetWeightsResponse{}, nil
}

func (m msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	authority, err := types.ParseAddress("authority", msg.Authority)
	if err != nil {
		return nil, err
	}
	if err := m.k.UpdateParams(ctx, authority, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
