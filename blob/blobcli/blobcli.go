// Package blobcli is the `hyphad blob` command group: put files into the
// local blob store (or a remote one), get a blob from blob servers with
// verification and resume, list a store, and serve it over HTTP.
package blobcli

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/blob/store"
)

const (
	flagHome   = "home"
	flagQuota  = "quota"
	flagOutput = "output"
	outText    = "text"
	outJSON    = "json"
)

// NewCommand returns `blob` with put, get, ls, rm and serve. defaultHome is
// the hyphad home whose blobs/ directory is the local store by default.
func NewCommand(defaultHome string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "blob",
		Short: "Content-addressed blob store: put, get, ls, rm, serve (see docs/blob.md)",
		Long: `Checkpoints, datasets and models travel between agents as blobs. A blob's id is
the Merkle root of its 1 MiB chunks, so every chunk is checked as it arrives:
a corrupt or truncated transfer is detected and retried, never used.

The local store is HOME/blobs (--home, default ` + defaultHome + `).`,
		// The group needs no node config: skip the root's config interception.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE:              func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	cmd.AddCommand(putCmd(defaultHome), getCmd(defaultHome), lsCmd(defaultHome), rmCmd(defaultHome), serveCmd(defaultHome))
	return cmd
}

// storeFlags adds --home and --quota to a command that opens the local store.
func storeFlags(c *cobra.Command, defaultHome string) {
	c.Flags().String(flagHome, defaultHome, "hyphad home; the store is HOME/blobs")
	c.Flags().String(flagQuota, "0", "the store's size quota, e.g. 50GiB (0: none)")
}

// openStore opens HOME/blobs with the command's --quota.
func openStore(c *cobra.Command) (*store.Store, error) {
	home, _ := c.Flags().GetString(flagHome)
	q, _ := c.Flags().GetString(flagQuota)
	quota, err := parseSize(q)
	if err != nil {
		return nil, fmt.Errorf("--quota: %w", err)
	}
	return store.Open(filepath.Join(home, "blobs"), store.Options{Quota: quota})
}

// outputFlag adds -o/--output text|json.
func outputFlag(c *cobra.Command) {
	c.Flags().StringP(flagOutput, "o", outText, "Output format (text|json)")
}

// wantJSON reads -o, refusing values other than text and json.
func wantJSON(c *cobra.Command) (bool, error) {
	o, _ := c.Flags().GetString(flagOutput)
	switch strings.ToLower(o) {
	case outJSON:
		return true, nil
	case outText:
		return false, nil
	}
	return false, fmt.Errorf("invalid --output %q: use text or json", o)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
