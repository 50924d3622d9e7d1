package blobcli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/blob/client"
)

func getCmd(defaultHome string) *cobra.Command {
	c := &cobra.Command{
		Use:   "get ID --from URL [-o FILE]",
		Short: "Fetch a blob from blob servers, verifying every chunk; resumes an interrupted get",
		Long: `Fetch blob ID from the blob servers --from names (tried in turn; a bad chunk is
retried from the next one). Every chunk is checked against the blob's manifest,
and the manifest against the id; the file appears only once all of it has
verified. Interrupted (Ctrl-C, kill -9), the same command resumes where it
stopped. Without -o the blob goes into the local store.

Progress goes to stderr; stdout gets the id, the size and the path.`,
		Example: `  hyphad blob get 3f5a...e9 --from http://127.0.0.1:8470 -o model.ckpt
  hyphad blob get 3f5a...e9 --from http://a:8470 --from http://b:8470`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := blob.ParseID(args[0])
			if err != nil {
				return err
			}
			from, _ := c.Flags().GetStringSlice("from")
			if len(from) == 0 {
				return fmt.Errorf("--from URL is required: a blob server that holds %s, e.g. --from http://127.0.0.1:8470", id.Short())
			}
			out, _ := c.Flags().GetString(flagOutput)
			retries, _ := c.Flags().GetInt("retries")
			p := newProgress(c.ErrOrStderr(), "get")
			cl := &client.Client{Progress: p.update, Retries: retries}
			if out != "" {
				abs, err := filepath.Abs(out)
				if err != nil {
					return err
				}
				res, err := cl.Get(c.Context(), id, abs, from...)
				p.done()
				if err != nil {
					return err
				}
				fmt.Fprintf(c.OutOrStdout(), "%s %d %s\n", res.ID, res.Size, res.Path)
				return nil
			}
			s, err := openStore(c)
			if err != nil {
				return err
			}
			if s.Has(id) {
				path, _ := s.Path(id)
				in, err := s.Stat(id)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.OutOrStdout(), "%s %d %s\n", in.ID, in.Size, path)
				return nil
			}
			// Refuse a blob that cannot fit before downloading it. If no source
			// answers now, Get retries and reports why.
			if m, err := cl.Manifest(c.Context(), from[0], id); err == nil {
				if err := s.Fits(m.Size); err != nil {
					return err
				}
			}
			dst := filepath.Join(s.PartialDir(), id.String())
			res, err := cl.Get(c.Context(), id, dst, from...)
			p.done()
			if err != nil {
				return err
			}
			in, err := s.Import(dst, id)
			if err != nil {
				_ = os.Remove(dst)
				return err
			}
			path, _ := s.Path(id)
			fmt.Fprintf(c.OutOrStdout(), "%s %d %s\n", in.ID, res.Size, path)
			return nil
		},
	}
	storeFlags(c, defaultHome)
	c.Flags().StringSlice("from", nil, "blob server base URL; repeat (or comma-separate) for fallbacks")
	c.Flags().StringP(flagOutput, "o", "", "write the blob to FILE (default: into the local store)")
	c.Flags().Int("retries", client.DefaultRetries, "retries per chunk across the sources")
	return c
}
