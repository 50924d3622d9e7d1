package encode

import (
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"

	"github.com/hypha-network/hypha/ml/quant"
)

// Domain tags, the first element hashed in each commitment, so a model
// commitment can never be read as an input commitment.
var (
	ModelTag = tag("hypha/zk/model/v1")
	InputTag = tag("hypha/zk/input/v1")
)

func tag(s string) fr.Element {
	var e fr.Element
	e.SetBytes([]byte(s))
	return e
}

// Salt turns 32 bytes into the blinding element of a commitment: the bytes
// read big-endian and reduced modulo the BN254 scalar field. A commitment
// without a secret salt does not hide a low-entropy input.
func Salt(b [32]byte) fr.Element {
	var e fr.Element
	e.SetBytes(b[:])
	return e
}

// Hash is gnark-crypto's Poseidon2 Merkle-Damgard hash over BN254 (width 2,
// 6 full and 50 partial rounds, zero IV), the one std/hash/poseidon2
// computes in a circuit, over field elements.
func Hash(elems ...fr.Element) fr.Element {
	h := poseidon2.NewMerkleDamgardHasher()
	for i := range elems {
		b := elems[i].Bytes()
		_, _ = h.Write(b[:]) // canonical 32-byte elements: cannot fail
	}
	var out fr.Element
	out.SetBytes(h.Sum(nil))
	return out
}

// ModelLimbs is the committed sequence of a model: per layer its weights
// (row-major, 8-bit limbs) then its biases (32-bit limbs). The architecture
// and shifts are not in it: the circuit, hence the verifying key, fixes them.
func ModelLimbs(m *quant.Model) []Limb {
	var out []Limb
	for _, l := range m.Layers {
		out = append(out, Int8Limbs(l.W)...)
		out = append(out, Int32Limbs(l.B)...)
	}
	return out
}

// ModelCommitment is Hash(ModelTag, salt, Pack(ModelLimbs(m))...): the value a
// private model's owner publishes at registration.
func ModelCommitment(m *quant.Model, salt fr.Element) fr.Element {
	return Hash(append([]fr.Element{ModelTag, salt}, Pack(ModelLimbs(m))...)...)
}

// InputCommitment is Hash(InputTag, salt, Pack(Int8Limbs(x))...): the public
// value of a committed input.
func InputCommitment(x []int8, salt fr.Element) fr.Element {
	return Hash(append([]fr.Element{InputTag, salt}, Pack(Int8Limbs(x))...)...)
}
