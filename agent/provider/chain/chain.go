// Package chain is the small Hypha chain client the provider agent and
// `hyphad deploy` share: market queries over CometBFT RPC (ABCI queries), a
// websocket subscription for new orders, and signed transactions sent by
// running the hyphad binary itself (`hyphad tx market …`) and waiting for
// inclusion.
package chain

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cosmos/gogoproto/proto"

	query "github.com/cosmos/cosmos-sdk/types/query"

	"github.com/hypha-network/hypha/x/market/types"
)

// Client talks to one chain node on behalf of one key.
type Client struct {
	// Bin is the hyphad binary used to sign and broadcast transactions.
	Bin string
	// Home is the hyphad home holding the keyring and client.toml.
	Home string
	// From is the key name (or address) that signs transactions.
	From string
	// Node is the CometBFT RPC URL, e.g. http://127.0.0.1:26657.
	Node string
	// KeyringBackend is passed as --keyring-backend when set.
	KeyringBackend string
	// ChainID is passed as --chain-id when set.
	ChainID string

	rpc  *rpchttp.HTTP
	txMu sync.Mutex
}

// New connects a client to node (no network traffic yet). bin defaults to the
// running executable.
func New(bin, home, from, node string) (*Client, error) {
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find the hyphad binary: %w", err)
		}
		bin = exe
	}
	rpc, err := rpchttp.New(node, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("chain RPC client for %s: %w (check the node URL)", node, err)
	}
	return &Client{Bin: bin, Home: home, From: from, Node: node, rpc: rpc}, nil
}

// Height returns the latest committed block height.
func (c *Client) Height(ctx context.Context) (int64, error) {
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("chain status from %s: %w (is the node running?)", c.Node, err)
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// Query runs the gRPC query method (e.g. "/hypha.market.v1.Query/Orders") as an
// ABCI query and decodes the response into resp.
func (c *Client) Query(ctx context.Context, method string, req, resp proto.Message) error {
	bz, err := proto.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode %s request: %w", method, err)
	}
	res, err := c.rpc.ABCIQuery(ctx, method, bz)
	if err != nil {
		return fmt.Errorf("query %s on %s: %w", method, c.Node, err)
	}
	if res.Response.Code != 0 {
		return &QueryError{Method: method, Code: res.Response.Code, Log: res.Response.Log}
	}
	if err := proto.Unmarshal(res.Response.Value, resp); err != nil {
		return fmt.Errorf("decode %s response: %w", method, err)
	}
	return nil
}

// QueryError is a query the chain rejected (e.g. not found).
type QueryError struct {
	Method string
	Code   uint32
	Log    string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("query %s failed (code %d): %s", e.Method, e.Code, e.Log)
}

// IsNotFound reports whether err is a query error saying the object does not exist.
func IsNotFound(err error) bool {
	var qe *QueryError
	return errors.As(err, &qe) && strings.Contains(strings.ToLower(qe.Log), "not found")
}

const q = "/hypha.market.v1.Query/"

// Params returns the market params.
func (c *Client) Params(ctx context.Context) (types.Params, error) {
	var r types.QueryParamsResponse
	err := c.Query(ctx, q+"Params", &types.QueryParamsRequest{}, &r)
	return r.Params, err
}

// Provider returns the provider registered by owner.
func (c *Client) Provider(ctx context.Context, owner string) (types.Provider, error) {
	var r types.QueryProviderResponse
	err := c.Query(ctx, q+"Provider", &types.QueryProviderRequest{Owner: owner}, &r)
	return r.Provider, err
}

// AuditorSignatures returns the auditors' signatures on a provider's
// attributes.
func (c *Client) AuditorSignatures(ctx context.Context, provider string) ([]types.AuditorSignature, error) {
	var r types.QueryAuditorSignaturesResponse
	err := c.Query(ctx, q+"AuditorSignatures", &types.QueryAuditorSignaturesRequest{Provider: provider}, &r)
	return r.Signatures, err
}

// Order returns one order.
func (c *Client) Order(ctx context.Context, id uint64) (types.Order, error) {
	var r types.QueryOrderResponse
	err := c.Query(ctx, q+"Order", &types.QueryOrderRequest{OrderId: id}, &r)
	return r.Order, err
}

// OpenOrders returns every open order (all pages).
func (c *Client) OpenOrders(ctx context.Context) ([]types.Order, error) {
	var out []types.Order
	req := &types.QueryOrdersRequest{State: types.OrderOpen, Pagination: page(nil)}
	for {
		var r types.QueryOrdersResponse
		if err := c.Query(ctx, q+"Orders", req, &r); err != nil {
			return nil, err
		}
		out = append(out, r.Orders...)
		if r.Pagination == nil || len(r.Pagination.NextKey) == 0 {
			return out, nil
		}
		req.Pagination = page(r.Pagination.NextKey)
	}
}

// Bids returns the open bids on an order.
func (c *Client) Bids(ctx context.Context, orderID uint64) ([]types.Bid, error) {
	var r types.QueryBidsResponse
	err := c.Query(ctx, q+"Bids", &types.QueryBidsRequest{OrderId: orderID, Pagination: page(nil)}, &r)
	return r.Bids, err
}

// Bid returns the provider's open bid on an order.
func (c *Client) Bid(ctx context.Context, orderID uint64, provider string) (types.Bid, error) {
	var r types.QueryBidResponse
	err := c.Query(ctx, q+"Bid", &types.QueryBidRequest{OrderId: orderID, Provider: provider}, &r)
	return r.Bid, err
}

// Lease returns a lease with its withdrawable amount and escrow state.
func (c *Client) Lease(ctx context.Context, id uint64) (*types.QueryLeaseResponse, error) {
	var r types.QueryLeaseResponse
	if err := c.Query(ctx, q+"Lease", &types.QueryLeaseRequest{OrderId: id}, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ActiveLeases returns the provider's active leases (all pages).
func (c *Client) ActiveLeases(ctx context.Context, provider string) ([]types.Lease, error) {
	var out []types.Lease
	req := &types.QueryLeasesRequest{Provider: provider, State: types.LeaseActive, Pagination: page(nil)}
	for {
		var r types.QueryLeasesResponse
		if err := c.Query(ctx, q+"Leases", req, &r); err != nil {
			return nil, err
		}
		out = append(out, r.Leases...)
		if r.Pagination == nil || len(r.Pagination.NextKey) == 0 {
			return out, nil
		}
		req.Pagination = page(r.Pagination.NextKey)
	}
}

// Fit returns the providers that could serve spec right now (the bid pre-check).
func (c *Client) Fit(ctx context.Context, spec types.ResourceSpec, placement []types.Attribute) ([]types.Provider, error) {
	var r types.QueryOrderFitResponse
	err := c.Query(ctx, q+"OrderFit", &types.QueryOrderFitRequest{Resources: spec, Placement: placement, Pagination: page(nil)}, &r)
	return r.Providers, err
}

// SubscribeOrders calls wake (without blocking) every time a transaction
// creating an order, or a block closing an auction, is committed, until ctx
// ends. Connection errors are retried every few seconds; callers must still
// poll, since events can be missed while reconnecting.
func (c *Client) SubscribeOrders(ctx context.Context, wake func(), logf func(string, ...any)) {
	for ctx.Err() == nil {
		if err := c.subscribe(ctx, wake); err != nil && ctx.Err() == nil {
			logf("order event subscription: %v; retrying in 5s (polling continues)", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
	}
}

func (c *Client) subscribe(ctx context.Context, wake func()) error {
	ws, err := rpchttp.New(c.Node, "/websocket")
	if err != nil {
		return err
	}
	if err := ws.Start(); err != nil {
		return fmt.Errorf("connect websocket: %w", err)
	}
	defer ws.Stop() //nolint:errcheck
	orders, err := ws.Subscribe(ctx, "hypha-provider", "tm.event='Tx' AND market_order_created.order_id EXISTS", 16)
	if err != nil {
		return fmt.Errorf("subscribe to order events: %w", err)
	}
	blocks, err := ws.Subscribe(ctx, "hypha-provider", "tm.event='NewBlock'", 16)
	if err != nil {
		return fmt.Errorf("subscribe to new blocks: %w", err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-orders:
			if !ok {
				return errors.New("order event stream closed")
			}
			wake()
		case _, ok := <-blocks:
			if !ok {
				return errors.New("block event stream closed")
			}
			wake()
		}
	}
}

// TxResult is a transaction included in a block.
type TxResult struct {
	Hash   string
	Height int64
	Code   uint32
	Log    string
	Events map[string]map[string]string // type → key → first value
}

// Tx signs and broadcasts `hyphad tx <args…>` from c.From and waits until it
// is included in a block. A non-zero result code is returned as an error.
// Transactions from one Client are serialized so account sequences never clash.
func (c *Client) Tx(ctx context.Context, args ...string) (*TxResult, error) {
	c.txMu.Lock()
	defer c.txMu.Unlock()
	full := append([]string{"tx"}, args...)
	full = append(full, "--from", c.From, "--home", c.Home, "--node", c.Node,
		"--gas", "auto", "--gas-adjustment", "1.5", "--yes", "-o", "json")
	if c.KeyringBackend != "" {
		full = append(full, "--keyring-backend", c.KeyringBackend)
	}
	if c.ChainID != "" {
		full = append(full, "--chain-id", c.ChainID)
	}
	cmd := exec.CommandContext(ctx, c.Bin, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("hyphad tx %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	var br struct {
		TxHash string `json:"txhash"`
		Code   uint32 `json:"code"`
		RawLog string `json:"raw_log"`
	}
	if err := json.Unmarshal(lastJSON(stdout.Bytes()), &br); err != nil {
		return nil, fmt.Errorf("decode broadcast result of tx %s: %w: %s", args[0], err, stdout.String())
	}
	if br.Code != 0 {
		return nil, fmt.Errorf("tx %s rejected (code %d): %s", strings.Join(args, " "), br.Code, br.RawLog)
	}
	return c.WaitTx(ctx, br.TxHash, 60*time.Second)
}

// WaitTx waits until the transaction hash is in a block and returns its result.
func (c *Client) WaitTx(ctx context.Context, hash string, timeout time.Duration) (*TxResult, error) {
	raw, err := hex.DecodeString(hash)
	if err != nil {
		return nil, fmt.Errorf("bad tx hash %q: %w", hash, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		res, err := c.rpc.Tx(ctx, raw, false)
		if err == nil {
			out := &TxResult{Hash: hash, Height: res.Height, Code: res.TxResult.Code, Log: res.TxResult.Log,
				Events: map[string]map[string]string{}}
			for _, e := range res.TxResult.Events {
				m := out.Events[e.Type]
				if m == nil {
					m = map[string]string{}
					out.Events[e.Type] = m
				}
				for _, a := range e.Attributes {
					if _, dup := m[a.Key]; !dup {
						m[a.Key] = a.Value
					}
				}
			}
			if out.Code != 0 {
				return out, fmt.Errorf("tx %s failed in block %d (code %d): %s", hash, res.Height, out.Code, out.Log)
			}
			return out, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("tx %s not included after %s: %w (check the node with `hyphad q tx %s`)", hash, timeout, err, hash)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Attr returns an event attribute of a transaction result as an unsigned integer.
func (r *TxResult) Attr(typ, key string) (uint64, error) {
	v, ok := r.Events[typ][key]
	if !ok {
		return 0, fmt.Errorf("tx %s has no %s.%s event", r.Hash, typ, key)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("tx %s: %s.%s = %q is not a number", r.Hash, typ, key, v)
	}
	return n, nil
}

// Address returns the bech32 address of the client's key.
func (c *Client) Address(ctx context.Context) (string, error) {
	args := []string{"keys", "show", c.From, "-a", "--home", c.Home}
	if c.KeyringBackend != "" {
		args = append(args, "--keyring-backend", c.KeyringBackend)
	}
	out, err := exec.CommandContext(ctx, c.Bin, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("key %q in %s: %s (create it with `hyphad keys add`)", c.From, c.Home, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("key %q: %w", c.From, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func lastJSON(out []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		if bytes.HasPrefix(bytes.TrimSpace(lines[i]), []byte("{")) {
			return lines[i]
		}
	}
	return out
}

func page(key []byte) *query.PageRequest { return &query.PageRequest{Key: key, Limit: 200} }
