// Package indexcli holds the `hyphad index` and `hyphad sql` commands: the
// chain follower that writes the SQL index, and the read-only query runner
// over it.
package indexcli

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/index/follow"
	"github.com/hypha-network/hypha/index/store"
)

const (
	flagHome        = "home"
	flagNode        = "node"
	flagDB          = "db"
	flagFrom        = "from"
	flagTo          = "to"
	flagReindexFrom = "reindex-from"
	flagBatch       = "batch"
)

// DBFile is the index's file name in a home directory.
const DBFile = "index.db"

// Commands returns `hyphad index` and `hyphad sql`.
func Commands() []*cobra.Command { return []*cobra.Command{IndexCommand(), SQLCommand()} }

// defaultDB returns --db, or HOME/index.db.
func defaultDB(cmd *cobra.Command) string {
	if db, _ := cmd.Flags().GetString(flagDB); db != "" {
		return db
	}
	home, _ := cmd.Flags().GetString(flagHome)
	return filepath.Join(chainclient.ExpandHome(home), DBFile)
}

// IndexCommand returns `hyphad index`.
func IndexCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "index",
		Short: "Follow the chain and write blocks, transactions, events and module activity into an SQL index",
		Long: `Follow a node over CometBFT RPC and write every block, transaction, message, event
and attribute, the accounts each block touches, and the market and subnet activity the
modules' events describe, into an SQL database: an embedded SQLite file (default
HOME/index.db) or PostgreSQL (--db postgres://user@host/db).

Each batch of blocks is written in one database transaction with the cursor, so a
killed indexer resumes after its last whole block, with no gap and no duplicate.
--reindex-from H deletes everything from height H and indexes it again. Query the
index with hyphad sql. Progress goes to stderr; Ctrl-C stops.`,
		Example: `  hyphad index --home ~/.hypha-devnet
  hyphad index --node tcp://127.0.0.1:26657 --db /var/lib/hypha/index.db --from 1000
  hyphad index --node tcp://127.0.0.1:26657 --db postgres://hypha@127.0.0.1/hypha --reindex-from 1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			node, _ := cmd.Flags().GetString(flagNode)
			if node == "" {
				home, _ := cmd.Flags().GetString(flagHome)
				node = chainclient.ClientConfig(chainclient.ExpandHome(home))["node"]
			}
			if node == "" {
				node = chainclient.DefaultNode
			}
			from, _ := cmd.Flags().GetInt64(flagFrom)
			to, _ := cmd.Flags().GetInt64(flagTo)
			reindex, _ := cmd.Flags().GetInt64(flagReindexFrom)
			batch, _ := cmd.Flags().GetInt(flagBatch)
			if from < 0 || to < 0 || reindex < 0 || batch < 0 {
				return fmt.Errorf("--from, --to, --reindex-from and --batch must not be negative")
			}
			if to > 0 && from > to {
				return fmt.Errorf("--from %d is past --to %d", from, to)
			}
			db := defaultDB(cmd)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			errOut := cmd.ErrOrStderr()
			fmt.Fprintf(errOut, "indexing %s into %s\n", node, store.Redact(db))
			stats, err := follow.Index(ctx, node, db, reindex, follow.Options{From: from, To: to, Batch: batch, Progress: errOut})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "index %s: heights %d-%d, %d blocks, %d txs, %d events in %s\n",
				store.Redact(db), stats.First, stats.Last, stats.Blocks, stats.Txs, stats.Evts, stats.Elapsed.Round(1e6))
			return nil
		},
	}
	cmd.Flags().String(flagHome, "~/.hypha", "Home whose config/client.toml names the node, and that holds the default index.db")
	cmd.Flags().String(flagNode, "", "CometBFT RPC of the node to follow (default: the home's client.toml, else "+chainclient.DefaultNode+")")
	cmd.Flags().String(flagDB, "", "SQLite file or postgres:// URL of the index (default HOME/"+DBFile+")")
	cmd.Flags().Int64(flagFrom, 0, "First height to index into an empty index (default: the node's earliest block)")
	cmd.Flags().Int64(flagTo, 0, "Stop once this height is indexed (default: follow the chain until stopped)")
	cmd.Flags().Int64(flagReindexFrom, 0, "Delete the index from this height on and index it again")
	cmd.Flags().Int(flagBatch, 0, "Most blocks per database transaction (default 50)")
	return cmd
}
