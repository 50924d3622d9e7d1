package types

import (
	errorsmod "cosmossdk.io/errors"
)

// DefaultGenesis returns the default jobs genesis: default params, no jobs.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams()}
}

// Validate checks the genesis: params, unique and well-formed ids, and that
// every commitment and assignment belongs to a job and every auditor is sane.
func (g GenesisState) Validate() error {
	if err := g.Params.Validate(); err != nil {
		return err
	}
	jobs := make(map[string]Job, len(g.Jobs))
	for _, j := range g.Jobs {
		if err := validJobID(j.Id); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "job: %v", err)
		}
		if _, dup := jobs[j.Id]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "duplicate job %s", j.Id)
		}
		if err := ValidateAddress("submitter", j.Submitter); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "job %s: %v", j.Id, err)
		}
		if err := j.Terms.Validate(); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "job %s: %v", j.Id, err)
		}
		if j.Status == JobUnspecified || JobStatus_name[int32(j.Status)] == "" {
			return errorsmod.Wrapf(ErrInvalidGenesis, "job %s: status %d", j.Id, j.Status)
		}
		if j.CommitmentCount > j.Terms.Leaves() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "job %s: %d commitments, more than T/k+1", j.Id, j.CommitmentCount)
		}
		jobs[j.Id] = j
	}
	type ck struct {
		id string
		i  uint64
	}
	seen := map[ck]bool{}
	for _, c := range g.Commitments {
		j, ok := jobs[c.JobId]
		if !ok || c.Index >= j.CommitmentCount || len(c.Commitment) != 32 || seen[ck{c.JobId, c.Index}] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "commitment %s/%d", c.JobId, c.Index)
		}
		seen[ck{c.JobId, c.Index}] = true
	}
	seenG := map[string]bool{}
	for _, dg := range g.Games {
		if _, ok := jobs[dg.JobId]; !ok || seenG[dg.JobId] || len(dg.Game) == 0 {
			return errorsmod.Wrapf(ErrInvalidGenesis, "dispute game of job %s: no such job, duplicate or empty", dg.JobId)
		}
		seenG[dg.JobId] = true
	}
	seenA := map[ck]bool{}
	for _, a := range g.Assignments {
		j, ok := jobs[a.JobId]
		if !ok || a.Segment >= j.Terms.Segments() || seenA[ck{a.JobId, a.Segment}] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "assignment %s/%d", a.JobId, a.Segment)
		}
		if err := ValidateAddress("auditor", a.Auditor); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "assignment %s/%d: %v", a.JobId, a.Segment, err)
		}
		seenA[ck{a.JobId, a.Segment}] = true
	}
	auditors := map[string]bool{}
	for _, a := range g.Auditors {
		if err := ValidateAddress("auditor", a.Address); err != nil || auditors[a.Address] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "auditor %q", a.Address)
		}
		if a.Bond.Denom != g.Params.Denom || a.Bond.Amount.IsNil() || a.Bond.Amount.IsNegative() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "auditor %s bond %s", a.Address, a.Bond)
		}
		auditors[a.Address] = true
	}
	if len(g.BlockHashes) > MaxBeaconDelay+1 {
		return errorsmod.Wrapf(ErrInvalidGenesis, "%d block hashes, at most %d", len(g.BlockHashes), MaxBeaconDelay+1)
	}
	return nil
}
