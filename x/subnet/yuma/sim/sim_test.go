package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunScenarioErrors(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"not json", `{`},
		{"bad version", `{"version": "yuma4", "n": 1, "epochs": []}`},
		{"kappa above one", `{"params": {"kappa": 1.5}, "n": 1, "epochs": []}`},
		{"fractional max validators", `{"params": {"max_validators": 1.5}, "n": 1, "epochs": []}`},
		{"negative n", `{"n": -1, "epochs": []}`},
		{"n too large", `{"n": 5000, "epochs": []}`},
		{"stake length", `{"n": 2, "epochs": [{"stake": [1]}]}`},
		{"negative stake", `{"n": 1, "epochs": [{"stake": [-1]}]}`},
		{"weight rows", `{"n": 2, "epochs": [{"stake": [1, 1], "weights": [[0, 1]]}]}`},
		{"weight row length", `{"n": 2, "epochs": [{"stake": [1, 1], "weights": [[0, 1], [1]]}]}`},
		{"negative weight", `{"n": 2, "epochs": [{"stake": [1, 1], "weights": [[0, -1], [0, 0]]}]}`},
		{"permit length", `{"n": 2, "epochs": [{"stake": [1, 1], "validator_permit": [true]}]}`},
		{"owner out of range", `{"n": 2, "owner_uid": 2, "epochs": []}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := RunScenario(strings.NewReader(tt.in), &bytes.Buffer{})
			if !errors.Is(err, ErrScenario) {
				t.Fatalf("err = %v, want ErrScenario", err)
			}
		})
	}
}

func TestRunScenarioExample(t *testing.T) {
	in := `{"version": "yuma3", "params": {"kappa": 0.5, "bond_penalty": 1, "bonds_moving_average": 0.9,
	  "max_validators": 2, "extra": "ignored"}, "n": 3,
	  "epochs": [{"stake": [3, 1, 0], "weights": [[0, 0, 5], [0, 0, 1], [0, 0, 0]]}]}`
	var out bytes.Buffer
	if err := RunScenario(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	ep := res.Epochs[0]
	if ep.Consensus[2] != 1 || ep.Incentive[2] != 1 || ep.Dividends[0] != 0.75 || ep.Dividends[1] != 0.25 {
		t.Fatalf("unexpected result:\n%s", out.String())
	}
	if math.Abs(ep.Bonds[0][2]-0.1) > 1e-15 || math.Abs(ep.Bonds[1][2]-0.1) > 1e-15 {
		t.Fatalf("bonds = %v, want 0.1 (alpha) for both validators", ep.Bonds)
	}
}

func TestCommand(t *testing.T) {
	path := filepath.Join(conformanceDir, "test_yuma_3_kappa_moves_first.json")
	cmd := NewSimCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--in", path})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil || len(res.Epochs) != 6 {
		t.Fatalf("bad output (%v):\n%s", err, out.String())
	}
	// Standard input.
	raw, _ := os.ReadFile(path)
	cmd = NewSimCommand()
	var out2 bytes.Buffer
	cmd.SetOut(&out2)
	cmd.SetIn(bytes.NewReader(raw))
	cmd.SetArgs([]string{"--in", "-"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if out.String() != out2.String() {
		t.Fatal("stdin and file results differ")
	}
}

// FuzzRunScenario checks that no scenario, however malformed, panics, and
// that accepted ones produce JSON with values in [0, 1].
func FuzzRunScenario(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(conformanceDir, "*.json"))
	for _, p := range files {
		if raw, err := os.ReadFile(p); err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte(`{"n": 2, "epochs": [{"stake": [1, 0.5], "weights": [[0, 1e308], [1, 0]]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		if err := RunScenario(bytes.NewReader(data), &out); err != nil {
			return
		}
		var res Result
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("output is not JSON: %v", err)
		}
		for _, ep := range res.Epochs {
			for _, v := range [][]float64{ep.Consensus, ep.Incentive, ep.Dividends, ep.ValidatorTrust} {
				for _, x := range v {
					if !(x >= 0 && x <= 1) {
						t.Fatalf("value %v outside [0, 1]", x)
					}
				}
			}
		}
	})
}
