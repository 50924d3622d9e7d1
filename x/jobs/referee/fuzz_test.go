package referee

import (
	"bytes"
	"sync"
	"testing"

	"github.com/hypha-network/hypha/x/jobs/dispute"
)

var fuzzOnce struct {
	sync.Once
	r      *Referee
	p      *Prover
	finals []*dispute.Final
}

// FuzzJudge: whatever evidence bytes arrive, the referee either refuses them
// or returns the true value; it never panics and never accepts a proof of
// anything else.
func FuzzJudge(f *testing.F) {
	fuzzOnce.Do(func() {
		r, p := recordOne(f, "iris-mlp", 1, 1)
		fuzzOnce.r, fuzzOnce.p = r, p
		g := r.Model.G
		fuzzOnce.finals = []*dispute.Final{
			finalFor(nil, p, r, 0, dispute.LevelElements, g.Nodes[g.Loss].Inputs[0], 5),
			finalFor(nil, p, r, 0, dispute.LevelElements, optimEntry(r, 0, 0), 3),
			finalFor(nil, p, r, 0, dispute.LevelElements, r.Model.X, 2),
			finalFor(nil, p, r, 0, dispute.LevelState, 3, 0),
		}
	})
	r, p := fuzzOnce.r, fuzzOnce.p
	for i, fin := range fuzzOnce.finals {
		ev, err := p.Evidence(fin)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), ev)
	}
	f.Fuzz(func(t *testing.T, which uint8, ev []byte) {
		fin := fuzzOnce.finals[int(which)%len(fuzzOnce.finals)]
		got, err := r.Judge(fin, dispute.Solver, ev)
		if err != nil {
			return
		}
		want, _ := p.Truth(fin)
		if !bytes.Equal(got, want) {
			t.Fatalf("referee accepted evidence for %x, the truth is %x", got, want)
		}
	})
}
