// Package cmd provides the `hyphad miner`, `hyphad validator` and
// `hyphad gateway` command groups.
package cmd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/agent/subnet"
	"github.com/hypha-network/hypha/agent/subnet/gateway"
	"github.com/hypha-network/hypha/agent/subnet/miner"
	"github.com/hypha-network/hypha/agent/subnet/validator"
)

// group returns a command group whose subcommands need no node home: it
// replaces the root's config interception.
func group(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:               use,
		Short:             short,
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE:              func(c *cobra.Command, _ []string) error { return c.Help() },
	}
}

// runCmd builds a `run --config FILE` command that decodes cfg and calls run
// until SIGINT or SIGTERM. A --home flag given on the command line overrides
// the config's home.
func runCmd(short, example string, cfg any, chain *subnet.Chain, run func(ctx context.Context, log *slog.Logger) error) *cobra.Command {
	c := &cobra.Command{
		Use:     "run --config FILE",
		Short:   short,
		Example: example,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			path, _ := c.Flags().GetString("config")
			if path == "" {
				return fmt.Errorf("--config is required (see docs/subnet-agents.md for the fields)")
			}
			if err := subnet.LoadYAML(path, cfg); err != nil {
				return err
			}
			if f := c.Flags().Lookup("home"); f != nil && f.Changed {
				chain.Home = f.Value.String()
			}
			level := slog.LevelInfo
			if v, _ := c.Flags().GetBool("verbose"); v {
				level = slog.LevelDebug
			}
			log := slog.New(slog.NewTextHandler(c.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			ctx, stop := signal.NotifyContext(c.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return run(ctx, log)
		},
	}
	c.Flags().String("config", "", "YAML config file")
	c.Flags().Bool("verbose", false, "log every scored call and request")
	return c
}

// MinerCommand returns `miner` with `run`: register on a subnet and serve a model.
func MinerCommand() *cobra.Command {
	g := group("miner", "Subnet miner: serve a model to the subnet's validators")
	var cfg miner.Config
	g.AddCommand(runCmd("Register the hotkey on the subnet (if needed) and serve the model at the axon",
		"  hyphad miner run --config miner.yaml", &cfg, &cfg.Chain,
		func(ctx context.Context, log *slog.Logger) error { return miner.Run(ctx, cfg, log) }))
	return g
}

// ValidatorCommand returns `validator` with `run`: score miners and set weights.
func ValidatorCommand() *cobra.Command {
	g := group("validator", "Subnet validator: score miners and commit-reveal weights")
	var cfg validator.Config
	g.AddCommand(runCmd("Query every miner each round, keep score averages, commit and reveal weights each tempo",
		"  hyphad validator run --config validator.yaml", &cfg, &cfg.Chain,
		func(ctx context.Context, log *slog.Logger) error { return validator.Run(ctx, cfg, log) }))
	return g
}

// GatewayCommand returns `gateway` with `run`: a consumer endpoint for a subnet.
func GatewayCommand() *cobra.Command {
	g := group("gateway", "Subnet gateway: route consumer queries to the best miners")
	var cfg gateway.Config
	g.AddCommand(runCmd("Serve POST /v1/subnets/NETUID/query, answered by the top miners by incentive",
		"  hyphad gateway run --config gateway.yaml", &cfg, &cfg.Chain,
		func(ctx context.Context, log *slog.Logger) error { return gateway.Run(ctx, cfg, log) }))
	return g
}
