package types

import errorsmod "cosmossdk.io/errors"

// Registered errors of the jobs module (codespace "jobs"). Every one is
// returned before any state or funds change.
var (
	ErrInvalidAddress    = errorsmod.Register(ModuleName, 2, "invalid address")
	ErrInvalidSpec       = errorsmod.Register(ModuleName, 3, "invalid training spec")
	ErrUnsupportedCE     = errorsmod.Register(ModuleName, 4, "unsupported canonical-execution version")
	ErrInvalidTerms      = errorsmod.Register(ModuleName, 5, "invalid job terms")
	ErrInvalidDataset    = errorsmod.Register(ModuleName, 6, "missing or malformed dataset id")
	ErrInvalidAmount     = errorsmod.Register(ModuleName, 7, "invalid amount")
	ErrDepositTooLow     = errorsmod.Register(ModuleName, 8, "deposit below price + audits x audit fee")
	ErrJobExists         = errorsmod.Register(ModuleName, 9, "job already exists")
	ErrJobNotFound       = errorsmod.Register(ModuleName, 10, "job not found")
	ErrWrongStatus       = errorsmod.Register(ModuleName, 11, "job is not in a status that allows this")
	ErrUnauthorized      = errorsmod.Register(ModuleName, 12, "unauthorized")
	ErrDeadlinePassed    = errorsmod.Register(ModuleName, 13, "deadline passed")
	ErrOutOfOrder        = errorsmod.Register(ModuleName, 14, "commitments out of order")
	ErrInvalidCommitment = errorsmod.Register(ModuleName, 15, "invalid commitment")
	ErrIncomplete        = errorsmod.Register(ModuleName, 16, "not all commitments are posted")
	ErrInvalidProof      = errorsmod.Register(ModuleName, 17, "Merkle proof does not match the job's root")
	ErrAuditorExists     = errorsmod.Register(ModuleName, 18, "auditor is unbonding")
	ErrAuditorNotFound   = errorsmod.Register(ModuleName, 19, "auditor not found")
	ErrAuditorBusy       = errorsmod.Register(ModuleName, 20, "auditor has open assignments")
	ErrBondTooLow        = errorsmod.Register(ModuleName, 21, "bond below minimum")
	ErrNotAssigned       = errorsmod.Register(ModuleName, 22, "no such audit assignment for this auditor")
	ErrTooEarly          = errorsmod.Register(ModuleName, 23, "window not open yet")
	ErrRevealMismatch    = errorsmod.Register(ModuleName, 24, "reveal does not match its commit")
	ErrAlreadyDone       = errorsmod.Register(ModuleName, 25, "already done")
	ErrInvalidSegment    = errorsmod.Register(ModuleName, 26, "invalid segment")
	ErrInvalidParams     = errorsmod.Register(ModuleName, 27, "invalid params")
	ErrInvalidAuthority  = errorsmod.Register(ModuleName, 28, "invalid authority")
	ErrInvalidGenesis    = errorsmod.Register(ModuleName, 29, "invalid genesis")
	ErrInvalidRequest    = errorsmod.Register(ModuleName, 30, "invalid request")
	ErrNoDispute         = errorsmod.Register(ModuleName, 31, "challenge agrees with the solver's commitment")
	ErrSelfDealing       = errorsmod.Register(ModuleName, 32, "a job's submitter or solver may not audit or challenge it")
)
