package keeper

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/subnet/types"
)

// RouteMsg delivers any subnet message through the Msg service, for tests.
func (k Keeper) RouteMsg(ctx context.Context, msg sdk.Msg) (any, error) {
	s := NewMsgServerImpl(k)
	switch m := msg.(type) {
	case *types.MsgCreateSubnet:
		return s.CreateSubnet(ctx, m)
	case *types.MsgSetHyperparams:
		return s.SetHyperparams(ctx, m)
	case *types.MsgRegister:
		return s.Register(ctx, m)
	case *types.MsgAddStake:
		return s.AddStake(ctx, m)
	case *types.MsgRemoveStake:
		return s.RemoveStake(ctx, m)
	case *types.MsgCommitWeights:
		return s.CommitWeights(ctx, m)
	case *types.MsgRevealWeights:
		return s.RevealWeights(ctx, m)
	case *types.MsgSetWeights:
		return s.SetWeights(ctx, m)
	case *types.MsgUpdateParams:
		return s.UpdateParams(ctx, m)
	}
	return nil, fmt.Errorf("unknown message %T", msg)
}
