// Package apptest builds a real Hypha application in memory for keeper tests:
// the real keepers and bank, a one-validator genesis with funded accounts, and a
// context that writes straight to the app's store, so tests can call message
// servers and block hooks at chosen heights without running consensus.
package apptest

import (
	"encoding/json"
	"testing"
	"time"

	"cosmossdk.io/log"
	sdkmath "cosmossdk.io/math"
	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/cosmos-sdk/baseapp"
	"github.com/cosmos/cosmos-sdk/testutil/mock"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/hypha-network/hypha/app"
)

// ChainID is the chain id of test apps.
const ChainID = "hypha-test-1"

// Env is a test app with funded accounts and a context at the current height.
type Env struct {
	App      *app.App
	Ctx      sdk.Context
	Accounts []sdk.AccAddress
}

// New returns an app initialised from the default genesis, with n accounts each
// holding balance uhyp, advanced past its first block. Env.Ctx is at height 2.
func New(t testing.TB, n int, balance int64) *Env {
	t.Helper()
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true,
		simtestutil.NewAppOptionsWithFlagHome(t.TempDir()), baseapp.SetChainID(ChainID))

	pv := mock.NewPV()
	pub, err := pv.GetPubKey()
	if err != nil {
		t.Fatal(err)
	}
	valSet := cmttypes.NewValidatorSet([]*cmttypes.Validator{cmttypes.NewValidator(pub, 1)})
	addrs := simtestutil.CreateIncrementalAccounts(n)
	accs := make([]authtypes.GenesisAccount, n)
	balances := make([]banktypes.Balance, n)
	for i, addr := range addrs {
		accs[i] = authtypes.NewBaseAccount(addr, nil, uint64(i), 0)
		balances[i] = banktypes.Balance{Address: addr.String(),
			Coins: sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(balance)))}
	}
	gen, err := simtestutil.GenesisStateWithValSet(a.AppCodec(), a.DefaultGenesis(), valSet, accs, balances...)
	if err != nil {
		t.Fatalf("genesis: %v", err)
	}
	state, err := json.Marshal(gen)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.InitChain(&abci.RequestInitChain{
		ChainId: ChainID, Validators: []abci.ValidatorUpdate{}, InitialHeight: 1,
		ConsensusParams: simtestutil.DefaultConsensusParams, AppStateBytes: state,
	}); err != nil {
		t.Fatalf("init chain: %v", err)
	}
	if _, err := a.FinalizeBlock(&abci.RequestFinalizeBlock{Height: 1, Time: time.Unix(1_700_000_000, 0)}); err != nil {
		t.Fatalf("finalize block 1: %v", err)
	}
	if _, err := a.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	ctx := a.NewUncachedContext(false, cmtproto.Header{ChainID: ChainID, Height: 2, Time: time.Unix(1_700_000_001, 0)})
	return &Env{App: a, Ctx: ctx, Accounts: addrs}
}

// AtHeight returns e.Ctx moved to height h, with a fresh event manager.
func (e *Env) AtHeight(h int64) sdk.Context {
	e.Ctx = e.Ctx.WithBlockHeight(h).WithEventManager(sdk.NewEventManager())
	return e.Ctx
}

// Balance returns addr's uhyp balance.
func (e *Env) Balance(addr sdk.AccAddress) int64 {
	return e.App.BankKeeper.GetBalance(e.Ctx, addr, app.BondDenom).Amount.Int64()
}

// Deliver runs fn as a transaction would: on a cached copy of the state that is
// written back only if fn succeeds, so a failing message leaves no trace.
func (e *Env) Deliver(fn func(ctx sdk.Context) error) error {
	cache, write := e.Ctx.CacheContext()
	if err := fn(cache); err != nil {
		return err
	}
	write()
	e.Ctx.EventManager().EmitEvents(cache.EventManager().Events())
	return nil
}
