package types

import errorsmod "cosmossdk.io/errors"

// Registered errors of the subnet module (codespace "subnet").
var (
	ErrInvalidAddress      = errorsmod.Register(ModuleName, 2, "invalid address")
	ErrInvalidParams       = errorsmod.Register(ModuleName, 3, "invalid params")
	ErrInvalidAuthority    = errorsmod.Register(ModuleName, 4, "invalid authority")
	ErrInvalidHyperparams  = errorsmod.Register(ModuleName, 5, "invalid hyperparameters")
	ErrSubnetNotFound      = errorsmod.Register(ModuleName, 6, "subnet not found")
	ErrTooManySubnets      = errorsmod.Register(ModuleName, 7, "subnet limit reached")
	ErrLockTooHigh         = errorsmod.Register(ModuleName, 8, "subnet lock cost above max_lock")
	ErrNotOwner            = errorsmod.Register(ModuleName, 9, "signer is not the subnet owner")
	ErrAlreadyRegistered   = errorsmod.Register(ModuleName, 10, "hotkey already registered on this subnet")
	ErrBurnTooHigh         = errorsmod.Register(ModuleName, 11, "registration price above max_burn")
	ErrSubnetFull          = errorsmod.Register(ModuleName, 12, "subnet full and every uid is immune")
	ErrNotRegistered       = errorsmod.Register(ModuleName, 13, "hotkey not registered on this subnet")
	ErrInvalidAmount       = errorsmod.Register(ModuleName, 14, "invalid amount")
	ErrInsufficientStake   = errorsmod.Register(ModuleName, 15, "insufficient stake")
	ErrInvalidWeights      = errorsmod.Register(ModuleName, 16, "invalid weights")
	ErrRateLimited         = errorsmod.Register(ModuleName, 17, "weights set too recently")
	ErrCommitRevealEnabled = errorsmod.Register(ModuleName, 18, "subnet requires commit-reveal: use commit-weights and reveal-weights")
	ErrCommitRevealOff     = errorsmod.Register(ModuleName, 19, "subnet has commit-reveal off: use set-weights")
	ErrNoCommit            = errorsmod.Register(ModuleName, 20, "no weight commit to reveal")
	ErrRevealWindow        = errorsmod.Register(ModuleName, 21, "outside the reveal window")
	ErrHashMismatch        = errorsmod.Register(ModuleName, 22, "revealed weights do not match the commit")
	ErrInvalidHash         = errorsmod.Register(ModuleName, 23, "invalid commit hash")
	ErrInvalidName         = errorsmod.Register(ModuleName, 24, "invalid subnet name")
	ErrInvalidAxon         = errorsmod.Register(ModuleName, 25, "invalid axon endpoint")
	ErrInvalidGenesis      = errorsmod.Register(ModuleName, 26, "invalid genesis")
	ErrInvalidRequest      = errorsmod.Register(ModuleName, 27, "invalid request")
	ErrSupplyOverflow      = errorsmod.Register(ModuleName, 28, "amount overflows")
)
