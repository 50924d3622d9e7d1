package cli

import (
	"encoding/hex"
	"fmt"
	"os"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/x/internal/cliutil"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// disputeCommand is `hyphad job dispute`: show a job's game and, for the
// record, play a move by hand (the solver and auditor agents play
// automatically).
func disputeCommand() *cobra.Command {
	return cliutil.Group("dispute", "Show a job's dispute game or play one move by hand",
		qDispute("show"), cmdDisputeMove(), cmdDisputeEvidence())
}

func qDispute(use string) *cobra.Command {
	return queryCmd(use+" [job-id]", "A job's dispute game: phase, level, round, deadline, each side's clock, outcome",
		"hyphad job dispute show 3f…a1", cobra.ExactArgs(1),
		func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			return qc.Dispute(cmd.Context(), &types.QueryDisputeRequest{JobId: args[0]})
		})
}

// moveBytes reads an encoded dispute.Move given as hex or as @file.
func moveBytes(arg string) ([]byte, error) {
	if len(arg) > 1 && arg[0] == '@' {
		b, err := os.ReadFile(arg[1:])
		if err != nil {
			return nil, fmt.Errorf("read the move: %w", err)
		}
		return b, nil
	}
	b, err := hex.DecodeString(arg)
	if err != nil {
		return nil, fmt.Errorf("the move must be hex or @file of an encoded dispute.Move: %w", err)
	}
	return b, nil
}

func cmdDisputeMove() *cobra.Command {
	return txCmd("move [job-id] [move-hex|@file]", "Play one commit, bisection or reveal move (an encoded dispute.Move) as the solver or the challenger",
		"hyphad job dispute move 3f…a1 @move.bin --from solver", cobra.ExactArgs(2),
		func(_ *cobra.Command, _ client.Context, from string, args []string) (sdk.Msg, error) {
			b, err := moveBytes(args[1])
			if err != nil {
				return nil, err
			}
			return &types.MsgDisputeMove{Signer: from, JobId: args[0], Move: b}, nil
		})
}

func cmdDisputeEvidence() *cobra.Command {
	return txCmd("evidence [job-id] [move-hex|@file]", "Send the final evidence (an encoded dispute.Move of the evidence phase); the chain recomputes the disputed value and pays out",
		"hyphad job dispute evidence 3f…a1 @evidence.bin --from auditor1 --gas 4000000", cobra.ExactArgs(2),
		func(_ *cobra.Command, _ client.Context, from string, args []string) (sdk.Msg, error) {
			b, err := moveBytes(args[1])
			if err != nil {
				return nil, err
			}
			return &types.MsgDisputeEvidence{Signer: from, JobId: args[0], Evidence: b}, nil
		})
}
