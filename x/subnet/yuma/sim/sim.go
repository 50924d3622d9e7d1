// Package sim is the Yuma consensus simulator behind `hyphad subnet
// yuma-sim`: it reads a JSON scenario, runs its epochs through yuma.Epoch
// carrying bonds from zero, and prints the per-epoch results as JSON.
//
// Floats exist only at this JSON boundary; they are converted to and from
// the library's fixed point by the documented, deterministic rules below.
package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/x/subnet/yuma"
)

// ErrScenario reports a malformed scenario.
var ErrScenario = errors.New("yuma-sim: invalid scenario")

// MaxN bounds a scenario's uid count: the output is dense (n*n bonds per
// epoch), so the simulator caps n well above the chain's 256 but far below
// the library's limit.
const MaxN = 4096

// Scenario is the simulator's input. Unknown JSON fields are ignored.
type Scenario struct {
	// Version is "yuma3" (the default when empty) or "yuma2".
	Version string `json:"version"`
	// Params are the consensus parameters; omitted ones take
	// yuma.DefaultParams values.
	Params ScenarioParams `json:"params"`
	// N is the number of uids.
	N int `json:"n"`
	// OwnerUID is the subnet owner's uid (optional; default none).
	OwnerUID *int `json:"owner_uid,omitempty"`
	// Epochs are run in order.
	Epochs []ScenarioEpoch `json:"epochs"`
}

// ScenarioParams are the consensus parameters as real numbers.
type ScenarioParams struct {
	Kappa                 *float64 `json:"kappa"`
	BondPenalty           *float64 `json:"bond_penalty"`
	BondsMovingAverage    *float64 `json:"bonds_moving_average"`
	LiquidAlpha           *bool    `json:"liquid_alpha"`
	AlphaLow              *float64 `json:"alpha_low"`
	AlphaHigh             *float64 `json:"alpha_high"`
	AlphaSigmoidSteepness *float64 `json:"alpha_sigmoid_steepness"`
	MaxValidators         *float64 `json:"max_validators"`
}

// ScenarioEpoch is one epoch's stake, optional permits and dense weights.
type ScenarioEpoch struct {
	// Stake has n non-negative numbers.
	Stake []float64 `json:"stake"`
	// ValidatorPermit has n bools; if omitted the permits are the top
	// max_validators by stake computed in the previous epoch (for the first
	// epoch: by its own stake, as a setup epoch would).
	ValidatorPermit []bool `json:"validator_permit"`
	// Weights is n rows of n non-negative numbers; row i is uid i's weights
	// on any scale. Omitted or empty: no weights.
	Weights [][]float64 `json:"weights"`
}

// Result is the simulator's output.
type Result struct {
	Epochs []EpochResult `json:"epochs"`
}

// EpochResult is one epoch's output as floats in [0, 1].
type EpochResult struct {
	Consensus      []float64   `json:"consensus"`
	Incentive      []float64   `json:"incentive"`
	Dividends      []float64   `json:"dividends"`
	ValidatorTrust []float64   `json:"validator_trust"`
	Bonds          [][]float64 `json:"bonds"`
}

// RunScenario reads a JSON scenario from r, runs it and writes the JSON
// result to w.
func RunScenario(r io.Reader, w io.Writer) error {
	var sc Scenario
	dec := json.NewDecoder(r)
	if err := dec.Decode(&sc); err != nil {
		return fmt.Errorf("%w: %v", ErrScenario, err)
	}
	res, err := Run(sc)
	if err != nil {
		return err
	}
	return writeResult(w, res)
}

// Run runs a decoded scenario.
func Run(sc Scenario) (Result, error) {
	p, err := sc.params()
	if err != nil {
		return Result{}, err
	}
	n := sc.N
	if n < 0 {
		return Result{}, fmt.Errorf("%w: n = %d", ErrScenario, n)
	}
	if n > MaxN {
		return Result{}, fmt.Errorf("%w: n = %d exceeds the simulator's %d", ErrScenario, n, MaxN)
	}
	var hasOwner bool
	var owner uint32
	if sc.OwnerUID != nil {
		if *sc.OwnerUID < 0 || *sc.OwnerUID >= n {
			return Result{}, fmt.Errorf("%w: owner_uid %d, n = %d", ErrScenario, *sc.OwnerUID, n)
		}
		hasOwner, owner = true, uint32(*sc.OwnerUID)
	}
	var bonds [][]yuma.Bond
	var permit []bool
	res := Result{Epochs: make([]EpochResult, 0, len(sc.Epochs))}
	for e, ep := range sc.Epochs {
		in := yuma.Input{N: n, Bonds: bonds, Permit: permit, HasOwner: hasOwner, OwnerUID: owner}
		if in.Stake, err = stakes(ep.Stake, n); err != nil {
			return Result{}, fmt.Errorf("epoch %d: %w", e, err)
		}
		if ep.ValidatorPermit != nil {
			if len(ep.ValidatorPermit) != n {
				return Result{}, fmt.Errorf("%w: epoch %d: %d permits for n = %d", ErrScenario, e, len(ep.ValidatorPermit), n)
			}
			in.Permit = ep.ValidatorPermit
		}
		if in.Weights, err = weights(ep.Weights, n); err != nil {
			return Result{}, fmt.Errorf("epoch %d: %w", e, err)
		}
		out, err := yuma.Epoch(p, in)
		if err != nil {
			return Result{}, fmt.Errorf("epoch %d: %w", e, err)
		}
		bonds, permit = out.Bonds, out.NextPermit
		res.Epochs = append(res.Epochs, EpochResult{
			Consensus:      floats(out.Consensus),
			Incentive:      floats(out.Incentive),
			Dividends:      floats(out.Dividends),
			ValidatorTrust: floats(out.ValidatorTrust),
			Bonds:          denseBonds(out.Bonds, n),
		})
	}
	return res, nil
}

// toFixed converts a real in [0, 1] to a Fixed, rounding to nearest (the
// product by 2^62 is exact in float64, so the result is deterministic).
func toFixed(name string, x float64) (yuma.Fixed, error) {
	if !(x >= 0 && x <= 1) {
		return 0, fmt.Errorf("%w: %s = %v, want 0..1", ErrScenario, name, x)
	}
	return yuma.Fixed(math.Round(x * float64(yuma.One))), nil
}

func (sc *Scenario) params() (yuma.Params, error) {
	p := yuma.DefaultParams()
	switch sc.Version {
	case "", "yuma3":
		p.Version = yuma.Yuma3
	case "yuma2":
		p.Version = yuma.Yuma2
	default:
		return p, fmt.Errorf("%w: version %q, want yuma3 or yuma2", ErrScenario, sc.Version)
	}
	sp := sc.Params
	for _, f := range []struct {
		name string
		src  *float64
		dst  *yuma.Fixed
	}{
		{"kappa", sp.Kappa, &p.Kappa},
		{"bond_penalty", sp.BondPenalty, &p.BondPenalty},
		{"bonds_moving_average", sp.BondsMovingAverage, &p.BondsMovingAverage},
		{"alpha_low", sp.AlphaLow, &p.AlphaLow},
		{"alpha_high", sp.AlphaHigh, &p.AlphaHigh},
	} {
		if f.src == nil {
			continue
		}
		v, err := toFixed(f.name, *f.src)
		if err != nil {
			return p, err
		}
		*f.dst = v
	}
	if sp.LiquidAlpha != nil {
		p.LiquidAlpha = *sp.LiquidAlpha
	}
	if s := sp.AlphaSigmoidSteepness; s != nil {
		if !(*s >= math.MinInt32 && *s <= math.MaxInt32) {
			return p, fmt.Errorf("%w: alpha_sigmoid_steepness = %v", ErrScenario, *s)
		}
		p.AlphaSigmoidSteepness = int32(math.Round(*s))
	}
	if m := sp.MaxValidators; m != nil {
		if !(*m >= 0 && *m <= yuma.MaxN) || *m != math.Trunc(*m) {
			return p, fmt.Errorf("%w: max_validators = %v", ErrScenario, *m)
		}
		p.MaxValidators = int(*m)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("%w: %w", ErrScenario, err)
	}
	return p, nil
}

// stakes converts stakes to integers. Integral stakes are used as they are;
// if any stake has a fraction, every stake is scaled by 2^32 and rounded to
// nearest. Only ratios matter to the epoch. The total must stay below 2^63.
func stakes(xs []float64, n int) ([]uint64, error) {
	if len(xs) != n {
		return nil, fmt.Errorf("%w: %d stakes for n = %d", ErrScenario, len(xs), n)
	}
	scale := 1.0
	for _, x := range xs {
		if !(x >= 0 && x < math.MaxUint64) {
			return nil, fmt.Errorf("%w: stake %v", ErrScenario, x)
		}
		if x != math.Trunc(x) {
			scale = 1 << 32
		}
	}
	out := make([]uint64, n)
	var total float64
	for i, x := range xs {
		v := math.Round(x * scale)
		total += v
		if !(total < 1<<63) {
			return nil, fmt.Errorf("%w: total stake too large", ErrScenario)
		}
		out[i] = uint64(v)
	}
	return out, nil
}

// weights converts dense rows to sparse raw weights: each row is scaled so
// its largest entry is 2^32-1 (rounded to nearest), which keeps the row's
// proportions to within 2^-32; zero entries are omitted.
func weights(rows [][]float64, n int) ([][]yuma.Weight, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	if len(rows) != n {
		return nil, fmt.Errorf("%w: %d weight rows for n = %d", ErrScenario, len(rows), n)
	}
	out := make([][]yuma.Weight, n)
	for i, row := range rows {
		if len(row) != n {
			return nil, fmt.Errorf("%w: weight row %d has %d entries for n = %d", ErrScenario, i, len(row), n)
		}
		var hi float64
		for j, x := range row {
			if !(x >= 0 && x <= math.MaxFloat64) {
				return nil, fmt.Errorf("%w: weight [%d][%d] = %v", ErrScenario, i, j, x)
			}
			hi = max(hi, x)
		}
		if hi == 0 {
			continue
		}
		for j, x := range row {
			if v := math.Round(x / hi * math.MaxUint32); v > 0 {
				out[i] = append(out[i], yuma.Weight{UID: uint32(j), Value: uint32(v)})
			}
		}
	}
	return out, nil
}

// floats converts Fixed values to float64, rounding to nearest.
func floats(v []yuma.Fixed) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x) / float64(yuma.One)
	}
	return out
}

func denseBonds(b [][]yuma.Bond, n int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, n)
		for _, e := range b[i] {
			out[i][e.UID] = float64(e.Value) / float64(yuma.One)
		}
	}
	return out
}

// writeResult writes res as JSON with one vector or bond row per line.
func writeResult(w io.Writer, res Result) error {
	var b bytes.Buffer
	vec := func(v []float64) {
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		}
		b.WriteByte(']')
	}
	b.WriteString("{\"epochs\": [")
	for e, ep := range res.Epochs {
		if e > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n  {")
		for k, f := range []struct {
			name string
			v    []float64
		}{
			{"consensus", ep.Consensus},
			{"incentive", ep.Incentive},
			{"dividends", ep.Dividends},
			{"validator_trust", ep.ValidatorTrust},
		} {
			if k > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "\n   %q: ", f.name)
			vec(f.v)
		}
		b.WriteString(",\n   \"bonds\": [")
		for i, row := range ep.Bonds {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n    ")
			vec(row)
		}
		b.WriteString("\n   ]\n  }")
	}
	b.WriteString("\n]}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// NewSimCommand returns the `yuma-sim` command: `yuma-sim --in scenario.json`
// (or `--in -` for standard input) prints the result on standard output.
func NewSimCommand() *cobra.Command {
	var in string
	cmd := &cobra.Command{
		Use:   "yuma-sim --in scenario.json",
		Short: "Run Yuma consensus epochs on a JSON scenario",
		Long: `yuma-sim runs the epochs of a JSON scenario through the chain's Yuma consensus
code (the same fixed-point implementation the chain runs) and prints consensus,
incentive, dividends, validator trust and bonds for each epoch as JSON.

Scenario: {"version": "yuma3"|"yuma2", "params": {"kappa", "bond_penalty",
"bonds_moving_average", "liquid_alpha", "alpha_low", "alpha_high",
"alpha_sigmoid_steepness", "max_validators"}, "n": N, "epochs": [{"stake": [N],
"validator_permit": [N bools] (optional), "weights": [[N] x N]}]}.
See docs/yuma.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var r io.Reader = cmd.InOrStdin()
			if in != "-" {
				f, err := os.Open(in)
				if err != nil {
					return err
				}
				defer f.Close()
				r = f
			}
			return RunScenario(r, cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&in, "in", "-", "scenario JSON file (- for standard input)")
	return cmd
}
