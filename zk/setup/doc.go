// Package setup runs the Groth16 trusted setup of one model's circuit as a
// multi-party ceremony with gnark's backend/groth16/bn254/mpcsetup, and
// keeps a transcript anyone can verify.
//
// Phase 1 is a powers-of-tau over the circuit's domain, made in the
// ceremony itself; phase 2 is specific to the circuit. Each contribution
// carries proofs that it updates the previous state with fresh secrets, and
// each phase is closed by a public random beacon. The keys are sound if any
// one contributor of each phase destroyed their secret, so a ceremony needs
// at least MinContributions per phase: the model owner and anyone else.
package setup
