package explorer

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hypha-network/hypha/web/svg"
)

func pathInt(r *http.Request, name, what string) (int64, error) {
	v := r.PathValue(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: %s %q is not a number: use e.g. /%s/12", ErrBadInput, what, v, what)
	}
	return n, nil
}

type overviewData struct {
	BlockTime  time.Duration
	Validators int
	Emitted    int64
	Blocks     []Block
	Txs        []Tx
	Chart      template.HTML
}

func (s *Server) overview(r *http.Request) (string, any, error) {
	ctx := r.Context()
	bs, err := s.idx.Blocks(ctx, 0, maxList)
	if err != nil {
		return "", nil, err
	}
	txs, err := s.idx.LatestTxs(ctx, 10)
	if err != nil {
		return "", nil, err
	}
	em, err := s.idx.Emitted(ctx)
	if err != nil {
		return "", nil, err
	}
	pts := make([]svg.Point, 0, len(bs))
	for i := len(bs) - 1; i >= 0; i-- {
		pts = append(pts, svg.Point{Label: "block " + itoa(bs[i].Height), Value: bs[i].NumTxs})
	}
	d := overviewData{BlockTime: BlockTime(bs).Round(time.Millisecond), Validators: Proposers(bs), Emitted: em, Txs: txs,
		Chart: svg.Bars("transactions per block", pts, 600, 80)}
	d.Blocks = bs[:min(len(bs), 10)]
	return "Overview", d, nil
}

func (s *Server) blocks(r *http.Request) (string, any, error) {
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	bs, err := s.idx.Blocks(r.Context(), before, maxList)
	return "Blocks", bs, err
}

type blockData struct {
	Block  Block
	Txs    []Tx
	Events []Event
}

func (s *Server) block(r *http.Request) (string, any, error) {
	h, err := pathInt(r, "height", "block")
	if err != nil {
		return "", nil, err
	}
	b, err := s.idx.Block(r.Context(), h)
	if err != nil {
		return "", nil, err
	}
	txs, err := s.idx.BlockTxs(r.Context(), h)
	if err != nil {
		return "", nil, err
	}
	evs, err := s.idx.BlockEvents(r.Context(), h)
	return "Block " + itoa(h), blockData{Block: b, Txs: txs, Events: evs}, err
}

type txData struct {
	Tx     Tx
	Msgs   []Msg
	Events []Event
}

func (s *Server) tx(r *http.Request) (string, any, error) {
	hash := strings.ToUpper(r.PathValue("hash"))
	if !isHex(hash) {
		return "", nil, fmt.Errorf("%w: transaction hash %q is not hex: use the 64-digit hash", ErrBadInput, r.PathValue("hash"))
	}
	t, msgs, evs, err := s.idx.Tx(r.Context(), hash)
	return "Transaction", txData{Tx: t, Msgs: msgs, Events: evs}, err
}

type accountData struct {
	Address     string
	First, Last int64
	Txs         []Tx
	Provider    []Provider
	Leases      []Lease
}

func (s *Server) account(r *http.Request) (string, any, error) {
	addr := r.PathValue("addr")
	if !isAddress(addr) {
		return "", nil, fmt.Errorf("%w: %q is not an account address: use a bech32 address such as hypha1…", ErrBadInput, addr)
	}
	ctx := r.Context()
	first, last, err := s.idx.AccountSeen(ctx, addr)
	if err != nil {
		return "", nil, err
	}
	txs, err := s.idx.AccountTxs(ctx, addr)
	if err != nil {
		return "", nil, err
	}
	if first == 0 && len(txs) == 0 {
		return "", nil, fmt.Errorf("account %s: %w (it has no indexed transaction or event)", addr, ErrNotFound)
	}
	prov, err := s.idx.Providers(ctx, "AND p.provider = ?", addr)
	if err != nil {
		return "", nil, err
	}
	h, _ := s.idx.Height(ctx)
	leases, err := s.idx.Leases(ctx, h, "AND (l.owner = ? OR l.provider = ?)", addr, addr)
	return "Account " + addr, accountData{Address: addr, First: first, Last: last, Txs: txs, Provider: prov, Leases: leases}, err
}

func (s *Server) providers(r *http.Request) (string, any, error) {
	ps, err := s.idx.Providers(r.Context(), "")
	return "Providers", ps, err
}

type providerData struct {
	Provider Provider
	Leases   []Lease
	Payments []Payment
}

func (s *Server) provider(r *http.Request) (string, any, error) {
	addr := r.PathValue("addr")
	if !isAddress(addr) {
		return "", nil, fmt.Errorf("%w: %q is not a provider address: use a bech32 address such as hypha1…", ErrBadInput, addr)
	}
	ctx := r.Context()
	ps, err := s.idx.Providers(ctx, "AND p.provider = ?", addr)
	if err != nil {
		return "", nil, err
	}
	if len(ps) == 0 {
		return "", nil, fmt.Errorf("provider %s: %w", addr, ErrNotFound)
	}
	h, _ := s.idx.Height(ctx)
	leases, err := s.idx.Leases(ctx, h, "AND l.provider = ?", addr)
	return "Provider " + addr, providerData{Provider: ps[0], Leases: leases}, err
}

func (s *Server) orders(r *http.Request) (string, any, error) {
	os, err := s.idx.Orders(r.Context(), "")
	return "Orders", os, err
}

type orderData struct {
	Order Order
	Bids  []BidRow
	Lease []Lease
}

func (s *Server) order(r *http.Request) (string, any, error) {
	id, err := pathInt(r, "id", "order")
	if err != nil {
		return "", nil, err
	}
	ctx := r.Context()
	os, err := s.idx.Orders(ctx, "AND o.order_id = ?", id)
	if err != nil {
		return "", nil, err
	}
	if len(os) == 0 {
		return "", nil, fmt.Errorf("order %d: %w", id, ErrNotFound)
	}
	bids, err := s.idx.Bids(ctx, id, 0)
	if err != nil {
		return "", nil, err
	}
	h, _ := s.idx.Height(ctx)
	ls, err := s.idx.Leases(ctx, h, "AND l.order_id = ?", id)
	return "Order " + itoa(id), orderData{Order: os[0], Bids: bids, Lease: ls}, err
}

func (s *Server) leases(r *http.Request) (string, any, error) {
	h, _ := s.idx.Height(r.Context())
	ls, err := s.idx.Leases(r.Context(), h, "")
	return "Leases", ls, err
}

type leaseData struct {
	Lease    Lease
	Payments []Payment
}

func (s *Server) lease(r *http.Request) (string, any, error) {
	id, err := pathInt(r, "id", "lease")
	if err != nil {
		return "", nil, err
	}
	ctx := r.Context()
	h, _ := s.idx.Height(ctx)
	ls, err := s.idx.Leases(ctx, h, "AND l.order_id = ?", id)
	if err != nil {
		return "", nil, err
	}
	if len(ls) == 0 {
		return "", nil, fmt.Errorf("lease %d: %w", id, ErrNotFound)
	}
	pays, err := s.idx.Payments(ctx, id)
	return "Lease " + itoa(id), leaseData{Lease: ls[0], Payments: pays}, err
}

func (s *Server) subnets(r *http.Request) (string, any, error) {
	ss, err := s.idx.Subnets(r.Context(), "")
	return "Subnets", ss, err
}

// MetaRow is one metagraph row as the subnet page shows it.
type MetaRow struct {
	UID        int64
	Hotkey     string
	Stake      uint64
	Trust      string
	Consensus  string
	Incentive  string
	Dividends  string
	Emission   uint64
	LastUpdate int64
	Validator  bool
}

type subnetData struct {
	Subnet    Subnet
	Live      bool
	LiveError string
	Rows      []MetaRow
	Emission  template.HTML
	Weights   template.HTML
}

func (s *Server) subnet(r *http.Request) (string, any, error) {
	netuid, err := pathInt(r, "netuid", "subnet")
	if err != nil {
		return "", nil, err
	}
	ctx := r.Context()
	ss, err := s.idx.Subnets(ctx, "AND s.netuid = ?", netuid)
	if err != nil {
		return "", nil, err
	}
	if len(ss) == 0 {
		return "", nil, fmt.Errorf("subnet %d: %w", netuid, ErrNotFound)
	}
	d := subnetData{Subnet: ss[0]}
	if s.opts.Chain != nil && netuid <= 1<<32-1 {
		mg, err := s.opts.Chain.Metagraph(ctx, uint32(netuid))
		if err != nil {
			d.LiveError = "metagraph from the chain: " + err.Error()
		} else {
			d.Live = true
			for _, n := range mg.Neurons {
				d.Rows = append(d.Rows, MetaRow{UID: int64(n.Uid), Hotkey: n.Hotkey, Stake: n.Stake, Trust: n.ValidatorTrust,
					Consensus: n.Consensus, Incentive: n.Incentive, Dividends: n.Dividends, Emission: n.Emission,
					LastUpdate: n.LastUpdate, Validator: n.ValidatorPermit})
			}
		}
	}
	if !d.Live {
		ns, err := s.idx.Neurons(ctx, netuid)
		if err != nil {
			return "", nil, err
		}
		for _, n := range ns {
			d.Rows = append(d.Rows, MetaRow{UID: n.UID, Hotkey: n.Hotkey, LastUpdate: n.Height})
		}
	}
	em, err := s.idx.Emission(ctx, netuid, 60)
	if err != nil {
		return "", nil, err
	}
	pts := make([]svg.Point, len(em))
	for i, p := range em {
		pts[i] = svg.Point{Label: "height " + itoa(p.Height), Value: p.Amount}
	}
	d.Emission = svg.Bars("emission per epoch (uhyp)", pts, 600, 100)
	h, _ := s.idx.Height(ctx)
	const bucket, buckets = 10, 20
	cells, err := s.idx.WeightActivity(ctx, netuid, h, bucket, buckets)
	if err != nil {
		return "", nil, err
	}
	d.Weights = weightHeat(cells, h, bucket, buckets)
	return "Subnet " + itoa(netuid), d, nil
}

// weightHeat draws uid × height bucket counts of weight submissions.
func weightHeat(cells []WeightCell, now, bucket, buckets int64) template.HTML {
	var uids []int64
	row := map[int64]int{}
	for _, c := range cells { // cells come ordered by uid
		if _, ok := row[c.UID]; !ok {
			row[c.UID] = len(uids)
			uids = append(uids, c.UID)
		}
	}
	rows := make([]string, len(uids))
	vals := make([][]int64, len(uids))
	for i, u := range uids {
		rows[i] = "uid " + itoa(u)
		vals[i] = make([]int64, buckets)
	}
	for _, c := range cells {
		if c.Bucket >= 0 && c.Bucket < buckets {
			vals[row[c.UID]][c.Bucket] += c.N
		}
	}
	cols := make([]string, buckets)
	for j := range cols {
		if j%5 == 0 {
			cols[j] = itoa(now - bucket*(buckets-int64(j)))
		}
	}
	return svg.Heat("weight submissions per uid per 10 blocks", rows, cols, vals, 14)
}

func isHex(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// isAddress accepts bech32-shaped strings (hrp "1" data, lower case).
func isAddress(s string) bool {
	i := strings.LastIndexByte(s, '1')
	if i < 1 || len(s)-i < 7 || len(s) > 128 {
		return false
	}
	for j := 0; j < len(s); j++ {
		c := s[j]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}
