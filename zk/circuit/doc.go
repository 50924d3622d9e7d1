// Package circuit builds the gnark circuit of a quantized MLP (package
// ml/quant) so that a Groth16 proof over BN254 shows "this model maps this
// input to these logits" with exactly the native engine's integer semantics.
//
// Two model modes: a public model, whose weights are circuit constants (the
// verifying key then binds the model, and a multiply by a weight is free),
// and a private model, whose weights are in the witness, range-checked to
// int8/int32 and bound by a Poseidon2 commitment that is a public input. The
// input is public (packed into the public witness) or committed (in the
// witness, bound by a Poseidon2 commitment). The logits are always public.
//
// Each hidden unit computes y = clamp(floor(A / 2^s), 0, 127), which equals
// the engine's min(max(A, 0) >> s, 127). A hint supplies the quotient,
// remainder and two selector bits; range checks make them unique:
//
//	A = 2^s*q + r,  r in [0, 2^s),  q + 2^(31-s) in [0, 2^(32-s))
//	g boolean, h = g*q, 2h + g - q - 1 in [0, 2^32)        (h = max(q, 0))
//	c boolean, y = h - c*h + 127c, 127 - h + 2ch - 255c in [0, 2^32)
//
// The bound on q proves A in [-2^31, 2^31): an accumulator that overflows
// int32 has no witness, matching quant.ErrOverflow. Output logits are
// range-checked as 32-bit limbs A + 2^31, which proves the same bound for
// the last layer. Range checks use std/rangecheck (a log-derivative argument
// over a BSB22 commitment in Groth16).
package circuit
