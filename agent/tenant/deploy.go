// Package tenant holds the tenant side of a deployment: request signing with
// the tenant's account key, the pinned-TLS client for a provider's lease API,
// and the `hyphad deploy` / `hyphad lease` commands. The manifest format and
// the lease API's answers live in agent/leaseapi, shared with the provider.
package tenant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/agent/auth"
	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/agent/leaseapi"
	"github.com/hypha-network/hypha/app"
	"github.com/hypha-network/hypha/client/broadcast"
	"github.com/hypha-network/hypha/x/market/types"
)

// DeployResult is what `hyphad deploy --json` prints.
type DeployResult struct {
	Lease    uint64          `json:"lease"`
	Provider string          `json:"provider"`
	HostURI  string          `json:"host_uri"`
	Price    string          `json:"price"`
	Status   leaseapi.Status `json:"status"`
}

// session holds what every deploy/lease command needs.
type session struct {
	chain  *chainclient.Client
	signer auth.Signer
	out    io.Writer // results
	prog   io.Writer // progress
}

func addChainFlags(cmd *cobra.Command) {
	cmd.Flags().String("home", app.DefaultNodeHome, "hyphad home with the keyring and client.toml")
	cmd.Flags().String("from", "", "key that owns the deployment (name in the keyring)")
	cmd.Flags().String("node", "", "CometBFT RPC URL (default: client.toml's node)")
	cmd.Flags().String("keyring-backend", "", "keyring backend (default: client.toml's, else test)")
	cmd.Flags().String("chain-id", "", "chain id (default: client.toml's)")
}

func newSession(cmd *cobra.Command) (*session, error) {
	f := cmd.Flags()
	home, _ := f.GetString("home")
	from, _ := f.GetString("from")
	node, _ := f.GetString("node")
	backend, _ := f.GetString("keyring-backend")
	chainID, _ := f.GetString("chain-id")
	if from == "" {
		return nil, errors.New("--from is required: the key that owns the deployment")
	}
	c, err := chainclient.New(chainclient.Config{Home: home, Key: from, Node: node, KeyringBackend: backend, ChainID: chainID})
	if err != nil {
		return nil, err
	}
	kr, err := auth.OpenKeyring(home, c.Config().KeyringBackend)
	if err != nil {
		return nil, err
	}
	signer, err := auth.NewKeyringSigner(kr, from)
	if err != nil {
		return nil, err
	}
	return &session{chain: c, signer: signer, out: cmd.OutOrStdout(), prog: cmd.ErrOrStderr()}, nil
}

func (s *session) progress(format string, args ...any) {
	fmt.Fprintf(s.prog, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// leaseClient returns a lease API client for the provider serving lease id.
func (s *session) leaseClient(ctx context.Context, id uint64) (*Client, *types.QueryLeaseResponse, types.Provider, error) {
	l, err := s.chain.Lease(ctx, id)
	if err != nil {
		if chainclient.IsNotFound(err) {
			return nil, nil, types.Provider{}, fmt.Errorf("unknown lease %d (list yours with `hyphad q market leases --owner ...`)", id)
		}
		return nil, nil, types.Provider{}, err
	}
	p, err := s.chain.Provider(ctx, l.Lease.Provider)
	if err != nil {
		return nil, nil, types.Provider{}, fmt.Errorf("look up provider %s: %w", l.Lease.Provider, err)
	}
	return NewClient(p.HostUri, p.TlsFingerprint, l.Lease.Provider, s.signer), l, p, nil
}

func orderMsg(m *leaseapi.Manifest, owner, deposit string) (*types.MsgCreateOrder, error) {
	spec, err := m.Resources()
	if err != nil {
		return nil, err
	}
	price, err := m.MaxPrice()
	if err != nil {
		return nil, err
	}
	dep, err := sdk.ParseCoinNormalized(deposit)
	if err != nil {
		return nil, fmt.Errorf("--deposit %q: %w (write it like 10000000uhyp)", deposit, err)
	}
	msg := &types.MsgCreateOrder{Owner: owner, Resources: spec, Placement: m.PlacementAttributes(),
		RequiredAuditors: m.Placement.Auditors, MaxPricePerBlock: price, Deposit: dep, BidWindow: m.Pricing.BidWindow}
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	return msg, nil
}

// DeployCommand returns `hyphad deploy app.yaml --deposit …` and its lease
// subcommands (status, logs, close).
func DeployCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploy [manifest.yaml]",
		Short: "Deploy a manifest: open an order, wait for the auction, send the manifest, wait until it runs",
		Long: `Deploy a workload described by a manifest (docs/manifest.md): create the order with the
deposit, wait for the on-chain auction, send the manifest to the winning provider over
pinned TLS, signed with your key, and wait until every service runs. Prints the endpoints.`,
		Example: `hyphad deploy examples/web.yaml --deposit 5000000uhyp --from alice --home ~/.hypha-devnet`,
		Args:    cobra.ExactArgs(1),
		// Offline from the node's config: the command reads client.toml itself.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE:              runDeploy,
	}
	addChainFlags(cmd)
	cmd.Flags().String("deposit", "", "escrow deposit, e.g. 5000000uhyp (required)")
	cmd.Flags().Duration("timeout", 5*time.Minute, "how long to wait for a lease and for the services")
	cmd.Flags().Bool("json", false, "print the result as JSON")
	cmd.AddCommand(leaseManifestCmd(), leaseStatusCmd(), leaseLogsCmd(), leaseCloseCmd())
	return cmd
}

// LeaseCommand returns `hyphad lease status|logs|close|manifest`: the same lease
// commands as under `hyphad deploy`, for leases deployed earlier.
func LeaseCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:               "lease",
		Short:             "Inspect and close deployed leases: status, logs [--follow], close, manifest",
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
	}
	cmd.AddCommand(leaseManifestCmd(), leaseStatusCmd(), leaseLogsCmd(), leaseCloseCmd())
	return cmd
}

func runDeploy(cmd *cobra.Command, args []string) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	deposit, _ := cmd.Flags().GetString("deposit")
	timeout, _ := cmd.Flags().GetDuration("timeout")
	asJSON, _ := cmd.Flags().GetBool("json")
	if deposit == "" {
		return errors.New("--deposit is required, e.g. --deposit 5000000uhyp (at least the min_deposit param)")
	}
	raw, err := os.ReadFile(args[0])
	if err != nil {
		return fmt.Errorf("read manifest: %w", err)
	}
	m, err := leaseapi.ParseManifest(raw)
	if err != nil {
		return err
	}
	s, err := newSession(cmd)
	if err != nil {
		return err
	}
	spec, _ := m.Resources()
	s.progress("[1/5] manifest %s: %d service(s), cpu %dm, memory %d MiB, max price %s/block",
		args[0], len(m.Services), spec.CpuMillis, spec.MemoryBytes>>20, m.Pricing.MaxPrice)
	fit, err := s.chain.Fit(ctx, spec, m.PlacementAttributes())
	if err != nil {
		return fmt.Errorf("bid pre-check: %w", err)
	}
	s.progress("      pre-check: %d provider(s) can serve these resources right now", len(fit))
	if len(fit) == 0 {
		s.progress("      warning: no provider fits now; the order stays open until one does or it expires")
	}
	msg, err := orderMsg(m, s.chain.Address(), deposit)
	if err != nil {
		return err
	}
	res, err := s.chain.Broadcast(ctx, msg)
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	created, err := broadcast.Response[*types.MsgCreateOrderResponse](res, 0)
	if err != nil {
		return err
	}
	id := created.OrderId
	s.progress("[2/5] order %d created in block %d (tx %s); auction closes at block %d", id, res.Height, res.Hash, created.AuctionEnd)

	deadline := time.Now().Add(timeout)
	lastBids := -1
	warned := false
	for {
		o, err := s.chain.Order(ctx, id)
		if err != nil {
			return fmt.Errorf("follow order %d: %w", id, err)
		}
		if o.State == types.OrderActive {
			break
		}
		if o.State == types.OrderClosed {
			return fmt.Errorf("order %d closed (%s) without a lease", id, o.CloseReason)
		}
		h, _ := s.chain.Height(ctx)
		if int(o.BidCount) != lastBids {
			lastBids = int(o.BidCount)
			s.progress("      height %d: %d bid(s) on order %d", h, o.BidCount, id)
		}
		if o.BidCount == 0 && h > o.AuctionEnd && !warned {
			warned = true
			s.progress("      no provider has bid yet (pre-check found %d); still waiting. Raise pricing.max_price or relax placement if this lasts", len(fit))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no lease for order %d after %s (%d bid(s), pre-check %d provider(s)); the order stays open: close it with `hyphad tx market close-order %d` to get the deposit back", id, timeout, o.BidCount, len(fit), id)
		}
		time.Sleep(time.Second)
	}
	lc, lease, prov, err := s.leaseClient(ctx, id)
	if err != nil {
		return err
	}
	s.progress("[3/5] lease %d won by %s at %s/block (%s)", id, lease.Lease.Provider, lease.Lease.Price, prov.HostUri)

	path := leaseapi.ManifestPath(id)
	for {
		_, err = lc.Do(ctx, "PUT", path, raw)
		if err == nil {
			break
		}
		if time.Now().After(deadline) || strings.Contains(err.Error(), "provider answered 4") {
			return fmt.Errorf("send manifest to %s: %w; the lease stays active: close it with `hyphad deploy close %d`", prov.HostUri, err, id)
		}
		s.progress("      provider not ready (%v); retrying", err)
		time.Sleep(2 * time.Second)
	}
	s.progress("[4/5] manifest delivered to %s", prov.HostUri)

	var st leaseapi.Status
	for {
		bz, err := lc.Do(ctx, "GET", leaseapi.StatusPath(id), nil)
		if err == nil {
			if err := json.Unmarshal(bz, &st); err != nil {
				return fmt.Errorf("decode lease status: %w", err)
			}
			running := len(st.Services) > 0
			for _, sv := range st.Services {
				running = running && sv.Running
			}
			if running {
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("services of lease %d are not all running after %s; see `hyphad deploy logs %d`", id, timeout, id)
		}
		time.Sleep(time.Second)
	}
	s.progress("[5/5] all %d instance(s) running", len(st.Services))
	if asJSON {
		return json.NewEncoder(s.out).Encode(DeployResult{Lease: id, Provider: lease.Lease.Provider, HostURI: prov.HostUri,
			Price: lease.Lease.Price.String(), Status: st})
	}
	fmt.Fprintf(s.out, "lease %d on provider %s at %s/block\n", id, lease.Lease.Provider, lease.Lease.Price)
	printStatus(s.out, st)
	return nil
}

func printStatus(w io.Writer, st leaseapi.Status) {
	fmt.Fprintf(w, "state: %s", st.State)
	if st.Reason != "" {
		fmt.Fprintf(w, " (%s)", st.Reason)
	}
	fmt.Fprintln(w)
	for _, sv := range st.Services {
		state := "stopped"
		if sv.Running {
			state = "running"
		}
		fmt.Fprintf(w, "  %s-%d  %s  restarts=%d", sv.Name, sv.Index, state, sv.Restarts)
		for cp, ep := range sv.Endpoints {
			fmt.Fprintf(w, "  %s -> %s", cp, ep)
		}
		fmt.Fprintln(w)
	}
}

func leaseCmd(use, short string, run func(ctx context.Context, s *session, lc *Client, id uint64, cmd *cobra.Command) error) *cobra.Command {
	return leaseCmdArgs(use+" [lease-id]", short, cobra.ExactArgs(1),
		func(ctx context.Context, s *session, lc *Client, id uint64, cmd *cobra.Command, _ []string) error {
			return run(ctx, s, lc, id, cmd)
		})
}

func leaseCmdArgs(use, short string, args cobra.PositionalArgs,
	run func(ctx context.Context, s *session, lc *Client, id uint64, cmd *cobra.Command, args []string) error,
) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("lease id %q is not a number", args[0])
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			s, err := newSession(cmd)
			if err != nil {
				return err
			}
			lc, _, _, err := s.leaseClient(ctx, id)
			if err != nil {
				return err
			}
			return run(ctx, s, lc, id, cmd, args)
		},
	}
	addChainFlags(cmd)
	return cmd
}

func leaseManifestCmd() *cobra.Command {
	return leaseCmdArgs("manifest [lease-id] [manifest.yaml]",
		"Send a manifest to the provider of an existing lease (after a deploy stopped before delivery)",
		cobra.ExactArgs(2), func(ctx context.Context, s *session, lc *Client, id uint64, _ *cobra.Command, args []string) error {
			raw, err := os.ReadFile(args[1])
			if err != nil {
				return fmt.Errorf("read manifest: %w", err)
			}
			if _, err := leaseapi.ParseManifest(raw); err != nil {
				return err
			}
			bz, err := lc.Do(ctx, "PUT", leaseapi.ManifestPath(id), raw)
			if err != nil {
				return err
			}
			var st leaseapi.Status
			if err := json.Unmarshal(bz, &st); err != nil {
				return fmt.Errorf("decode answer: %w", err)
			}
			printStatus(s.out, st)
			return nil
		})
}

func leaseStatusCmd() *cobra.Command {
	cmd := leaseCmd("status", "Show a lease's services, ports and restarts (asks the provider)",
		func(ctx context.Context, s *session, lc *Client, id uint64, cmd *cobra.Command) error {
			bz, err := lc.Do(ctx, "GET", leaseapi.StatusPath(id), nil)
			if err != nil {
				return err
			}
			if j, _ := cmd.Flags().GetBool("json"); j {
				_, err := s.out.Write(bz)
				return err
			}
			var st leaseapi.Status
			if err := json.Unmarshal(bz, &st); err != nil {
				return fmt.Errorf("decode lease status: %w", err)
			}
			printStatus(s.out, st)
			return nil
		})
	cmd.Flags().Bool("json", false, "print the provider's JSON answer")
	return cmd
}

func leaseLogsCmd() *cobra.Command {
	cmd := leaseCmd("logs", "Print the last lines the lease's services wrote",
		func(ctx context.Context, s *session, lc *Client, id uint64, cmd *cobra.Command) error {
			tail, _ := cmd.Flags().GetInt("tail")
			svc, _ := cmd.Flags().GetString("service")
			path := fmt.Sprintf("%s?tail=%d", leaseapi.LogsPath(id), tail)
			if svc != "" {
				path += "&service=" + url.QueryEscape(svc)
			}
			if follow, _ := cmd.Flags().GetBool("follow"); follow {
				return lc.Stream(ctx, path+"&follow=1", s.out)
			}
			bz, err := lc.Do(ctx, "GET", path, nil)
			if err != nil {
				return err
			}
			var out leaseapi.Logs
			if err := json.Unmarshal(bz, &out); err != nil {
				return fmt.Errorf("decode logs: %w", err)
			}
			for _, l := range out.Lines {
				fmt.Fprintln(s.out, l)
			}
			return nil
		})
	cmd.Flags().Int("tail", 100, "lines per instance")
	cmd.Flags().String("service", "", "only this service")
	cmd.Flags().BoolP("follow", "f", false, "keep printing new lines until the lease closes (Ctrl-C to stop)")
	return cmd
}

func leaseCloseCmd() *cobra.Command {
	return leaseCmd("close", "Close the lease on chain (the rest of the escrow comes back) and have the provider stop its workloads",
		func(ctx context.Context, s *session, lc *Client, id uint64, _ *cobra.Command) error {
			res, err := s.chain.Broadcast(ctx, &types.MsgCloseLease{Sender: s.chain.Address(), OrderId: id, Reason: "closed by the tenant"})
			if err != nil {
				return fmt.Errorf("close lease %d: %w", id, err)
			}
			closed, err := broadcast.Response[*types.MsgCloseLeaseResponse](res, 0)
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "lease %d closed in block %d (tx %s): final payment %s to the provider, %s to the community pool, %s refunded\n",
				id, res.Height, res.Hash, closed.ProviderAmount, closed.PoolAmount, closed.Refund)
			// The provider stops a closed lease on its next poll; asking it
			// now stops the workloads at once and shows their final status.
			bz, err := lc.Do(ctx, "POST", leaseapi.ClosePath(id), nil)
			if err != nil {
				s.progress("the provider did not answer (%v); it stops the workloads when it sees the lease closed", err)
				return nil
			}
			var st leaseapi.Status
			if err := json.Unmarshal(bz, &st); err != nil {
				return fmt.Errorf("decode answer: %w", err)
			}
			printStatus(s.out, st)
			return nil
		})
}
