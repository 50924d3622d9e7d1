package keeper_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/hypha-network/hypha/x/jobs/types"
)

func drawn(e *env, id string) string {
	s := ""
	for _, a := range e.assignments(id) {
		s += fmt.Sprintf("%d:%s ", a.Segment, a.Auditor)
	}
	return s
}

// The draw is a function of the header hashes of the blocks after the final
// posting only: two nodes with the same chain draw the same segments and
// auditors; a different hash of any beacon block changes the draw; a
// different hash of the finalizing block (which the solver could see) does not.
func TestBeaconDeterministicAndUnpredictable(t *testing.T) {
	run := func(salt string, saltFrom int64) (string, []byte, int64) {
		e := newEnv(t)
		id := e.submit()
		j := e.solve(id)
		// Blocks up to and including the finalizing one use the common hashes.
		e.advanceTo(j.FinalizedHeight)
		if saltFrom <= j.FinalizedHeight {
			// the finalizing block's hash is recorded by its BeginBlock: rewrite it
			e.must(e.k.BlockHashes.Set(e.Ctx, j.FinalizedHeight, []byte(salt)))
		}
		e.hashSalt = salt
		e.advanceTo(j.BeaconHeight)
		return drawn(e, id), e.job(id).Beacon, j.FinalizedHeight
	}
	a1, b1, fh := run("", 1<<62)
	a2, b2, _ := run("", 1<<62)
	if a1 != a2 || !bytes.Equal(b1, b2) || a1 == "" {
		t.Fatalf("same chain, different draws:\n%s\n%s", a1, a2)
	}
	_, b3, _ := run("other", 1<<62)
	if bytes.Equal(b1, b3) {
		t.Fatal("the beacon ignores the hashes of the blocks after the final posting")
	}
	_, b4, _ := run("", fh)
	if !bytes.Equal(b1, b4) {
		t.Fatal("the beacon depends on the finalizing block's hash, which the solver knows")
	}
	// The segments follow the beacon and differ for the other beacon (12 choose 3 = 220).
	if fmt.Sprint(types.SampleSegments(b1, 12, 3)) == fmt.Sprint(types.SampleSegments(b3, 12, 3)) {
		t.Log("note: the two beacons happened to draw the same segments")
	}
}

// The header-hash ring keeps only MaxBeaconDelay blocks (bounded state).
func TestBlockHashRingBounded(t *testing.T) {
	e := newEnv(t)
	e.advanceTo(e.Ctx.BlockHeight() + 3*types.MaxBeaconDelay)
	n := 0
	e.must(e.k.BlockHashes.Walk(e.Ctx, nil, func(int64, []byte) (bool, error) { n++; return false, nil }))
	if n != types.MaxBeaconDelay {
		t.Fatalf("ring holds %d hashes, want %d", n, types.MaxBeaconDelay)
	}
}
