// Package cliutil builds the hand-written transaction and query commands of
// Hypha's modules, so each module's CLI only says how to build its messages and
// requests.
package cliutil

import (
	gogogrpc "github.com/cosmos/gogoproto/grpc"
	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Group returns a parent command for a module's subcommands.
func Group(use, short string, children ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:                        use,
		Short:                      short,
		DisableFlagParsing:         true,
		SuggestionsMinimumDistance: 2,
		RunE:                       client.ValidateCmd,
	}
	cmd.AddCommand(children...)
	return cmd
}

// TxCmd builds a command that signs and broadcasts the message build returns,
// from the --from key, waits for its block and prints the outcome.
func TxCmd(use, short, example string, args cobra.PositionalArgs,
	build func(cmd *cobra.Command, clientCtx client.Context, args []string) (sdk.Msg, error),
) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Example: example, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			msg, err := build(cmd, clientCtx, args)
			if err != nil {
				return err
			}
			return sendAndWait(cmd, clientCtx, msg)
		},
	}
	addTxFlags(cmd)
	return cmd
}

// QueryCmd builds a command that runs fn with a module's query client (made by
// newClient) and prints the result in the --output format.
func QueryCmd[Q any](use, short, example string, args cobra.PositionalArgs,
	newClient func(gogogrpc.ClientConn) Q,
	fn func(cmd *cobra.Command, qc Q, args []string) (proto.Message, error),
) *cobra.Command {
	cmd := &cobra.Command{
		Use: use, Short: short, Example: example, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			clientCtx, err := client.GetClientQueryContext(cmd)
			if err != nil {
				return err
			}
			res, err := fn(cmd, newClient(clientCtx), args)
			if err != nil {
				return err
			}
			return clientCtx.PrintProto(res)
		},
	}
	flags.AddQueryFlagsToCmd(cmd)
	return cmd
}
