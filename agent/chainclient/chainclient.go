// Package chainclient is the chain client every Hypha agent shares (the
// provider, subnet miners, validators and gateways, `hyphad deploy` and
// `hyphad lease`). It signs with the home's keyring and broadcasts in-process
// (the SDK's tx.Factory), tracking the account sequence locally so several
// transactions can wait for the same block, and it reads typed gRPC responses
// through the node's ABCI query. No agent runs the hyphad CLI.
//
// Module-specific queries live in small files of this package (market.go,
// subnet.go) over the typed query clients of each module.
package chainclient

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	sdkmath "cosmossdk.io/math"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/hypha-network/hypha/app"
	"github.com/hypha-network/hypha/client/broadcast"
)

// readyWait bounds how long the client waits for a node that is starting (or
// restarting) before it reports the node as unreachable.
const readyWait = 30 * time.Second

// ErrKeyNotFound reports a key name missing from the keyring.
var ErrKeyNotFound = errors.New("key not found")

// ErrNoAccount reports a key whose account does not exist on chain yet: it
// has never received funds.
var ErrNoAccount = errors.New("account does not exist on chain")

// Client talks to one node on behalf of one key. It is safe for concurrent
// use: transactions are signed one at a time (the account sequence is
// per account) but wait for inclusion in parallel.
type Client struct {
	cfg  Config
	enc  app.EncodingConfig
	rpc  *rpchttp.HTTP
	kr   keyring.Keyring
	conn *queryConn
	acct *account

	chainMu sync.Mutex
	chainID string
}

// account is the signing state of one key.
type account struct {
	name string
	addr sdk.AccAddress

	mu       sync.Mutex // held while signing and submitting, never while waiting for a block
	loaded   bool
	number   uint64
	sequence uint64
}

// New returns a client for cfg (validated and filled with defaults here). It
// opens the keyring and finds the key, but does not contact the node: a
// client can be made before the node is up.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rpc, err := rpchttp.New(cfg.Node, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("chain RPC client for %s: %w (check chain.node, e.g. tcp://127.0.0.1:26657)", cfg.Node, err)
	}
	enc := app.ClientEncoding()
	kr, err := keyring.New(sdk.KeyringServiceName(), cfg.KeyringBackend, cfg.Home, nil, enc.Codec)
	if err != nil {
		return nil, fmt.Errorf("open the %s keyring in %s: %w", cfg.KeyringBackend, cfg.Home, err)
	}
	c := &Client{cfg: cfg, enc: enc, rpc: rpc, kr: kr, conn: &queryConn{rpc: rpc, node: cfg.Node}, chainID: cfg.ChainID}
	if c.acct, err = c.account(cfg.Key); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Client) account(name string) (*account, error) {
	rec, err := c.kr.Key(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %q in the %s keyring of %s: list keys with `hyphad keys list --home %s --keyring-backend %s`, or create it with `hyphad keys add %s`",
			ErrKeyNotFound, name, c.cfg.KeyringBackend, c.cfg.Home, c.cfg.Home, c.cfg.KeyringBackend, name)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", name, err)
	}
	return &account{name: name, addr: addr}, nil
}

// As returns a client on the same connection that signs with key, for tools
// that send transactions from several accounts.
func (c *Client) As(key string) (*Client, error) {
	a, err := c.account(key)
	if err != nil {
		return nil, err
	}
	cfg := c.cfg
	cfg.Key = key
	return &Client{cfg: cfg, enc: c.enc, rpc: c.rpc, kr: c.kr, conn: c.conn, acct: a, chainID: c.chainIDCached()}, nil
}

// Config returns the client's connection settings, defaults filled in.
func (c *Client) Config() Config { return c.cfg }

// Address is the bech32 address of the client's key.
func (c *Client) Address() string { return c.acct.addr.String() }

// AccAddress is the address of the client's key.
func (c *Client) AccAddress() sdk.AccAddress { return c.acct.addr }

// Height returns the latest committed block height.
func (c *Client) Height(ctx context.Context) (int64, error) {
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("chain status from %s: %w (is the node running?)", c.cfg.Node, err)
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// WaitReady waits until the node has committed a block and answers state
// queries (a node that has just restarted answers "invalid height" for a
// moment), up to 30 s or until ctx ends.
func (c *Client) WaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyWait)
	defer cancel()
	var last error
	for {
		if last = c.ready(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s is not ready: %w", c.cfg.Node, last)
		case <-time.After(300 * time.Millisecond):
		}
	}
}

func (c *Client) ready(ctx context.Context) error {
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return fmt.Errorf("%w (is the node running?)", err)
	}
	if st.SyncInfo.LatestBlockHeight < 1 {
		return errors.New("no block committed yet")
	}
	if st.SyncInfo.CatchingUp {
		return fmt.Errorf("still catching up (at height %d)", st.SyncInfo.LatestBlockHeight)
	}
	_, err = authtypes.NewQueryClient(c.conn).Params(ctx, &authtypes.QueryParamsRequest{})
	return err
}

func (c *Client) chainIDCached() string {
	c.chainMu.Lock()
	defer c.chainMu.Unlock()
	return c.chainID
}

// ChainID returns the chain id: the configured one, else the node's.
func (c *Client) ChainID(ctx context.Context) (string, error) {
	c.chainMu.Lock()
	defer c.chainMu.Unlock()
	if c.chainID != "" {
		return c.chainID, nil
	}
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return "", fmt.Errorf("chain id from %s: %w (is the node running?)", c.cfg.Node, err)
	}
	c.chainID = st.NodeInfo.Network
	return c.chainID, nil
}

// Broadcast signs msgs as one transaction, simulates it for gas, submits it
// and waits until it is in a block. It returns the typed message responses,
// or a *broadcast.TxError with the chain's code (errors.Is matches the
// module's registered error). A sequence mismatch is recovered once by
// re-reading the account.
func (c *Client) Broadcast(ctx context.Context, msgs ...sdk.Msg) (*broadcast.Result, error) {
	hash, err := c.Submit(ctx, msgs...)
	if err != nil {
		return nil, err
	}
	return broadcast.Wait(ctx, c.rpc, c.enc.InterfaceRegistry, hash)
}

// Submit signs msgs as one transaction and puts it in the mempool without
// waiting for a block; it returns the transaction hash.
func (c *Client) Submit(ctx context.Context, msgs ...sdk.Msg) (string, error) {
	if len(msgs) == 0 {
		return "", errors.New("broadcast: no messages")
	}
	a := c.acct
	a.mu.Lock()
	defer a.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if !a.loaded {
			if err := c.loadAccount(ctx, a); err != nil {
				return "", err
			}
		}
		hash, err := c.signAndSubmit(ctx, a, msgs)
		switch {
		case err == nil:
			a.sequence++
			return hash, nil
		case broadcast.IsWrongSequence(err) && attempt == 0:
			a.loaded = false // another signer used the key, or a tx left the mempool
			continue
		case !isTxError(err):
			// A transport error leaves unknown whether the node took the
			// transaction; the next one re-reads the account.
			a.loaded = false
		}
		return "", err
	}
}

func isTxError(err error) bool {
	var te *broadcast.TxError
	return errors.As(err, &te)
}

func (c *Client) signAndSubmit(ctx context.Context, a *account, msgs []sdk.Msg) (string, error) {
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return "", err
	}
	f := tx.Factory{}.
		WithTxConfig(c.enc.TxConfig).
		WithKeybase(c.kr).
		WithChainID(chainID).
		WithAccountNumber(a.number).
		WithSequence(a.sequence).
		WithFromName(a.name)
	simBytes, err := f.BuildSimTx(msgs...)
	if err != nil {
		return "", fmt.Errorf("build transaction: %w", err)
	}
	used, err := broadcast.Simulate(ctx, c.rpc, c.enc.InterfaceRegistry, simBytes)
	if err != nil {
		return "", err
	}
	gas := uint64(math.Ceil(float64(used) * c.cfg.GasAdjustment))
	f = f.WithGas(gas)
	if c.cfg.GasPrices != "" {
		fees, err := feesFor(c.cfg.GasPrices, gas)
		if err != nil {
			return "", err
		}
		f = f.WithFees(fees.String())
	}
	builder, err := f.BuildUnsignedTx(msgs...)
	if err != nil {
		return "", fmt.Errorf("build transaction: %w", err)
	}
	if err := tx.Sign(ctx, f, a.name, builder, true); err != nil {
		return "", fmt.Errorf("sign with key %q: %w", a.name, err)
	}
	bz, err := c.enc.TxConfig.TxEncoder()(builder.GetTx())
	if err != nil {
		return "", fmt.Errorf("encode transaction: %w", err)
	}
	return broadcast.Submit(ctx, c.rpc, bz)
}

// feesFor is gas × prices, rounded up per denomination.
func feesFor(prices string, gas uint64) (sdk.Coins, error) {
	dec, err := sdk.ParseDecCoins(prices)
	if err != nil {
		return nil, fmt.Errorf("gas prices %q: %w", prices, err)
	}
	g := sdkmath.LegacyNewDecFromInt(sdkmath.NewIntFromUint64(gas))
	var fees sdk.Coins
	for _, p := range dec {
		fees = fees.Add(sdk.NewCoin(p.Denom, p.Amount.Mul(g).Ceil().RoundInt()))
	}
	return fees, nil
}

// loadAccount reads the account number and sequence from the chain, waiting
// for a node that is still starting: signing with a guessed account number
// would only be refused.
func (c *Client) loadAccount(ctx context.Context, a *account) error {
	wctx, cancel := context.WithTimeout(ctx, readyWait)
	defer cancel()
	var last error
	for {
		res, err := authtypes.NewQueryClient(c.conn).Account(wctx, &authtypes.QueryAccountRequest{Address: a.addr.String()})
		if err == nil {
			var acc sdk.AccountI
			if err := c.enc.InterfaceRegistry.UnpackAny(res.Account, &acc); err != nil {
				return fmt.Errorf("decode account %s: %w", a.addr, err)
			}
			a.number, a.sequence, a.loaded = acc.GetAccountNumber(), acc.GetSequence(), true
			return nil
		}
		if IsNotFound(err) {
			return fmt.Errorf("%w: %s (key %q) has never received funds; send it some first, e.g. `hyphad tx bank send alice %s 1000000uhyp`",
				ErrNoAccount, a.addr, a.name, a.addr)
		}
		last = err
		select {
		case <-wctx.Done():
			return fmt.Errorf("read account %s: %w", a.addr, last)
		case <-time.After(300 * time.Millisecond):
		}
	}
}
