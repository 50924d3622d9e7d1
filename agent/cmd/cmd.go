// Package cmd wires every agent's command line in one place: Commands returns
// the `hyphad provider`, `deploy`, `lease`, `miner`, `validator`,
// `gateway`, `solver` and `auditor` commands, and each long-running agent gets the same
// `run --config FILE` (YAML config, --home override, logging, stop on SIGINT
// or SIGTERM) from runCmd.
package cmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/agent/auditor"
	"github.com/hypha-network/hypha/agent/provider"
	"github.com/hypha-network/hypha/agent/solver"
	"github.com/hypha-network/hypha/agent/subnet"
	"github.com/hypha-network/hypha/agent/subnet/gateway"
	"github.com/hypha-network/hypha/agent/subnet/miner"
	"github.com/hypha-network/hypha/agent/subnet/validator"
	"github.com/hypha-network/hypha/agent/tenant"
)

// Commands returns the agent commands hyphad adds to its root.
func Commands() []*cobra.Command {
	return []*cobra.Command{
		ProviderCommand(),
		tenant.DeployCommand(),
		tenant.LeaseCommand(),
		MinerCommand(),
		ValidatorCommand(),
		GatewayCommand(),
		SolverCommand(),
		AuditorCommand(),
	}
}

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

// agentRun describes one agent's `run --config FILE` command.
type agentRun struct {
	short, example string
	// defaultConfig is the --config default; empty makes --config required.
	defaultConfig string
	// docs names the page describing the config fields.
	docs string
	// load decodes (and may validate) the config file.
	load func(path string) error
	// home is the loaded config's chain home, which a --home on the command
	// line overrides; nil if the agent validates its chain section while
	// loading, so a --home given is refused rather than ignored.
	home func() *string
	// verbose is the --verbose flag's help; empty for an agent without it.
	verbose string
	// run runs the agent until ctx ends; log is a text logger on stderr.
	run func(ctx context.Context, log *slog.Logger, stderr io.Writer) error
}

// runCmd builds the `run --config FILE` command of a.
func runCmd(a agentRun) *cobra.Command {
	c := &cobra.Command{
		Use:     "run --config FILE",
		Short:   a.short,
		Example: a.example,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			path, _ := c.Flags().GetString("config")
			if path == "" {
				return fmt.Errorf("--config is required (see %s for the fields)", a.docs)
			}
			home := c.Flags().Lookup("home")
			if home != nil && home.Changed && a.home == nil {
				return fmt.Errorf("--home is not applied to this agent's config: set chain.home in %s", path)
			}
			if err := a.load(path); err != nil {
				return err
			}
			if home != nil && home.Changed {
				*a.home() = home.Value.String()
			}
			level := slog.LevelInfo
			if v, _ := c.Flags().GetBool("verbose"); v {
				level = slog.LevelDebug
			}
			log := slog.New(slog.NewTextHandler(c.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			parent := c.Context()
			if parent == nil {
				parent = context.Background()
			}
			ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
			defer stop()
			return a.run(ctx, log, c.ErrOrStderr())
		},
	}
	c.Flags().String("config", a.defaultConfig, "YAML config file")
	if a.verbose != "" {
		c.Flags().Bool("verbose", false, a.verbose)
	}
	return c
}

// ProviderCommand returns `provider` with `run`: rent out this machine on the compute market.
func ProviderCommand() *cobra.Command {
	g := group("provider", "Provider agent: rent out this machine on the Hypha compute market")
	var cfg *provider.Config
	g.AddCommand(runCmd(agentRun{
		short:         "Register the provider, bid on orders, run leased workloads (see docs/provider.md)",
		example:       "  hyphad provider run --config provider.yaml",
		defaultConfig: "provider.yaml",
		docs:          "docs/provider.md",
		load:          func(path string) (err error) { cfg, err = provider.LoadConfig(path); return err },
		run: func(ctx context.Context, _ *slog.Logger, stderr io.Writer) error {
			a, err := provider.New(ctx, cfg, stderr)
			if err != nil {
				return err
			}
			return a.Run(ctx)
		},
	}))
	return g
}

// subnetAgent returns the `use` group of a subnet agent with its `run`;
// cfg is the agent's YAML config, which embeds chain.
func subnetAgent(use, short, runShort string, cfg any, chain *subnet.Chain, run func(ctx context.Context, log *slog.Logger) error) *cobra.Command {
	g := group(use, short)
	g.AddCommand(runCmd(agentRun{
		short: runShort, example: "  hyphad " + use + " run --config " + use + ".yaml", docs: "docs/subnet-agents.md",
		load:    func(path string) error { return subnet.LoadYAML(path, cfg) },
		home:    func() *string { return &chain.Home },
		verbose: "log every scored call and request",
		run:     func(ctx context.Context, log *slog.Logger, _ io.Writer) error { return run(ctx, log) },
	}))
	return g
}

// MinerCommand returns `miner` with `run`: register on a subnet and serve a model.
func MinerCommand() *cobra.Command {
	var cfg miner.Config
	return subnetAgent("miner", "Subnet miner: serve a model to the subnet's validators",
		"Register the hotkey on the subnet (if needed) and serve the model at the axon", &cfg, &cfg.Chain,
		func(ctx context.Context, log *slog.Logger) error { return miner.Run(ctx, cfg, log) })
}

// ValidatorCommand returns `validator` with `run`: score miners and set weights.
func ValidatorCommand() *cobra.Command {
	var cfg validator.Config
	return subnetAgent("validator", "Subnet validator: score miners and commit-reveal weights",
		"Query every miner each round, keep score averages, commit and reveal weights each tempo", &cfg, &cfg.Chain,
		func(ctx context.Context, log *slog.Logger) error { return validator.Run(ctx, cfg, log) })
}

// GatewayCommand returns `gateway` with `run`: a consumer endpoint for a subnet.
func GatewayCommand() *cobra.Command {
	var cfg gateway.Config
	return subnetAgent("gateway", "Subnet gateway: route consumer queries to the best miners",
		"Serve POST /v1/subnets/NETUID/query, answered by the top miners by incentive", &cfg, &cfg.Chain,
		func(ctx context.Context, log *slog.Logger) error { return gateway.Run(ctx, cfg, log) })
}

// SolverCommand returns `solver` with `run`: claim training jobs, train, post commitments.
func SolverCommand() *cobra.Command {
	g := group("solver", "Solver agent: claim x/jobs training jobs, train with CE-v1, post checkpoint commitments")
	var cfg *solver.Config
	g.AddCommand(runCmd(agentRun{
		short:   "Claim jobs with a bond, train, post S_0..S_T, finalize, serve checkpoints (see docs/solver.md)",
		example: "  hyphad solver run --config examples/agents/solver.yaml",
		docs:    "docs/solver.md",
		load:    func(path string) (err error) { cfg, err = solver.LoadConfig(path); return err },
		run: func(ctx context.Context, log *slog.Logger, stderr io.Writer) error {
			a, err := solver.New(cfg, os.Stdout, log)
			if err != nil {
				return err
			}
			return a.Run(ctx)
		},
	}))
	return g
}

// AuditorCommand returns `auditor` with `run`: bond, re-execute assigned segments, commit and reveal.
func AuditorCommand() *cobra.Command {
	g := group("auditor", "Auditor agent: re-execute sampled x/jobs segments, commit and reveal")
	var cfg *auditor.Config
	g.AddCommand(runCmd(agentRun{
		short:   "Bond once, re-execute assigned segments, commit H(result, salt), reveal (see docs/solver.md)",
		example: "  hyphad auditor run --config examples/agents/auditor1.yaml",
		docs:    "docs/solver.md",
		load:    func(path string) (err error) { cfg, err = auditor.LoadConfig(path); return err },
		run: func(ctx context.Context, log *slog.Logger, stderr io.Writer) error {
			a, err := auditor.New(cfg, os.Stdout, log)
			if err != nil {
				return err
			}
			return a.Run(ctx)
		},
	}))
	return g
}
