package train

import "testing"

// BenchmarkStep measures one training step of each example spec; run with
// -benchmem to see that a step allocates (almost) nothing.
func BenchmarkStep(b *testing.B) {
	for _, name := range []string{"digits-mlp", "digits-cnn", "charlm"} {
		b.Run(name, func(b *testing.B) {
			s, err := LoadSpec("../../examples/ml/" + name + ".yaml")
			if err != nil {
				b.Fatal(err)
			}
			tr, err := New(s, 1)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := tr.Step(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
