package provider

import (
	"context"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// ProviderCommand returns `hyphad provider` with its `run` subcommand.
func ProviderCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "provider",
		Short: "Provider agent: rent out this machine on the Hypha compute market",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
		// The agent reads its own config file; skip the node config interception.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
	}
	run := &cobra.Command{
		Use:     "run",
		Short:   "Register the provider, bid on orders, run leased workloads (see docs/provider.md)",
		Example: `hyphad provider run --config provider.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, _ := cmd.Flags().GetString("config")
			cfg, err := LoadConfig(path)
			if err != nil {
				return err
			}
			parent := cmd.Context()
			if parent == nil {
				parent = context.Background()
			}
			ctx, stop := signal.NotifyContext(parent, syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			a, err := New(ctx, cfg, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return a.Run(ctx)
		},
	}
	run.Flags().String("config", "provider.yaml", "provider config file (YAML)")
	cmd.AddCommand(run)
	return cmd
}
