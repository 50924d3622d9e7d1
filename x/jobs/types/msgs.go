package types

import (
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

var (
	_ sdk.Msg = &MsgSubmitJob{}
	_ sdk.Msg = &MsgClaimJob{}
	_ sdk.Msg = &MsgPostCommitments{}
	_ sdk.Msg = &MsgFinalizeJob{}
	_ sdk.Msg = &MsgBondAuditor{}
	_ sdk.Msg = &MsgUnbondAuditor{}
	_ sdk.Msg = &MsgAuditCommit{}
	_ sdk.Msg = &MsgAuditReveal{}
	_ sdk.Msg = &MsgChallenge{}
	_ sdk.Msg = &MsgUpdateParams{}
)

// MaxCommitmentsPerMsg bounds one MsgPostCommitments (and so its gas and work).
const MaxCommitmentsPerMsg = 256

// maxProofLen bounds a Merkle proof: a tree of 2^20 leaves needs 20 hashes.
const maxProofLen = 64

// maxResultBytes bounds an audit result or salt.
const maxResultBytes = 64

// ValidateAddress checks a bech32 account address of this chain.
func ValidateAddress(field, addr string) error {
	if _, err := sdk.AccAddressFromBech32(addr); err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s %q: %v", field, addr, err)
	}
	return nil
}

// validCoin checks a coin's denom syntax and that its amount is positive
// (or, with allowZero, not negative).
func validCoin(field string, c sdk.Coin, allowZero bool) error {
	if c.Amount.IsNil() {
		return errorsmod.Wrapf(ErrInvalidAmount, "%s is missing", field)
	}
	if err := sdk.ValidateDenom(c.Denom); err != nil {
		return errorsmod.Wrapf(ErrInvalidAmount, "%s: %v", field, err)
	}
	if c.Amount.IsNegative() || (!allowZero && c.Amount.IsZero()) {
		return errorsmod.Wrapf(ErrInvalidAmount, "%s must be positive, got %s", field, c)
	}
	return nil
}

func validJobID(id string) error {
	if _, err := ParseHash32("job_id", id); err != nil {
		return err
	}
	return nil
}

func validHash(field string, b []byte) error {
	if len(b) != 32 {
		return errorsmod.Wrapf(ErrInvalidCommitment, "%s must be 32 bytes, got %d", field, len(b))
	}
	return nil
}

func validProof(proof [][]byte) error {
	if len(proof) > maxProofLen {
		return errorsmod.Wrapf(ErrInvalidProof, "proof has %d hashes, at most %d", len(proof), maxProofLen)
	}
	for i, p := range proof {
		if len(p) != 32 {
			return errorsmod.Wrapf(ErrInvalidProof, "proof hash %d is %d bytes, want 32", i, len(p))
		}
	}
	return nil
}

// Validate checks the terms on their own (the keeper checks them against params).
func (t JobTerms) Validate() error {
	if err := ValidateDatasetID(t.DatasetId); err != nil {
		return err
	}
	switch {
	case t.Steps == 0 || t.Interval == 0:
		return errorsmod.Wrap(ErrInvalidTerms, "steps T and interval k must be positive")
	case t.Steps%t.Interval != 0:
		return errorsmod.Wrapf(ErrInvalidTerms, "steps T=%d is not a multiple of interval k=%d", t.Steps, t.Interval)
	case t.AuditRateBps > 10000:
		return errorsmod.Wrapf(ErrInvalidTerms, "audit_rate_bps %d above 10000 (100%%)", t.AuditRateBps)
	case t.ClaimBlocks < 1 || t.SolveBlocks < 1:
		return errorsmod.Wrap(ErrInvalidTerms, "claim_blocks and solve_blocks must be positive")
	}
	if err := validCoin("price", t.Price, false); err != nil {
		return err
	}
	if err := validCoin("solver_bond", t.SolverBond, false); err != nil {
		return err
	}
	if err := validCoin("audit_fee", t.AuditFee, true); err != nil {
		return err
	}
	return t.validateData()
}

// Bounds of the dataset description in the terms: enough for every example
// spec, small enough that building the referee is bounded work.
const (
	maxDataExamples = 1 << 31
	maxDataRank     = 4
	maxDataClasses  = 1 << 20
)

// validateData checks what the referee must know of the training set: a
// dispute over an input-node element is judged from these (data.Dataset's
// N, XShape, YShape, Classes and Root), so a job without them is refused.
func (t JobTerms) validateData() error {
	switch {
	case t.DataExamples == 0 || t.DataExamples > maxDataExamples:
		return errorsmod.Wrapf(ErrInvalidDataset, "data_examples %d must be in [1, %d]: the number of training examples after the spec's eval split", t.DataExamples, uint64(maxDataExamples))
	case len(t.DataXShape) == 0 || len(t.DataXShape) > maxDataRank || len(t.DataYShape) > maxDataRank:
		return errorsmod.Wrapf(ErrInvalidDataset, "data_x_shape needs 1 to %d dims and data_y_shape at most %d", maxDataRank, maxDataRank)
	case t.DataClasses == 0 || t.DataClasses > maxDataClasses:
		return errorsmod.Wrapf(ErrInvalidDataset, "data_classes %d must be in [1, %d]", t.DataClasses, maxDataClasses)
	case len(t.DataRoot) != 32:
		return errorsmod.Wrapf(ErrInvalidDataset, "data_root must be the 32-byte Merkle root over the examples (data.Dataset.Root), got %d bytes", len(t.DataRoot))
	}
	for _, sh := range [][]uint32{t.DataXShape, t.DataYShape} {
		n := uint64(1)
		for _, d := range sh {
			n *= uint64(d)
			if d == 0 || n > 1<<20 {
				return errorsmod.Wrapf(ErrInvalidDataset, "example shape %v: every dim must be positive and the size at most %d", sh, 1<<20)
			}
		}
	}
	return nil
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgSubmitJob) ValidateBasic() error {
	if err := ValidateAddress("submitter", m.Submitter); err != nil {
		return err
	}
	if len(m.Spec) == 0 {
		return errorsmod.Wrap(ErrInvalidSpec, "spec is empty")
	}
	if m.CeVersion != CEVersion {
		return errorsmod.Wrapf(ErrUnsupportedCE, "ce_version %q: this chain runs %q", m.CeVersion, CEVersion)
	}
	if err := m.Terms.Validate(); err != nil {
		return err
	}
	return validCoin("deposit", m.Deposit, false)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgClaimJob) ValidateBasic() error {
	if err := ValidateAddress("solver", m.Solver); err != nil {
		return err
	}
	return validJobID(m.JobId)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgPostCommitments) ValidateBasic() error {
	if err := ValidateAddress("solver", m.Solver); err != nil {
		return err
	}
	if err := validJobID(m.JobId); err != nil {
		return err
	}
	if len(m.Commitments) == 0 || len(m.Commitments) > MaxCommitmentsPerMsg {
		return errorsmod.Wrapf(ErrInvalidCommitment, "post 1 to %d commitments, got %d", MaxCommitmentsPerMsg, len(m.Commitments))
	}
	for i, c := range m.Commitments {
		if err := validHash("commitment", c); err != nil {
			return errorsmod.Wrapf(err, "commitment %d", m.StartIndex+uint64(i))
		}
	}
	return nil
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgFinalizeJob) ValidateBasic() error {
	if err := ValidateAddress("solver", m.Solver); err != nil {
		return err
	}
	if err := validJobID(m.JobId); err != nil {
		return err
	}
	return validHash("model_hash", m.ModelHash)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgBondAuditor) ValidateBasic() error {
	if err := ValidateAddress("auditor", m.Auditor); err != nil {
		return err
	}
	return validCoin("amount", m.Amount, false)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgUnbondAuditor) ValidateBasic() error { return ValidateAddress("auditor", m.Auditor) }

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgAuditCommit) ValidateBasic() error {
	if err := ValidateAddress("auditor", m.Auditor); err != nil {
		return err
	}
	if err := validJobID(m.JobId); err != nil {
		return err
	}
	return validHash("commit_hash", m.CommitHash)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgAuditReveal) ValidateBasic() error {
	if err := ValidateAddress("auditor", m.Auditor); err != nil {
		return err
	}
	if err := validJobID(m.JobId); err != nil {
		return err
	}
	if err := validHash("result", m.Result); err != nil {
		return err
	}
	if len(m.Salt) == 0 || len(m.Salt) > maxResultBytes {
		return errorsmod.Wrapf(ErrRevealMismatch, "salt must be 1 to %d bytes", maxResultBytes)
	}
	if err := validHash("start_commitment", m.StartCommitment); err != nil {
		return err
	}
	return validProof(m.StartProof)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgChallenge) ValidateBasic() error {
	if err := ValidateAddress("challenger", m.Challenger); err != nil {
		return err
	}
	if err := validJobID(m.JobId); err != nil {
		return err
	}
	if err := validHash("claimed_end", m.ClaimedEnd); err != nil {
		return err
	}
	if err := validCoin("bond", m.Bond, false); err != nil {
		return err
	}
	if err := validHash("start_commitment", m.StartCommitment); err != nil {
		return err
	}
	return validProof(m.StartProof)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := ValidateAddress("authority", m.Authority); err != nil {
		return errorsmod.Wrap(ErrInvalidAuthority, err.Error())
	}
	return m.Params.Validate()
}

// Segments is T/k, the number of checkpoint segments.
func (t JobTerms) Segments() uint64 { return t.Steps / t.Interval }

// Leaves is T/k + 1, the number of commitments c_0, c_k, ..., c_T.
func (t JobTerms) Leaves() uint64 { return t.Steps/t.Interval + 1 }

// Open reports whether a job still holds funds (escrow or bonds) the module owes.
func (s JobStatus) Open() bool {
	return s != JobSettled && s != JobExpired && s != JobFailed
}

// MaxMoveBytes bounds MsgDisputeMove.move: a bisection move is at most 64
// hashes, a reveal at most 4 KiB plus a 32-hash path, so 16 KiB is ample.
const MaxMoveBytes = 16 << 10

// MaxEvidenceMsgBytes bounds MsgDisputeEvidence.evidence: the game's 1 MiB
// evidence limit plus the move's framing.
const MaxEvidenceMsgBytes = 1<<20 + 1024

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgDisputeMove) ValidateBasic() error {
	if err := ValidateAddress("signer", m.Signer); err != nil {
		return err
	}
	if err := validJobID(m.JobId); err != nil {
		return err
	}
	if len(m.Move) == 0 || len(m.Move) > MaxMoveBytes {
		return errorsmod.Wrapf(ErrInvalidMove, "move of %d bytes: must be 1 to %d bytes of an encoded dispute.Move", len(m.Move), MaxMoveBytes)
	}
	return nil
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgDisputeEvidence) ValidateBasic() error {
	if err := ValidateAddress("signer", m.Signer); err != nil {
		return err
	}
	if err := validJobID(m.JobId); err != nil {
		return err
	}
	if len(m.Evidence) == 0 || len(m.Evidence) > MaxEvidenceMsgBytes {
		return errorsmod.Wrapf(ErrInvalidMove, "evidence of %d bytes: must be 1 to %d bytes of an encoded dispute.Move", len(m.Evidence), MaxEvidenceMsgBytes)
	}
	return nil
}
