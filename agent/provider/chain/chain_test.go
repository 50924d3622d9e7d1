package chain

import (
	"fmt"
	"testing"
)

func TestLastJSON(t *testing.T) {
	out := []byte("gas estimate: 123\n{\"txhash\":\"AB\"}\n")
	if got := string(lastJSON(out)); got != `{"txhash":"AB"}` {
		t.Fatalf("lastJSON = %q", got)
	}
}

func TestIsNotFound(t *testing.T) {
	nf := &QueryError{Method: "/q", Code: 5, Log: "rpc error: code = NotFound desc = lease 9: not found"}
	if !IsNotFound(fmt.Errorf("wrapped: %w", nf)) {
		t.Fatal("wrapped not-found error not recognized")
	}
	if IsNotFound(&QueryError{Log: "internal"}) || IsNotFound(fmt.Errorf("dial tcp: refused")) {
		t.Fatal("other errors reported as not found")
	}
}

func TestTxResultAttr(t *testing.T) {
	r := &TxResult{Hash: "H", Events: map[string]map[string]string{"market_order_created": {"order_id": "7", "owner": "x"}}}
	if n, err := r.Attr("market_order_created", "order_id"); err != nil || n != 7 {
		t.Fatalf("Attr = %d, %v", n, err)
	}
	if _, err := r.Attr("market_order_created", "owner"); err == nil {
		t.Fatal("non-numeric attribute accepted")
	}
	if _, err := r.Attr("market_bid_placed", "order_id"); err == nil {
		t.Fatal("missing event accepted")
	}
}
