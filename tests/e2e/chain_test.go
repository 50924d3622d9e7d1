package e2e_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hypha-network/hypha/devnet"
	"github.com/hypha-network/hypha/testutil/e2e"
)

const genesisBalance = 1_000_000_000_000

func TestDevnetChain(t *testing.T) {
	d := e2e.StartDevnet(t)
	alice, bob := d.Address(t, "alice"), d.Address(t, "bob")

	t.Run("genesis accounts are funded", func(t *testing.T) {
		for name, b := range balances(t, d) {
			want := int64(genesisBalance)
			if name == "validator" {
				want -= devnet.SelfBond.Int64()
			}
			if b != want {
				t.Errorf("%s: balance %d, want %d", name, b, want)
			}
		}
	})

	t.Run("bank send", func(t *testing.T) {
		before := balances(t, d)
		res := d.Tx(t, "bank", "send", "alice", bob, "1234567uhyp")
		if res.Code != 0 {
			t.Fatalf("send failed: code %d: %s", res.Code, res.RawLog)
		}
		if res.Height == 0 {
			t.Fatal("send was not included in a block")
		}
		if got, want := balance(t, d, bob), before["bob"]+1234567; got != want {
			t.Errorf("bob: %d, want %d", got, want)
		}
		// Devnet gas prices are zero, so the sender pays exactly the amount.
		if got, want := balance(t, d, alice), before["alice"]-1234567; got != want {
			t.Errorf("alice: %d, want %d", got, want)
		}
	})

	t.Run("insufficient funds fail and change nothing", func(t *testing.T) {
		before := balances(t, d)
		// With simulation the CLI refuses before broadcasting.
		_, err := d.TryTx("bank", "send", "carol", bob, "2000000000000uhyp")
		if err == nil || !strings.Contains(err.Error(), "insufficient funds") {
			t.Fatalf("simulated send: got %v, want an insufficient funds error", err)
		}
		// Without simulation the chain includes and rejects it.
		res := d.Tx(t, "bank", "send", "carol", bob, "2000000000000uhyp", "--gas", "200000")
		if res.Code == 0 || !strings.Contains(res.RawLog, "insufficient funds") {
			t.Fatalf("broadcast send: code %d log %q, want insufficient funds", res.Code, res.RawLog)
		}
		if after := balances(t, d); !equal(before, after) {
			t.Errorf("balances changed: before %v after %v", before, after)
		}
	})

	t.Run("malformed transactions fail and change nothing", func(t *testing.T) {
		before := balances(t, d)
		for _, tc := range []struct {
			name string
			args []string
			want string
		}{
			{"bad recipient", []string{"bank", "send", "alice", "hypha1notanaddress", "5uhyp"}, "decoding bech32 failed"},
			{"bad amount", []string{"bank", "send", "alice", bob, "5 u-hyp!"}, "invalid decimal coin expression"},
			{"unknown sender", []string{"bank", "send", "mallory", bob, "5uhyp"}, `key "mallory" not found`},
		} {
			if _, err := d.TryTx(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: got %v, want error containing %q", tc.name, err, tc.want)
			}
		}
		// Bytes that are not a transaction are rejected by CheckTx.
		resp, err := http.Get(d.RPCURL() + "/broadcast_tx_sync?tx=0xdeadbeef")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rpc struct {
			Result struct {
				Code int    `json:"code"`
				Log  string `json:"log"`
			} `json:"result"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&rpc); err != nil {
			t.Fatal(err)
		}
		if rpc.Result.Code == 0 || !strings.Contains(rpc.Result.Log, "tx parse error") {
			t.Errorf("garbage tx: code %d log %q, want a tx parse error", rpc.Result.Code, rpc.Result.Log)
		}
		d.WaitHeight(t, d.Height(t)+1)
		if after := balances(t, d); !equal(before, after) {
			t.Errorf("balances changed: before %v after %v", before, after)
		}
	})

	t.Run("a second devnet on the same ports is refused", func(t *testing.T) {
		cmd := exec.Command(d.Bin, "devnet", "--home", filepath.Join(t.TempDir(), "other"),
			"--rpc-port", strconv.Itoa(d.Ports.RPC), "--p2p-port", strconv.Itoa(d.Ports.P2P),
			"--grpc-port", strconv.Itoa(d.Ports.GRPC), "--api-port", strconv.Itoa(d.Ports.API))
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "port already in use") {
			t.Fatalf("got %v, output %s; want a port-in-use error", err, out)
		}
	})

	t.Run("restart keeps height and balances", func(t *testing.T) {
		before := balances(t, d)
		h := d.Height(t)
		d.Stop(t)
		if !strings.Contains(d.Output(), "Devnet stopped") {
			t.Errorf("devnet did not report a clean stop:\n%s", d.Output())
		}
		d.Start(t)
		if got := d.Height(t); got < h {
			t.Fatalf("height after restart %d < %d before", got, h)
		}
		if !strings.Contains(d.Output(), "Resuming the devnet") {
			t.Errorf("devnet did not resume:\n%s", d.Output())
		}
		if after := balances(t, d); !equal(before, after) {
			t.Errorf("balances changed across restart: before %v after %v", before, after)
		}
		d.WaitHeight(t, d.Height(t)+2)
	})

	t.Run("a corrupt home is refused with advice", func(t *testing.T) {
		d.Stop(t)
		if err := os.Remove(filepath.Join(d.Home, "config", "genesis.json")); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(d.Bin, "devnet", "--home", d.Home).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "corrupt") || !strings.Contains(string(out), "--reset") {
			t.Fatalf("got %v, output %s; want a corrupt-home error suggesting --reset", err, out)
		}
	})
}

func equal(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
