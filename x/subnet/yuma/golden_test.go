package yuma

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math/rand/v2"
	"testing"
)

// hashOutput feeds every bit of an Output to h: permits, the four vectors
// and the bond rows (lengths included).
func hashOutput(h hash.Hash, out Output) {
	var buf [8]byte
	put := func(x uint64) {
		binary.LittleEndian.PutUint64(buf[:], x)
		h.Write(buf[:])
	}
	put(uint64(len(out.NextPermit)))
	for _, b := range out.NextPermit {
		if b {
			put(1)
		} else {
			put(0)
		}
	}
	for _, v := range [][]Fixed{out.Consensus, out.Incentive, out.Dividends, out.ValidatorTrust} {
		put(uint64(len(v)))
		for _, x := range v {
			put(uint64(x))
		}
	}
	put(uint64(len(out.Bonds)))
	for _, row := range out.Bonds {
		put(uint64(len(row)))
		for _, e := range row {
			put(uint64(e.UID))
			put(uint64(e.Value))
		}
	}
}

// goldenCases are the configurations whose outputs TestGoldenOutputs pins.
var goldenCases = []struct {
	name     string
	version  Version
	liquid   bool
	penalty  Fixed
	steep    int32
	density  float64
	reg      bool // random LastUpdate/RegisteredAt: stale weights and bonds
	expected string
}{
	{"yuma3", Yuma3, false, One, 1000, 1, false, "d07f8213de5a218244c7003c7191c437c1ed14c07d17af374d697ef4ff6a8a83"},
	{"yuma3-liquid", Yuma3, true, One, 1000, 1, false, "e441d42c56c51195291b79394403afab6d5472e34fa105bc49910ba6ad7fd738"},
	{"yuma3-liquid-pen1/3-steep-37", Yuma3, true, Ratio(1, 3), -37, 1, false, "caf247ff619ffe2c2048bb3a6fbb84f46ec0d39149cb036b9ce49ecf2f469e00"},
	{"yuma3-liquid-pen0-steep5", Yuma3, true, 0, 5, 0.3, false, "249b1d219c1249febba1b735c86b13664d95efa04e2a391f6922cb54f3eaae8c"},
	{"yuma3-liquid-reg", Yuma3, true, Ratio(2, 3), 1000, 0.7, true, "b9d794dc6249728f4135e5479141d57162a71f02da0d3aa4e14d9794a2af09c9"},
	{"yuma2", Yuma2, false, One, 1000, 1, false, "938cee8ba5198539fcb6b68bfbd845a29ff820ad6e7439e3b2f0212c686d326e"},
	{"yuma2-pen1/3", Yuma2, false, Ratio(1, 3), 1000, 1, false, "313e080d009caf94c43a70ec6d37990e5a9e0fc64c97099cf629b8b96b2a11c7"},
	{"yuma2-pen0-sparse", Yuma2, false, 0, 1000, 0.3, false, "45c67f0836684a255ce57067c78ba4e30ad9152a4c70964078e94ca761f7b89c"},
	{"yuma2-reg", Yuma2, false, Ratio(2, 3), 1000, 0.7, true, "ea471a57ef05eb7172e7a305767f58052284eca9b5126dec6f69107a2b6fad9a"},
}

// TestGoldenOutputs pins the exact output bits of three chained epochs on
// seeded n=512/V=64 subnets, in every mode (Yuma 3 with fixed and liquid
// alpha, Yuma 2, several bond penalties and steepnesses, stale weights and
// bonds), by a SHA-256 of the outputs computed with the implementation of
// docs/yuma.md. Any optimization must leave them unchanged.
func TestGoldenOutputs(t *testing.T) {
	const n, v = 512, 64
	ws := NewWorkspace()
	for _, c := range goldenCases {
		p := DefaultParams()
		p.Version, p.LiquidAlpha, p.MaxValidators = c.version, c.liquid, v
		p.BondPenalty, p.AlphaSigmoidSteepness = c.penalty, c.steep
		in := benchInput(n, v, c.density, p)
		if c.reg {
			r := rand.New(rand.NewPCG(7, 7))
			in.Block, in.LastEpochBlock, in.ActivityCutoff = 1000, 900, 5000
			in.LastUpdate = make([]uint64, n)
			in.RegisteredAt = make([]uint64, n)
			for i := range n {
				in.LastUpdate[i] = 800 + r.Uint64N(200)
				in.RegisteredAt[i] = r.Uint64N(850)
				if r.IntN(20) == 0 {
					in.RegisteredAt[i] = 850 + r.Uint64N(150) // re-registered
				}
			}
		}
		h := sha256.New()
		for e := 0; e < 3; e++ {
			out, err := EpochWith(ws, p, in)
			if err != nil {
				t.Fatal(err)
			}
			hashOutput(h, out)
			in.Bonds, in.Permit = out.Bonds, out.NextPermit
		}
		got := hex.EncodeToString(h.Sum(nil))
		if got != c.expected {
			t.Errorf("%s: output hash %s, want %s", c.name, got, c.expected)
		}
	}
}
