// Package jobstest starts a devnet whose x/jobs windows are a few blocks long
// (beacon 1, audit commit 4, reveal 4, challenge 3 blocks), so tests of the
// solver and auditor agents see a job go from submit to Settled in well under
// a minute instead of the default ~400 blocks. It also submits jobs and reads
// balances through the typed chain client.
package jobstest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cosmossdk.io/log"
	sdkmath "cosmossdk.io/math"
	dbm "github.com/cosmos/cosmos-db"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/app"
	"github.com/hypha-network/hypha/blob"
	"github.com/hypha-network/hypha/client/broadcast"
	"github.com/hypha-network/hypha/devnet"
	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/testutil/e2e"
	jobscli "github.com/hypha-network/hypha/x/jobs/client/cli"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// FastParams are the jobs params StartDevnet writes into genesis.
var FastParams = map[string]any{
	"beacon_delay": "1", "audit_commit_blocks": "4", "audit_reveal_blocks": "4", "challenge_blocks": "3",
}

// StartDevnet initialises a devnet home on free ports, shortens the jobs
// windows in its genesis and starts `hyphad devnet` on it (no demo subnet,
// provider or index). It stops when the test ends; it skips under -short.
func StartDevnet(t testing.TB) *e2e.Devnet {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	ports := freePorts(t)
	a := app.New(log.NewNopLogger(), dbm.NewMemDB(), nil, true, simtestutil.NewAppOptionsWithFlagHome(t.TempDir()))
	if err := devnet.Init(home, ports, a.EncodingConfig(), a.BasicModuleManager); err != nil {
		t.Fatalf("devnet init: %v", err)
	}
	if err := patchGenesis(filepath.Join(home, "config", "genesis.json")); err != nil {
		t.Fatal(err)
	}
	d := &e2e.Devnet{Bin: e2e.Binary(t), Home: home, Ports: ports, Log: filepath.Join(dir, "devnet.out"),
		Flags: []string{"--demo=false", "--provider=false", "--index=false", "--jobs=false"}}
	d.Start(t)
	t.Cleanup(func() { d.Stop(t) })
	return d
}

func patchGenesis(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	var g map[string]any
	if err := json.Unmarshal(b, &g); err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	state, _ := g["app_state"].(map[string]any)
	jobs, _ := state[types.ModuleName].(map[string]any)
	params, _ := jobs["params"].(map[string]any)
	if params == nil {
		return fmt.Errorf("genesis %s has no app_state.%s.params", path, types.ModuleName)
	}
	for k, v := range FastParams {
		params[k] = v
	}
	if b, err = json.MarshalIndent(g, "", "  "); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

func freePorts(t testing.TB) devnet.Ports {
	var ps [4]int
	var ls []net.Listener
	for i := range ps {
		l, err := net.Listen("tcp", net.JoinHostPort(devnet.Host, "0"))
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ps[i] = l.Addr().(*net.TCPAddr).Port
	}
	for _, l := range ls {
		l.Close()
	}
	return devnet.Ports{RPC: ps[0], P2P: ps[1], GRPC: ps[2], API: ps[3]}
}

// Client returns a ready chain client for a devnet key.
func Client(t testing.TB, d *e2e.Devnet, key string) *chainclient.Client {
	t.Helper()
	c, err := chainclient.New(chainclient.Config{Home: d.Home, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

// Terms are the job terms tests use for spec over the dataset's bytes: price
// 2 HYP, bond 1 HYP, audit fee 0.1 HYP, 1 audited segment at 1 bps
// (min_audits), and the dataset description the chain's referee needs.
func Terms(t testing.TB, spec, dataset []byte, seed, steps, k uint64) types.JobTerms {
	t.Helper()
	c := func(n int64) sdk.Coin { return sdk.NewCoin("uhyp", sdkmath.NewInt(n)) }
	terms := types.JobTerms{DatasetId: blob.IDOf(dataset).String(), Seed: seed, Steps: steps, Interval: k,
		Price: c(2_000_000), SolverBond: c(1_000_000), AuditFee: c(100_000), AuditRateBps: 1,
		ClaimBlocks: 200, SolveBlocks: 400}
	s, err := train.ParseSpec(spec)
	if err != nil {
		t.Fatalf("job spec: %v", err)
	}
	// Describe the same bytes under the path the spec names (a base name after
	// SpecWithPath, or the examples' data/… path).
	dir := t.TempDir()
	path := filepath.Join(dir, filepath.Base(s.Data.Path))
	if !filepath.IsAbs(s.Data.Path) {
		path = filepath.Join(dir, filepath.Clean(s.Data.Path))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, dataset, 0o600); err != nil {
		t.Fatal(err)
	}
	s.Data.Path = path
	if err := jobscli.DescribeData(&terms, s, dir); err != nil {
		t.Fatalf("describe the dataset: %v", err)
	}
	return terms
}

// Submit submits spec (the examples/ml YAML) with terms and deposit and
// returns the job id.
func Submit(t testing.TB, c *chainclient.Client, spec []byte, terms types.JobTerms, deposit int64) string {
	t.Helper()
	res, err := c.Broadcast(context.Background(), &types.MsgSubmitJob{Submitter: c.Address(), Spec: spec, CeVersion: "CE-v1",
		Terms: terms, Deposit: sdk.NewCoin("uhyp", sdkmath.NewInt(deposit))})
	if err != nil {
		t.Fatalf("submit job: %v", err)
	}
	r, err := broadcast.Response[*types.MsgSubmitJobResponse](res, 0)
	if err != nil {
		t.Fatal(err)
	}
	return r.JobId
}

// Balance returns addr's uhyp balance.
func Balance(t testing.TB, c *chainclient.Client, addr string) int64 {
	t.Helper()
	b, err := c.Balance(context.Background(), addr, "uhyp")
	if err != nil {
		t.Fatal(err)
	}
	return b.Int64()
}

// SpecWithPath rewrites the data.path line of an examples/ml spec to name
// only the file's base (the format hint the agents use).
func SpecWithPath(spec []byte, base string) []byte {
	var out []string
	for _, l := range strings.Split(string(spec), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "path:") {
			l = "  path: " + base
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\n"))
}
