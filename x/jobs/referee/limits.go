package referee

import (
	"fmt"

	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/x/jobs/dispute"
)

// EvidenceBound is an upper bound on the evidence bytes of any final value
// of this job. An input opened whole costs its chunks and no path (a
// multiproof of every leaf is empty); an input opened at some elements
// costs one chunk and one full path per element read; every judgment may
// also open a few state and dataset leaves (a fixed allowance).
func (r *Referee) EvidenceBound() int {
	g := r.Model.G
	const leafAllowance = 16 * (dispute.MaxValueBytes + 32*dispute.MaxPath)
	const chunkCost = merkle.ChunkBytes + 8 // data and its u32 index and length
	whole := func(n int) int { return merkle.ChunkCount(4*n) * chunkCost }
	some := func(k, n int) int {
		c := merkle.ChunkCount(4 * n)
		depth := 0
		for 1<<depth < c {
			depth++
		}
		return min(k, c) * (chunkCost + 32*depth)
	}
	worst := 0
	for j := 0; j < r.TraceLen(); j++ {
		cost := 0
		kind, pi, _, _ := r.classify(j)
		switch kind {
		case entryClip:
			for _, gid := range r.grads {
				cost = max(cost, whole(g.Size(gid)))
			}
		case entryOptim:
			n := g.Size(g.Params[pi])
			cost = 4*some(1, n) + whole(len(r.grads))
		default:
			for k, in := range g.Nodes[j].Inputs {
				if d := deps(g, j, k, 0); d != nil {
					cost += some(len(d), g.Size(in))
				} else {
					cost += whole(g.Size(in))
				}
			}
		}
		worst = max(worst, cost)
	}
	return worst + leafAllowance
}

// CheckLimits refuses a job whose disputes could need more evidence than a
// move may carry: an honest side must always be able to prove its value,
// so the keeper calls this before accepting the job.
func (r *Referee) CheckLimits() error {
	if b := r.EvidenceBound(); b > dispute.MaxEvidenceBytes {
		return fmt.Errorf("%w: a dispute over this job may need %d bytes of evidence (max %d); use smaller tensors in whole-input ops (reductions, broadcasts, convolutions)", dispute.ErrOutOfRange, b, dispute.MaxEvidenceBytes)
	}
	if r.Data.XSize+r.Data.YSize > dispute.MaxValueBytes/4 {
		return fmt.Errorf("%w: an example of %d values does not fit one dataset leaf opening (max %d)", dispute.ErrOutOfRange, r.Data.XSize+r.Data.YSize, dispute.MaxValueBytes/4)
	}
	return nil
}
