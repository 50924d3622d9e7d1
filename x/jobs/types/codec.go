package types

import (
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/msgservice"
)

// RegisterInterfaces registers the jobs module's messages with the interface registry.
func RegisterInterfaces(registry codectypes.InterfaceRegistry) {
	registry.RegisterImplementations((*sdk.Msg)(nil),
		&MsgSubmitJob{}, &MsgClaimJob{}, &MsgPostCommitments{}, &MsgFinalizeJob{},
		&MsgBondAuditor{}, &MsgUnbondAuditor{}, &MsgAuditCommit{}, &MsgAuditReveal{},
		&MsgChallenge{}, &MsgDisputeMove{}, &MsgDisputeEvidence{}, &MsgUpdateParams{},
	)
	msgservice.RegisterMsgServiceDesc(registry, &_Msg_serviceDesc)
}
