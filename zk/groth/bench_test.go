package groth

import (
	"testing"

	"github.com/hypha-network/hypha/testutil/zkmodels"
	"github.com/hypha-network/hypha/zk/circuit"
)

// benchProve proves the 784-32-10 model in mode with test-only keys (the
// ceremony's keys prove at the same cost; bench/zk uses those).
func benchProve(b *testing.B, mode circuit.Mode) {
	m, _ := zkmodels.Random(784, 784, 32, 10)
	p, vk := devKeys(b, m, mode)
	b.Logf("%s: %d constraints", mode, p.CCS.GetNbConstraints())
	x := zkmodels.RandomInputs(1, 1, 784)[0]
	var last *Proof
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pr, _, err := p.Prove(circuit.Witness{Input: x})
		if err != nil {
			b.Fatal(err)
		}
		last = pr
	}
	b.StopTimer()
	if err := Verify(vk, last.Public, last.Bytes); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(last.Bytes)), "proof-bytes")
}

// BenchmarkProvePublic784 proves the public 784-32-10 model.
func BenchmarkProvePublic784(b *testing.B) { benchProve(b, circuit.Mode{}) }

// BenchmarkProvePrivate784 proves the private 784-32-10 model (about a
// minute of setup first).
func BenchmarkProvePrivate784(b *testing.B) { benchProve(b, circuit.Mode{PrivateModel: true}) }
