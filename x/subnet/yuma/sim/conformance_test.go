package sim

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// conformanceDir holds scenarios from subtensor's pallet tests (see its
// README.md for provenance and semantics).
const conformanceDir = "../testdata/conformance"

// exactTolerance replaces a tolerance of 0. Those files assert exact I32F32
// or u16 values; their tolerance_note says a float implementation agrees to
// about 1e-9, and a Q32.32 one agrees to a few 2^-32 ulps.
const exactTolerance = 1e-9

// statedBondTolerance bounds the bond targets the tests state but never
// assert: subtensor floors bonds to u16 every epoch and Hypha keeps 32 bits,
// so the two drift apart by up to a few 1e-5 over six epochs.
const statedBondTolerance = 1e-3

type conformanceFile struct {
	Name   string `json:"name"`
	Epochs []struct {
		Expect            map[string][]float64 `json:"expect"`
		Tolerance         float64              `json:"tolerance"`
		StatedNotAsserted *struct {
			Rows  []int       `json:"bonds_rows"`
			Cols  []int       `json:"bonds_cols"`
			Bonds [][]float64 `json:"bonds"`
		} `json:"stated_not_asserted"`
	} `json:"epochs"`
}

func field(ep EpochResult, name string) []float64 {
	switch name {
	case "consensus":
		return ep.Consensus
	case "incentive":
		return ep.Incentive
	case "dividends":
		return ep.Dividends
	case "validator_trust":
		return ep.ValidatorTrust
	}
	return nil
}

func TestConformance(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(conformanceDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, path := range files {
		if filepath.Base(path) == "weighted_median.json" {
			continue // run by the yuma package's median test
		}
		ran++
		t.Run(strings.TrimSuffix(filepath.Base(path), ".json"), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var want conformanceFile
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := RunScenario(bytes.NewReader(raw), &out); err != nil {
				t.Fatalf("RunScenario: %v", err)
			}
			var got Result
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out.Bytes())
			}
			if len(got.Epochs) != len(want.Epochs) {
				t.Fatalf("got %d epochs, want %d", len(got.Epochs), len(want.Epochs))
			}
			var maxDev, maxBondDev float64
			for e, we := range want.Epochs {
				tol := we.Tolerance
				if tol == 0 {
					tol = exactTolerance
				}
				for name, exp := range we.Expect {
					g := field(got.Epochs[e], name)
					if len(g) != len(exp) {
						t.Errorf("epoch %d %s: got %d values, want %d", e, name, len(g), len(exp))
						continue
					}
					for i := range exp {
						d := math.Abs(g[i] - exp[i])
						maxDev = max(maxDev, d)
						if d > tol {
							t.Errorf("epoch %d %s[%d] = %.6f, want %.6f ± %g", e, name, i, g[i], exp[i], tol)
						}
					}
				}
				if s := we.StatedNotAsserted; s != nil {
					for r, row := range s.Bonds {
						for c, exp := range row {
							g := got.Epochs[e].Bonds[s.Rows[r]][s.Cols[c]]
							d := math.Abs(g - exp)
							maxBondDev = max(maxBondDev, d)
							if d > statedBondTolerance {
								t.Errorf("epoch %d stated bond[%d][%d] = %.6f, want %.4f ± %g", e, s.Rows[r], s.Cols[c], g, exp, statedBondTolerance)
							}
						}
					}
				}
			}
			t.Logf("max |deviation|: asserted values %.3g, stated bonds %.3g", maxDev, maxBondDev)
		})
	}
	if ran == 0 {
		t.Fatal("no conformance scenarios found")
	}
}
