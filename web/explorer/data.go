package explorer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hypha-network/hypha/index/schema"
)

// ErrNotFound means the index holds no such block, transaction, order, lease
// or subnet (yet: the indexer may be behind the chain).
var ErrNotFound = errors.New("not found in the index")

// maxList bounds every list a page shows, so a page's work is bounded
// however large the index grows.
const maxList = 50

// index reads the explorer's pages from the SQL index (read-only).
type index struct {
	db *sql.DB
	d  schema.Dialect
}

// Block is one row of blocks.
type Block struct {
	Height    int64
	Hash      string
	Time      string
	Proposer  string
	NumTxs    int64
	NumEvents int64
}

// Tx is one row of txs.
type Tx struct {
	Hash      string
	Height    int64
	Code      int64
	Codespace string
	Log       string
	GasWanted int64
	GasUsed   int64
	Fee       string
	Signer    string
	Memo      string
	MsgTypes  string
}

// Msg is one message of a transaction.
type Msg struct {
	Idx     int64
	TypeURL string
	Signer  string
	JSON    string
}

// Event is one event with its attributes.
type Event struct {
	Idx   int64
	Type  string
	Phase string
	Attrs [][2]string
}

func (x *index) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	rows, err := x.db.QueryContext(ctx, x.d.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("read the index: %w", err)
	}
	return rows, nil
}

// scanAll runs q and calls each for every row.
func (x *index) scanAll(ctx context.Context, q string, each func(*sql.Rows) error, args ...any) error {
	rows, err := x.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return fmt.Errorf("read the index: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the index: %w", err)
	}
	return nil
}

// Height is the last indexed height (0 for an empty index).
func (x *index) Height(ctx context.Context) (int64, error) {
	var h sql.NullInt64
	if err := x.db.QueryRowContext(ctx, "SELECT MAX(height) FROM blocks").Scan(&h); err != nil {
		return 0, fmt.Errorf("read the index height: %w", err)
	}
	return h.Int64, nil
}

const blockCols = "height, hash, time, proposer, num_txs, num_events"

func scanBlock(r *sql.Rows, b *Block) error {
	return r.Scan(&b.Height, &b.Hash, &b.Time, &b.Proposer, &b.NumTxs, &b.NumEvents)
}

// Blocks lists up to n blocks at or below before (0: the newest), newest first.
func (x *index) Blocks(ctx context.Context, before int64, n int) ([]Block, error) {
	if before <= 0 {
		before = 1 << 62
	}
	var out []Block
	err := x.scanAll(ctx, "SELECT "+blockCols+" FROM blocks WHERE height <= ? ORDER BY height DESC LIMIT ?", func(r *sql.Rows) error {
		var b Block
		err := scanBlock(r, &b)
		out = append(out, b)
		return err
	}, before, min(n, maxList))
	return out, err
}

// BlocksAfter lists the blocks above h, oldest first, at most maxList.
func (x *index) BlocksAfter(ctx context.Context, h int64) ([]Block, error) {
	var out []Block
	err := x.scanAll(ctx, "SELECT "+blockCols+" FROM blocks WHERE height > ? ORDER BY height LIMIT ?", func(r *sql.Rows) error {
		var b Block
		err := scanBlock(r, &b)
		out = append(out, b)
		return err
	}, h, maxList)
	return out, err
}

// Block is the block at height h.
func (x *index) Block(ctx context.Context, h int64) (Block, error) {
	bs, err := x.Blocks(ctx, h, 1)
	if err != nil {
		return Block{}, err
	}
	if len(bs) == 0 || bs[0].Height != h {
		return Block{}, fmt.Errorf("block %d: %w", h, ErrNotFound)
	}
	return bs[0], nil
}

const txCols = "hash, height, code, codespace, log, gas_wanted, gas_used, fee, signer, memo, msg_types"

func scanTx(r *sql.Rows) (Tx, error) {
	var t Tx
	var codespace, log, fee, signer, memo, types sql.NullString
	err := r.Scan(&t.Hash, &t.Height, &t.Code, &codespace, &log, &t.GasWanted, &t.GasUsed, &fee, &signer, &memo, &types)
	t.Codespace, t.Log, t.Fee, t.Signer, t.Memo, t.MsgTypes = codespace.String, log.String, fee.String, signer.String, memo.String, types.String
	return t, err
}

// txs runs a txs query with the standard columns.
func (x *index) txs(ctx context.Context, where string, args ...any) ([]Tx, error) {
	var out []Tx
	err := x.scanAll(ctx, "SELECT "+txCols+" FROM txs "+where, func(r *sql.Rows) error {
		t, err := scanTx(r)
		out = append(out, t)
		return err
	}, args...)
	return out, err
}

// LatestTxs lists the newest n transactions.
func (x *index) LatestTxs(ctx context.Context, n int) ([]Tx, error) {
	return x.txs(ctx, "ORDER BY height DESC, idx DESC LIMIT ?", min(n, maxList))
}

// BlockTxs lists the transactions of block h in order.
func (x *index) BlockTxs(ctx context.Context, h int64) ([]Tx, error) {
	return x.txs(ctx, "WHERE height = ? ORDER BY idx LIMIT ?", h, 1000)
}

// Tx is the transaction with hash (upper hex).
func (x *index) Tx(ctx context.Context, hash string) (Tx, []Msg, []Event, error) {
	ts, err := x.txs(ctx, "WHERE hash = ?", hash)
	if err != nil {
		return Tx{}, nil, nil, err
	}
	if len(ts) == 0 {
		return Tx{}, nil, nil, fmt.Errorf("transaction %s: %w", hash, ErrNotFound)
	}
	var msgs []Msg
	err = x.scanAll(ctx, "SELECT idx, type_url, signer, json FROM msgs WHERE tx_hash = ? ORDER BY idx", func(r *sql.Rows) error {
		var m Msg
		var signer sql.NullString
		err := r.Scan(&m.Idx, &m.TypeURL, &signer, &m.JSON)
		m.Signer = signer.String
		msgs = append(msgs, m)
		return err
	}, hash)
	if err != nil {
		return Tx{}, nil, nil, err
	}
	evs, err := x.events(ctx, "e.tx_hash = ?", hash)
	return ts[0], msgs, evs, err
}

// BlockEvents lists the block-level events (begin/end/finalize) of block h.
func (x *index) BlockEvents(ctx context.Context, h int64) ([]Event, error) {
	return x.events(ctx, "e.height = ? AND e.tx_hash IS NULL", h)
}

func (x *index) events(ctx context.Context, where string, args ...any) ([]Event, error) {
	var out []Event
	err := x.scanAll(ctx, `SELECT e.idx, e.type, e.phase, a.key, a.value FROM events e
		LEFT JOIN attributes a ON a.height = e.height AND a.event_idx = e.idx
		WHERE `+where+` ORDER BY e.idx, a.idx LIMIT 2000`, func(r *sql.Rows) error {
		var idx int64
		var typ, phase string
		var k, v sql.NullString
		if err := r.Scan(&idx, &typ, &phase, &k, &v); err != nil {
			return err
		}
		if len(out) == 0 || out[len(out)-1].Idx != idx {
			out = append(out, Event{Idx: idx, Type: typ, Phase: phase})
		}
		if k.Valid {
			last := &out[len(out)-1]
			last.Attrs = append(last.Attrs, [2]string{k.String, v.String})
		}
		return nil
	}, args...)
	return out, err
}

// AccountTxs lists the newest transactions that touch addr: signed by it,
// or naming it in an event attribute.
func (x *index) AccountTxs(ctx context.Context, addr string) ([]Tx, error) {
	// The accounts table (keyed by address, height) narrows the attribute
	// scan to the heights that name addr; attributes has no value-only index.
	return x.txs(ctx, `WHERE signer = ? OR hash IN (SELECT e.tx_hash FROM accounts ac
		JOIN attributes a ON a.height = ac.height AND a.value = ac.address
		JOIN events e ON e.height = a.height AND e.idx = a.event_idx
		WHERE ac.address = ? AND e.tx_hash IS NOT NULL)
		ORDER BY height DESC, idx DESC LIMIT ?`, addr, addr, maxList)
}

// AccountSeen reports the first and last heights addr is indexed at.
func (x *index) AccountSeen(ctx context.Context, addr string) (first, last int64, err error) {
	var f, l sql.NullInt64
	err = x.db.QueryRowContext(ctx, x.d.Rebind("SELECT MIN(height), MAX(height) FROM accounts WHERE address = ?"), addr).Scan(&f, &l)
	if err != nil {
		return 0, 0, fmt.Errorf("read the index: %w", err)
	}
	return f.Int64, l.Int64, nil
}

// BlockTime is the mean time between the last n blocks, 0 with fewer than two.
func BlockTime(bs []Block) time.Duration {
	if len(bs) < 2 {
		return 0
	}
	newest, err1 := time.Parse(time.RFC3339Nano, bs[0].Time)
	oldest, err2 := time.Parse(time.RFC3339Nano, bs[len(bs)-1].Time)
	if err1 != nil || err2 != nil {
		return 0
	}
	return newest.Sub(oldest) / time.Duration(len(bs)-1)
}

// Proposers counts the distinct proposers of bs: the validators seen signing
// recently, which the index knows without a chain connection.
func Proposers(bs []Block) int {
	seen := map[string]bool{}
	for _, b := range bs {
		seen[b.Proposer] = true
	}
	return len(seen)
}

// Emitted sums the subnet emission recorded in the index.
func (x *index) Emitted(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	err := x.db.QueryRowContext(ctx, "SELECT SUM(amount) FROM subnet_epochs WHERE kind = 'emission'").Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read the index emission: %w", err)
	}
	return n.Int64, nil
}
