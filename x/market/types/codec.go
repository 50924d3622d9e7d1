package types

import (
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterInterfaces registers the market's messages with the interface registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgCreateProvider{}, &MsgUpdateProvider{}, &MsgDeleteProvider{}, &MsgSignProviderAttributes{},
		&MsgCreateOrder{}, &MsgCloseOrder{}, &MsgDepositEscrow{},
		&MsgCreateBid{}, &MsgCloseBid{},
		&MsgCreateLease{}, &MsgWithdrawLease{}, &MsgCloseLease{}, &MsgLeaseHeartbeat{},
		&MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
