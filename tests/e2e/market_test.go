package e2e_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hypha-network/hypha/testutil/e2e"
)

// Market e2e tests drive x/market through the CLI on a devnet: the "Done when"
// list of issue 3 (auction close, exact streaming payment, run-dry closure,
// missed heartbeats with slashing, bad input rejected).

const mktTLS = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"

func mktTx(t *testing.T, d *e2e.Devnet, args ...string) e2e.TxResult {
	t.Helper()
	return mustTx(t, d, append([]string{"market"}, args...)...)
}

func mktAttrInt(t *testing.T, r e2e.TxResult, typ, key string) int64 {
	t.Helper()
	v, ok := r.Attr(typ, key)
	if !ok {
		t.Fatalf("no %s.%s in tx events", typ, key)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s.%s = %q: %v", typ, key, v, err)
	}
	return n
}

// Proto JSON renders int64/uint64 as strings.
type mktInt int64

func (n *mktInt) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var v int64
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*n = mktInt(v)
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	*n = mktInt(v)
	return err
}

type mktCoin struct {
	Denom  string `json:"denom"`
	Amount string `json:"amount"`
}

func (c mktCoin) int(t *testing.T) int64 {
	n, err := strconv.ParseInt(c.Amount, 10, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", c.Amount, err)
	}
	return n
}

type mktLeaseJSON struct {
	Lease struct {
		Provider      string  `json:"provider"`
		Price         mktCoin `json:"price"`
		State         string  `json:"state"`
		StartHeight   mktInt  `json:"start_height"`
		SettledHeight mktInt  `json:"settled_height"`
		Streamed      string  `json:"streamed"`
		ProviderPaid  string  `json:"provider_paid"`
		PoolPaid      string  `json:"pool_paid"`
		CloseReason   string  `json:"close_reason"`
		ClosedHeight  mktInt  `json:"closed_height"`
	} `json:"lease"`
	AsOfHeight    mktInt  `json:"as_of_height"`
	Withdrawable  mktCoin `json:"withdrawable"`
	PendingPool   mktCoin `json:"pending_pool"`
	EscrowBalance mktCoin `json:"escrow_balance"`
	RunDryHeight  mktInt  `json:"run_dry_height"`
}

type mktOrderJSON struct {
	Order struct {
		State       string `json:"state"`
		AuctionEnd  mktInt `json:"auction_end"`
		CloseReason string `json:"close_reason"`
	} `json:"order"`
}

func mktLease(t *testing.T, d *e2e.Devnet, id string) mktLeaseJSON {
	t.Helper()
	var l mktLeaseJSON
	d.QueryJSON(t, &l, "q", "market", "lease", id)
	return l
}

func mktOrder(t *testing.T, d *e2e.Devnet, id string) mktOrderJSON {
	t.Helper()
	var o mktOrderJSON
	d.QueryJSON(t, &o, "q", "market", "order", id)
	return o
}

// mktProviderShare is floor(streamed * (1 - 0.02)), the documented rounding.
func mktProviderShare(streamed int64) int64 { return streamed * 98 / 100 }

func mktCreateProvider(t *testing.T, d *e2e.Devnet, name string) {
	t.Helper()
	mktTx(t, d, "create-provider", "--from", name, "--bond", "1000000000uhyp",
		"--host-uri", "https://"+name+".example.com:8443", "--tls-fingerprint", mktTLS,
		"--attributes", "region=eu-west,tier=datacenter", "--cpu", "64000", "--memory", "256Gi",
		"--disk", "class=nvme,size=2Ti", "--gpu", "vendor=nvidia,model=a100,vram=80Gi,interface=sxm,count=8")
}

func mktCreateOrder(t *testing.T, d *e2e.Devnet, from, maxPrice, deposit, window string) (string, int64) {
	t.Helper()
	res := mktTx(t, d, "create-order", "--from", from, "--cpu", "4000", "--memory", "16Gi",
		"--gpu-count", "1", "--gpu-model", "a100", "--gpu-min-vram", "40Gi", "--ports", "443",
		"--placement", "region=eu-west", "--max-price", maxPrice, "--deposit", deposit, "--bid-window", window)
	id, _ := res.Attr("market_order_created", "order_id")
	return id, mktAttrInt(t, res, "market_order_created", "auction_end")
}

func TestMarketEndToEnd(t *testing.T) {
	d := e2e.StartDevnet(t)
	alice := d.Address(t, "alice")
	p1, p2 := d.Address(t, "provider1"), d.Address(t, "provider2")

	mktCreateProvider(t, d, "provider1")
	mktCreateProvider(t, d, "provider2")
	var fit struct {
		Providers []struct {
			Owner string `json:"owner"`
		} `json:"providers"`
	}
	d.QueryJSON(t, &fit, "q", "market", "fit", "--cpu", "4000", "--memory", "16Gi", "--gpu-count", "1", "--gpu-model", "a100")
	if len(fit.Providers) != 2 {
		t.Fatalf("order-fit pre-check found %d providers, want 2", len(fit.Providers))
	}

	t.Run("auction closes on chain, cheaper bid wins, payment is exact", func(t *testing.T) {
		id, auctionEnd := mktCreateOrder(t, d, "alice", "100uhyp", "5000000uhyp", "15")
		aliceAfterDeposit := balance(t, d, alice)
		mktTx(t, d, "bid", id, "95uhyp", "--from", "provider1")
		mktTx(t, d, "bid", id, "90uhyp", "--from", "provider2")
		rev := mktTx(t, d, "bid", id, "80uhyp", "--from", "provider2") // revise
		if _, ok := rev.Attr("market_bid_revised", "price"); !ok {
			t.Fatal("revision did not emit market_bid_revised")
		}
		if h := d.Height(t); h >= auctionEnd {
			t.Fatalf("bids took too long: height %d >= auction_end %d", h, auctionEnd)
		}
		if o := mktOrder(t, d, id); o.Order.State != "ORDER_STATE_OPEN" {
			t.Fatalf("order %s before auction_end", o.Order.State)
		}
		d.WaitHeight(t, auctionEnd+1)
		if o := mktOrder(t, d, id); o.Order.State != "ORDER_STATE_ACTIVE" {
			t.Fatalf("order %s after auction_end", o.Order.State)
		}
		l := mktLease(t, d, id)
		if l.Lease.Provider != p2 || l.Lease.Price.Amount != "80" || int64(l.Lease.StartHeight) != auctionEnd {
			t.Fatalf("lease %+v, want provider2 at 80uhyp from %d", l.Lease, auctionEnd)
		}
		start := int64(l.Lease.StartHeight)
		// Bid deposits are refunded once the auction closes.
		if got := balance(t, d, p1); got != genesisBalance-1_000_000_000 {
			t.Fatalf("provider1 balance %d: losing bid deposit not refunded", got)
		}
		d.WaitHeight(t, start+8)
		q := mktLease(t, d, id)
		n := int64(q.AsOfHeight) - start
		if got, want := q.Withdrawable.int(t), mktProviderShare(80*n); got != want {
			t.Fatalf("withdrawable after %d blocks %d, want floor(%d*80*0.98) = %d", n, got, n, want)
		}
		if got := q.PendingPool.int(t); got != 80*n-mktProviderShare(80*n) {
			t.Fatalf("pending pool %d", got)
		}

		p2Before := balance(t, d, p2)
		w := mktTx(t, d, "withdraw", id, "--from", "provider2")
		n = w.Height - start
		gotProv := balance(t, d, p2) - p2Before
		if want := mktProviderShare(80 * n); gotProv != want {
			t.Fatalf("provider2 received %d for %d blocks, want %d", gotProv, n, want)
		}
		if pool := mktAttrInt(t, w, "market_payment_settled", "blocks"); pool != n {
			t.Fatalf("settled %d blocks, want %d", pool, n)
		}
		poolAmt, _ := w.Attr("market_payment_settled", "pool_amount")
		if want := fmt.Sprintf("%duhyp", 80*n-mktProviderShare(80*n)); poolAmt != want {
			t.Fatalf("pool amount %s, want %s", poolAmt, want)
		}
		t.Logf("withdraw after %d blocks: provider %d uhyp, community pool %s", n, gotProv, poolAmt)

		c := mktTx(t, d, "close-lease", id, "--reason", "training done", "--from", "alice")
		m := c.Height - start
		if got, want := balance(t, d, alice)-aliceAfterDeposit, 5_000_000-80*m; got != want {
			t.Fatalf("alice refund %d, want 5000000 - 80*%d = %d", got, m, want)
		}
		l = mktLease(t, d, id)
		if l.Lease.State != "LEASE_STATE_CLOSED" || l.Lease.CloseReason != "CLOSE_REASON_TENANT_CLOSED" ||
			atoi(t, l.Lease.Streamed) != 80*m || atoi(t, l.Lease.ProviderPaid) != mktProviderShare(80*m) ||
			atoi(t, l.Lease.PoolPaid) != 80*m-mktProviderShare(80*m) || l.EscrowBalance.int(t) != 0 {
			t.Fatalf("closed lease %+v escrow %s", l.Lease, l.EscrowBalance.Amount)
		}
	})

	t.Run("lease closes in the block its escrow runs dry", func(t *testing.T) {
		const price, blocks = 500_000, 10
		id, _ := mktCreateOrder(t, d, "alice", "500000uhyp", strconv.Itoa(price*blocks)+"uhyp", "20")
		mktTx(t, d, "bid", id, "500000uhyp", "--from", "provider1")
		res := mktTx(t, d, "accept-bid", id, p1, "--from", "alice")
		start := res.Height
		if got := mktAttrInt(t, res, "market_lease_created", "run_dry_height"); got != start+blocks {
			t.Fatalf("run-dry height %d, want %d", got, start+blocks)
		}
		p1Before := balance(t, d, p1) // bid deposit already refunded
		d.WaitHeight(t, start+blocks-1)
		if l := mktLease(t, d, id); int64(l.AsOfHeight) < start+blocks && l.Lease.State != "LEASE_STATE_ACTIVE" {
			t.Fatalf("lease %s at %d, before run-dry", l.Lease.State, l.AsOfHeight)
		}
		d.WaitHeight(t, start+blocks)
		l := mktLease(t, d, id)
		if l.Lease.State != "LEASE_STATE_CLOSED" || l.Lease.CloseReason != "CLOSE_REASON_INSUFFICIENT_FUNDS" ||
			int64(l.Lease.ClosedHeight) != start+blocks || int64(l.Lease.SettledHeight) != start+blocks {
			t.Fatalf("lease %+v, want closed at %d with insufficient funds", l.Lease, start+blocks)
		}
		if got, want := balance(t, d, p1)-p1Before, mktProviderShare(price*blocks); got != want {
			t.Fatalf("provider paid %d, want exactly %d blocks = %d", got, blocks, want)
		}
		if l.EscrowBalance.int(t) != 0 {
			t.Fatalf("escrow %s after run-dry", l.EscrowBalance.Amount)
		}
		if o := mktOrder(t, d, id); o.Order.State != "ORDER_STATE_CLOSED" || o.Order.CloseReason != "CLOSE_REASON_INSUFFICIENT_FUNDS" {
			t.Fatalf("order %+v", o.Order)
		}
	})

	t.Run("bad input fails with a registered error and changes nothing", func(t *testing.T) {
		id, _ := mktCreateOrder(t, d, "alice", "100uhyp", "5000000uhyp", "50")
		before := balance(t, d, p1)
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"bid", id, "101uhyp", "--from", "provider1"}, "above the order's max price"},
			{[]string{"bid", "9999", "50uhyp", "--from", "provider1"}, "order not found"},
			{[]string{"bid", id, "0uhyp", "--from", "provider1"}, "must be positive"},
			{[]string{"close-order", id, "--from", "bob"}, "unauthorized"},
			{[]string{"bid", id, "50uhyp", "--from", "carol"}, "provider not found"},
			{[]string{"create-order", "--from", "alice", "--cpu", "1000", "--memory", "1Gi", "--max-price", "10uhyp", "--deposit", "1uhyp"}, "deposit below minimum"},
			{[]string{"create-order", "--from", "alice", "--cpu", "1000", "--memory", "1Gi", "--gpu-count", "64",
				"--max-price", "10uhyp", "--deposit", "5000000uhyp"}, ""}, // valid order: nobody fits it
		} {
			out, err := d.TryTx(append([]string{"market"}, tc.args...)...)
			if tc.want == "" {
				if err != nil || out.Code != 0 {
					t.Fatalf("%v: %v %s", tc.args, err, out.RawLog)
				}
				big, _ := out.Attr("market_order_created", "order_id")
				res, err := d.TryTx("market", "bid", big, "10uhyp", "--from", "provider1")
				if err == nil && res.Code == 0 {
					t.Fatal("bid from a provider whose inventory does not fit was accepted")
				}
				if msg := fmt.Sprint(err) + res.RawLog; !strings.Contains(msg, "inventory does not fit") {
					t.Fatalf("bid on unfit order: %s", msg)
				}
				continue
			}
			if err == nil && out.Code == 0 {
				t.Fatalf("%v succeeded", tc.args)
			}
			if msg := fmt.Sprint(err) + out.RawLog; !strings.Contains(msg, tc.want) {
				t.Fatalf("%v: error %q does not mention %q", tc.args, msg, tc.want)
			}
		}
		if got := balance(t, d, p1); got != before {
			t.Fatalf("provider1 balance changed by failed txs: %d -> %d", before, got)
		}
		mktTx(t, d, "close-order", id, "--from", "alice")
	})

	t.Run("missed heartbeats close the lease and slash the bond", func(t *testing.T) {
		mktSetHeartbeatInterval(t, d, 4)
		id, _ := mktCreateOrder(t, d, "bob", "100uhyp", "5000000uhyp", "20")
		bob := d.Address(t, "bob")
		mktTx(t, d, "bid", id, "100uhyp", "--from", "provider2")
		res := mktTx(t, d, "accept-bid", id, p2, "--from", "bob")
		start := res.Height
		deadline := mktAttrInt(t, res, "market_lease_created", "deadline")
		if deadline != start+4 {
			t.Fatalf("heartbeat deadline %d, want %d", deadline, start+4)
		}
		hb := mktTx(t, d, "heartbeat", id, "--from", "provider2")
		deadline = mktAttrInt(t, hb, "market_lease_heartbeat", "deadline")
		if deadline != hb.Height+4 {
			t.Fatalf("deadline after heartbeat %d, want %d", deadline, hb.Height+4)
		}
		bobBefore := balance(t, d, bob)
		var prov struct {
			Provider struct {
				Bond          mktCoin `json:"bond"`
				LeasesFaulted string  `json:"leases_faulted"`
				ActiveLeases  string  `json:"active_leases"`
			} `json:"provider"`
			Reputation string `json:"reputation"`
		}
		d.QueryJSON(t, &prov, "q", "market", "provider", p2)
		bond := prov.Provider.Bond.int(t)
		d.WaitHeight(t, deadline)
		l := mktLease(t, d, id)
		if l.Lease.State != "LEASE_STATE_CLOSED" || l.Lease.CloseReason != "CLOSE_REASON_PROVIDER_FAULT" || int64(l.Lease.ClosedHeight) != deadline {
			t.Fatalf("lease %+v, want provider fault at %d", l.Lease, deadline)
		}
		slash := new(big.Int).Div(big.NewInt(bond*5), big.NewInt(100)).Int64() // floor(bond * 5%)
		d.QueryJSON(t, &prov, "q", "market", "provider", p2)
		if got := prov.Provider.Bond.int(t); got != bond-slash {
			t.Fatalf("bond %d, want %d - %d", got, bond, slash)
		}
		if prov.Provider.LeasesFaulted != "1" || prov.Reputation != "-1" { // 1 completed earlier - 2*1
			t.Fatalf("reputation after fault: faulted %s score %s", prov.Provider.LeasesFaulted, prov.Reputation)
		}
		refund := 5_000_000 - 100*(deadline-start)
		if got := balance(t, d, bob) - bobBefore; got != slash+refund {
			t.Fatalf("bob got %d, want slash %d + refund %d", got, slash, refund)
		}
	})
}

// mktSetHeartbeatInterval changes the market's heartbeat_interval through an
// expedited governance proposal voted by the validator.
func mktSetHeartbeatInterval(t *testing.T, d *e2e.Devnet, blocks int) {
	t.Helper()
	var params struct {
		Params map[string]any `json:"params"`
	}
	d.QueryJSON(t, &params, "q", "market", "params")
	params.Params["heartbeat_interval"] = strconv.Itoa(blocks)
	var gov struct {
		Account struct {
			Value struct {
				Address string `json:"address"`
			} `json:"value"`
		} `json:"account"`
	}
	d.QueryJSON(t, &gov, "q", "auth", "module-account", "gov")
	prop := map[string]any{
		"messages": []any{map[string]any{
			"@type":     "/hypha.market.v1.MsgUpdateParams",
			"authority": gov.Account.Value.Address,
			"params":    params.Params,
		}},
		"deposit": "50000000uhyp", "title": "market: heartbeat interval", "summary": "e2e", "expedited": true,
	}
	bz, _ := json.Marshal(prop)
	path := filepath.Join(t.TempDir(), "proposal.json")
	if err := os.WriteFile(path, bz, 0o644); err != nil {
		t.Fatal(err)
	}
	res := d.Tx(t, "gov", "submit-proposal", path, "--from", "validator")
	if res.Code != 0 {
		t.Fatalf("submit proposal: %s", res.RawLog)
	}
	pid, ok := res.Attr("submit_proposal", "proposal_id")
	if !ok {
		t.Fatal("no proposal id")
	}
	if v := d.Tx(t, "gov", "vote", pid, "yes", "--from", "validator"); v.Code != 0 {
		t.Fatalf("vote: %s", v.RawLog)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		var p struct {
			Params struct {
				HeartbeatInterval string `json:"heartbeat_interval"`
			} `json:"params"`
		}
		d.QueryJSON(t, &p, "q", "market", "params")
		if p.Params.HeartbeatInterval == strconv.Itoa(blocks) {
			return
		}
		if time.Now().After(deadline) {
			var st struct {
				Proposal struct {
					Status string `json:"status"`
				} `json:"proposal"`
			}
			d.QueryJSON(t, &st, "q", "gov", "proposal", pid)
			t.Fatalf("proposal %s did not pass in time: %s", pid, st.Proposal.Status)
		}
		time.Sleep(time.Second)
	}
}
