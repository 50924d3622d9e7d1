// Package encode is the native side of the zk inference statement: how a
// model, an input and an output become the BN254 field elements of a
// Groth16 public witness, and the Poseidon2 commitments that bind a private
// model or a committed input. It has no circuit code, so the chain and an
// offline receipt verifier can build a public witness from the request's
// input and the answer's output with only this package and a verifying key.
//
// Every value is first mapped to an unsigned limb of fixed width
// (int8 v -> v+128 in 8 bits, int32 v -> v+2^31 in 32 bits) and limbs are
// packed little-endian into field elements of at most 248 bits, a limb never
// split across elements: element = sum_k limb_k * 2^(offset_k). Because
// 248 < 253, distinct limb sequences give distinct elements, and the circuit
// range-checks every limb so it proves exactly this encoding.
package encode
