// Package mlcli is the `ml` command group of hyphad: train, evaluate and run
// CE-v1 models from a training spec.
package mlcli

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/ml/ckpt"
	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/train"
)

// NewCommand returns the `ml` command with its train, eval and predict
// subcommands.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ml",
		Short: "Train, evaluate and run bit-reproducible (CE-v1) models",
		Long: `The canonical ML runtime (CE-v1): training whose every checkpoint has the
same commitment on every CPU, OS, architecture and thread count.

See docs/ml.md for the spec format; examples live in examples/ml/.`,
	}
	cmd.AddCommand(trainCmd(), evalCmd(), predictCmd())
	return cmd
}

func trainCmd() *cobra.Command {
	var specPath, out string
	var seed uint64
	var steps int
	var quiet bool
	cmd := &cobra.Command{
		Use:   "train --spec FILE --out DIR",
		Short: "Train a model; print a JSON summary with the checkpoint commitment",
		Long: `Train the model of a spec and write the final checkpoint (state.ckpt, spec.yaml,
commitments.json) to --out. If --out already holds a checkpoint of the same
run, training resumes from it and reaches the same commitments as an
uninterrupted run. Progress goes to stderr; the last stdout line is a JSON
object {"steps","loss","eval_accuracy","eval_loss","commitment",...}.

--steps stops after that many steps without changing the learning-rate
schedule, which follows train.steps of the spec.`,
		Example: `  hyphad ml train --spec examples/ml/digits-mlp.yaml --out /tmp/digits
  hyphad ml train --spec examples/ml/charlm.yaml --out /tmp/charlm --steps 200`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if specPath == "" || out == "" {
				return errors.New("both --spec FILE and --out DIR are required (try: --spec examples/ml/digits-mlp.yaml --out /tmp/run)")
			}
			spec, err := train.LoadSpec(specPath)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("seed") {
				seed = spec.Seed
			}
			if !cmd.Flags().Changed("steps") {
				steps = spec.Train.Steps
			}
			if steps <= 0 {
				return fmt.Errorf("--steps must be > 0, got %d", steps)
			}
			return runTrain(cmd.OutOrStdout(), cmd.ErrOrStderr(), spec, out, seed, steps, quiet)
		},
	}
	cmd.Flags().StringVar(&specPath, "spec", "", "training spec (YAML)")
	cmd.Flags().StringVar(&out, "out", "", "output directory for the checkpoint")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "run seed (default: the spec's seed)")
	cmd.Flags().IntVar(&steps, "steps", 0, "stop after this many steps in total (default: train.steps)")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "no progress bar")
	return cmd
}

// summary is the JSON line train prints last.
type summary struct {
	Name         string   `json:"name"`
	Steps        uint64   `json:"steps"`
	Loss         float32  `json:"loss"`
	EvalAccuracy *float64 `json:"eval_accuracy,omitempty"`
	EvalLoss     *float64 `json:"eval_loss,omitempty"`
	Unigram      *float64 `json:"unigram_entropy,omitempty"`
	Commitment   string   `json:"commitment"`
	CommitRoot   string   `json:"commitments_root"`
	Graph        string   `json:"graph"`
	Data         string   `json:"data"`
	Seconds      float64  `json:"seconds"`
	Checkpoint   string   `json:"checkpoint"`
}

// commitLog is commitments.json: c_0..c_T at the checkpoint interval and
// their Merkle root (what a solver posts for a job).
type commitLog struct {
	Interval    int      `json:"interval"`
	Steps       []uint64 `json:"steps"`
	Commitments []string `json:"commitments"`
	Root        string   `json:"root"`
}

func runTrain(stdout, stderr io.Writer, spec *train.Spec, out string, seed uint64, steps int, quiet bool) error {
	t, err := train.New(spec, seed)
	if err != nil {
		return err
	}
	log := commitLog{Interval: spec.Train.CheckpointEvery}
	if c, err := ckpt.Load(out); err == nil {
		if err := t.Restore(c); err != nil {
			return fmt.Errorf("%s holds a checkpoint of a different run: %w (use a fresh --out directory)", out, err)
		}
		if b, err := os.ReadFile(filepath.Join(out, "commitments.json")); err == nil {
			_ = json.Unmarshal(b, &log)
		}
		fmt.Fprintf(stderr, "resuming from step %d in %s\n", t.StepCount(), out)
	} else if !errors.Is(err, os.ErrNotExist) && fileExists(filepath.Join(out, ckpt.StateFile)) {
		return err
	}
	record := func() {
		h := t.Checkpoint().Commitment()
		if n := len(log.Steps); n > 0 && log.Steps[n-1] == t.StepCount() {
			return
		}
		log.Steps = append(log.Steps, t.StepCount())
		log.Commitments = append(log.Commitments, hex.EncodeToString(h[:]))
	}
	if len(log.Steps) == 0 {
		record()
	}
	bar := newProgress(stderr, quiet, t.StepCount(), uint64(steps))
	start := time.Now()
	for t.StepCount() < uint64(steps) {
		if err := t.Step(); err != nil {
			return err
		}
		if k := spec.Train.CheckpointEvery; k > 0 && t.StepCount()%uint64(k) == 0 {
			record()
			if err := t.Save(out); err != nil {
				return err
			}
		}
		bar.update(t.StepCount(), t.Loss())
	}
	bar.done()
	record()
	if err := t.Save(out); err != nil {
		return err
	}
	var hs []merkle.Hash
	for _, c := range log.Commitments {
		var h merkle.Hash
		_, _ = hex.Decode(h[:], []byte(c))
		hs = append(hs, h)
	}
	root := merkle.RootOfHashes(hs)
	log.Root = hex.EncodeToString(root[:])
	if b, err := json.MarshalIndent(log, "", "  "); err == nil {
		if err := os.WriteFile(filepath.Join(out, "commitments.json"), b, 0o644); err != nil {
			return fmt.Errorf("writing commitments: %w", err)
		}
	}
	c := t.Checkpoint()
	com := c.Commitment()
	gh, _ := c.Bytes("run/graph")
	dh, _ := c.Bytes("run/data")
	s := summary{Name: spec.Name, Steps: t.StepCount(), Loss: t.Loss(), Commitment: hex.EncodeToString(com[:]),
		CommitRoot: log.Root, Graph: hex.EncodeToString(gh), Data: hex.EncodeToString(dh),
		Seconds: time.Since(start).Seconds(), Checkpoint: out}
	if t.Eval != nil {
		m, err := t.Evaluate(t.Eval)
		if err != nil {
			return err
		}
		s.EvalAccuracy, s.EvalLoss = &m.Accuracy, &m.Loss
	}
	if t.Train.Vocab != nil {
		u := train.UnigramEntropy(t.Train)
		s.Unigram = &u
	}
	return printJSON(stdout, s)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

func evalCmd() *cobra.Command {
	var specPath, dir string
	cmd := &cobra.Command{
		Use:     "eval --spec FILE --checkpoint DIR",
		Short:   "Evaluate a checkpoint on the spec's eval split (JSON out)",
		Example: `  hyphad ml eval --spec examples/ml/digits-mlp.yaml --checkpoint /tmp/digits`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if specPath == "" || dir == "" {
				return errors.New("both --spec FILE and --checkpoint DIR are required")
			}
			spec, err := train.LoadSpec(specPath)
			if err != nil {
				return err
			}
			c, err := ckpt.Load(dir)
			if err != nil {
				return err
			}
			seed, err := c.Uint("rng/seed")
			if err != nil {
				return err
			}
			t, err := train.New(spec, seed)
			if err != nil {
				return err
			}
			if err := t.Restore(c); err != nil {
				return fmt.Errorf("checkpoint %s does not belong to spec %s: %w", dir, specPath, err)
			}
			ds, split := t.Eval, "eval"
			if ds == nil {
				ds, split = t.Train, "train"
			}
			m, err := t.Evaluate(ds)
			if err != nil {
				return err
			}
			com := c.Commitment()
			return printJSON(cmd.OutOrStdout(), map[string]any{
				"split": split, "examples": m.Examples, "loss": m.Loss, "accuracy": m.Accuracy,
				"steps": t.StepCount(), "commitment": hex.EncodeToString(com[:]),
			})
		},
	}
	cmd.Flags().StringVar(&specPath, "spec", "", "training spec (YAML)")
	cmd.Flags().StringVar(&dir, "checkpoint", "", "checkpoint directory written by 'ml train --out'")
	return cmd
}

// predictInput is the JSON predict accepts: {"inputs": [[...], ...]} for
// classifiers, {"prompt": "...", "length": N} for language models.
type predictInput struct {
	Inputs [][]float32 `json:"inputs"`
	Prompt string      `json:"prompt"`
	Length *int        `json:"length"`
}

func predictCmd() *cobra.Command {
	var dir, input string
	cmd := &cobra.Command{
		Use:   "predict --checkpoint DIR --input JSON|FILE|-",
		Short: "Run a trained model on JSON input (JSON out)",
		Long: `Run a trained model. --input is inline JSON, a file holding it, or - for stdin.
Classifiers take {"inputs": [[features...], ...]} in the units of the data
file and return {"predictions": [{"class": k, "probabilities": [...]}]}.
Language models take {"prompt": "text", "length": N} and return
{"text": "..."} extended greedily by N characters.`,
		Example: `  hyphad ml predict --checkpoint /tmp/iris --input '{"inputs": [[5.1, 3.5, 1.4, 0.2]]}'
  hyphad ml predict --checkpoint /tmp/charlm --input '{"prompt": "The fox", "length": 60}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" || input == "" {
				return errors.New("both --checkpoint DIR and --input JSON|FILE|- are required")
			}
			raw, err := readInput(cmd.InOrStdin(), input)
			if err != nil {
				return err
			}
			var in predictInput
			dec := json.NewDecoder(strings.NewReader(string(raw)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&in); err != nil {
				return fmt.Errorf("--input is not valid predict JSON (%v); want {\"inputs\": [[...]]} or {\"prompt\": \"...\", \"length\": N}", err)
			}
			p, err := train.LoadPredictor(dir)
			if err != nil {
				return err
			}
			if in.Prompt != "" {
				n := 64
				if in.Length != nil {
					n = *in.Length
				}
				text, err := p.Generate(in.Prompt, n)
				if err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), map[string]string{"text": text})
			}
			preds, err := p.Classify(in.Inputs)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), map[string]any{"predictions": preds})
		},
	}
	cmd.Flags().StringVar(&dir, "checkpoint", "", "checkpoint directory written by 'ml train --out'")
	cmd.Flags().StringVar(&input, "input", "", "inline JSON, a JSON file, or - for stdin")
	return cmd
}

func readInput(stdin io.Reader, arg string) ([]byte, error) {
	if arg == "-" {
		return io.ReadAll(stdin)
	}
	if t := strings.TrimSpace(arg); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return []byte(arg), nil
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return nil, fmt.Errorf("--input: %w (give inline JSON, a file, or -)", err)
	}
	return b, nil
}
