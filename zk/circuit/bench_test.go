package circuit

import (
	"testing"

	"github.com/hypha-network/hypha/testutil/zkmodels"
)

// BenchmarkSolve784 is one witness build and solve of the public
// 784-32-10 circuit: the unit of the 10,000-input equality test.
func BenchmarkSolve784(b *testing.B) {
	m, err := zkmodels.Random(784, 784, 32, 10)
	if err != nil {
		b.Fatal(err)
	}
	c, ccs := compile(b, m, Mode{})
	x := zkmodels.RandomInputs(1, 1, 784)[0]
	out, _ := m.Infer(x)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !solves(b, c, ccs, x, out) {
			b.Fatal("native output rejected")
		}
	}
}
