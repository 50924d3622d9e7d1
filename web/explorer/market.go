package explorer

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// Order is an order's state folded from its market_orders rows.
type Order struct {
	ID         int64
	Owner      string
	Price      string
	Amount     string
	AuctionEnd int64
	Height     int64
	Closed     bool
	Reason     string
	Bids       int64
}

// BidRow is one bid event (placed, revised, closed).
type BidRow struct {
	Height   int64
	Kind     string
	OrderID  int64
	Provider string
	Price    string
	Reason   string
}

// Lease is a lease's state folded from its market_leases rows.
type Lease struct {
	OrderID     int64
	Owner       string
	Provider    string
	Price       string
	RunDry      int64
	Height      int64
	Closed      bool
	Reason      string
	Heartbeats  int64
	BlocksLeft  int64
	EscrowLeft  string
	RunsDrySoon bool
	LastSettled int64
}

// Payment is one settled payment.
type Payment struct {
	Height         int64
	OrderID        int64
	Provider       string
	Amount         string
	ProviderAmount string
	PoolAmount     string
	Blocks         int64
}

// Provider is a provider's state folded from its market_providers rows and
// its leases' heartbeats.
type Provider struct {
	Address    string
	Bond       string
	Kind       string
	Height     int64
	Leases     int64
	Heartbeats int64
}

// DrySoonBlocks is how close to its run-dry height a lease is flagged.
const DrySoonBlocks = 100

func ns(s sql.NullString) string { return s.String }

// Orders lists the newest orders, with their bid counts.
func (x *index) Orders(ctx context.Context, where string, args ...any) ([]Order, error) {
	var out []Order
	err := x.scanAll(ctx, `SELECT o.order_id, o.owner, o.price, o.amount, o.auction_end, o.height,
		(SELECT c.reason FROM market_orders c WHERE c.order_id = o.order_id AND c.kind = 'closed' LIMIT 1),
		(SELECT COUNT(*) FROM market_orders c WHERE c.order_id = o.order_id AND c.kind = 'closed'),
		(SELECT COUNT(*) FROM market_bids b WHERE b.order_id = o.order_id AND b.kind = 'placed')
		FROM market_orders o WHERE o.kind = 'created' `+where+` ORDER BY o.order_id DESC LIMIT ?`, func(r *sql.Rows) error {
		var o Order
		var owner, price, amount, reason sql.NullString
		var end sql.NullInt64
		var closed int64
		err := r.Scan(&o.ID, &owner, &price, &amount, &end, &o.Height, &reason, &closed, &o.Bids)
		o.Owner, o.Price, o.Amount, o.AuctionEnd, o.Reason, o.Closed = ns(owner), ns(price), ns(amount), end.Int64, ns(reason), closed > 0
		out = append(out, o)
		return err
	}, append(args, maxList)...)
	return out, err
}

// Bids lists the bid events of an order (0: of every order), newest first.
func (x *index) Bids(ctx context.Context, orderID int64, after int64) ([]BidRow, error) {
	q := "SELECT height, kind, order_id, provider, price, reason FROM market_bids WHERE height > ?"
	args := []any{after}
	if orderID > 0 {
		q += " AND order_id = ?"
		args = append(args, orderID)
	}
	var out []BidRow
	err := x.scanAll(ctx, q+" ORDER BY height DESC, event_idx DESC LIMIT ?", func(r *sql.Rows) error {
		var b BidRow
		var prov, price, reason sql.NullString
		err := r.Scan(&b.Height, &b.Kind, &b.OrderID, &prov, &price, &reason)
		b.Provider, b.Price, b.Reason = ns(prov), ns(price), ns(reason)
		out = append(out, b)
		return err
	}, append(args, maxList)...)
	return out, err
}

// Leases lists the newest leases as of height now.
func (x *index) Leases(ctx context.Context, now int64, where string, args ...any) ([]Lease, error) {
	var out []Lease
	err := x.scanAll(ctx, `SELECT l.order_id, l.owner, l.provider, l.price, l.height,
		(SELECT MAX(h.run_dry_height) FROM market_leases h WHERE h.order_id = l.order_id),
		(SELECT MAX(h.settled_height) FROM market_leases h WHERE h.order_id = l.order_id),
		(SELECT c.reason FROM market_leases c WHERE c.order_id = l.order_id AND c.kind = 'closed' LIMIT 1),
		(SELECT COUNT(*) FROM market_leases c WHERE c.order_id = l.order_id AND c.kind = 'closed'),
		(SELECT COUNT(*) FROM market_leases c WHERE c.order_id = l.order_id AND c.kind = 'heartbeat')
		FROM market_leases l WHERE l.kind = 'created' `+where+` ORDER BY l.order_id DESC LIMIT ?`, func(r *sql.Rows) error {
		var l Lease
		var owner, prov, price, reason sql.NullString
		var dry, settled sql.NullInt64
		var closed int64
		err := r.Scan(&l.OrderID, &owner, &prov, &price, &l.Height, &dry, &settled, &reason, &closed, &l.Heartbeats)
		l.Owner, l.Provider, l.Price, l.RunDry, l.LastSettled, l.Reason, l.Closed = ns(owner), ns(prov), ns(price), dry.Int64, settled.Int64, ns(reason), closed > 0
		l.fill(now)
		out = append(out, l)
		return err
	}, append(args, maxList)...)
	return out, err
}

// fill derives the blocks and escrow left at height now: the escrow runs dry
// at RunDry, paying Price per block until then.
func (l *Lease) fill(now int64) {
	if l.Closed || l.RunDry <= 0 {
		return
	}
	l.BlocksLeft = max(l.RunDry-now, 0)
	l.RunsDrySoon = l.BlocksLeft <= DrySoonBlocks
	amount, denom := splitCoin(l.Price)
	if n, err := strconv.ParseInt(amount, 10, 64); err == nil && (l.BlocksLeft == 0 || n <= (1<<62)/max(l.BlocksLeft, 1)) {
		l.EscrowLeft = strconv.FormatInt(n*l.BlocksLeft, 10) + denom
	}
}

// splitCoin splits "120uhyp" into "120" and "uhyp"; a decimal price keeps
// its fraction in the amount (and then is not multiplied).
func splitCoin(s string) (amount, denom string) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// Payments lists the settled payments of a lease (0: all), newest first.
func (x *index) Payments(ctx context.Context, orderID int64) ([]Payment, error) {
	q := "SELECT height, order_id, provider, amount, provider_amount, pool_amount, blocks FROM market_payments"
	var args []any
	if orderID > 0 {
		q += " WHERE order_id = ?"
		args = append(args, orderID)
	}
	var out []Payment
	err := x.scanAll(ctx, q+" ORDER BY height DESC, event_idx DESC LIMIT ?", func(r *sql.Rows) error {
		var p Payment
		var prov, amt, pa, pool sql.NullString
		var blocks sql.NullInt64
		err := r.Scan(&p.Height, &p.OrderID, &prov, &amt, &pa, &pool, &blocks)
		p.Provider, p.Amount, p.ProviderAmount, p.PoolAmount, p.Blocks = ns(prov), ns(amt), ns(pa), ns(pool), blocks.Int64
		out = append(out, p)
		return err
	}, append(args, maxList)...)
	return out, err
}

// Providers lists providers with their latest bond and their lease and
// heartbeat counts.
func (x *index) Providers(ctx context.Context, where string, args ...any) ([]Provider, error) {
	var out []Provider
	err := x.scanAll(ctx, `SELECT p.provider, p.bond, p.kind, p.height,
		(SELECT COUNT(*) FROM market_leases l WHERE l.provider = p.provider AND l.kind = 'created'),
		(SELECT COUNT(*) FROM market_leases l WHERE l.provider = p.provider AND l.kind = 'heartbeat')
		FROM market_providers p WHERE p.height = (SELECT MAX(q.height) FROM market_providers q WHERE q.provider = p.provider)
		AND p.event_idx = (SELECT MAX(q.event_idx) FROM market_providers q WHERE q.provider = p.provider AND q.height = p.height) `+
		where+` ORDER BY p.provider LIMIT ?`, func(r *sql.Rows) error {
		var p Provider
		var addr, bond sql.NullString
		err := r.Scan(&addr, &bond, &p.Kind, &p.Height, &p.Leases, &p.Heartbeats)
		p.Address, p.Bond = ns(addr), ns(bond)
		out = append(out, p)
		return err
	}, append(args, maxList)...)
	return out, err
}
