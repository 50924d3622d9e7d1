package indexcli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/index/sqlq"
)

const (
	flagOutput  = "output"
	flagTimeout = "timeout"
	flagMaxRows = "max-rows"
)

// SQLCommand returns `hyphad sql`.
func SQLCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sql QUERY",
		Short: "Run a read-only SQL query against the chain index",
		Long: `Run one read-only SQL statement (SELECT, WITH, VALUES or EXPLAIN) against the index
that hyphad index (or the devnet) writes, and print the rows as a table, CSV or JSON.

Writes are refused. A query stops after --timeout (default 5s) and returns at most
--max-rows rows (default 1000), saying so when it cuts. Tables: blocks, txs, msgs,
events, attributes, accounts, market_orders, market_bids, market_leases,
market_providers, market_payments, subnets, subnet_neurons, subnet_weights,
subnet_stake, subnet_epochs (see docs/explorer.md).`,
		Example: `  hyphad sql --home ~/.hypha-devnet "SELECT height, num_txs, time FROM blocks ORDER BY height DESC LIMIT 5"
  hyphad sql --home ~/.hypha-devnet -o csv "SELECT type_url, COUNT(*) FROM msgs GROUP BY type_url"
  hyphad sql --db postgres://hypha@127.0.0.1/hypha -o json "SELECT * FROM market_leases"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, _ := cmd.Flags().GetString(flagOutput)
			format = strings.ToLower(format)
			if format == "text" {
				format = "table"
			}
			timeout, _ := cmd.Flags().GetDuration(flagTimeout)
			maxRows, _ := cmd.Flags().GetInt(flagMaxRows)
			if err := sqlq.Check(args[0]); err != nil {
				return err
			}
			db, err := sqlq.Open(defaultDB(cmd))
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := db.Query(cmd.Context(), args[0], sqlq.Options{Timeout: timeout, MaxRows: maxRows})
			if err != nil {
				return err
			}
			return sqlq.Write(cmd.OutOrStdout(), cmd.ErrOrStderr(), res, format)
		},
	}
	cmd.Flags().String(flagHome, "~/.hypha", "Home holding the default index.db")
	cmd.Flags().String(flagDB, "", "SQLite file or postgres:// URL of the index (default HOME/"+DBFile+")")
	cmd.Flags().StringP(flagOutput, "o", "table", "Output format: table, csv or json")
	cmd.Flags().Duration(flagTimeout, sqlq.DefaultTimeout, "Stop the query after this long")
	cmd.Flags().Int(flagMaxRows, sqlq.DefaultMaxRows, "Return at most this many rows")
	return cmd
}
