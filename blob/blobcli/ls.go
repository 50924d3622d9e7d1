package blobcli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/api"
	"github.com/hypha-network/hypha/blob/client"
)

func lsCmd(defaultHome string) *cobra.Command {
	c := &cobra.Command{
		Use:   "ls",
		Short: "List the blobs of the local store (or of a blob server with --from)",
		Example: `  hyphad blob ls
  hyphad blob ls -o json
  hyphad blob ls --from http://127.0.0.1:8470`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			asJSON, err := wantJSON(c)
			if err != nil {
				return err
			}
			var l api.List
			if from, _ := c.Flags().GetString("from"); from != "" {
				if l, err = (&client.Client{}).List(c.Context(), from); err != nil {
					return err
				}
			} else {
				s, err := openStore(c)
				if err != nil {
					return err
				}
				if l.Blobs, err = s.List(); err != nil {
					return err
				}
				l.Used, l.Quota = s.Usage()
			}
			if l.Blobs == nil {
				l.Blobs = []blob.Info{}
			}
			if asJSON {
				return printJSON(c.OutOrStdout(), l)
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSIZE\tCHUNKS\tCREATED")
			for _, in := range l.Blobs {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", in.ID, in.Size, in.Chunks, in.Created.Format(time.RFC3339))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			quota := "no quota"
			if l.Quota > 0 {
				quota = "quota " + human(l.Quota)
			}
			fmt.Fprintf(c.OutOrStdout(), "%d blobs, %s (%s)\n", len(l.Blobs), human(l.Used), quota)
			return nil
		},
	}
	storeFlags(c, defaultHome)
	c.Flags().String("from", "", "list this blob server (base URL) instead of the local store")
	outputFlag(c)
	return c
}

func rmCmd(defaultHome string) *cobra.Command {
	c := &cobra.Command{
		Use:     "rm ID...",
		Short:   "Delete blobs from the local store",
		Example: `  hyphad blob rm 3f5a...e9`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			s, err := openStore(c)
			if err != nil {
				return err
			}
			for _, a := range args {
				id, err := blob.ParseID(a)
				if err != nil {
					return err
				}
				in, err := s.Stat(id)
				if err != nil {
					return err
				}
				if err := s.Delete(id); err != nil {
					return err
				}
				fmt.Fprintf(c.OutOrStdout(), "deleted %s (%d bytes)\n", id, in.Size)
			}
			return nil
		},
	}
	storeFlags(c, defaultHome)
	return c
}
