package e2e_test

import (
	"strings"
	"testing"

	errorsmod "cosmossdk.io/errors"

	"github.com/hypha-network/hypha/testutil/e2e"
	"github.com/hypha-network/hypha/x/subnet/types"
)

type metagraph struct {
	LastEpochHeight string `json:"last_epoch_height"`
	Neurons         []struct {
		UID             uint32 `json:"uid"`
		Hotkey          string `json:"hotkey"`
		Incentive       string `json:"incentive"`
		Dividends       string `json:"dividends"`
		ValidatorPermit bool   `json:"validator_permit"`
		Emission        string `json:"emission"`
		TotalEmission   string `json:"total_emission"`
	} `json:"neurons"`
}

// TestSubnetIncentivesFollowWeights runs a subnet through the CLI: a validator
// commits and reveals weights favouring miner 3 > 2 > 1, and after two tempos
// the miners' incentives, emissions and balances follow that order.
func TestSubnetIncentivesFollowWeights(t *testing.T) {
	d := e2e.StartDevnet(t)
	res := mustTx(t, d, "subnet", "create-subnet", "demo", "--max-lock", "1000000000", "--tempo", "10",
		"--weights-rate-limit", "0", "--from", "alice")
	netuid, ok := res.Attr("subnet_created", "netuid")
	if !ok {
		t.Fatalf("no subnet_created event in %+v", res.Events)
	}
	miners := []string{"carol", "provider1", "provider2"}
	for _, key := range append([]string{"bob"}, miners...) {
		mustTx(t, d, "subnet", "register", netuid, "--max-burn", "100000000", "--axon", "http://127.0.0.1:9000", "--from", key)
	}
	bob := d.Address(t, "bob")
	mustTx(t, d, "subnet", "add-stake", netuid, bob, "10000000000uhyp", "--from", "alice")

	weights := []string{"--uids", "1,2,3", "--weights", "1,2,4"}
	commit := mustTx(t, d, append([]string{"subnet", "commit-weights", netuid, "--salt", "c0ffee", "--from", "bob"}, weights...)...)
	start, _ := commit.Attr("weights_committed", "reveal_start")

	// A key that is not registered cannot commit weights.
	if _, err := d.TryTx(append([]string{"subnet", "commit-weights", netuid, "--salt", "01", "--from", "validator"}, weights...)...); err == nil ||
		!strings.Contains(err.Error(), "not registered") {
		t.Fatalf("commit from an unregistered key: got %v, want a not-registered error", err)
	}

	d.WaitHeight(t, atoi(t, start))
	// Revealing with the wrong salt fails and changes nothing.
	if _, err := d.TryTx(append([]string{"subnet", "reveal-weights", netuid, "--salt", "bad0", "--from", "bob"}, weights...)...); err == nil ||
		!strings.Contains(err.Error(), "do not match the commit") {
		t.Fatalf("reveal with a wrong salt: got %v, want a hash mismatch", err)
	}
	mustTx(t, d, append([]string{"subnet", "reveal-weights", netuid, "--salt", "c0ffee", "--from", "bob"}, weights...)...)

	before := map[string]int64{}
	for _, key := range miners {
		before[key] = balance(t, d, d.Address(t, key))
	}
	d.WaitHeight(t, d.Height(t)+2*11+2)

	var mg metagraph
	d.QueryJSON(t, &mg, "q", "subnet", "metagraph", netuid)
	if len(mg.Neurons) != 4 {
		t.Fatalf("metagraph has %d neurons, want 4", len(mg.Neurons))
	}
	inc := func(uid int) string { return mg.Neurons[uid].Incentive }
	if !(inc(3) > inc(2) && inc(2) > inc(1) && inc(1) > "0.000000000") {
		t.Fatalf("incentives %s, %s, %s: want miner 3 > 2 > 1 > 0", inc(1), inc(2), inc(3))
	}
	if !mg.Neurons[0].ValidatorPermit || mg.Neurons[0].Dividends == "0.000000000" {
		t.Fatalf("validator: permit %v dividends %s", mg.Neurons[0].ValidatorPermit, mg.Neurons[0].Dividends)
	}
	em := func(uid int) int64 { return atoi(t, mg.Neurons[uid].TotalEmission) }
	if !(em(3) > em(2) && em(2) > em(1) && em(1) > 0) {
		t.Fatalf("total emissions %d, %d, %d: want miner 3 > 2 > 1 > 0", em(1), em(2), em(3))
	}
	gain := func(i int) int64 { return balance(t, d, d.Address(t, miners[i])) - before[miners[i]] }
	if g1, g2, g3 := gain(0), gain(1), gain(2); !(g3 > g2 && g2 > g1 && g1 > 0) {
		t.Fatalf("balance gains %d, %d, %d: want miner 3 > 2 > 1 > 0", g1, g2, g3)
	}
}

// TestSubnetRejectionsCarryRegisteredCodes sends subnet transactions the chain
// rejects. Simulated (--gas auto), the CLI refuses with the keeper's message;
// broadcast with a fixed gas, the transaction is included and fails, and its
// result read back from the chain carries codespace subnet and the registered
// code, not "undefined" code 1.
func TestSubnetRejectionsCarryRegisteredCodes(t *testing.T) {
	d := e2e.StartDevnet(t)
	if _, err := d.TryTx("subnet", "register", "999", "--max-burn", "100000000", "--from", "bob"); err == nil ||
		!strings.Contains(err.Error(), "subnet 999 does not exist") {
		t.Fatalf("simulated register on a missing subnet: got %v, want a subnet-not-found message", err)
	}
	res := mustTx(t, d, "subnet", "create-subnet", "codes", "--max-lock", "1000000000", "--from", "alice")
	netuid, ok := res.Attr(types.EventSubnetCreated, types.AttributeNetuid)
	if !ok {
		t.Fatalf("no %s event in %+v", types.EventSubnetCreated, res.Events)
	}
	for _, tc := range []struct {
		name string
		args []string
		want *errorsmod.Error
	}{
		{"register on a missing subnet", []string{"subnet", "register", "999", "--max-burn", "100000000", "--from", "bob"}, types.ErrSubnetNotFound},
		{"max-burn below the price", []string{"subnet", "register", netuid, "--max-burn", "1", "--from", "bob"}, types.ErrBurnTooHigh},
	} {
		res := d.Tx(t, append(tc.args, "--gas", "300000")...)
		if res.Height == 0 {
			t.Errorf("%s: rejected before a block (code %d: %s), want included and failed", tc.name, res.Code, res.RawLog)
			continue
		}
		if res.Codespace != types.ModuleName || res.Code != tc.want.ABCICode() {
			t.Errorf("%s: codespace %q code %d (%s), want %q %d", tc.name, res.Codespace, res.Code, res.RawLog,
				types.ModuleName, tc.want.ABCICode())
		}
		if !strings.Contains(res.RawLog, tc.want.Error()) {
			t.Errorf("%s: log %q does not name %q", tc.name, res.RawLog, tc.want.Error())
		}
	}
	// Neither failure registered bob.
	if _, err := d.TryCLI("q", "subnet", "neuron", netuid, d.Address(t, "bob"), "-o", "json"); err == nil {
		t.Fatal("bob is registered after two failed registrations")
	}
}
