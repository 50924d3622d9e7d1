// Package demo runs the agents `hyphad devnet` starts besides the chain: a
// provider agent that accepts deployments, and a demo "digits" classification
// subnet with three miners serving models of different quality (untrained,
// briefly trained, well trained), one validator scoring them and a gateway
// routing consumer queries to the best of them — a working compute market and
// intelligence market with no setup.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sync/errgroup"

	"github.com/hypha-network/hypha/agent/auth"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/subnet"
	"github.com/hypha-network/hypha/agent/subnet/gateway"
	"github.com/hypha-network/hypha/agent/subnet/miner"
	"github.com/hypha-network/hypha/agent/subnet/validator"
	examples "github.com/hypha-network/hypha/examples/ml"
	"github.com/hypha-network/hypha/ml/train"
)

const (
	// SubnetName names the demo subnet on chain.
	SubnetName = "demo-digits"
	// Owner creates the subnet and stakes on the validator.
	Owner = "alice"
	// Validator is the validator's hotkey.
	Validator = "bob"
	// Gateway is the key the gateway signs miner queries with.
	Gateway = "alice"
	// Tempo is the demo subnet's epoch length in blocks.
	Tempo = 20
	// ValidatorStake is what the owner stakes on the validator: 10,000 HYP.
	ValidatorStake = 10_000_000_000
)

// Miners are the demo miners' keys and the training steps of the model each serves.
var Miners = []struct {
	Key   string
	Steps uint64
}{{"miner1", 0}, {"miner2", 30}, {"miner3", 600}}

// Options locate the devnet and choose the demo's ports.
type Options struct {
	// Home is the devnet home (keyring, client config); the demo keeps its
	// models and logs in Home/demo.
	Home string
	// API is the devnet's REST endpoint.
	API string
	// GatewayPort is the gateway's port on 127.0.0.1; miners listen on the
	// three ports after it.
	GatewayPort int
	// Out receives progress lines.
	Out io.Writer
}

// Run sets up the demo subnet on first use (training the models, creating the
// subnet, registering and staking the validator) and runs its agents until ctx
// ends. The agents log to Home/demo/agents.log.
func Run(ctx context.Context, o Options) error {
	dir := filepath.Join(o.Home, "demo")
	spec, err := writeExamples(dir)
	if err != nil {
		return err
	}
	models := make([]string, len(Miners))
	for i, m := range Miners {
		if models[i], err = trainModel(dir, spec, m.Steps, o.Out); err != nil {
			return err
		}
	}
	client := &chainclient.Client{API: o.API, Home: o.Home, KeyringBackend: "test"}
	netuid, err := ensureSubnet(ctx, client, o.Out)
	if err != nil {
		return err
	}

	logf, err := os.OpenFile(filepath.Join(dir, "agents.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("demo: open agent log: %w", err)
	}
	defer logf.Close()
	log := slog.New(slog.NewTextHandler(logf, nil))
	chain := func(key string) subnet.Chain {
		return subnet.Chain{Home: o.Home, KeyringBackend: "test", Key: key, API: o.API, Netuid: netuid}
	}
	gatewayAddr, err := keyAddress(ctx, client, Gateway)
	if err != nil {
		return err
	}

	g, ctx := errgroup.WithContext(ctx)
	for i, m := range Miners {
		cfg := miner.Config{Chain: chain(m.Key), Task: "classify", Model: models[i],
			Listen: "127.0.0.1:" + strconv.Itoa(o.GatewayPort+1+i), Gateways: []string{gatewayAddr}}
		g.Go(func() error {
			return agentErr("miner "+cfg.Key, miner.Run(ctx, cfg, log.With("agent", "miner", "key", cfg.Key)))
		})
	}
	vcfg := validator.Config{Chain: chain(Validator), Task: "classify", Data: spec}
	g.Go(func() error { return agentErr("validator", validator.Run(ctx, vcfg, log.With("agent", "validator"))) })
	gcfg := gateway.Config{Chain: chain(Gateway), Listen: "127.0.0.1:" + strconv.Itoa(o.GatewayPort)}
	g.Go(func() error { return agentErr("gateway", gateway.Run(ctx, gcfg, log.With("agent", "gateway"))) })
	fmt.Fprintf(o.Out, "Demo subnet %d (%s): 3 miners on ports %d-%d, validator %s, gateway http://127.0.0.1:%d (log %s)\n",
		netuid, SubnetName, o.GatewayPort+1, o.GatewayPort+len(Miners), Validator, o.GatewayPort, logf.Name())
	return g.Wait()
}

func agentErr(name string, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	return fmt.Errorf("demo %s: %w", name, err)
}

// writeExamples copies the embedded digits spec and data into dir, once.
func writeExamples(dir string) (string, error) {
	for _, name := range []string{"digits-mlp.yaml", "data/digits.csv.gz"} {
		dst := filepath.Join(dir, name)
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		b, err := fs.ReadFile(examples.FS, name)
		if err != nil {
			return "", fmt.Errorf("demo: embedded %s: %w", name, err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", fmt.Errorf("demo: %w", err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return "", fmt.Errorf("demo: write %s: %w", dst, err)
		}
	}
	return filepath.Join(dir, "digits-mlp.yaml"), nil
}

// trainModel trains the digits MLP for steps into dir/models, unless a
// checkpoint is already there, and returns the checkpoint directory.
func trainModel(dir, spec string, steps uint64, out io.Writer) (string, error) {
	ckpt := filepath.Join(dir, "models", fmt.Sprintf("digits-%d", steps))
	if _, err := os.Stat(filepath.Join(ckpt, "state.ckpt")); err == nil {
		return ckpt, nil
	}
	s, err := train.LoadSpec(spec)
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	tr, err := train.New(s, s.Seed)
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	if err := tr.StepTo(steps); err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	if err := tr.Save(ckpt); err != nil {
		return "", fmt.Errorf("demo: save model: %w", err)
	}
	fmt.Fprintf(out, "Demo: trained a digits model for %d steps\n", steps)
	return ckpt, nil
}

// ensureSubnet returns the demo subnet's netuid, creating the subnet and
// registering and staking its validator if that was not done yet.
func ensureSubnet(ctx context.Context, c *chainclient.Client, out io.Writer) (uint32, error) {
	netuid, err := findSubnet(ctx, c.API)
	if err != nil {
		return 0, err
	}
	if netuid == 0 {
		fmt.Fprintf(out, "Demo: creating subnet %s\n", SubnetName)
		if _, err := c.As(Owner).Tx(ctx, "subnet", "create-subnet", SubnetName, "--max-lock", "1000000000000",
			"--tempo", strconv.Itoa(Tempo), "--weights-rate-limit", "0", "--immunity-period", "1000"); err != nil {
			return 0, fmt.Errorf("demo: create subnet: %w", err)
		}
		if netuid, err = findSubnet(ctx, c.API); err != nil || netuid == 0 {
			return 0, fmt.Errorf("demo: subnet %s not found after creation: %v", SubnetName, err)
		}
	}
	id := strconv.FormatUint(uint64(netuid), 10)
	bob, err := keyAddress(ctx, c, Validator)
	if err != nil {
		return 0, err
	}
	n, err := c.FindNeuron(ctx, netuid, bob)
	if errors.Is(err, chainclient.ErrNotFound) {
		if _, err := c.As(Validator).Tx(ctx, "subnet", "register", id, "--max-burn", "100000000"); err != nil {
			return 0, fmt.Errorf("demo: register validator: %w", err)
		}
		n, err = c.FindNeuron(ctx, netuid, bob)
	}
	if err != nil {
		return 0, fmt.Errorf("demo: validator neuron: %w", err)
	}
	if uint64(n.Stake) == 0 {
		if _, err := c.As(Owner).Tx(ctx, "subnet", "add-stake", id, bob, strconv.Itoa(ValidatorStake)+"uhyp"); err != nil {
			return 0, fmt.Errorf("demo: stake on validator: %w", err)
		}
	}
	return netuid, nil
}

// findSubnet returns the netuid of the demo subnet, or 0 if there is none.
func findSubnet(ctx context.Context, api string) (uint32, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+"/hypha/subnet/v1/subnets?pagination.limit=1000", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("demo: list subnets: %w", err)
	}
	defer resp.Body.Close()
	var res struct {
		Subnets []struct {
			Netuid chainclient.Uint `json:"netuid"`
			Name   string           `json:"name"`
		} `json:"subnets"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return 0, fmt.Errorf("demo: list subnets: %w", err)
	}
	for _, s := range res.Subnets {
		if s.Name == SubnetName {
			return uint32(s.Netuid), nil
		}
	}
	return 0, nil
}

// keyAddress returns the address of a key in the devnet keyring.
func keyAddress(_ context.Context, c *chainclient.Client, name string) (string, error) {
	kr, err := auth.OpenKeyring(c.Home, "test")
	if err != nil {
		return "", err
	}
	rec, err := kr.Key(name)
	if err != nil {
		return "", fmt.Errorf("demo: key %s: %w", name, err)
	}
	addr, err := rec.GetAddress()
	if err != nil {
		return "", fmt.Errorf("demo: key %s: %w", name, err)
	}
	return addr.String(), nil
}
