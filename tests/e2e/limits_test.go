package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/hypha-network/hypha/app"
	"github.com/hypha-network/hypha/devnet"
	"github.com/hypha-network/hypha/testutil/e2e"
)

// TestStartRefusesZeroGasPrices: a node made with `hyphad init` (minimum gas
// prices 0uhyp) does not start without --allow-zero-gas-prices, and its genesis
// carries Hypha's block gas limit.
func TestStartRefusesZeroGasPrices(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	bin := e2e.Binary(t)
	home := filepath.Join(t.TempDir(), "node")
	if out, err := exec.Command(bin, "init", "n1", "--chain-id", "hypha-x-1", "--home", home).CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	bz, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var gen struct {
		Consensus struct {
			Params struct {
				Block struct {
					MaxGas string `json:"max_gas"`
				} `json:"block"`
			} `json:"params"`
		} `json:"consensus"`
	}
	if err := json.Unmarshal(bz, &gen); err != nil {
		t.Fatal(err)
	}
	if gen.Consensus.Params.Block.MaxGas != "50000000" {
		t.Errorf("genesis block max_gas %q, want 50000000", gen.Consensus.Params.Block.MaxGas)
	}
	cfg, err := os.ReadFile(filepath.Join(home, "config", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cfg), "max_txs_bytes = 67108864") || !strings.Contains(string(cfg), "max_tx_bytes = 262144") {
		t.Errorf("config.toml lacks Hypha's mempool limits")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "start", "--home", home).CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Fatalf("start: %v (ctx %v); want a refusal\n%s", err, ctx.Err(), out)
	}
	for _, want := range []string{"zero minimum gas prices", "minimum-gas-prices", "--allow-zero-gas-prices"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("start output lacks %q:\n%s", want, out)
		}
	}
}

// TestChainLimitsUnderLoad floods the devnet with transactions of
// app.MaxMsgsPerTx bank sends (and oversized ones that must be refused) and
// checks that blocks keep coming at about the normal interval.
func TestChainLimitsUnderLoad(t *testing.T) {
	d := e2e.StartDevnet(t)
	enc := app.ClientEncoding()
	kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, d.Home, nil, enc.Codec)
	if err != nil {
		t.Fatal(err)
	}
	rpc, err := rpchttp.New(d.RPCURL(), "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	clientCtx := client.Context{}.WithClient(rpc).WithCodec(enc.Codec).WithInterfaceRegistry(enc.InterfaceRegistry).
		WithTxConfig(enc.TxConfig).WithChainID(devnet.ChainID)
	ctx := context.Background()
	bob := sdk.MustAccAddressFromBech32(d.Address(t, "bob"))

	type sender struct {
		name     string
		addr     sdk.AccAddress
		num, seq uint64
	}
	var senders []*sender
	for _, name := range []string{"alice", "carol", "provider2", "miner1", "miner2"} {
		addr := sdk.MustAccAddressFromBech32(d.Address(t, name))
		num, seq, err := authtypes.AccountRetriever{}.GetAccountNumberSequence(clientCtx, addr)
		if err != nil {
			t.Fatalf("account %s: %v", name, err)
		}
		senders = append(senders, &sender{name, addr, num, seq})
	}
	sign := func(s *sender, nMsgs int, gas uint64) []byte {
		msgs := make([]sdk.Msg, nMsgs)
		for i := range msgs {
			msgs[i] = banktypes.NewMsgSend(s.addr, bob, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
		}
		b := enc.TxConfig.NewTxBuilder()
		if err := b.SetMsgs(msgs...); err != nil {
			t.Fatal(err)
		}
		b.SetGasLimit(gas)
		f := tx.Factory{}.WithChainID(devnet.ChainID).WithKeybase(kr).WithTxConfig(enc.TxConfig).
			WithAccountNumber(s.num).WithSequence(s.seq).WithSignMode(signing.SignMode_SIGN_MODE_DIRECT)
		if err := tx.Sign(ctx, f, s.name, b, true); err != nil {
			t.Fatal(err)
		}
		bz, err := enc.TxConfig.TxEncoder()(b.GetTx())
		if err != nil {
			t.Fatal(err)
		}
		return bz
	}

	t.Run("oversized transactions are refused", func(t *testing.T) {
		s := senders[0]
		for _, tc := range []struct {
			name string
			msgs int
			gas  uint64
			want string
		}{
			{"limit+1 messages", app.MaxMsgsPerTx + 1, 5_000_000, "more than 100 messages"},
			{"1,000 messages", 1000, 40_000_000, "more than 100 messages"},
			{"3,000 messages (too large for the mempool)", 3000, 40_000_000, "Tx too large"},
			{"gas above the block limit", 1, app.BlockMaxGas + 1, "exceeds block max gas"},
		} {
			res, err := rpc.BroadcastTxSync(ctx, sign(s, tc.msgs, tc.gas))
			if err != nil {
				if strings.Contains(err.Error(), tc.want) {
					continue
				}
				t.Fatalf("%s: broadcast: %v", tc.name, err)
			}
			if res.Code == 0 || !strings.Contains(res.Log, tc.want) {
				t.Errorf("%s: code %d log %q, want refused with %q", tc.name, res.Code, res.Log, tc.want)
			}
		}
	})

	t.Run("blocks keep their interval under load", func(t *testing.T) {
		const perSender = 8 // 5 senders × 8 txs × 100 sends = 4,000 messages
		start := d.Height(t)
		var hashes [][]byte
		began := time.Now()
		for round := 0; round < perSender; round++ {
			for _, s := range senders {
				bz := sign(s, app.MaxMsgsPerTx, 3_000_000)
				res, err := rpc.BroadcastTxSync(ctx, bz)
				if err != nil {
					t.Fatalf("broadcast: %v", err)
				}
				if res.Code != 0 {
					t.Fatalf("%s seq %d: CheckTx code %d: %s", s.name, s.seq, res.Code, res.Log)
				}
				s.seq++
				hashes = append(hashes, res.Hash)
			}
		}
		t.Logf("broadcast %d txs of %d sends in %s", len(hashes), app.MaxMsgsPerTx, time.Since(began))
		// Wait until every transaction is in a block.
		deadline := time.Now().Add(90 * time.Second)
		var end int64
		for _, h := range hashes {
			for {
				res, err := rpc.Tx(ctx, h, false)
				if err == nil {
					if res.TxResult.Code != 0 {
						t.Fatalf("tx %X: code %d: %s", h, res.TxResult.Code, res.TxResult.Log)
					}
					end = max(end, res.Height)
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("tx %X not included within 90s", h)
				}
				time.Sleep(200 * time.Millisecond)
			}
		}
		d.WaitHeight(t, end+2)
		var maxGap time.Duration
		var prev time.Time
		var txsPerBlock []int
		for h := start; h <= end+2; h++ {
			b, err := rpc.Block(ctx, &h)
			if err != nil {
				t.Fatal(err)
			}
			if !prev.IsZero() {
				maxGap = max(maxGap, b.Block.Time.Sub(prev))
			}
			prev = b.Block.Time
			txsPerBlock = append(txsPerBlock, len(b.Block.Txs))
		}
		t.Logf("heights %d-%d: txs per block %v; largest gap between blocks %s", start, end+2, txsPerBlock, maxGap)
		if maxGap > 5*time.Second {
			t.Errorf("largest block gap %s under load, want at most 5s", maxGap)
		}
	})
}
