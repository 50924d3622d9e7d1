// Package explorercli is `hyphad explorer` and the devnet's explorer: it
// opens the SQL index, connects to a node for live chain state when it can,
// and serves the explorer's pages.
package explorercli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/agent/agentrun"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/index/indexcli"
	"github.com/hypha-network/hypha/index/sqlq"
	"github.com/hypha-network/hypha/web/explorer"
)

// DefaultAddr is where `hyphad explorer` and the devnet serve the explorer.
const DefaultAddr = "127.0.0.1:8088"

// Options say what to serve.
type Options struct {
	// Index is the SQLite file or postgres:// URL of the index.
	Index string
	// Addr is the listen address.
	Addr string
	// Home, Key and Node reach the chain for live state (the metagraph);
	// an empty Key serves the index alone.
	Home, Key, Node string
	// WaitIndex waits for a SQLite index file to appear (the devnet's
	// indexer creates it just after the node starts) instead of failing.
	WaitIndex bool
	// SQL limits the SQL page.
	SQL sqlq.Options
}

// Listen binds opts.Addr, so a caller can report a busy port before it
// starts anything else.
func Listen(addr string) (net.Listener, error) { return agentrun.Listen("explorer", addr) }

// Serve serves the explorer on ln until ctx ends, printing its address and
// what it reads to out.
func Serve(ctx context.Context, ln net.Listener, opts Options, out io.Writer) error {
	defer ln.Close()
	if opts.WaitIndex {
		if err := waitFile(ctx, opts.Index); err != nil {
			return err
		}
	}
	eo := explorer.Options{Index: opts.Index, SQL: opts.SQL}
	chainNote := "index only (pass --key to show live chain state)"
	if opts.Key != "" {
		c, err := chainclient.New(chainclient.Config{Home: opts.Home, Key: opts.Key, Node: opts.Node})
		if err != nil {
			chainNote = fmt.Sprintf("index only: no chain connection (%v)", err)
		} else {
			eo.Chain = c
			chainNote = "chain " + c.Config().Node
		}
	}
	s, err := explorer.New(eo)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(out, "Explorer on http://%s (index %s, %s)\n", ln.Addr(), opts.Index, chainNote)
	return s.Serve(ctx, ln)
}

// waitFile waits for path to exist; a postgres:// URL needs no wait.
func waitFile(ctx context.Context, path string) error {
	if hasScheme(path) {
		return nil
	}
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("explorer: index %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func hasScheme(s string) bool {
	for i := 0; i < len(s) && i < 12; i++ {
		if s[i] == ':' {
			return i+2 < len(s) && s[i+1] == '/' && s[i+2] == '/'
		}
	}
	return false
}

// Command returns `hyphad explorer`.
func Command() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "explorer",
		Short: "Serve the explorer web pages over the chain's SQL index",
		Long: `Serve the explorer: overview, blocks, transactions, accounts, providers, orders
with live bids, leases (with a warning when one runs dry soon), subnets (metagraph,
emission, weights), and a read-only SQL page, all read from the index that
hyphad index (or the devnet) writes. With --key, the metagraph comes live from the
node (--node, or the home's client.toml). Pages read without JavaScript; with it,
new blocks and bids appear as they are indexed.`,
		Example: `  hyphad explorer --home ~/.hypha-devnet --key validator
  hyphad explorer --index /srv/index.db --node tcp://127.0.0.1:26657 --home ~/.hypha --key alice --addr 0.0.0.0:8088`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			var o Options
			o.Home, _ = f.GetString("home")
			o.Home = chainclient.ExpandHome(o.Home)
			o.Index, _ = f.GetString("index")
			if o.Index == "" {
				o.Index = filepath.Join(o.Home, indexcli.DBFile)
			}
			o.Addr, _ = f.GetString("addr")
			o.Key, _ = f.GetString("key")
			o.Node, _ = f.GetString("node")
			o.SQL.Timeout, _ = f.GetDuration("sql-timeout")
			o.SQL.MaxRows, _ = f.GetInt("sql-max-rows")
			ln, err := Listen(o.Addr)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err = Serve(ctx, ln, o, cmd.OutOrStdout())
			if err == nil || ctx.Err() != nil {
				fmt.Fprintln(cmd.OutOrStdout(), "Explorer stopped.")
				return nil
			}
			return err
		},
	}
	cmd.Flags().String("home", "~/.hypha", "Home with the keyring, client.toml and the default index.db")
	cmd.Flags().String("index", "", "SQLite file or postgres:// URL of the index (default HOME/"+indexcli.DBFile+")")
	cmd.Flags().String("addr", DefaultAddr, "Listen address")
	cmd.Flags().String("key", "", "Keyring key to reach the node for live chain state (none: the index only)")
	cmd.Flags().String("node", "", "CometBFT RPC of the node (default: the home's client.toml)")
	cmd.Flags().Duration("sql-timeout", sqlq.DefaultTimeout, "Time limit of a query on the SQL page")
	cmd.Flags().Int("sql-max-rows", sqlq.DefaultMaxRows, "Rows a query on the SQL page returns at most")
	return cmd
}
