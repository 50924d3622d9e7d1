// Package chainclient is the small chain client the Hypha agents share: it
// reads subnet state from a node's REST API and sends signed transactions by
// running the hyphad binary's own `tx` commands against a home directory
// (keyring and client.toml), then waits for them to be included.
package chainclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound reports a REST query for something that does not exist (HTTP 404,
// or a gRPC NotFound carried in the body).
var ErrNotFound = errors.New("chainclient: not found")

// Client talks to one node.
type Client struct {
	// API is the node's REST endpoint, e.g. http://127.0.0.1:1317.
	API string
	// Bin is the hyphad binary used for transactions; empty means this process's
	// own executable.
	Bin string
	// Home is the hyphad home holding the keyring and client.toml.
	Home string
	// Node optionally overrides the CometBFT RPC address from client.toml.
	Node string
	// KeyringBackend optionally overrides the keyring backend from client.toml.
	KeyringBackend string
	// HTTP is the client for REST calls; nil means one with a 10 s timeout.
	HTTP *http.Client
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// Uint is a uint64 that decodes from a JSON number or a decimal string (the
// Cosmos REST encoding of 64-bit integers).
type Uint uint64

// UnmarshalJSON implements json.Unmarshaler.
func (u *Uint) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*u = 0
		return nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("chainclient: not an unsigned integer: %s", b)
	}
	*u = Uint(n)
	return nil
}

// Int is an int64 that decodes from a JSON number or a decimal string.
type Int int64

// UnmarshalJSON implements json.Unmarshaler.
func (i *Int) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*i = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("chainclient: not an integer: %s", b)
	}
	*i = Int(n)
	return nil
}

// Dec is a decimal fraction such as "0.250000000", decoded to a float64 for
// off-chain ranking (never used in state-machine code).
type Dec float64

// UnmarshalJSON implements json.Unmarshaler.
func (d *Dec) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*d = 0
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("chainclient: not a decimal: %s", b)
	}
	*d = Dec(f)
	return nil
}

// Neuron is one uid of a subnet's metagraph.
type Neuron struct {
	UID             uint32 `json:"uid"`
	Hotkey          string `json:"hotkey"`
	Axon            string `json:"axon"`
	Stake           Uint   `json:"stake"`
	ValidatorPermit bool   `json:"validator_permit"`
	Incentive       Dec    `json:"incentive"`
	Dividends       Dec    `json:"dividends"`
	Emission        Uint   `json:"emission"`
	TotalEmission   Uint   `json:"total_emission"`
}

// Metagraph is a subnet's neurons at a height.
type Metagraph struct {
	Netuid          uint32   `json:"netuid"`
	Height          Int      `json:"height"`
	LastEpochHeight Int      `json:"last_epoch_height"`
	Neurons         []Neuron `json:"neurons"`
}

// WeightCommit is a validator's pending weight commitment.
type WeightCommit struct {
	CommitHeight Int `json:"commit_height"`
	RevealStart  Int `json:"reveal_start"`
	RevealEnd    Int `json:"reveal_end"`
}

// RevealWindow is the answer of the reveal-window query.
type RevealWindow struct {
	Height                    Int           `json:"height"`
	RevealStartIfCommittedNow Int           `json:"reveal_start_if_committed_now"`
	RevealEndIfCommittedNow   Int           `json:"reveal_end_if_committed_now"`
	Pending                   *WeightCommit `json:"pending"`
}

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

// Metagraph returns the subnet's neurons.
func (c *Client) Metagraph(ctx context.Context, netuid uint32) (*Metagraph, error) {
	var mg Metagraph
	if err := c.getJSON(ctx, fmt.Sprintf("/hypha/subnet/v1/subnets/%d/metagraph", netuid), &mg); err != nil {
		return nil, err
	}
	return &mg, nil
}

// RevealWindow returns when weights committed now could be revealed and the
// hotkey's pending commit, if any.
func (c *Client) RevealWindow(ctx context.Context, netuid uint32, hotkey string) (*RevealWindow, error) {
	var rw RevealWindow
	if err := c.getJSON(ctx, fmt.Sprintf("/hypha/subnet/v1/subnets/%d/reveal_window?hotkey=%s", netuid, hotkey), &rw); err != nil {
		return nil, err
	}
	return &rw, nil
}

// FindNeuron returns the hotkey's neuron on the subnet, or ErrNotFound.
func (c *Client) FindNeuron(ctx context.Context, netuid uint32, hotkey string) (*Neuron, error) {
	mg, err := c.Metagraph(ctx, netuid)
	if err != nil {
		return nil, err
	}
	for i := range mg.Neurons {
		if mg.Neurons[i].Hotkey == hotkey {
			return &mg.Neurons[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %s is not registered on subnet %d", ErrNotFound, hotkey, netuid)
}

// TxResult is an included transaction's outcome.
type TxResult struct {
	Hash   string
	Height int64
	Code   uint32
	RawLog string
}

// Tx signs and broadcasts `hyphad tx ARGS... --from FROM`, waits up to timeout
// for it to be included, and returns an error if it failed at any stage.
func (c *Client) Tx(ctx context.Context, from string, timeout time.Duration, args ...string) (TxResult, error) {
	bin := c.Bin
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return TxResult{}, fmt.Errorf("chainclient: find the hyphad binary: %w", err)
		}
		bin = exe
	}
	full := append([]string{"tx"}, args...)
	full = append(full, "--from", from, "--yes", "-o", "json", "--gas", "auto", "--gas-adjustment", "1.5")
	if c.Home != "" {
		full = append(full, "--home", c.Home)
	}
	if c.Node != "" {
		full = append(full, "--node", c.Node)
	}
	if c.KeyringBackend != "" {
		full = append(full, "--keyring-backend", c.KeyringBackend)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return TxResult{}, fmt.Errorf("chainclient: hyphad tx %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	var br struct {
		TxHash string `json:"txhash"`
		Code   uint32 `json:"code"`
		RawLog string `json:"raw_log"`
	}
	if err := json.Unmarshal(lastJSONLine(stdout.Bytes()), &br); err != nil {
		return TxResult{}, fmt.Errorf("chainclient: decode broadcast result of tx %s: %w: %s", args[0], err, stdout.Bytes())
	}
	if br.Code != 0 {
		return TxResult{Hash: br.TxHash, Code: br.Code, RawLog: br.RawLog}, fmt.Errorf("chainclient: tx %s rejected: code %d: %s", strings.Join(args, " "), br.Code, br.RawLog)
	}
	return c.WaitTx(ctx, br.TxHash)
}

// WaitTx polls the REST API until the transaction is in a block and returns
// its result; a non-zero code is returned as an error too.
func (c *Client) WaitTx(ctx context.Context, hash string) (TxResult, error) {
	for {
		var res struct {
			TxResponse struct {
				Height Int    `json:"height"`
				Code   uint32 `json:"code"`
				RawLog string `json:"raw_log"`
			} `json:"tx_response"`
		}
		err := c.getJSON(ctx, "/cosmos/tx/v1beta1/txs/"+hash, &res)
		if err == nil {
			r := TxResult{Hash: hash, Height: int64(res.TxResponse.Height), Code: res.TxResponse.Code, RawLog: res.TxResponse.RawLog}
			if r.Code != 0 {
				return r, fmt.Errorf("chainclient: tx %s failed in block %d: code %d: %s", hash, r.Height, r.Code, r.RawLog)
			}
			return r, nil
		}
		select {
		case <-ctx.Done():
			return TxResult{Hash: hash}, fmt.Errorf("chainclient: tx %s not included before the deadline (last error: %v)", hash, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
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
