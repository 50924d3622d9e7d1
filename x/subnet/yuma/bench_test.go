package yuma

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchInput builds a realistic subnet: v validators with stake, each
// weighting a random 'density' fraction of all n uids with u16-scale weights,
// and bonds from a few warm-up epochs.
func benchInput(n, v int, density float64, p Params) Input {
	r := rand.New(rand.NewPCG(uint64(n), uint64(v)))
	in := Input{N: n, Stake: make([]uint64, n), Weights: make([][]Weight, n)}
	for i := 0; i < v; i++ {
		in.Stake[i] = 1_000_000 + r.Uint64N(1_000_000_000_000)
		for j := v; j < n; j++ {
			if r.Float64() < density {
				in.Weights[i] = append(in.Weights[i], Weight{UID: uint32(j), Value: 1 + r.Uint32N(65535)})
			}
		}
	}
	for e := 0; e < 3; e++ {
		out, err := Epoch(p, in)
		if err != nil {
			panic(err)
		}
		in.Bonds, in.Permit = out.Bonds, out.NextPermit
	}
	return in
}

var benchCases = []struct {
	n, v    int
	density float64
}{
	{256, 64, 1},     // every validator weights every miner
	{256, 64, 0.25},  // sparse
	{4096, 256, 1},   // large subnet, dense
	{4096, 256, 0.1}, // large subnet, sparse
}

func BenchmarkEpoch(b *testing.B) {
	for _, liquid := range []bool{false, true} {
		for _, version := range []Version{Yuma3, Yuma2} {
			for _, c := range benchCases {
				if version == Yuma2 && liquid {
					continue // Yuma 2 ignores liquid alpha
				}
				p := DefaultParams()
				p.Version, p.LiquidAlpha, p.MaxValidators = version, liquid, c.v
				in := benchInput(c.n, c.v, c.density, p)
				name := fmt.Sprintf("%v/liquid=%v/n=%d/V=%d/density=%g", version, liquid, c.n, c.v, c.density)
				b.Run(name, func(b *testing.B) {
					b.ReportAllocs()
					start := cpuTime()
					for b.Loop() {
						if _, err := Epoch(p, in); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
				})
			}
		}
	}
}

// BenchmarkReference times the dense float64 reference for comparison.
func BenchmarkReference(b *testing.B) {
	for _, c := range benchCases[:3] {
		p := DefaultParams()
		p.MaxValidators = c.v
		in := benchInput(c.n, c.v, c.density, p)
		fb := dense(c.n)
		for i, row := range in.Bonds {
			for _, e := range row {
				fb[i][e.UID] = fx(e.Value)
			}
		}
		b.Run(fmt.Sprintf("n=%d/V=%d/density=%g", c.n, c.v, c.density), func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				refEpoch(p, in, fb)
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
