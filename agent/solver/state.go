package solver

// record is the solver's persistent view of its current job. Checkpoints[i]
// is the blob id of the checkpoint at step i·k, Leaves[i] its state root; both
// are written before the leaf is posted, so a restart resumes from the last
// stored checkpoint and posts only what the chain does not have yet.
type record struct {
	JobID       string   `json:"job_id"`
	Checkpoints []string `json:"checkpoints"`
	Leaves      [][]byte `json:"leaves"`
	Finalized   bool     `json:"finalized"`
	// Done is set once the job has left the chain's live states (settled,
	// failed, disputed): the solver then looks for a new job.
	Done bool `json:"done"`
}

// keyCurrent holds the record of the job in hand.
const keyCurrent = "current"
