package blobcli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/client"
)

// putResult is one line of `blob put`'s output.
type putResult struct {
	ID      blob.ID `json:"id"`
	Size    int64   `json:"size"`
	File    string  `json:"file"`
	Existed bool    `json:"existed"`
}

func putCmd(defaultHome string) *cobra.Command {
	c := &cobra.Command{
		Use:   "put FILE...",
		Short: "Store files as blobs in the local store (or upload them with --to) and print their ids",
		Example: `  hyphad blob put model.ckpt data.bin
  hyphad blob put model.ckpt --to http://127.0.0.1:8470 -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, files []string) error {
			asJSON, err := wantJSON(c)
			if err != nil {
				return err
			}
			to, _ := c.Flags().GetString("to")
			var out []putResult
			if to == "" {
				s, err := openStore(c)
				if err != nil {
					return err
				}
				for _, f := range files {
					in, err := s.PutFile(f, blob.ID{})
					if err != nil {
						return err
					}
					out = append(out, putResult{ID: in.ID, Size: in.Size, File: f})
				}
			} else {
				for _, f := range files {
					p := newProgress(c.ErrOrStderr(), "put")
					cl := &client.Client{Progress: p.update}
					res, err := cl.PutFile(c.Context(), to, f)
					p.done()
					if err != nil {
						return err
					}
					out = append(out, putResult{ID: res.ID, Size: res.Size, File: f, Existed: res.Existed})
				}
			}
			if asJSON {
				return printJSON(c.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSIZE\tFILE")
			for _, r := range out {
				fmt.Fprintf(tw, "%s\t%d\t%s\n", r.ID, r.Size, r.File)
			}
			return tw.Flush()
		},
	}
	storeFlags(c, defaultHome)
	c.Flags().String("to", "", "upload to this blob server (base URL) instead of the local store")
	outputFlag(c)
	return c
}
