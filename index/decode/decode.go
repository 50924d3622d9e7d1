// Package decode turns one block as CometBFT's RPC serves it (the block and
// its results) into the rows of the index's tables (index/schema): the block,
// its transactions decoded with the chain's TxConfig, their messages as JSON,
// every event and attribute, the accounts touched, and the module tables
// derived from Hypha's typed events. It does no I/O: the same input always
// gives the same rows in the same order.
package decode

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"cosmossdk.io/core/address"
	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/hypha-network/hypha/index/schema"
)

// ErrMismatch means a block and its results do not belong together.
var ErrMismatch = errors.New("block and block results do not match")

// Row is one row of one table, its values in the table's column order.
type Row struct {
	Table  *schema.Table
	Values []any
}

// Block is everything one block writes to the index.
type Block struct {
	Height int64
	Hash   string
	// NumTxs and NumEvents count what the block holds, for progress reports.
	NumTxs, NumEvents int
	Rows              []Row
}

// Decoder turns blocks into rows. It is safe for concurrent use.
type Decoder struct {
	txs   TxDecoder
	addrs address.Codec
}

// New returns a decoder that decodes transactions with txs and recognises
// account addresses with addrs (the chain's bech32 account codec).
func New(txs TxDecoder, addrs address.Codec) *Decoder {
	return &Decoder{txs: txs, addrs: addrs}
}

// Decode returns the rows of block b with results r.
func (d *Decoder) Decode(b *coretypes.ResultBlock, r *coretypes.ResultBlockResults) (*Block, error) {
	if b == nil || b.Block == nil || r == nil {
		return nil, fmt.Errorf("%w: missing block or results", ErrMismatch)
	}
	h := b.Block.Height
	if r.Height != h {
		return nil, fmt.Errorf("%w: block %d, results %d", ErrMismatch, h, r.Height)
	}
	if len(r.TxsResults) != len(b.Block.Txs) {
		return nil, fmt.Errorf("%w: block %d has %d txs but %d results", ErrMismatch, h, len(b.Block.Txs), len(r.TxsResults))
	}
	out := &Block{Height: h, Hash: b.BlockID.Hash.String(), NumTxs: len(b.Block.Txs)}
	acc := newAccounts(d.addrs)
	ev := &eventWriter{out: out, height: h, accounts: acc}

	// Block events first: CometBFT 0.38 reports BeginBlock and EndBlock
	// events together as FinalizeBlock events, each with the SDK's "mode"
	// attribute saying which.
	for _, e := range r.FinalizeBlockEvents {
		ev.add(e, nil, blockPhase(e))
	}
	var txRows []Row
	for i, raw := range b.Block.Txs {
		res := r.TxsResults[i]
		hash := strings.ToUpper(hex.EncodeToString(raw.Hash()))
		tx := d.txs.DecodeTx(raw)
		for _, s := range tx.Signers {
			acc.add(s)
		}
		txRows = append(txRows, Row{schema.Txs, []any{hash, h, int64(i), int64(res.Code), res.Codespace, res.Log,
			res.GasWanted, res.GasUsed, tx.Fee, tx.Signer, tx.Memo, strings.Join(tx.MsgTypes(), ",")}})
		for j, m := range tx.Msgs {
			txRows = append(txRows, Row{schema.Msgs, []any{hash, int64(j), h, m.TypeURL, m.Signer, m.JSON}})
		}
		for _, e := range res.Events {
			ev.add(e, hash, schema.PhaseTx)
		}
	}
	out.NumEvents = ev.n
	header := b.Block.Header
	blockRow := Row{schema.Blocks, []any{h, out.Hash, header.Time.UTC().Format(time.RFC3339Nano),
		header.ProposerAddress.String(), int64(len(b.Block.Txs)), int64(ev.n), header.AppHash.String()}}
	out.Rows = append(append([]Row{blockRow}, txRows...), append(ev.rows, acc.rows(h)...)...)
	return out, nil
}

// blockPhase tells BeginBlock from EndBlock events by the SDK's mode attribute.
func blockPhase(e abci.Event) string {
	for _, a := range e.Attributes {
		if a.Key == "mode" {
			switch a.Value {
			case "BeginBlock":
				return schema.PhaseBegin
			case "EndBlock":
				return schema.PhaseEnd
			}
		}
	}
	return schema.PhaseFinalize
}

// eventWriter numbers a block's events and writes their rows.
type eventWriter struct {
	out      *Block
	height   int64
	n        int
	accounts *accounts
	rows     []Row
}

func (w *eventWriter) add(e abci.Event, txHash any, phase string) {
	idx := int64(w.n)
	w.n++
	w.rows = append(w.rows, Row{schema.Events, []any{w.height, idx, txHash, e.Type, phase}})
	for i, a := range e.Attributes {
		w.rows = append(w.rows, Row{schema.Attributes, []any{w.height, idx, int64(i), a.Key, a.Value}})
		w.accounts.add(a.Value)
	}
	if t, kind := schema.ModuleTableFor(e.Type); t != nil {
		w.rows = append(w.rows, moduleRow(t, kind, w.height, idx, e))
	}
}

// moduleRow maps event e onto module table t: each column takes the first
// attribute of its name; an integer column whose value does not parse is NULL
// (the raw value stays in attributes).
func moduleRow(t *schema.Table, kind string, height, idx int64, e abci.Event) Row {
	vals := []any{height, idx, kind}
	for _, c := range t.Columns[3:] {
		var v any
		for _, a := range e.Attributes {
			if a.Key != c.Attr {
				continue
			}
			if c.Type == schema.Int {
				if n, err := strconv.ParseInt(a.Value, 10, 64); err == nil {
					v = n
				}
			} else {
				v = a.Value
			}
			break
		}
		vals = append(vals, v)
	}
	return Row{t, vals}
}
