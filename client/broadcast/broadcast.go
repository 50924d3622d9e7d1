// Package broadcast simulates, submits and waits for Hypha transactions over a
// node's CometBFT RPC, and decodes what the chain answered into typed values:
// the message responses of an included transaction, or a *TxError carrying the
// chain's codespace and code, so errors.Is matches the module's registered
// error on the client side too. The CLI's transaction commands and the agents'
// chain client (agent/chainclient) share it; signing stays with the caller.
package broadcast

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	errorsmod "cosmossdk.io/errors"
	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/cosmos/gogoproto/proto"

	"github.com/cosmos/cosmos-sdk/codec"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// DefaultWait bounds how long Wait looks for a transaction when ctx has no
// earlier deadline: a healthy chain includes a valid transaction within a few
// blocks.
const DefaultWait = time.Minute

// pollEvery is how often Wait asks the node for the transaction; blocks come
// about every second on a devnet, so this finds a transaction within a
// quarter block of its commit.
const pollEvery = 250 * time.Millisecond

// Node is the part of a CometBFT RPC client this package uses
// (*rpchttp.HTTP and the SDK's client.CometRPC both satisfy it).
type Node interface {
	ABCIQuery(ctx context.Context, path string, data cmtbytes.HexBytes) (*coretypes.ResultABCIQuery, error)
	BroadcastTxSync(ctx context.Context, tx cmttypes.Tx) (*coretypes.ResultBroadcastTx, error)
	Tx(ctx context.Context, hash []byte, prove bool) (*coretypes.ResultTx, error)
}

// Stage says where the chain refused a transaction.
type Stage string

// The stages of a transaction's life at which the chain can refuse it.
const (
	StageSimulate Stage = "simulation"
	StageCheck    Stage = "mempool check"
	StageBlock    Stage = "block"
)

// TxError is a transaction the chain refused, with the chain's own error
// code. Unwrap returns the registered error for (Codespace, Code), so
// errors.Is(err, types.ErrOrderNotFound) holds on the client as in the keeper.
type TxError struct {
	Stage     Stage
	Hash      string // empty before the transaction reached the mempool
	Height    int64  // the block that included it (StageBlock only)
	Codespace string
	Code      uint32
	Log       string
	// Raw is the node's answer for a transaction refused in a block.
	Raw *coretypes.ResultTx
}

// Error implements error: the chain's message once, then where it happened.
func (e *TxError) Error() string {
	msg := strings.TrimPrefix(e.Log, "failed to execute message; ")
	where := string(e.Stage)
	if e.Stage == StageBlock {
		where = fmt.Sprintf("block %d, tx %s", e.Height, e.Hash)
	}
	return fmt.Sprintf("%s (%s code %d, refused at %s)", msg, e.Codespace, e.Code, where)
}

// Unwrap returns the registered error the chain's code stands for.
func (e *TxError) Unwrap() error { return errorsmod.ABCIError(e.Codespace, e.Code, e.Log) }

// IsWrongSequence reports whether err is the chain refusing a transaction for
// its account sequence, which a client fixes by re-reading the account.
func IsWrongSequence(err error) bool {
	var te *TxError
	return errors.As(err, &te) && te.Codespace == sdkerrors.RootCodespace && te.Code == sdkerrors.ErrWrongSequence.ABCICode()
}

// Result is a transaction included in a block with a zero code.
type Result struct {
	Hash      string
	Height    int64
	GasWanted int64
	GasUsed   int64
	// Responses are the typed message responses, one per message, in order
	// (e.g. *markettypes.MsgCreateOrderResponse).
	Responses []proto.Message
	// Events are the transaction's events, for callers that index them.
	Events []abci.Event
	// Raw is the node's answer, for printing the standard tx response.
	Raw *coretypes.ResultTx
}

// Response returns the i-th message response as a T, failing if the
// transaction had fewer messages or another response type there.
func Response[T proto.Message](r *Result, i int) (T, error) {
	var zero T
	if i < 0 || i >= len(r.Responses) {
		return zero, fmt.Errorf("tx %s has %d message responses, no index %d", r.Hash, len(r.Responses), i)
	}
	v, ok := r.Responses[i].(T)
	if !ok {
		return zero, fmt.Errorf("tx %s: response %d is %T, not %T", r.Hash, i, r.Responses[i], zero)
	}
	return v, nil
}

// Simulate runs transaction bytes (signatures may be empty) against the
// node's mempool state and returns the gas they used, or a *TxError at
// StageSimulate naming the message that failed. It uses the node's
// "/app/simulate" query rather than the tx service's Simulate method because
// only the former keeps the refusing module's codespace and code.
func Simulate(ctx context.Context, node Node, reg codectypes.InterfaceRegistry, txBytes []byte) (uint64, error) {
	res, err := node.ABCIQuery(ctx, "/app/simulate", txBytes)
	if err != nil {
		return 0, fmt.Errorf("simulate transaction: %w (is the node running?)", err)
	}
	if r := res.Response; r.Code != 0 {
		return 0, &TxError{Stage: StageSimulate, Codespace: r.Codespace, Code: r.Code,
			Log: strings.TrimPrefix(r.Log, "failed to simulate tx: ")}
	}
	var sim sdk.SimulationResponse
	if err := codec.NewProtoCodec(reg).UnmarshalJSON(res.Response.Value, &sim); err != nil {
		return 0, fmt.Errorf("decode simulation result: %w", err)
	}
	return sim.GasInfo.GasUsed, nil
}

// Submit puts signed transaction bytes in the node's mempool (CheckTx) and
// returns the transaction's hash, or a *TxError at StageCheck.
func Submit(ctx context.Context, node Node, txBytes []byte) (string, error) {
	res, err := node.BroadcastTxSync(ctx, txBytes)
	if err != nil {
		return "", fmt.Errorf("broadcast transaction: %w (is the node running?)", err)
	}
	hash := res.Hash.String()
	if res.Code != 0 {
		return "", &TxError{Stage: StageCheck, Hash: hash, Codespace: res.Codespace, Code: res.Code, Log: res.Log}
	}
	return hash, nil
}

// ErrNotIncluded reports a transaction that was accepted into the mempool but
// not found in a block before the wait ended; it may still be included later.
var ErrNotIncluded = errors.New("transaction not included yet")

// Wait polls the node until the transaction with hash is in a block, then
// decodes its result with reg: a *Result, or a *TxError at StageBlock when
// the chain executed and refused it. It gives up when ctx ends or after
// DefaultWait, with ErrNotIncluded.
func Wait(ctx context.Context, node Node, reg codectypes.InterfaceRegistry, hash string) (*Result, error) {
	raw, err := hexHash(hash)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultWait)
	defer cancel()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		res, err := node.Tx(ctx, raw, false)
		if err == nil {
			return decode(reg, hash, res)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: tx %s (last answer: %v); look it up with `hyphad q tx %s`", ErrNotIncluded, hash, err, hash)
		case <-tick.C:
		}
	}
}

func decode(reg codectypes.InterfaceRegistry, hash string, res *coretypes.ResultTx) (*Result, error) {
	r := res.TxResult
	if r.Code != 0 {
		return nil, &TxError{Stage: StageBlock, Hash: hash, Height: res.Height, Codespace: r.Codespace, Code: r.Code, Log: r.Log, Raw: res}
	}
	out := &Result{Hash: hash, Height: res.Height, GasWanted: r.GasWanted, GasUsed: r.GasUsed, Events: r.Events, Raw: res}
	var data sdk.TxMsgData
	if err := data.Unmarshal(r.Data); err != nil {
		return nil, fmt.Errorf("tx %s: decode message responses: %w", hash, err)
	}
	for i, a := range data.MsgResponses {
		msg, err := reg.Resolve(a.TypeUrl)
		if err != nil {
			return nil, fmt.Errorf("tx %s: response %d has unknown type %s: %w", hash, i, a.TypeUrl, err)
		}
		if err := proto.Unmarshal(a.Value, msg); err != nil {
			return nil, fmt.Errorf("tx %s: decode response %d (%s): %w", hash, i, a.TypeUrl, err)
		}
		out.Responses = append(out.Responses, msg)
	}
	return out, nil
}

func hexHash(hash string) ([]byte, error) {
	var raw []byte
	if _, err := fmt.Sscanf(hash, "%X", &raw); err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("bad transaction hash %q: want 64 hex digits", hash)
	}
	return raw, nil
}
