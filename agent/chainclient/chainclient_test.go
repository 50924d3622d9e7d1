package chainclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestQueries(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hypha/subnet/v1/subnets/1/metagraph":
			_, _ = w.Write([]byte(`{"netuid":1,"height":"42","last_epoch_height":"31","neurons":[
				{"uid":0,"hotkey":"hypha1a","axon":"","stake":"10000","validator_permit":true,"incentive":"0.000000000","emission":"0"},
				{"uid":1,"hotkey":"hypha1b","axon":"http://x","stake":"0","validator_permit":false,"incentive":"0.750000000","emission":"123","total_emission":"456"}]}`))
		case "/hypha/subnet/v1/subnets/1/reveal_window":
			if r.URL.Query().Get("hotkey") != "hypha1a" {
				t.Errorf("reveal window query without the hotkey: %s", r.URL)
			}
			_, _ = w.Write([]byte(`{"height":"42","reveal_start_if_committed_now":"53","reveal_end_if_committed_now":"63","pending":{"commit_height":"40","reveal_start":"42","reveal_end":"52"}}`))
		default:
			http.Error(w, `{"code":5,"message":"subnet 2: not found"}`, http.StatusNotFound)
		}
	}))
	defer srv.Close()
	c := &Client{API: srv.URL}
	ctx := context.Background()

	mg, err := c.Metagraph(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if mg.Height != 42 || len(mg.Neurons) != 2 || mg.Neurons[0].Stake != 10000 || mg.Neurons[1].Incentive != 0.75 ||
		mg.Neurons[1].Emission != 123 || mg.Neurons[1].TotalEmission != 456 || !mg.Neurons[0].ValidatorPermit {
		t.Fatalf("metagraph decoded as %+v", mg)
	}
	n, err := c.FindNeuron(ctx, 1, "hypha1b")
	if err != nil || n.UID != 1 || n.Axon != "http://x" {
		t.Fatalf("FindNeuron: %+v, %v", n, err)
	}
	if _, err := c.FindNeuron(ctx, 1, "hypha1z"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("FindNeuron of a stranger: %v, want ErrNotFound", err)
	}
	if _, err := c.Metagraph(ctx, 2); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing subnet: %v, want ErrNotFound", err)
	}
	rw, err := c.RevealWindow(ctx, 1, "hypha1a")
	if err != nil || rw.Pending == nil || rw.Pending.RevealStart != 42 || rw.RevealEndIfCommittedNow != 63 {
		t.Fatalf("reveal window: %+v, %v", rw, err)
	}
	if _, err := (&Client{}).Metagraph(ctx, 1); err == nil {
		t.Fatal("a client without an API endpoint worked")
	}
}

func TestLastJSONLine(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"a":1}`, `{"a":1}`},
		{"gas estimate: 1234\n{\"txhash\":\"AB\"}\n", `{"txhash":"AB"}`},
		{"no json", "no json"},
	}
	for _, tc := range cases {
		if got := string(lastJSONLine([]byte(tc.in))); got != tc.want {
			t.Errorf("lastJSONLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIsNotFound(t *testing.T) {
	nf := &QueryError{Method: "/q", Code: 5, Log: "rpc error: code = NotFound desc = lease 9: not found"}
	if !IsNotFound(fmt.Errorf("wrapped: %w", nf)) || !errors.Is(nf, ErrNotFound) {
		t.Fatal("wrapped not-found error not recognized")
	}
	if IsNotFound(&QueryError{Log: "internal"}) || IsNotFound(fmt.Errorf("dial tcp: refused")) {
		t.Fatal("other errors reported as not found")
	}
	if !IsNotFound(fmt.Errorf("%w: GET /x: 404", ErrNotFound)) {
		t.Fatal("REST not-found error not recognized")
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

func TestNode(t *testing.T) {
	home := t.TempDir()
	if got := (&Client{Home: home}).node(); got != DefaultNode {
		t.Fatalf("node without client.toml = %q, want %q", got, DefaultNode)
	}
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	toml := "# comment\nchain-id = \"hypha-devnet\"\nnode = \"tcp://127.0.0.1:36657\"\n"
	if err := os.WriteFile(filepath.Join(home, "config", "client.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := (&Client{Home: home}).node(); got != "tcp://127.0.0.1:36657" {
		t.Fatalf("node from client.toml = %q", got)
	}
	if got := (&Client{Home: home, Node: "http://n:1"}).node(); got != "http://n:1" {
		t.Fatalf("explicit node = %q", got)
	}
	if got := ClientConfig(home)["chain-id"]; got != "hypha-devnet" {
		t.Fatalf("chain-id = %q", got)
	}
}
