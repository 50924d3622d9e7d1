package cliutil

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/input"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/client/broadcast"
)

// FlagNoWait makes a transaction command return once the node's mempool has
// accepted the transaction, instead of waiting for its block.
const FlagNoWait = "no-wait"

// sendAndWait signs msg, submits it and, unless --no-wait, waits for its
// block and prints the outcome: the typed message response (ids, amounts)
// in text mode, the standard tx response with -o json. A transaction the
// chain refuses, in simulation, the mempool or the block, is an error that
// says why once, with the module's code.
func sendAndWait(cmd *cobra.Command, clientCtx client.Context, msg sdk.Msg) error {
	fs := cmd.Flags()
	if clientCtx.GenerateOnly || clientCtx.Offline || clientCtx.Simulate {
		return tx.GenerateOrBroadcastTxCLI(clientCtx, fs, msg)
	}
	if m, ok := msg.(sdk.HasValidateBasic); ok {
		if err := m.ValidateBasic(); err != nil {
			return err
		}
	}
	f, err := tx.NewFactoryCLI(clientCtx, fs)
	if err != nil {
		return err
	}
	if f, err = f.Prepare(clientCtx); err != nil {
		return fmt.Errorf("read the account of %s: %w (has it received funds?)", clientCtx.FromAddress, err)
	}
	node, err := clientCtx.GetNode()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	reg := clientCtx.InterfaceRegistry
	if f.SimulateAndExecute() {
		sim, err := f.BuildSimTx(msg)
		if err != nil {
			return err
		}
		used, err := broadcast.Simulate(ctx, node, reg, sim)
		if err != nil {
			return err
		}
		f = f.WithGas(uint64(math.Ceil(f.GasAdjustment() * float64(used))))
	}
	builder, err := f.BuildUnsignedTx(msg)
	if err != nil {
		return err
	}
	if !clientCtx.SkipConfirm {
		ok, err := confirm(clientCtx, builder)
		if err != nil || !ok {
			return err
		}
	}
	if err := tx.Sign(ctx, f, clientCtx.FromName, builder, true); err != nil {
		return err
	}
	bz, err := clientCtx.TxConfig.TxEncoder()(builder.GetTx())
	if err != nil {
		return err
	}
	hash, err := broadcast.Submit(ctx, node, bz)
	if err != nil {
		return err
	}
	if noWait, _ := fs.GetBool(FlagNoWait); noWait {
		return clientCtx.PrintString(fmt.Sprintf("tx %s accepted into the mempool (not waiting for its block; check it with `hyphad q tx %s`)\n", hash, hash))
	}
	res, err := broadcast.Wait(ctx, node, reg, hash)
	var refused *broadcast.TxError
	if errors.As(err, &refused) && refused.Raw != nil && clientCtx.OutputFormat == flags.OutputFormatJSON {
		// Scripts read the standard response (code, codespace, raw_log);
		// the exit status still says the transaction failed.
		if perr := clientCtx.PrintProto(sdk.NewResponseResultTx(refused.Raw, nil, "")); perr != nil {
			return perr
		}
	}
	if err != nil {
		return err
	}
	if clientCtx.OutputFormat == flags.OutputFormatJSON {
		return clientCtx.PrintProto(sdk.NewResponseResultTx(res.Raw, nil, ""))
	}
	out := fmt.Sprintf("tx %s included in block %d (gas used %d of %d)\n", res.Hash, res.Height, res.GasUsed, res.GasWanted)
	for _, r := range res.Responses {
		bz, err := clientCtx.Codec.MarshalJSON(r)
		if err != nil {
			return err
		}
		out += fmt.Sprintf("%s: %s\n", sdk.MsgTypeURL(r), bz)
	}
	return clientCtx.PrintString(out)
}

// confirm prints the unsigned transaction and asks to go on, as the SDK's
// own commands do without --yes.
func confirm(clientCtx client.Context, builder client.TxBuilder) (bool, error) {
	bz, err := clientCtx.TxConfig.TxJSONEncoder()(builder.GetTx())
	if err != nil {
		return false, fmt.Errorf("encode transaction: %w", err)
	}
	if err := clientCtx.PrintRaw(bz); err != nil {
		return false, err
	}
	ok, err := input.GetConfirmation("confirm transaction before signing and broadcasting", bufio.NewReader(clientCtx.Input), os.Stderr)
	if err != nil {
		return false, err
	}
	if !ok {
		return false, errors.New("transaction canceled")
	}
	return true, nil
}

// addTxFlags adds the SDK's transaction flags and --no-wait.
func addTxFlags(cmd *cobra.Command) {
	flags.AddTxFlagsToCmd(cmd)
	cmd.Flags().Bool(FlagNoWait, false, "return once the mempool accepts the transaction, without waiting for its block")
}
