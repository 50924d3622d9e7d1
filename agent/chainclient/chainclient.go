// Package chainclient is the chain client every Hypha agent shares (subnet
// miners, validators and gateways, the provider agent, `hyphad deploy` and
// `hyphad lease`), so they talk to a node the same way: ABCI queries,
// subscriptions and transaction lookups over CometBFT RPC, REST queries for
// the subnet views the node renders as JSON, and signed transactions sent by
// running the hyphad binary's own `tx` commands against a home directory
// (keyring and client.toml), so no agent re-implements signing.
//
// Module-specific queries live in small files of this package (market.go,
// subnet.go) on top of the generic Query and getJSON.
package chainclient

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cosmos/gogoproto/proto"
)

// DefaultNode is the CometBFT RPC address hyphad itself falls back to, used
// when neither Node nor the home's client.toml names one.
const DefaultNode = "tcp://127.0.0.1:26657"

// txWait bounds how long Tx waits for a broadcast transaction to be included.
const txWait = 60 * time.Second

// ErrNotFound reports a query for something that does not exist (HTTP 404, a
// gRPC NotFound carried in a REST body, or an ABCI query whose log says so),
// so callers can tell "absent" from "unreachable".
var ErrNotFound = errors.New("chainclient: not found")

// Client talks to one node on behalf of one key. The zero value plus the
// fields a caller needs is usable; New fills the binary and checks the node URL
// up front.
type Client struct {
	// API is the node's REST endpoint, e.g. http://127.0.0.1:1317; only the
	// subnet queries need it.
	API string
	// Node is the CometBFT RPC address, e.g. http://127.0.0.1:26657. Empty
	// means the "node" of the home's client.toml, as for `hyphad tx`.
	Node string
	// Bin is the hyphad binary used for transactions and key lookups; empty
	// means this process's own executable.
	Bin string
	// Home is the hyphad home holding the keyring and client.toml.
	Home string
	// From is the key name (or address) that signs transactions.
	From string
	// KeyringBackend is passed as --keyring-backend when set.
	KeyringBackend string
	// ChainID is passed as --chain-id when set.
	ChainID string
	// HTTP is the client for REST calls; nil means one with a 10 s timeout.
	HTTP *http.Client

	rpcMu sync.Mutex
	rpc   *rpchttp.HTTP
	txMu  sync.Mutex
}

// New returns a client for node signing with key from, failing early on a
// malformed node URL or a missing executable (no network traffic yet). bin
// defaults to the running executable.
func New(bin, home, from, node string) (*Client, error) {
	c := &Client{Bin: bin, Home: home, From: from, Node: node}
	var err error
	if c.Bin, err = c.bin(); err != nil {
		return nil, err
	}
	if _, err := c.rpcClient(); err != nil {
		return nil, err
	}
	return c, nil
}

// As returns a client with the same connection settings that signs with key
// from, for tools that send transactions from several accounts. Each returned
// client serializes its own transactions (sequences are per account).
func (c *Client) As(from string) *Client {
	return &Client{API: c.API, Node: c.Node, Bin: c.Bin, Home: c.Home, From: from,
		KeyringBackend: c.KeyringBackend, ChainID: c.ChainID, HTTP: c.HTTP}
}

// ClientConfig returns the key = "value" settings of a hyphad home's
// config/client.toml (empty if there is none), so tools pick the same node,
// chain id and keyring backend as the hyphad CLI.
func ClientConfig(home string) map[string]string {
	out := map[string]string{}
	f, err := os.Open(filepath.Join(home, "config", "client.toml"))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok || strings.HasPrefix(strings.TrimSpace(k), "#") {
			continue
		}
		out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	return out
}

func (c *Client) bin() (string, error) {
	if c.Bin != "" {
		return c.Bin, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("chainclient: find the hyphad binary: %w", err)
	}
	return exe, nil
}

// node returns the RPC address transactions go to: Node, else the home's
// client.toml, else hyphad's default.
func (c *Client) node() string {
	if c.Node != "" {
		return c.Node
	}
	if n := ClientConfig(c.Home)["node"]; n != "" {
		return n
	}
	return DefaultNode
}

func (c *Client) rpcClient() (*rpchttp.HTTP, error) {
	c.rpcMu.Lock()
	defer c.rpcMu.Unlock()
	if c.rpc != nil {
		return c.rpc, nil
	}
	node := c.node()
	rpc, err := rpchttp.New(node, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("chain RPC client for %s: %w (check the node URL)", node, err)
	}
	c.rpc = rpc
	return rpc, nil
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// Height returns the latest committed block height.
func (c *Client) Height(ctx context.Context) (int64, error) {
	rpc, err := c.rpcClient()
	if err != nil {
		return 0, err
	}
	st, err := rpc.Status(ctx)
	if err != nil {
		return 0, fmt.Errorf("chain status from %s: %w (is the node running?)", c.node(), err)
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
	rpc, err := c.rpcClient()
	if err != nil {
		return err
	}
	res, err := rpc.ABCIQuery(ctx, method, bz)
	if err != nil {
		return fmt.Errorf("query %s on %s: %w", method, c.node(), err)
	}
	if res.Response.Code != 0 {
		return &QueryError{Method: method, Code: res.Response.Code, Log: res.Response.Log}
	}
	if err := proto.Unmarshal(res.Response.Value, resp); err != nil {
		return fmt.Errorf("decode %s response: %w", method, err)
	}
	return nil
}

// QueryError is an ABCI query the chain rejected, kept whole so callers can
// report the node's log.
type QueryError struct {
	Method string
	Code   uint32
	Log    string
}

// Error implements error.
func (e *QueryError) Error() string {
	return fmt.Sprintf("query %s failed (code %d): %s", e.Method, e.Code, e.Log)
}

// Is makes errors.Is(err, ErrNotFound) hold for queries the chain answered
// with "not found", so ABCI and REST queries report absence the same way.
func (e *QueryError) Is(target error) bool {
	return target == ErrNotFound && strings.Contains(strings.ToLower(e.Log), "not found")
}

// IsNotFound reports whether err says the queried object does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// getJSON GETs path from the REST API and decodes the answer into out.
func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	if c.API == "" {
		return errors.New("chainclient: no REST API endpoint configured (set api: http://HOST:1317)")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.API, "/")+path, nil)
	if err != nil {
		return fmt.Errorf("chainclient: %w", err)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return fmt.Errorf("chainclient: GET %s: %w (is the node's REST API enabled and reachable?)", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("chainclient: GET %s: %w", path, err)
	}
	if resp.StatusCode == http.StatusNotFound || (resp.StatusCode != http.StatusOK && bytes.Contains(body, []byte("not found"))) {
		return fmt.Errorf("%w: GET %s: %s", ErrNotFound, path, bytes.TrimSpace(body))
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("chainclient: GET %s: HTTP %d: %s", path, resp.StatusCode, bytes.TrimSpace(body))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("chainclient: decode %s: %w", path, err)
	}
	return nil
}

// TxResult is a transaction included in a block, with its events so callers
// can read ids the chain assigned (e.g. a new order's id).
type TxResult struct {
	Hash   string
	Height int64
	Code   uint32
	Log    string
	Events map[string]map[string]string // type → key → first value
}

// Tx signs and broadcasts `hyphad tx ARGS... --from c.From` and waits (up to
// a minute, or until ctx ends) until it is included in a block. A rejected
// broadcast or a non-zero result code is returned as an error. Transactions
// from one Client are serialized so account sequences never clash.
func (c *Client) Tx(ctx context.Context, args ...string) (*TxResult, error) {
	c.txMu.Lock()
	defer c.txMu.Unlock()
	bin, err := c.bin()
	if err != nil {
		return nil, err
	}
	full := append([]string{"tx"}, args...)
	full = append(full, "--from", c.From, "--gas", "auto", "--gas-adjustment", "1.5", "--yes", "-o", "json")
	for _, f := range [][2]string{{"--home", c.Home}, {"--node", c.Node}, {"--keyring-backend", c.KeyringBackend}, {"--chain-id", c.ChainID}} {
		if f[1] != "" {
			full = append(full, f[0], f[1])
		}
	}
	cmd := exec.CommandContext(ctx, bin, full...)
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
	if err := json.Unmarshal(lastJSONLine(stdout.Bytes()), &br); err != nil {
		return nil, fmt.Errorf("decode broadcast result of tx %s: %w: %s", strings.Join(args, " "), err, stdout.String())
	}
	if br.Code != 0 {
		return nil, fmt.Errorf("tx %s rejected (code %d): %s", strings.Join(args, " "), br.Code, br.RawLog)
	}
	return c.WaitTx(ctx, br.TxHash, txWait)
}

// WaitTx waits until the transaction hash is in a block (at most timeout, or
// until ctx ends) and returns its result; a non-zero code is returned as an
// error too.
func (c *Client) WaitTx(ctx context.Context, hash string, timeout time.Duration) (*TxResult, error) {
	raw, err := hex.DecodeString(hash)
	if err != nil {
		return nil, fmt.Errorf("bad tx hash %q: %w", hash, err)
	}
	rpc, err := c.rpcClient()
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		res, err := rpc.Tx(ctx, raw, false)
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
			return nil, fmt.Errorf("tx %s not included before the deadline (last error: %v): %w", hash, err, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Attr returns an event attribute of a transaction result as an unsigned
// integer, for ids the chain assigns (orders, leases).
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

// Address returns the bech32 address of the client's key, read through the
// hyphad binary so every keyring backend works.
func (c *Client) Address(ctx context.Context) (string, error) {
	bin, err := c.bin()
	if err != nil {
		return "", err
	}
	args := []string{"keys", "show", c.From, "-a"}
	if c.Home != "" {
		args = append(args, "--home", c.Home)
	}
	if c.KeyringBackend != "" {
		args = append(args, "--keyring-backend", c.KeyringBackend)
	}
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("key %q in %s: %s (create it with `hyphad keys add`)", c.From, c.Home, strings.TrimSpace(string(ee.Stderr)))
		}
		return "", fmt.Errorf("key %q: %w", c.From, err)
	}
	return strings.TrimSpace(string(out)), nil
}

// lastJSONLine returns the last line of out that starts a JSON object: the CLI
// may print a gas estimate first.
func lastJSONLine(out []byte) []byte {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		if bytes.HasPrefix(bytes.TrimSpace(lines[i]), []byte("{")) {
			return lines[i]
		}
	}
	return out
}
