package chainclient

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Subnet queries, for the subnet agents. They go through the node's REST API
// because the subnet module renders its metagraph views as JSON there.

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
