package app

import (
	"fmt"
	"sort"
	"strings"

	sdkmath "cosmossdk.io/math"
	servertypes "github.com/cosmos/cosmos-sdk/server/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/spf13/cast"

	"github.com/hypha-network/hypha/x/jobs"
	"github.com/hypha-network/hypha/x/market"
	"github.com/hypha-network/hypha/x/subnet"
)

// FlagInvariantCheckPeriod is the app.toml key (section [hypha]) of the number of
// blocks between two runtime invariant checks. See InvariantRegistry.
const FlagInvariantCheckPeriod = "hypha.invariant-check-period"

// DefaultInvariantCheckPeriod is the invariant check period when app.toml does not set one.
const DefaultInvariantCheckPeriod = 100

// ErrInvariantBroken is returned from EndBlock when a registered invariant fails.
var ErrInvariantBroken = fmt.Errorf("invariant broken")

// InvariantRegistry holds the invariants the node checks at runtime: in the first
// block it finalizes after starting and then every Period blocks. It is Hypha's
// small replacement for the deprecated x/crisis. Whether and how often a node
// checks is node-local (app.toml): the checks only read state (on a discarded
// cache), so nodes with different settings stay in consensus. A broken invariant
// makes EndBlock return an error, so the block is not committed and CometBFT
// stops the node's consensus (see docs/chain.md).
type InvariantRegistry struct {
	Period  uint64 // 0: never check
	entries []invariantEntry
	checked bool // the first block since start has been checked
}

type invariantEntry struct {
	name string // module/route
	fn   sdk.Invariant
}

var _ sdk.InvariantRegistry = (*InvariantRegistry)(nil)

// RegisterRoute implements sdk.InvariantRegistry.
func (r *InvariantRegistry) RegisterRoute(moduleName, route string, fn sdk.Invariant) {
	r.entries = append(r.entries, invariantEntry{name: moduleName + "/" + route, fn: fn})
}

// Names returns the registered invariants as module/route, in registration order.
func (r *InvariantRegistry) Names() []string {
	names := make([]string, len(r.entries))
	for i, e := range r.entries {
		names[i] = e.name
	}
	return names
}

// Check runs every invariant on a cached copy of ctx (nothing is written) and
// returns ErrInvariantBroken naming each one that fails.
func (r *InvariantRegistry) Check(ctx sdk.Context) error {
	var broken []string
	for _, e := range r.entries {
		cache, _ := ctx.CacheContext()
		msg, bad := e.fn(cache.WithEventManager(sdk.NewEventManager()))
		if bad {
			broken = append(broken, fmt.Sprintf("%s: %s", e.name, strings.TrimSpace(msg)))
		}
	}
	if len(broken) > 0 {
		return fmt.Errorf("%w at height %d: %s", ErrInvariantBroken, ctx.BlockHeight(), strings.Join(broken, "; "))
	}
	return nil
}

// due reports whether the block at height must be checked, and marks the first
// block of this process as checked.
func (r *InvariantRegistry) due(height int64) bool {
	if r.Period == 0 {
		return false
	}
	if !r.checked {
		r.checked = true
		return true
	}
	return height > 0 && uint64(height)%r.Period == 0
}

// invariantCheckPeriod reads FlagInvariantCheckPeriod from the node's options.
func invariantCheckPeriod(appOpts servertypes.AppOptions) uint64 {
	if appOpts == nil {
		return DefaultInvariantCheckPeriod
	}
	v := appOpts.Get(FlagInvariantCheckPeriod)
	if v == nil || v == "" {
		return DefaultInvariantCheckPeriod
	}
	n, err := cast.ToUint64E(v)
	if err != nil {
		panic(fmt.Errorf("app.toml %s = %v: %w", FlagInvariantCheckPeriod, v, err))
	}
	return n
}

// registerInvariants registers x/market's, x/subnet's, x/jobs' and bank's total-supply invariants.
func (app *App) registerInvariants() {
	market.NewAppModule(app.MarketKeeper).RegisterInvariants(app.Invariants)
	subnet.NewAppModule(app.SubnetKeeper).RegisterInvariants(app.Invariants)
	jobs.NewAppModule(app.JobsKeeper).RegisterInvariants(app.Invariants)
	app.Invariants.RegisterRoute(banktypes.ModuleName, "total-supply", app.totalSupplyInvariant)
}

// totalSupplyInvariant: for every denom, the recorded supply equals the sum of
// all account balances.
func (app *App) totalSupplyInvariant(ctx sdk.Context) (string, bool) {
	sums := map[string]sdkmath.Int{}
	app.BankKeeper.IterateAllBalances(ctx, func(_ sdk.AccAddress, c sdk.Coin) bool {
		if s, ok := sums[c.Denom]; ok {
			sums[c.Denom] = s.Add(c.Amount)
		} else {
			sums[c.Denom] = c.Amount
		}
		return false
	})
	var bad []string
	seen := map[string]bool{}
	app.BankKeeper.IterateTotalSupply(ctx, func(c sdk.Coin) bool {
		seen[c.Denom] = true
		sum, ok := sums[c.Denom]
		if !ok {
			sum = sdkmath.ZeroInt()
		}
		if !sum.Equal(c.Amount) {
			bad = append(bad, fmt.Sprintf("%s: supply %s, balances sum to %s", c.Denom, c.Amount, sum))
		}
		return false
	})
	for denom, sum := range sums {
		if !seen[denom] && !sum.IsZero() {
			bad = append(bad, fmt.Sprintf("%s: no supply recorded, balances sum to %s", denom, sum))
		}
	}
	if len(bad) == 0 {
		return "", false
	}
	// sort for a stable message
	sort.Strings(bad)
	return sdk.FormatInvariant(banktypes.ModuleName, "total-supply", strings.Join(bad, "; ")), true
}
