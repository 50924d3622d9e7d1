package blobcli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/agent/agentrun"
	"github.com/hypha-network/hypha/blob/server"
)

// DefaultListen is `blob serve`'s default address.
const DefaultListen = "127.0.0.1:8470"

func serveCmd(defaultHome string) *cobra.Command {
	c := &cobra.Command{
		Use:   "serve [--listen ADDR]",
		Short: "Serve the local store over HTTP (read-only unless --allow-upload)",
		Long: `Serve HOME/blobs over HTTP: GET /v1/blobs (list), /v1/blobs/ID (bytes, with
Range), /v1/blobs/ID/manifest, /v1/blobs/ID/chunks/I (chunk with proof), and
with --allow-upload PUT /v1/blobs/ID, checked against the id. See docs/blob.md.
Runs until Ctrl-C or SIGTERM.`,
		Example: `  hyphad blob serve
  hyphad blob serve --listen 0.0.0.0:8470 --allow-upload --quota 100GiB`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			s, err := openStore(c)
			if err != nil {
				return err
			}
			listen, _ := c.Flags().GetString("listen")
			upload, _ := c.Flags().GetBool("allow-upload")
			mu, _ := c.Flags().GetString("max-upload")
			maxUpload, err := parseSize(mu)
			if err != nil {
				return fmt.Errorf("--max-upload: %w", err)
			}
			ln, err := agentrun.Listen("blob serve", listen)
			if err != nil {
				return err
			}
			limits := agentrun.DefaultLimits
			h := server.New(server.Config{Store: s, AllowUpload: upload, MaxUpload: maxUpload})
			// Not agentrun.NewServer: it buffers each request body in memory,
			// and uploads are streamed to disk. The handler moves the read and
			// write deadlines forward as a transfer progresses.
			hs := &http.Server{
				Handler:           h,
				ReadHeaderTimeout: limits.ReadHeaderTimeout,
				ReadTimeout:       limits.ReadTimeout,
				WriteTimeout:      limits.WriteTimeout,
				IdleTimeout:       limits.IdleTimeout,
				MaxHeaderBytes:    limits.MaxHeaderBytes,
			}
			list, err := s.List()
			if err != nil {
				return err
			}
			used, quota := s.Usage()
			mode := "uploads off"
			if upload {
				mode = "uploads on"
			}
			fmt.Fprintf(c.OutOrStdout(), "serving %s (%d blobs, %s) on http://%s (%s)\n", s.Dir(), len(list), human(used), ln.Addr(), mode)
			if quota > 0 {
				fmt.Fprintf(c.OutOrStdout(), "quota %s\n", human(quota))
			}
			parent := c.Context()
			if parent == nil {
				parent = context.Background()
			}
			ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
			defer stop()
			errc := make(chan error, 1)
			go func() { errc <- hs.Serve(agentrun.LimitListener(ln, limits)) }()
			select {
			case err := <-errc:
				return fmt.Errorf("blob serve: %w", err)
			case <-ctx.Done():
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = hs.Shutdown(sctx)
				fmt.Fprintln(c.OutOrStdout(), "stopped")
				return nil
			}
		},
	}
	storeFlags(c, defaultHome)
	c.Flags().String("listen", DefaultListen, "address to serve on")
	c.Flags().Bool("allow-upload", false, "accept PUT uploads (checked against their id)")
	c.Flags().String("max-upload", "0", "largest upload accepted, e.g. 20GiB (0: only the quota bounds it)")
	return c
}
