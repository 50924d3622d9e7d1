package app

import (
	errorsmod "cosmossdk.io/errors"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmttypes "github.com/cometbft/cometbft/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
)

// MaxMsgsPerTx is the most messages one transaction may carry, counting every
// message nested inside an authz MsgExec (recursively) as well as the outer ones.
//
// It is a consensus rule, not a parameter: every validator must refuse the same
// transactions, and the limit guards the ante handler and the block against
// unbounded work, so it changes only with a software upgrade. The tunable
// budget of a block is its gas limit (consensus param block.max_gas, which
// governance can change through x/consensus). 100 leaves room for the provider
// agent's batches of 50 lease messages and for normal multi-message
// transactions.
const MaxMsgsPerTx = 100

// BlockMaxGas is the block gas limit Hypha's genesis sets (consensus param
// block.max_gas; CometBFT's default -1 means unlimited). Measured (app
// TestFullBlock, 2-core machine): a MsgSend costs about 20,000 gas, a
// transaction of MaxMsgsPerTx sends about 2,050,000, and a block filled to
// 50,000,000 gas (1,600-2,400 sends, as blocks are filled by the gas the
// transactions ask for, typically 1.5 × what they use; or hundreds of
// ordinary transactions) executes in 0.35-0.55 s, a third of the devnet's 1 s block interval. The
// unlimited limit let 200 transactions of 1,000 sends into one block that took
// 37-50 s. A provider's batch of 50 lease messages and any single transaction
// within MaxMsgsPerTx fit many times over. A transaction asking for more gas
// than this is refused at CheckTx. Governance can change it (x/consensus).
const BlockMaxGas = 50_000_000

// ErrTooManyMsgs is returned by the ante handler for a transaction with more than
// MaxMsgsPerTx messages.
var ErrTooManyMsgs = errorsmod.Register(Name, 2, "too many messages in transaction")

// DefaultConsensusParams are CometBFT's defaults with Hypha's block gas limit.
func DefaultConsensusParams() *cmttypes.ConsensusParams {
	p := cmttypes.DefaultConsensusParams()
	p.Block.MaxGas = BlockMaxGas
	return p
}

// MsgLimitDecorator refuses a transaction whose messages, counting those nested
// in authz MsgExec, number more than Max.
type MsgLimitDecorator struct {
	Max int
}

// AnteHandle implements sdk.AnteDecorator.
func (d MsgLimitDecorator) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	n, err := countMsgs(tx.GetMsgs(), d.Max)
	if err != nil {
		return ctx, err
	}
	if n > d.Max {
		return ctx, errorsmod.Wrapf(ErrTooManyMsgs, "more than %d messages (counting those inside authz MsgExec); the limit per transaction is %d", d.Max, d.Max)
	}
	return next(ctx, tx, simulate)
}

// countMsgs counts msgs and everything nested in authz MsgExec. It stops early
// once the count exceeds limit, so a deeply nested transaction costs no more
// than limit+1 steps.
func countMsgs(msgs []sdk.Msg, limit int) (int, error) {
	n := 0
	for _, m := range msgs {
		n++
		if n > limit {
			return n, nil
		}
		exec, ok := m.(*authz.MsgExec)
		if !ok {
			continue
		}
		inner, err := exec.GetMessages()
		if err != nil {
			return n, errorsmod.Wrap(err, "authz MsgExec messages")
		}
		k, err := countMsgs(inner, limit-n)
		if err != nil {
			return n, err
		}
		n += k
		if n > limit {
			return n, nil
		}
	}
	return n, nil
}

// Mempool limits Hypha's node configuration (config.toml [mempool]) sets.
const (
	// MempoolSize is the most transactions a node's mempool holds (CometBFT: 5000).
	MempoolSize = 5000
	// MempoolMaxTxBytes is the largest transaction a node accepts (CometBFT: 1 MiB).
	// A transaction of MaxMsgsPerTx bank sends is about 20 KiB.
	MempoolMaxTxBytes = 256 * 1024
	// MempoolMaxTxsBytes bounds the mempool's total size (CometBFT: 1 GiB).
	MempoolMaxTxsBytes = 64 * 1024 * 1024
)

// SetMempoolLimits applies Hypha's mempool limits to cfg.
func SetMempoolLimits(cfg *cmtcfg.Config) {
	cfg.Mempool.Size = MempoolSize
	cfg.Mempool.MaxTxBytes = MempoolMaxTxBytes
	cfg.Mempool.MaxTxsBytes = MempoolMaxTxsBytes
}
