package jobsagent

import (
	"fmt"

	"github.com/hypha-network/hypha/ml/ckpt"
	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/train"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// Spec parses a job's stored spec. Its data.path is only a format hint (see
// DatasetFile); the canonical spec, and hence the job id, ignores it.
func Spec(job types.Job) (*train.Spec, error) {
	s, err := train.ParseSpec(job.Spec)
	if err != nil {
		return nil, fmt.Errorf("job %s spec: %w", job.Id, err)
	}
	return s, nil
}

// Trainer builds the job's trainer over the dataset file at path, with the
// job's seed.
func Trainer(job types.Job, spec *train.Spec, path string) (*train.Trainer, error) {
	s := *spec
	s.Dir, s.Data.Path = "", path
	t, err := train.New(&s, job.Terms.Seed)
	if err != nil {
		return nil, fmt.Errorf("job %s: build trainer: %w", job.Id, err)
	}
	return t, nil
}

// Leaf is the commitment posted for a checkpoint: its state root S_t.
func Leaf(c *ckpt.Checkpoint) []byte {
	h := train.StateRoot(c)
	return h[:]
}

// ModelHash is the hash a solver finalizes with: the checkpoint commitment
// c_T, the "commitment" `hyphad ml train` prints.
func ModelHash(c *ckpt.Checkpoint) []byte {
	h := c.Commitment()
	return h[:]
}

// StartProof returns leaf s of the posted commitments and its inclusion proof
// against the job's root, as MsgAuditReveal and MsgChallenge need them.
func StartProof(commitments [][]byte, s uint64) ([]byte, [][]byte, error) {
	if s >= uint64(len(commitments)) {
		return nil, nil, fmt.Errorf("segment %d: only %d commitments posted", s, len(commitments))
	}
	leaves := make([]merkle.Hash, len(commitments))
	for i, c := range commitments {
		leaves[i] = merkle.LeafHash(c)
	}
	path, err := merkle.Proof(leaves, int(s))
	if err != nil {
		return nil, nil, fmt.Errorf("segment %d proof: %w", s, err)
	}
	out := make([][]byte, len(path))
	for i := range path {
		out[i] = append([]byte(nil), path[i][:]...)
	}
	return commitments[s], out, nil
}
