// Package yuma implements one epoch of Yuma consensus, the mechanism that
// turns the weights validators set over the uids of a subnet into consensus
// scores, miner incentives, validator dividends and validator bonds.
//
// The package is a pure library for the chain's state machine: it imports no
// Cosmos SDK code and computes everything in deterministic unsigned Q2.62
// fixed-point integer arithmetic (see [Fixed]). It uses no floating point, no
// map iteration, no clock and no randomness, so every node computes the same
// result bit for bit. The algorithm, the rounding of each step and the
// differences from subtensor are described in docs/yuma.md.
//
// The entry point is [Epoch]; [EpochWith] does the same with a caller-owned
// [Workspace] of scratch memory, reused across epochs. [SplitEmission]
// divides a subnet's emission between its owner, miners (by incentive) and
// validators (by dividends) without creating or losing a single base unit.
package yuma
