// Package webtest builds a real SQLite index (through index/store, as the
// indexer writes it) holding a small chain with every kind of row the
// explorer shows: blocks, transactions, market orders, bids, leases,
// payments and providers, subnets, neurons, weights and emission. Tests of
// web/ serve their pages from it and append blocks to see live updates.
package webtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypha-network/hypha/index/decode"
	"github.com/hypha-network/hypha/index/schema"
	"github.com/hypha-network/hypha/index/store"
)

// Addresses of the fixture's accounts.
var (
	Tenant   = Addr("tenant")
	Provider = Addr("provider")
	Owner    = Addr("owner")
)

// Genesis is the time of block 1; block h is h seconds later.
var Genesis = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Index is a fixture index being written.
type Index struct {
	Path   string
	st     *store.Store
	Height int64
}

// Addr derives a bech32-shaped address from name (not checksummed: the
// explorer only checks the shape).
func Addr(name string) string {
	sum := sha256.Sum256([]byte(name))
	const alphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	var b strings.Builder
	b.WriteString("hypha1")
	for _, c := range sum[:32] {
		b.WriteByte(alphabet[int(c)%32])
	}
	return b.String()
}

// TxHash derives a transaction hash (upper hex) from a label.
func TxHash(label string) string {
	sum := sha256.Sum256([]byte(label))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// New writes the fixture chain (blocks 1..n, n ≥ 20) into dir/index.db.
func New(t testing.TB, dir string, n int64) *Index {
	t.Helper()
	path := filepath.Join(dir, "index.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open fixture index: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Bind(context.Background(), "hypha-test"); err != nil {
		t.Fatalf("bind fixture index: %v", err)
	}
	x := &Index{Path: path, st: st}
	var blocks []*decode.Block
	for h := int64(1); h <= n; h++ {
		blocks = append(blocks, x.block(h))
	}
	if err := st.Write(context.Background(), blocks); err != nil {
		t.Fatalf("write fixture index: %v", err)
	}
	x.Height = n
	return x
}

// Append writes the next block; extra rows (e.g. from Bid) go into it.
func (x *Index) Append(t testing.TB, extra ...decode.Row) int64 {
	t.Helper()
	b := x.block(x.Height + 1)
	b.Rows = append(b.Rows, fixHeight(extra, b.Height)...)
	if err := x.st.Write(context.Background(), []*decode.Block{b}); err != nil {
		t.Fatalf("append block %d: %v", b.Height, err)
	}
	x.Height = b.Height
	return b.Height
}

// fixHeight sets the height column of module rows built before the block.
func fixHeight(rows []decode.Row, h int64) []decode.Row {
	for i := range rows {
		rows[i].Values[0] = h
	}
	return rows
}

// Bid is a bid-placed row for order id, to pass to Append. Its event index
// is 100+idx so that it never collides with the block's own events.
func Bid(orderID int64, provider, price string, idx int64) decode.Row {
	return decode.Row{Table: schema.MarketBids, Values: []any{int64(0), 100 + idx, "placed", orderID, provider, price, nil}}
}

// block builds block h: one bank send from the tenant, and from fixed
// heights the market and subnet rows.
func (x *Index) block(h int64) *decode.Block {
	hash := TxHash(fmt.Sprintf("block %d", h))
	tx := TxHash(fmt.Sprintf("tx %d", h))
	rows := []decode.Row{
		{Table: schema.Blocks, Values: []any{h, hash, Genesis.Add(time.Duration(h) * time.Second).Format(time.RFC3339Nano), "VALIDATOR0", int64(1), int64(3), "APP"}},
		{Table: schema.Events, Values: []any{h, int64(0), nil, "coinbase", schema.PhaseBegin}},
		{Table: schema.Attributes, Values: []any{h, int64(0), int64(0), "minter", Owner}},
		{Table: schema.Txs, Values: []any{tx, h, int64(0), int64(0), "", "", int64(200000), int64(81234), "0uhyp", Tenant, "", "/cosmos.bank.v1beta1.MsgSend"}},
		{Table: schema.Msgs, Values: []any{tx, int64(0), h, "/cosmos.bank.v1beta1.MsgSend", Tenant,
			fmt.Sprintf(`{"@type":"/cosmos.bank.v1beta1.MsgSend","from_address":%q,"to_address":%q,"amount":[{"denom":"uhyp","amount":"%d"}]}`, Tenant, Provider, h)}},
		{Table: schema.Events, Values: []any{h, int64(1), tx, "transfer", schema.PhaseTx}},
		{Table: schema.Attributes, Values: []any{h, int64(1), int64(0), "recipient", Provider}},
		{Table: schema.Attributes, Values: []any{h, int64(1), int64(1), "amount", fmt.Sprintf("%duhyp", h)}},
		{Table: schema.Accounts, Values: []any{Tenant, h}},
		{Table: schema.Accounts, Values: []any{Provider, h}},
	}
	mod := func(t *schema.Table, idx int64, vals ...any) {
		rows = append(rows, decode.Row{Table: t, Values: append([]any{h, idx}, vals...)})
	}
	switch h {
	case 2:
		mod(schema.MarketProviders, 2, "created", Provider, "5000000uhyp", nil, nil)
		mod(schema.Subnets, 3, "created", int64(1), Owner, int64(1000000))
	case 3:
		mod(schema.MarketOrders, 2, "created", int64(1), Tenant, "100uhyp", "100000uhyp", int64(8), nil)
		mod(schema.MarketOrders, 3, "created", int64(2), Tenant, "50uhyp", "5000uhyp", int64(400), nil)
		for uid := int64(0); uid < 4; uid++ {
			mod(schema.SubnetNeurons, 10+uid, "registered", int64(1), uid, Addr(fmt.Sprintf("hotkey%d", uid)), int64(1000), nil)
		}
	case 5:
		mod(schema.MarketBids, 2, "placed", int64(1), Provider, "90uhyp", nil)
	case 8:
		mod(schema.MarketBids, 2, "closed", int64(1), Provider, "90uhyp", "won")
		mod(schema.MarketOrders, 3, "closed", int64(1), Tenant, nil, nil, nil, "leased")
		// 100000uhyp at 90uhyp per block runs dry at 8+1111.
		mod(schema.MarketLeases, 4, "created", int64(1), Tenant, Provider, "90uhyp", int64(1119), nil, nil)
	case 12:
		mod(schema.MarketOrders, 2, "closed", int64(2), Tenant, nil, nil, nil, "leased")
		// A lease that runs dry within DrySoonBlocks of the fixture's tip.
		mod(schema.MarketLeases, 3, "created", int64(2), Tenant, Provider, "50uhyp", int64(112), nil, nil)
	}
	if h > 8 && h%5 == 0 {
		mod(schema.MarketLeases, 2, "heartbeat", int64(1), nil, Provider, nil, nil, nil, nil)
		mod(schema.MarketPayments, 3, "settled", int64(1), Provider, "450uhyp", "441uhyp", "9uhyp", int64(5))
	}
	if h > 3 && h%3 == 0 {
		for uid := int64(0); uid < 2; uid++ {
			mod(schema.SubnetWeights, 20+uid, "set", int64(1), uid, Addr(fmt.Sprintf("hotkey%d", uid)), nil, nil)
		}
	}
	if h%10 == 0 {
		mod(schema.SubnetEpochs, 30, "emission", int64(1), h*1000, nil, nil, nil)
	}
	return &decode.Block{Height: h, Hash: hash, NumTxs: 1, NumEvents: 2, Rows: rows}
}
