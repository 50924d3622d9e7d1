// Package groth is the Groth16 (BN254) layer of zk inference: compiling a
// model's circuit to R1CS, proving, verifying, and the deterministic byte
// encodings of proofs, verifying keys and public inputs, with decoders that
// are safe on untrusted bytes (the chain reads them from transactions).
//
// Keys come from the phase-2 ceremony in zk/setup; this package never makes
// a single-party setup. A key id is the SHA-256 of the verifying key's
// compressed gnark encoding (VerifyingKey.WriteTo).
package groth
