package e2e_test

import (
	"strconv"
	"testing"

	"github.com/hypha-network/hypha/devnet"
	"github.com/hypha-network/hypha/testutil/e2e"
)

// balance returns the uhyp balance of addr on the devnet.
func balance(t *testing.T, d *e2e.Devnet, addr string) int64 {
	t.Helper()
	var res struct {
		Balance struct {
			Amount string `json:"amount"`
		} `json:"balance"`
	}
	d.QueryJSON(t, &res, "q", "bank", "balance", addr, "uhyp")
	n, err := strconv.ParseInt(res.Balance.Amount, 10, 64)
	if err != nil {
		t.Fatalf("balance of %s: %v", addr, err)
	}
	return n
}

func balances(t *testing.T, d *e2e.Devnet) map[string]int64 {
	t.Helper()
	m := make(map[string]int64, len(devnet.Accounts))
	for _, name := range devnet.Accounts {
		m[name] = balance(t, d, d.Address(t, name))
	}
	return m
}

func mustTx(t *testing.T, d *e2e.Devnet, args ...string) e2e.TxResult {
	t.Helper()
	res := d.Tx(t, args...)
	if res.Code != 0 {
		t.Fatalf("tx %v failed: code %d: %s", args, res.Code, res.RawLog)
	}
	return res
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
