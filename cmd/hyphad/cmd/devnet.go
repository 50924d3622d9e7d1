package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
	"golang.org/x/term"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	"github.com/cosmos/cosmos-sdk/server"
	svrcmd "github.com/cosmos/cosmos-sdk/server/cmd"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/module"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/app"
	"github.com/hypha-network/hypha/devnet"
	"github.com/hypha-network/hypha/devnet/demo"
	"github.com/hypha-network/hypha/index/follow"
	"github.com/hypha-network/hypha/index/indexcli"
	"github.com/hypha-network/hypha/web/explorercli"
)

const (
	flagReset    = "reset"
	flagRPCPort  = "rpc-port"
	flagP2PPort  = "p2p-port"
	flagGRPCPort = "grpc-port"
	flagAPIPort  = "api-port"
	flagVerbose  = "verbose"
	flagDemo     = "demo"
	flagDemoPort = "demo-port"
	flagProvider = "provider"
	flagProvPort = "provider-port"
	flagJobs     = "jobs"
	flagJobsPort = "jobs-port"
	flagYes      = "yes"
	flagIndex    = "index"
	flagExplorer = "explorer-port"
)

// DefaultDevnetHome is where `hyphad devnet` keeps its chain unless --home is given.
var DefaultDevnetHome = filepath.Join(filepath.Dir(app.DefaultNodeHome), ".hypha-devnet")

func newDevnetCmd(initClientCtx client.Context, enc app.EncodingConfig, basics module.BasicManager) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Run a complete local Hypha network (one validator, funded test accounts)",
		Long: `Run a complete local Hypha network in this process: a single-validator chain
(chain-id ` + devnet.ChainID + `, 1 s blocks) with funded test accounts in a test keyring.

The first run creates the network in --home (default ~/.hypha-devnet, not the
node's usual ~/.hypha); later runs resume it from its last block. --reset deletes
it and starts a new chain, after asking (pass --yes when stdin is not a terminal).
One devnet at a time can run on a home. Stop it with Ctrl-C. Point the CLI at it
with --home, for example:

  hyphad q bank balances $(hyphad keys show alice -a --home ~/.hypha-devnet) --home ~/.hypha-devnet`,
		Args: cobra.NoArgs,
		// The devnet creates its home itself: skip the root's config interception,
		// which would write default config files into it first.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return nil },
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, _ := cmd.Flags().GetString(flags.FlagHome)
			home, err := filepath.Abs(home)
			if err != nil {
				return fmt.Errorf("devnet home: %w", err)
			}
			var ports devnet.Ports
			for _, p := range []struct {
				flag string
				dst  *int
			}{{flagRPCPort, &ports.RPC}, {flagP2PPort, &ports.P2P}, {flagGRPCPort, &ports.GRPC}, {flagAPIPort, &ports.API}} {
				*p.dst, _ = cmd.Flags().GetInt(p.flag)
			}
			reset, _ := cmd.Flags().GetBool(flagReset)
			yes, _ := cmd.Flags().GetBool(flagYes)
			withDemo, _ := cmd.Flags().GetBool(flagDemo)
			demoPort, _ := cmd.Flags().GetInt(flagDemoPort)
			withProvider, _ := cmd.Flags().GetBool(flagProvider)
			providerPort, _ := cmd.Flags().GetInt(flagProvPort)
			verbose, _ := cmd.Flags().GetBool(flagVerbose)
			withIndex, _ := cmd.Flags().GetBool(flagIndex)
			withJobs, _ := cmd.Flags().GetBool(flagJobs)
			jobsPort, _ := cmd.Flags().GetInt(flagJobsPort)
			explorerPort, _ := cmd.Flags().GetInt(flagExplorer)
			logLevel, _ := cmd.Flags().GetString(flags.FlagLogLevel)
			return runDevnet(cmd, devnetRun{
				home: home, ports: ports, reset: reset, yes: yes, verbose: verbose, logLevel: logLevel,
				demo: withDemo, demoPort: demoPort, provider: withProvider, providerPort: providerPort, index: withIndex,
				jobs: withJobs, jobsPort: jobsPort, explorerPort: explorerPort,
				clientCtx: initClientCtx, enc: enc, basics: basics,
			})
		},
	}
	// A local --home shadows the root's persistent one (default ~/.hypha), so that
	// help shows the default the devnet really uses.
	cmd.Flags().String(flags.FlagHome, DefaultDevnetHome, "Directory of the devnet's chain, keys and config")
	cmd.Flags().Bool(flagReset, false, "Delete the devnet in --home and start a new chain (asks first)")
	cmd.Flags().BoolP(flagYes, "y", false, "With --reset: delete without asking (required when stdin is not a terminal)")
	cmd.Flags().Int(flagRPCPort, devnet.DefaultPorts.RPC, "CometBFT RPC port on 127.0.0.1")
	cmd.Flags().Int(flagP2PPort, devnet.DefaultPorts.P2P, "CometBFT p2p port on 127.0.0.1")
	cmd.Flags().Int(flagGRPCPort, devnet.DefaultPorts.GRPC, "gRPC port on 127.0.0.1")
	cmd.Flags().Int(flagAPIPort, devnet.DefaultPorts.API, "REST API port on 127.0.0.1")
	cmd.Flags().Bool(flagVerbose, false, "Print node logs to stderr instead of HOME/devnet.log")
	cmd.Flags().Bool(flagDemo, true, "Run the demo subnet: 3 miners, a validator and a gateway (--demo=false to skip)")
	cmd.Flags().Int(flagDemoPort, 8080, "Demo gateway port on 127.0.0.1; the demo miners use the next three ports")
	cmd.Flags().Bool(flagProvider, true, "Run a provider agent (key provider1, process runtime) that accepts deployments")
	cmd.Flags().Int(flagProvPort, 8443, "The provider agent's HTTPS lease API port on 127.0.0.1")
	cmd.Flags().Bool(flagJobs, true, "Run the x/jobs agents: a solver (key carol) and two auditors (provider2, validator)")
	cmd.Flags().Int(flagJobsPort, 7081, "The solver's blob server port on 127.0.0.1")
	cmd.Flags().Bool(flagIndex, true, "Index the chain into HOME/"+indexcli.DBFile+" for hyphad sql (--index=false to skip)")
	cmd.Flags().Int(flagExplorer, 8088, "Explorer web pages port on 127.0.0.1, served over the index (0: no explorer)")
	return cmd
}

type devnetRun struct {
	home         string
	ports        devnet.Ports
	reset        bool
	yes          bool
	verbose      bool
	logLevel     string
	demo         bool
	demoPort     int
	provider     bool
	providerPort int
	jobs         bool
	jobsPort     int
	index        bool
	explorerPort int
	clientCtx    client.Context
	enc          app.EncodingConfig
	basics       module.BasicManager
}

func runDevnet(cmd *cobra.Command, r devnetRun) error {
	out := cmd.OutOrStdout()
	// The lock comes before anything else touches the home, so that a second
	// devnet on it fails here and leaves the running one's files alone.
	lock, err := devnet.Lock(r.home)
	if err != nil {
		return err
	}
	defer lock.Release()
	if r.reset {
		// Refuse a directory that is not a devnet before asking, not after.
		if err := devnet.CanReset(r.home); err != nil {
			return err
		}
		if err := confirmReset(cmd, r.home, r.yes); err != nil {
			return err
		}
		if err := devnet.Reset(r.home); err != nil {
			return err
		}
		fmt.Fprintf(out, "Removed the devnet in %s\n", r.home)
	}
	exists, err := devnet.Exists(r.home)
	if err != nil {
		if errors.Is(err, devnet.ErrCorruptHome) {
			return fmt.Errorf("%w\n%s", err, resetHint(r.home))
		}
		return err
	}
	if err := r.ports.Check(); err != nil {
		return err
	}
	if r.provider {
		if err := devnet.CheckPorts("provider", "--provider-port (or --provider=false)", r.providerPort); err != nil {
			return err
		}
	}
	var explorerLn net.Listener
	if r.index && r.explorerPort > 0 {
		// Bound now, so a busy port fails before the chain starts; a port
		// left by a stopped devnet is free again on the next run.
		if explorerLn, err = explorercli.Listen(net.JoinHostPort(devnet.Host, strconv.Itoa(r.explorerPort))); err != nil {
			return fmt.Errorf("%w (pass --%s, or --%s 0 for no explorer)", err, flagExplorer, flagExplorer)
		}
		defer explorerLn.Close()
	}
	if r.demo {
		if err := devnet.CheckPorts("demo", "--demo-port (or --demo=false)", r.demoPort, r.demoPort+1, r.demoPort+2, r.demoPort+3); err != nil {
			return err
		}
	}
	if exists {
		fmt.Fprintf(out, "Resuming the devnet in %s\n", r.home)
	} else {
		fmt.Fprintf(out, "Creating a new devnet in %s\n", r.home)
		if err := devnet.Init(r.home, r.ports, r.enc, r.basics); err != nil {
			return fmt.Errorf("create devnet: %w", err)
		}
	}
	if err := devnet.WriteClientConfig(r.home, r.ports); err != nil {
		return err
	}

	logOut := cmd.ErrOrStderr()
	logPath := filepath.Join(r.home, "devnet.log")
	if !r.verbose {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("open devnet log: %w", err)
		}
		defer f.Close()
		logOut = f
	}

	clientCtx := r.clientCtx.WithHomeDir(r.home).WithChainID(devnet.ChainID)
	start := server.StartCmdWithOptions(newApp, r.home, server.StartCmdOptions{
		AddFlags: addStartFlags,
		PostSetup: func(_ *server.Context, clientCtx client.Context, ctx context.Context, g *errgroup.Group) error {
			g.Go(func() error { return reportDevnet(ctx, out, clientCtx, r, logPath, explorerLn) })
			return nil
		},
	})
	guardStart(start)
	start.Flags().String(flags.FlagLogLevel, "info", "")
	start.Flags().String(flags.FlagLogFormat, "plain", "")
	start.Flags().Bool(flags.FlagLogNoColor, !r.verbose, "")
	start.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if err := client.SetCmdClientContextHandler(clientCtx, cmd); err != nil {
			return err
		}
		appTemplate, appConfig := AppConfig()
		return server.InterceptConfigsPreRunHandler(cmd, appTemplate, appConfig, CometConfig())
	}
	start.SetArgs([]string{
		"--" + flags.FlagHome, r.home,
		"--" + flags.FlagLogLevel, r.logLevel,
		"--rpc.laddr", r.ports.RPCAddress(),
		"--p2p.laddr", r.ports.P2PAddress(),
		"--grpc.address", r.ports.GRPCAddress(),
		"--api.address", r.ports.APIAddress(),
		"--api.enable",
		// A devnet charges no fees (app.toml minimum-gas-prices is zero).
		"--" + FlagAllowZeroGasPrices,
	})
	start.SetOut(logOut)
	start.SetErr(cmd.ErrOrStderr())
	start.SilenceUsage = true
	if err := start.ExecuteContext(svrcmd.CreateExecuteContext(cmd.Context())); err != nil {
		return fmt.Errorf("devnet node: %w (node log: %s)", err, logPath)
	}
	fmt.Fprintf(out, "Devnet stopped. Run `hyphad devnet --home %s` to resume it.\n", r.home)
	return nil
}

// resetHint tells the user how to start over in home. It always names --home:
// without it, pasting the command would reset the default home instead.
func resetHint(home string) string {
	return fmt.Sprintf("Run `hyphad devnet --reset --home %s` to delete it and start a new chain, or pick another --home", home)
}

// ErrResetNotConfirmed means --reset was refused: not confirmed on the terminal,
// or stdin is not a terminal and --yes was not given.
var ErrResetNotConfirmed = errors.New("devnet reset not confirmed")

// confirmReset asks on the terminal before --reset deletes home, unless yes is set.
// Without a terminal it requires yes, so a script cannot wipe a home by accident.
func confirmReset(cmd *cobra.Command, home string, yes bool) error {
	if yes {
		return nil
	}
	if empty, err := devnet.IsEmptyHome(home); err == nil && empty {
		return nil // nothing to lose
	}
	in := cmd.InOrStdin()
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return fmt.Errorf("%w: --reset deletes everything in %s; stdin is not a terminal, so pass --yes to confirm", ErrResetNotConfirmed, home)
	}
	return promptReset(in, cmd.ErrOrStderr(), home)
}

// promptReset asks for home's path or "yes" on in and fails unless it gets one.
func promptReset(in io.Reader, out io.Writer, home string) error {
	fmt.Fprintf(out, "--reset deletes the devnet in %s: its chain, keys and agents' state.\n"+
		"Type the home path or \"yes\" to continue: ", home)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("%w: no answer (%v)", ErrResetNotConfirmed, err)
	}
	if answer := strings.TrimSpace(line); answer == "yes" || answer == home {
		return nil
	}
	return fmt.Errorf("%w: nothing was deleted", ErrResetNotConfirmed)
}

// reportDevnet waits for the first block, prints the network's endpoints and
// accounts, then prints the height every ten seconds until ctx ends.
func reportDevnet(ctx context.Context, out io.Writer, clientCtx client.Context, r devnetRun, logPath string, explorerLn net.Listener) error {
	kr, err := keyring.New(sdk.KeyringServiceName(), keyring.BackendTest, r.home, nil, r.enc.Codec)
	if err != nil {
		return fmt.Errorf("open devnet keyring: %w", err)
	}
	// The agents and the demo start only once the node answers queries: just
	// after a restart it reports its old height while queries still fail.
	chain, err := chainclient.New(chainclient.Config{Home: r.home, Key: "validator", KeyringBackend: keyring.BackendTest,
		Node: "http://" + net.JoinHostPort(devnet.Host, strconv.Itoa(r.ports.RPC))})
	if err != nil {
		return err
	}
	height := int64(0)
	if err = chain.WaitReady(ctx); err == nil {
		height, err = chain.Height(ctx)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("%w (node log: %s)", err, logPath)
	}
	bank := banktypes.NewQueryClient(clientCtx)

	fmt.Fprintf(out, "\nHypha devnet %s is running (height %d, log %s)\n", devnet.ChainID, height, logPath)
	fmt.Fprintf(out, "  RPC   http://%s:%d\n  REST  http://%s:%d\n  gRPC  %s\n\n",
		devnet.Host, r.ports.RPC, devnet.Host, r.ports.API, r.ports.GRPCAddress())
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ACCOUNT\tADDRESS\tBALANCE")
	for _, name := range devnet.Accounts {
		rec, err := kr.Key(name)
		if err != nil {
			return fmt.Errorf("devnet key %s: %w", name, err)
		}
		addr, err := rec.GetAddress()
		if err != nil {
			return fmt.Errorf("devnet key %s: %w", name, err)
		}
		balance := "?"
		res, err := bank.Balance(ctx, &banktypes.QueryBalanceRequest{Address: addr.String(), Denom: app.BondDenom})
		if err == nil && res.Balance != nil {
			balance = formatHYP(res.Balance.Amount.String())
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, addr, balance)
	}
	tw.Flush()
	fmt.Fprintf(out, "\nUse the CLI with --home %s (test keyring, chain id and node are preset), e.g.\n", r.home)
	fmt.Fprintf(out, "  hyphad tx bank send alice $(hyphad keys show bob -a --home %[1]s) 1000000uhyp --home %[1]s --yes\n", r.home)
	fmt.Fprintln(out, "Press Ctrl-C to stop; run the same command again to resume.")
	if r.provider {
		go func() {
			err := demo.RunProvider(ctx, demo.ProviderOptions{Home: r.home, RPC: "http://" + net.JoinHostPort(devnet.Host, strconv.Itoa(r.ports.RPC)),
				Port: r.providerPort, Out: out})
			if err != nil && ctx.Err() == nil {
				fmt.Fprintf(out, "Provider agent stopped: %v (the chain keeps running)\n", err)
			}
		}()
	}
	if r.jobs {
		go func() {
			err := demo.RunJobs(ctx, demo.JobsOptions{Home: r.home, RPC: "http://" + net.JoinHostPort(devnet.Host, strconv.Itoa(r.ports.RPC)),
				Port: r.jobsPort, Out: out})
			if err != nil && ctx.Err() == nil {
				fmt.Fprintf(out, "Jobs agents stopped: %v (the chain keeps running)\n", err)
			}
		}()
	}
	if r.demo {
		go func() {
			err := demo.Run(ctx, demo.Options{Home: r.home, Node: "http://" + net.JoinHostPort(devnet.Host, strconv.Itoa(r.ports.RPC)),
				GatewayPort: r.demoPort, Out: out})
			if err != nil && ctx.Err() == nil {
				fmt.Fprintf(out, "Demo subnet stopped: %v (the chain keeps running)\n", err)
			}
		}()
	}

	if r.index {
		db := filepath.Join(r.home, indexcli.DBFile)
		go follow.Builtin(ctx, "http://"+net.JoinHostPort(devnet.Host, strconv.Itoa(r.ports.RPC)), db, out)
		fmt.Fprintf(out, "Indexing the chain into %s: hyphad sql --home %s \"SELECT * FROM txs\"\n", db, r.home)
		if explorerLn != nil {
			fmt.Fprintf(out, "Explorer http://%s\n", explorerLn.Addr())
			go func() {
				err := explorercli.Serve(ctx, explorerLn, explorercli.Options{Index: db, WaitIndex: true, Home: r.home, Key: "validator",
					Node: "http://" + net.JoinHostPort(devnet.Host, strconv.Itoa(r.ports.RPC))}, io.Discard)
				if err != nil && ctx.Err() == nil {
					fmt.Fprintf(out, "Explorer stopped: %v (the chain keeps running)\n", err)
				}
			}()
		}
	}

	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if st, err := clientCtx.Client.Status(ctx); err == nil {
				fmt.Fprintf(out, "height %d\n", st.SyncInfo.LatestBlockHeight)
			}
		}
	}
}

// formatHYP renders an amount of uhyp as HYP with six decimals, trailing zeros trimmed.
func formatHYP(uhyp string) string {
	n, err := strconv.ParseUint(uhyp, 10, 64)
	if err != nil {
		return uhyp + app.BondDenom
	}
	whole, frac := n/1_000_000, n%1_000_000
	if frac == 0 {
		return fmt.Sprintf("%d %s", whole, app.DisplayDenom)
	}
	s := fmt.Sprintf("%d.%06d", whole, frac)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s + " " + app.DisplayDenom
}
