package decode

import (
	"fmt"

	"cosmossdk.io/core/address"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// Tx is what the index keeps of a decoded transaction.
type Tx struct {
	// Signer is the fee payer (the first signer), "" if unknown.
	Signer string
	// Signers are every message's signers.
	Signers []string
	Fee     string
	Memo    string
	Msgs    []Msg
	// Err is why the bytes did not decode; the transaction is still indexed,
	// with its results, and no messages.
	Err error
}

// MsgTypes returns the type URL of each message, in order.
func (t Tx) MsgTypes() []string {
	types := make([]string, len(t.Msgs))
	for i, m := range t.Msgs {
		types[i] = m.TypeURL
	}
	return types
}

// Msg is one message of a transaction.
type Msg struct {
	TypeURL string
	Signer  string
	// JSON is the message in the chain's JSON encoding (with its @type).
	JSON string
}

// TxDecoder decodes a transaction's bytes. It never fails: what it cannot
// decode it reports in Tx.Err.
type TxDecoder interface {
	DecodeTx(raw []byte) Tx
}

// SDKTxDecoder decodes transactions with the chain's own codecs
// (app.ClientEncoding()).
type SDKTxDecoder struct {
	TxConfig client.TxConfig
	Codec    codec.Codec
	Addrs    address.Codec
}

// DecodeTx implements TxDecoder.
func (d SDKTxDecoder) DecodeTx(raw []byte) (out Tx) {
	// The SDK's decoded transaction panics on some malformed inputs that
	// its decoder accepts (FuzzDecode: empty bytes give a nil AuthInfo).
	defer func() {
		if r := recover(); r != nil {
			out = Tx{Err: fmt.Errorf("malformed transaction: %v", r)}
		}
	}()
	tx, err := d.TxConfig.TxDecoder()(raw)
	if err != nil {
		return Tx{Err: err}
	}
	if fee, ok := tx.(sdk.FeeTx); ok {
		out.Fee = fee.GetFee().String()
		if payer := fee.FeePayer(); len(payer) > 0 {
			out.Signer, _ = d.Addrs.BytesToString(payer)
		}
	}
	if m, ok := tx.(sdk.TxWithMemo); ok {
		out.Memo = m.GetMemo()
	}
	for _, msg := range tx.GetMsgs() {
		m := Msg{TypeURL: sdk.MsgTypeURL(msg)}
		if signers, _, err := d.Codec.GetMsgV1Signers(msg); err == nil {
			for i, s := range signers {
				str, err := d.Addrs.BytesToString(s)
				if err != nil {
					continue
				}
				if i == 0 {
					m.Signer = str
				}
				out.Signers = append(out.Signers, str)
			}
		}
		if bz, err := d.Codec.MarshalInterfaceJSON(msg); err == nil {
			m.JSON = string(bz)
		}
		out.Msgs = append(out.Msgs, m)
	}
	return out
}
