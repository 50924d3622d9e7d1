package keeper_test

import (
	"fmt"
	"testing"

	"cosmossdk.io/collections"

	"github.com/hypha-network/hypha/x/jobs/keeper"
	"github.com/hypha-network/hypha/x/jobs/types"
)

func queues(t *testing.T, e *env) string {
	t.Helper()
	out := ""
	for i, q := range []collections.KeySet[collections.Pair[int64, string]]{
		e.k.ClaimQueue, e.k.SolveQueue, e.k.BeaconQueue, e.k.RevealQueue, e.k.SettleQueue, e.k.UnbondingQueue,
	} {
		var keys []collections.Pair[int64, string]
		e.must(q.Walk(e.Ctx, nil, func(k collections.Pair[int64, string]) (bool, error) {
			keys = append(keys, k)
			return false, nil
		}))
		for _, k := range keys {
			out += fmt.Sprintf("%d:%s@%d;", i, k.K2(), k.K1())
		}
	}
	return out
}

// Export a state with jobs in several statuses, auditors (one unbonding),
// commitments and assignments; import it into a fresh app; export again:
// identical, and the queues and auditor table are rebuilt.
func TestGenesisRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.submit() // stays open
	m := e.submitMsg()
	m.Terms.Seed = 2
	m.Spec = []byte(replaceOnce(string(e.spec), "seed: 1", "seed: 2"))
	var auditing string
	e.must(e.deliver(func(ctx sdkCtx) error {
		r, err := e.srv.SubmitJob(ctx, m)
		if err == nil {
			auditing = r.JobId
		}
		return err
	}))
	j := e.solve(auditing)
	e.advanceTo(j.BeaconHeight)
	e.must(e.deliver(func(ctx sdkCtx) error {
		_, err := e.srv.UnbondAuditor(ctx, &types.MsgUnbondAuditor{Auditor: e.watcher.String()})
		return err
	}))
	exp, err := e.k.ExportGenesis(e.Ctx)
	e.must(err)
	if err := exp.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(exp.Jobs) != 2 || len(exp.Commitments) != 13 || len(exp.Assignments) != 3 || len(exp.Auditors) != 5 {
		t.Fatalf("export: %d jobs, %d commitments, %d assignments, %d auditors", len(exp.Jobs), len(exp.Commitments), len(exp.Assignments), len(exp.Auditors))
	}
	cdc := e.App.AppCodec()
	bz := cdc.MustMarshalJSON(exp)

	f := newEnvBare(t)
	f.Ctx = f.AtHeight(e.Ctx.BlockHeight())
	var g types.GenesisState
	cdc.MustUnmarshalJSON(bz, &g)
	e2 := &env{Env: f, t: t, k: f.App.JobsKeeper}
	e2.must(e2.k.InitGenesis(e2.Ctx, g))
	exp2, err := e2.k.ExportGenesis(e2.Ctx)
	e2.must(err)
	if string(cdc.MustMarshalJSON(exp2)) != string(bz) {
		t.Fatal("export -> import -> export changed the state")
	}
	if q1, q2 := queues(t, e), queues(t, e2); q1 != q2 {
		t.Fatalf("queues not rebuilt:\n%s\n%s", q1, q2)
	}
	n1, _ := e.k.AuditorCount.Get(e.Ctx)
	n2, _ := e2.k.AuditorCount.Get(e2.Ctx)
	if n1 != 4 || n2 != 4 {
		t.Fatalf("active auditors %d / %d", n1, n2)
	}
	_ = keeper.EventItemFailed
}
