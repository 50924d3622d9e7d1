package groth

import (
	"sync"
	"testing"

	"github.com/hypha-network/hypha/testutil/zkmodels"
	"github.com/hypha-network/hypha/zk/circuit"
)

// seed is one real proof, its public inputs and verifying key.
var seed = sync.OnceValues(func() (*Proof, []byte) {
	m, _ := zkmodels.Random(11, 16, 8, 4)
	p, vk := devKeys(&testing.T{}, m, circuit.Mode{})
	proof, _, err := p.Prove(circuit.Witness{Input: zkmodels.RandomInputs(2, 1, 16)[0]})
	if err != nil {
		panic(err)
	}
	vkb, err := EncodeVerifyingKey(vk)
	if err != nil {
		panic(err)
	}
	return proof, vkb
})

// FuzzDecodeProof: the proof decoder never panics, and what it accepts is
// canonical.
func FuzzDecodeProof(f *testing.F) {
	proof, _ := seed()
	f.Add(proof.Bytes)
	f.Add(proof.Bytes[:100])
	f.Add(make([]byte, ProofSize(1)))
	big := append([]byte(nil), proof.Bytes...)
	big[131] = 0xff // commitment count
	f.Add(big)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeProof(b)
		if err != nil {
			return
		}
		if again, _ := EncodeProof(p); string(again) != string(b) {
			t.Fatal("accepted a non-canonical proof")
		}
	})
}

// FuzzDecodePublic: the public-input decoder never panics and round-trips.
func FuzzDecodePublic(f *testing.F) {
	proof, _ := seed()
	f.Add(EncodePublic(proof.Public))
	f.Add(make([]byte, 31))
	f.Add(bytesOf(0xff, 64))
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, err := DecodePublic(b)
		if err != nil {
			return
		}
		if string(EncodePublic(pub)) != string(b) {
			t.Fatal("public inputs do not round-trip")
		}
	})
}

// FuzzVerify: verifying arbitrary proof and public bytes under a real key
// never panics and never succeeds except on the real proof.
func FuzzVerify(f *testing.F) {
	proof, vkb := seed()
	f.Add(proof.Bytes, EncodePublic(proof.Public))
	f.Add(proof.Bytes[:ProofSize(0)], EncodePublic(proof.Public))
	vk, err := DecodeVerifyingKey(vkb)
	if err != nil {
		f.Fatal(err)
	}
	real := string(proof.Bytes) + string(EncodePublic(proof.Public))
	f.Fuzz(func(t *testing.T, pb, pubb []byte) {
		pub, err := DecodePublic(pubb)
		if err != nil {
			return
		}
		if Verify(vk, pub, pb) == nil && string(pb)+string(pubb) != real {
			t.Fatal("a changed proof or public input verified")
		}
	})
}

// FuzzDecodeVerifyingKey: the key decoder never panics or over-allocates.
func FuzzDecodeVerifyingKey(f *testing.F) {
	_, vkb := seed()
	f.Add(vkb)
	f.Add(vkb[:300])
	huge := append([]byte(nil), vkb...)
	huge[288], huge[289] = 0x7f, 0xff // K length
	f.Add(huge)
	f.Fuzz(func(t *testing.T, b []byte) {
		vk, err := DecodeVerifyingKey(b)
		if err != nil {
			return
		}
		if again, _ := EncodeVerifyingKey(vk); string(again) != string(b) {
			t.Fatal("accepted a non-canonical key")
		}
	})
}

func bytesOf(v byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = v
	}
	return b
}
