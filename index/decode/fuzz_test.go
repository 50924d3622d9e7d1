package decode_test

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
)

// FuzzDecode feeds arbitrary transaction bytes and event attributes to the
// decoder: it must never panic, and every row it returns must fit its table.
func FuzzDecode(f *testing.F) {
	f.Add(sendTx(f, addr(f, 1), addr(f, 2)), "market_order_created", "order_id", "12")
	f.Add([]byte{}, "neuron_registered", "uid", "-1")
	f.Add([]byte{0x0a, 0xff, 0xff, 0xff, 0x0f}, "transfer", "recipient", "hypha1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq")
	d := decoder()
	f.Fuzz(func(t *testing.T, tx []byte, typ, key, value string) {
		res := &coretypes.ResultBlockResults{Height: 5,
			FinalizeBlockEvents: []abci.Event{ev(typ, key, value)},
			TxsResults:          []*abci.ExecTxResult{{Code: 1, Events: []abci.Event{ev(typ, key, value, "mode", value)}}}}
		b, err := d.Decode(block(5, tx), res)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range b.Rows {
			if len(r.Values) != len(r.Table.Columns) {
				t.Fatalf("%s row has %d values for %d columns", r.Table.Name, len(r.Values), len(r.Table.Columns))
			}
		}
	})
}
