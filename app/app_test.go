package app_test

import (
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/log"
	sdkmath "cosmossdk.io/math"
	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/testutil/mock"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/cosmos/cosmos-sdk/x/authz"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/hypha-network/hypha/app"
	markettypes "github.com/hypha-network/hypha/x/market/types"
	subnettypes "github.com/hypha-network/hypha/x/subnet/types"
)

const chainID = "hypha-limits-1"

// chain is an app after InitChain with Hypha's consensus params and funded keys.
type chain struct {
	t      *testing.T
	app    *app.App
	keys   []cryptotypes.PrivKey
	addrs  []sdk.AccAddress
	seqs   []uint64
	height int64
}

func newChain(t *testing.T, nKeys int, opts simtestutil.AppOptionsMap) *chain {
	t.Helper()
	if opts == nil {
		opts = simtestutil.AppOptionsMap{}
	}
	opts["home"] = t.TempDir()
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, opts, baseapp.SetChainID(chainID))
	pv := mock.NewPV()
	pub, err := pv.GetPubKey()
	if err != nil {
		t.Fatal(err)
	}
	valSet := cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(pub, 1)})
	c := &chain{t: t, app: a}
	var accs []authtypes.GenesisAccount
	var balances []banktypes.Balance
	for i := 0; i < nKeys; i++ {
		k := secp256k1.GenPrivKey()
		addr := sdk.AccAddress(k.PubKey().Address())
		c.keys, c.addrs, c.seqs = append(c.keys, k), append(c.addrs, addr), append(c.seqs, 0)
		accs = append(accs, authtypes.NewBaseAccount(addr, nil, uint64(i), 0))
		balances = append(balances, banktypes.Balance{Address: addr.String(),
			Coins: sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(1_000_000_000_000)))})
	}
	gen, err := simtestutil.GenesisStateWithValSet(a.AppCodec(), a.DefaultGenesis(), valSet, accs, balances...)
	if err != nil {
		t.Fatal(err)
	}
	state, err := json.Marshal(gen)
	if err != nil {
		t.Fatal(err)
	}
	cp := app.DefaultConsensusParams().ToProto()
	if _, err := a.InitChain(&abci.RequestInitChain{ChainId: chainID, InitialHeight: 1,
		ConsensusParams: &cp, AppStateBytes: state}); err != nil {
		t.Fatal(err)
	}
	if res := c.block(); len(res.TxResults) != 0 {
		t.Fatal("unexpected txs")
	}
	return c
}

// block finalizes and commits the next block with txs; it fails the test on an error.
func (c *chain) block(txs ...[]byte) *abci.ResponseFinalizeBlock {
	c.t.Helper()
	res, err := c.tryBlock(txs...)
	if err != nil {
		c.t.Fatalf("finalize block %d: %v", c.height, err)
	}
	return res
}

func (c *chain) tryBlock(txs ...[]byte) (*abci.ResponseFinalizeBlock, error) {
	c.height++
	res, err := c.app.FinalizeBlock(&abci.RequestFinalizeBlock{Height: c.height, Txs: txs,
		Time: time.Unix(1_700_000_000+c.height, 0)})
	if err != nil {
		return nil, err
	}
	if _, err := c.app.Commit(); err != nil {
		c.t.Fatal(err)
	}
	return res, nil
}

// tx signs msgs from key i with gas; it does not advance the sequence.
func (c *chain) tx(i int, gas uint64, msgs ...sdk.Msg) []byte {
	c.t.Helper()
	tx, err := simtestutil.GenSignedMockTx(rand.New(rand.NewSource(1)), c.app.TxConfig(), msgs, sdk.Coins{}, gas,
		chainID, []uint64{uint64(i)}, []uint64{c.seqs[i]}, c.keys[i])
	if err != nil {
		c.t.Fatal(err)
	}
	bz, err := c.app.TxConfig().TxEncoder()(tx)
	if err != nil {
		c.t.Fatal(err)
	}
	return bz
}

func (c *chain) sends(from, n int) []sdk.Msg {
	msgs := make([]sdk.Msg, n)
	for j := range msgs {
		to := c.addrs[(from+1+j%(len(c.addrs)-1))%len(c.addrs)] // never from itself
		msgs[j] = banktypes.NewMsgSend(c.addrs[from], to,
			sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
	}
	return msgs
}

func checkTx(t *testing.T, a *app.App, tx []byte) *abci.ResponseCheckTx {
	t.Helper()
	res, err := a.CheckTx(&abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func isTooMany(codespace string, code uint32) bool {
	return codespace == app.ErrTooManyMsgs.Codespace() && code == app.ErrTooManyMsgs.ABCICode()
}

func TestMsgLimit(t *testing.T) {
	c := newChain(t, 3, nil)
	const gas = 10_000_000
	n := app.MaxMsgsPerTx

	t.Run("N+1 messages are refused at CheckTx and in a block", func(t *testing.T) {
		tx := c.tx(0, gas, c.sends(0, n+1)...)
		res := checkTx(t, c.app, tx)
		if !isTooMany(res.Codespace, res.Code) || !strings.Contains(res.Log, "more than 100 messages") {
			t.Fatalf("CheckTx: codespace %q code %d log %q; want ErrTooManyMsgs", res.Codespace, res.Code, res.Log)
		}
		fin := c.block(tx)
		if r := fin.TxResults[0]; !isTooMany(r.Codespace, r.Code) {
			t.Fatalf("FinalizeBlock: codespace %q code %d log %q; want ErrTooManyMsgs", r.Codespace, r.Code, r.Log)
		}
	})

	t.Run("N messages are accepted and executed", func(t *testing.T) {
		before := c.app.BankKeeper.GetBalance(c.app.NewContext(true), c.addrs[0], app.BondDenom).Amount
		tx := c.tx(0, gas, c.sends(0, n)...)
		if res := checkTx(t, c.app, tx); res.Code != 0 {
			t.Fatalf("CheckTx: code %d log %q", res.Code, res.Log)
		}
		fin := c.block(tx)
		if r := fin.TxResults[0]; r.Code != 0 {
			t.Fatalf("FinalizeBlock: code %d log %q", r.Code, r.Log)
		}
		c.seqs[0]++
		after := c.app.BankKeeper.GetBalance(c.app.NewContext(true), c.addrs[0], app.BondDenom).Amount
		if got := before.Sub(after).Int64(); got != int64(n) {
			t.Errorf("sender paid %d, want %d", got, n)
		}
		t.Logf("%d MsgSends used %d gas", n, fin.TxResults[0].GasUsed)
	})

	t.Run("messages nested in authz MsgExec count", func(t *testing.T) {
		grantee := c.addrs[1]
		exec := func(inner int) sdk.Msg {
			m := authz.NewMsgExec(grantee, c.sends(0, inner))
			return &m
		}
		// (The SDK's decoder already refuses one message holding more than 99
		// nested ones: MaxUnpackAnySubCalls.)
		// 2 MsgExec × (1 + 50 inner) = 102.
		res := checkTx(t, c.app, c.tx(1, gas, exec(50), exec(50)))
		if !isTooMany(res.Codespace, res.Code) {
			t.Fatalf("2 MsgExec of 50: codespace %q code %d log %q; want ErrTooManyMsgs", res.Codespace, res.Code, res.Log)
		}
		// A MsgExec in a MsgExec, and 40 sends: 1 + 1 + 60 + 40 = 102.
		inner := exec(60)
		outer := authz.NewMsgExec(grantee, []sdk.Msg{inner})
		if res := checkTx(t, c.app, c.tx(1, gas, append([]sdk.Msg{&outer}, c.sends(1, 40)...)...)); !isTooMany(res.Codespace, res.Code) {
			t.Fatalf("nested MsgExec: codespace %q code %d log %q; want ErrTooManyMsgs", res.Codespace, res.Code, res.Log)
		}
		// 1 + 99 = 100 passes the limit (and then fails only for want of a grant, at execution).
		if res := checkTx(t, c.app, c.tx(1, gas, exec(n-1))); isTooMany(res.Codespace, res.Code) || res.Code != 0 {
			t.Fatalf("MsgExec of %d: codespace %q code %d log %q; want accepted by CheckTx", n-1, res.Codespace, res.Code, res.Log)
		}
	})

	t.Run("a tx asking for more than the block gas limit is refused", func(t *testing.T) {
		res := checkTx(t, c.app, c.tx(2, app.BlockMaxGas+1, c.sends(2, 1)...))
		if res.Code == 0 || !strings.Contains(res.Log, "exceeds block max gas") {
			t.Fatalf("CheckTx: code %d log %q; want exceeds block max gas", res.Code, res.Log)
		}
	})
}

// TestFullBlock fills a block to the gas limit with 100-message transactions and
// reports how long FinalizeBlock takes: the limit must keep a full block well
// under the devnet's one-second interval.
func TestFullBlock(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const senders = 40
	c := newChain(t, senders, nil)
	// Measure the gas of one full transaction.
	probe := c.block(c.tx(0, 10_000_000, c.sends(0, app.MaxMsgsPerTx)...))
	c.seqs[0]++
	perTx := probe.TxResults[0].GasUsed
	var txs [][]byte
	var wanted int64
	for i := 0; wanted+perTx*3/2 <= app.BlockMaxGas && i < senders; i++ {
		wanted += perTx * 3 / 2 // what a client asks for: simulated gas × 1.5
		txs = append(txs, c.tx(i, uint64(perTx*3/2), c.sends(i, app.MaxMsgsPerTx)...))
	}
	start := time.Now()
	res := c.block(txs...)
	took := time.Since(start)
	for i, r := range res.TxResults {
		if r.Code != 0 {
			t.Fatalf("tx %d: code %d %s", i, r.Code, r.Log)
		}
	}
	t.Logf("100 MsgSends: %d gas; a full block (%d gas wanted) holds %d such txs = %d messages; FinalizeBlock took %s",
		perTx, wanted, len(txs), len(txs)*app.MaxMsgsPerTx, took)
	if took > 3*time.Second {
		t.Errorf("a full block took %s to execute", took)
	}
}

func TestInvariants(t *testing.T) {
	c := newChain(t, 2, simtestutil.AppOptionsMap{app.FlagInvariantCheckPeriod: 2})
	inv := c.app.Invariants
	want := []string{"market/escrow-balance", "market/bond-balance", "subnet/module-account", "jobs/escrow-balance", "bank/total-supply"}
	if got := strings.Join(inv.Names(), ","); got != strings.Join(want, ",") {
		t.Fatalf("registered %s, want %s", got, strings.Join(want, ","))
	}
	if inv.Period != 2 {
		t.Fatalf("period %d, want 2 from app options", inv.Period)
	}
	c.block() // height 2: checked, healthy
	if err := inv.Check(c.app.NewContext(true)); err != nil {
		t.Fatalf("healthy chain: %v", err)
	}

	// Coins in the market's escrow account that no escrow accounts for.
	ctx := c.app.NewUncachedContext(false, cmtproto.Header{ChainID: chainID, Height: c.height + 1})
	stray := sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 7))
	if err := c.app.BankKeeper.MintCoins(ctx, subnettypes.ModuleName, stray); err != nil {
		t.Fatal(err)
	}
	if err := c.app.BankKeeper.SendCoinsFromModuleToModule(ctx, subnettypes.ModuleName, markettypes.ModuleName, stray); err != nil {
		t.Fatal(err)
	}
	err := inv.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "market/escrow-balance") || strings.Contains(err.Error(), "bank/total-supply") {
		t.Fatalf("Check after corruption: %v; want only market/escrow-balance broken", err)
	}
	t.Logf("%v", err)

	// Height 3 is not a check height: the block commits.
	c.block()
	// Height 4 is: FinalizeBlock fails and names the invariant.
	_, err = c.tryBlock()
	if err == nil || !strings.Contains(err.Error(), "market/escrow-balance") || !strings.Contains(err.Error(), "invariant broken") {
		t.Fatalf("FinalizeBlock at a check height: %v; want invariant broken naming market/escrow-balance", err)
	}
}

func TestInvariantsTotalSupply(t *testing.T) {
	c := newChain(t, 1, simtestutil.AppOptionsMap{app.FlagInvariantCheckPeriod: 1})
	// Write a balance behind the bank keeper's back: the supply no longer matches.
	ctx := c.app.NewUncachedContext(false, cmtproto.Header{ChainID: chainID, Height: c.height + 1})
	key := collections.Join(c.addrs[0], app.BondDenom)
	bal, err := c.app.BankKeeper.Balances.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.app.BankKeeper.Balances.Set(ctx, key, bal.AddRaw(5)); err != nil {
		t.Fatal(err)
	}
	err = c.app.Invariants.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "bank/total-supply") || !strings.Contains(err.Error(), "supply") {
		t.Fatalf("Check: %v; want bank/total-supply broken", err)
	}
}

func TestDefaultConsensusParams(t *testing.T) {
	p := app.DefaultConsensusParams()
	if p.Block.MaxGas != app.BlockMaxGas || p.Block.MaxGas <= 0 {
		t.Fatalf("max gas %d", p.Block.MaxGas)
	}
	if err := p.ValidateBasic(); err != nil {
		t.Fatal(err)
	}
}
