// Package demo runs the agents `hyphad devnet` starts besides the chain: a
// provider agent that accepts deployments, and a demo "digits" classification
// subnet with three miners serving models of different quality (untrained,
// briefly trained, well trained), one validator scoring them and a gateway
// routing consumer queries to the best of them — a working compute market and
// intelligence market with no setup.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sync/errgroup"

	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/subnet"
	"github.com/hypha-network/hypha/agent/subnet/gateway"
	"github.com/hypha-network/hypha/agent/subnet/miner"
	"github.com/hypha-network/hypha/agent/subnet/validator"
	"github.com/hypha-network/hypha/client/broadcast"
	examples "github.com/hypha-network/hypha/examples/ml"
	"github.com/hypha-network/hypha/ml/train"
	subnettypes "github.com/hypha-network/hypha/x/subnet/types"
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
	// Node is the devnet's CometBFT RPC address.
	Node string
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
	conn := func(key string) chainclient.Config {
		return chainclient.Config{Home: o.Home, KeyringBackend: "test", Key: key, Node: o.Node}
	}
	client, err := chainclient.New(conn(Owner))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := client.WaitReady(ctx); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
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
		return subnet.Chain{Config: conn(key), Netuid: netuid}
	}
	gw, err := client.As(Gateway)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	gatewayAddr := gw.Address()

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
	gcfg := gateway.Config{Chain: chain(Gateway), Task: "classify", Data: spec, Listen: "127.0.0.1:" + strconv.Itoa(o.GatewayPort)}
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
// registering and staking its validator if that was not done yet. c signs as
// the subnet owner.
func ensureSubnet(ctx context.Context, c *chainclient.Client, out io.Writer) (uint32, error) {
	netuid, err := findSubnet(ctx, c)
	if err != nil {
		return 0, err
	}
	if netuid == 0 {
		fmt.Fprintf(out, "Demo: creating subnet %s\n", SubnetName)
		params, err := c.SubnetParams(ctx)
		if err != nil {
			return 0, fmt.Errorf("demo: subnet params: %w", err)
		}
		hp := params.DefaultHyperparams
		hp.Tempo, hp.WeightsRateLimit, hp.ImmunityPeriod = Tempo, 0, 1000
		res, err := c.Broadcast(ctx, &subnettypes.MsgCreateSubnet{Owner: c.Address(), Name: SubnetName,
			MaxLock: 1_000_000_000_000, Hyperparams: &hp})
		if err != nil {
			return 0, fmt.Errorf("demo: create subnet: %w", err)
		}
		created, err := broadcast.Response[*subnettypes.MsgCreateSubnetResponse](res, 0)
		if err != nil {
			return 0, fmt.Errorf("demo: create subnet: %w", err)
		}
		netuid = created.Netuid
	}
	v, err := c.As(Validator)
	if err != nil {
		return 0, fmt.Errorf("demo: %w", err)
	}
	n, err := c.FindNeuron(ctx, netuid, v.Address())
	if errors.Is(err, chainclient.ErrNotFound) {
		if _, err := v.Broadcast(ctx, &subnettypes.MsgRegister{Hotkey: v.Address(), Netuid: netuid, MaxBurn: 100_000_000}); err != nil {
			return 0, fmt.Errorf("demo: register validator: %w", err)
		}
		n, err = c.FindNeuron(ctx, netuid, v.Address())
	}
	if err != nil {
		return 0, fmt.Errorf("demo: validator neuron: %w", err)
	}
	if n.Stake == 0 {
		if _, err := c.Broadcast(ctx, &subnettypes.MsgAddStake{Staker: c.Address(), Netuid: netuid, Hotkey: v.Address(), Amount: ValidatorStake}); err != nil {
			return 0, fmt.Errorf("demo: stake on validator: %w", err)
		}
	}
	return netuid, nil
}

// findSubnet returns the netuid of the demo subnet, or 0 if there is none.
func findSubnet(ctx context.Context, c *chainclient.Client) (uint32, error) {
	subnets, err := c.Subnets(ctx)
	if err != nil {
		return 0, fmt.Errorf("demo: list subnets: %w", err)
	}
	for _, s := range subnets {
		if s.Name == SubnetName {
			return s.Netuid, nil
		}
	}
	return 0, nil
}
