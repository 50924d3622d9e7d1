package decode_test

import (
	"strings"
	"testing"
	"time"

	sdkmath "cosmossdk.io/math"
	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/hypha-network/hypha/app"
	"github.com/hypha-network/hypha/index/decode"
	"github.com/hypha-network/hypha/index/schema"
	markettypes "github.com/hypha-network/hypha/x/market/types"
	subnettypes "github.com/hypha-network/hypha/x/subnet/types"
)

func decoder() *decode.Decoder {
	enc := app.ClientEncoding()
	addrs := enc.InterfaceRegistry.SigningContext().AddressCodec()
	return decode.New(decode.SDKTxDecoder{TxConfig: enc.TxConfig, Codec: enc.Codec, Addrs: addrs}, addrs)
}

func addr(t testing.TB, b byte) string {
	a := make([]byte, 20)
	a[0] = b
	s, err := app.ClientEncoding().InterfaceRegistry.SigningContext().AddressCodec().BytesToString(a)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sendTx encodes an (unsigned) bank send: decoding needs no signature.
func sendTx(t testing.TB, from, to string) []byte {
	enc := app.ClientEncoding()
	b := enc.TxConfig.NewTxBuilder()
	msg := &banktypes.MsgSend{FromAddress: from, ToAddress: to, Amount: sdk.NewCoins(sdk.NewCoin("uhyp", sdkmath.NewInt(5)))}
	if err := b.SetMsgs(msg); err != nil {
		t.Fatal(err)
	}
	b.SetMemo("hello")
	b.SetGasLimit(200_000)
	b.SetFeeAmount(sdk.NewCoins(sdk.NewCoin("uhyp", sdkmath.NewInt(7))))
	bz, err := enc.TxConfig.TxEncoder()(b.GetTx())
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

func block(h int64, txs ...[]byte) *coretypes.ResultBlock {
	var ts cmttypes.Txs
	for _, tx := range txs {
		ts = append(ts, tx)
	}
	b := &cmttypes.Block{Header: cmttypes.Header{Height: h, Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}, Data: cmttypes.Data{Txs: ts}}
	return &coretypes.ResultBlock{Block: b, BlockID: cmttypes.BlockID{Hash: b.Hash()}}
}

func ev(typ string, kv ...string) abci.Event {
	e := abci.Event{Type: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Attributes = append(e.Attributes, abci.EventAttribute{Key: kv[i], Value: kv[i+1]})
	}
	return e
}

func rowsOf(b *decode.Block, t *schema.Table) [][]any {
	var out [][]any
	for _, r := range b.Rows {
		if r.Table == t {
			out = append(out, r.Values)
		}
	}
	return out
}

func TestDecodeBlock(t *testing.T) {
	alice, bob := addr(t, 1), addr(t, 2)
	tx := sendTx(t, alice, bob)
	res := &coretypes.ResultBlockResults{Height: 7,
		FinalizeBlockEvents: []abci.Event{ev("coinbase", "mode", "BeginBlock"), ev(markettypes.EventLeaseClosed,
			markettypes.AttrOrderID, "3", markettypes.AttrProvider, bob, markettypes.AttrReason, "expired", "mode", "EndBlock")},
		TxsResults: []*abci.ExecTxResult{{Code: 0, GasWanted: 200000, GasUsed: 51234, Events: []abci.Event{
			ev("transfer", "sender", alice, "recipient", bob, "amount", "5uhyp"),
			ev(subnettypes.EventNeuronRegistered, subnettypes.AttributeNetuid, "1", subnettypes.AttributeUID, "0",
				subnettypes.AttributeHotkey, bob, subnettypes.AttributeBurned, "not-a-number"),
		}}},
	}
	b, err := decoder().Decode(block(7, tx), res)
	if err != nil {
		t.Fatal(err)
	}
	if b.NumTxs != 1 || b.NumEvents != 4 {
		t.Fatalf("counts %d txs %d events", b.NumTxs, b.NumEvents)
	}
	txs := rowsOf(b, schema.Txs)
	if len(txs) != 1 {
		t.Fatalf("txs %v", txs)
	}
	row := txs[0]
	if h := row[0].(string); len(h) != 64 || strings.ToUpper(h) != h {
		t.Errorf("hash %q", h)
	}
	if row[8] != "7uhyp" || row[9] != alice || row[10] != "hello" || row[11] != "/cosmos.bank.v1beta1.MsgSend" || row[7] != int64(51234) {
		t.Errorf("tx row %v", row)
	}
	msgs := rowsOf(b, schema.Msgs)
	if len(msgs) != 1 || msgs[0][4] != alice || !strings.Contains(msgs[0][5].(string), `"to_address":"`+bob+`"`) {
		t.Errorf("msgs %v", msgs)
	}
	events := rowsOf(b, schema.Events)
	phases := []string{}
	for _, e := range events {
		phases = append(phases, e[4].(string))
	}
	if strings.Join(phases, ",") != "begin,end,tx,tx" || events[0][2] != nil || events[2][2] != row[0] {
		t.Errorf("events %v", events)
	}
	if n := len(rowsOf(b, schema.Attributes)); n != 1+4+3+4 {
		t.Errorf("%d attributes", n)
	}
	accts := rowsOf(b, schema.Accounts)
	if len(accts) != 2 || !(accts[0][0] == alice && accts[1][0] == bob || accts[0][0] == bob && accts[1][0] == alice) {
		t.Errorf("accounts %v", accts)
	}
	leases := rowsOf(b, schema.MarketLeases)
	// height, event_idx, kind, order_id, owner, provider, price, run_dry, reason, settled
	if len(leases) != 1 || leases[0][1] != int64(1) || leases[0][2] != "closed" || leases[0][3] != int64(3) ||
		leases[0][5] != bob || leases[0][8] != "expired" || leases[0][4] != nil {
		t.Errorf("leases %v", leases)
	}
	neurons := rowsOf(b, schema.SubnetNeurons)
	if len(neurons) != 1 || neurons[0][3] != int64(1) || neurons[0][4] != int64(0) || neurons[0][6] != nil {
		t.Errorf("neurons %v (an unparsable integer must be NULL)", neurons)
	}
	blocks := rowsOf(b, schema.Blocks)
	if len(blocks) != 1 || blocks[0][2] != "2026-01-02T03:04:05.000000006Z" || blocks[0][5] != int64(4) {
		t.Errorf("blocks %v", blocks)
	}
	// Every row has one value per column.
	for _, r := range b.Rows {
		if len(r.Values) != len(r.Table.Columns) {
			t.Errorf("%s row has %d values for %d columns", r.Table.Name, len(r.Values), len(r.Table.Columns))
		}
	}
}

func TestDecodeMismatch(t *testing.T) {
	d := decoder()
	if _, err := d.Decode(block(3), &coretypes.ResultBlockResults{Height: 4}); err == nil {
		t.Fatal("heights differ: want an error")
	}
	if _, err := d.Decode(block(3, []byte{1}), &coretypes.ResultBlockResults{Height: 3}); err == nil {
		t.Fatal("tx count differs: want an error")
	}
	if _, err := d.Decode(nil, nil); err == nil {
		t.Fatal("nil: want an error")
	}
}

// TestModuleEventNames checks schema's spelled-out event and attribute names
// against the modules' own constants.
func TestModuleEventNames(t *testing.T) {
	known := map[string]bool{}
	for _, s := range []string{markettypes.EventOrderCreated, markettypes.EventOrderClosed, markettypes.EventBidPlaced,
		markettypes.EventBidRevised, markettypes.EventBidClosed, markettypes.EventLeaseCreated, markettypes.EventLeaseClosed,
		markettypes.EventLeaseHeartbeat, markettypes.EventProviderCreated, markettypes.EventProviderUpdated,
		markettypes.EventProviderUnbonding, markettypes.EventProviderRemoved, markettypes.EventProviderSlashed,
		markettypes.EventPaymentSettled, subnettypes.EventSubnetCreated, subnettypes.EventHyperparamsSet,
		subnettypes.EventNeuronRegistered, subnettypes.EventNeuronReplaced, subnettypes.EventWeightsCommitted,
		subnettypes.EventWeightsSet, subnettypes.EventStakeAdded, subnettypes.EventStakeRemoved,
		subnettypes.EventEpoch, subnettypes.EventEmission} {
		known[s] = true
	}
	attrs := map[string]bool{}
	for _, s := range []string{markettypes.AttrOrderID, markettypes.AttrOwner, markettypes.AttrProvider, markettypes.AttrPrice,
		markettypes.AttrAmount, markettypes.AttrAuctionEnd, markettypes.AttrReason, markettypes.AttrRunDryHeight,
		markettypes.AttrSettledHeight, markettypes.AttrBond, markettypes.AttrUnbondingHeight, markettypes.AttrProviderAmount,
		markettypes.AttrPoolAmount, markettypes.AttrBlocks, subnettypes.AttributeNetuid, subnettypes.AttributeOwner,
		subnettypes.AttributeBurned, subnettypes.AttributeUID, subnettypes.AttributeHotkey, subnettypes.AttributeReplaced,
		subnettypes.AttributeRevealStart, subnettypes.AttributeRevealEnd, subnettypes.AttributeStaker,
		subnettypes.AttributeAmount, subnettypes.AttributeDistributed, subnettypes.AttributeOwnerEmission,
		subnettypes.AttributeCarried} {
		attrs[s] = true
	}
	for _, tb := range schema.Modules {
		for _, e := range tb.EventOrder {
			if !known[e] {
				t.Errorf("%s: event %q is not a module event", tb.Name, e)
			}
		}
		for _, c := range tb.Columns[3:] {
			if !attrs[c.Attr] {
				t.Errorf("%s: attribute %q is not a module attribute", tb.Name, c.Attr)
			}
		}
	}
}
