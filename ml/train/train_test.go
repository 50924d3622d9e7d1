package train

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/hypha-network/hypha/ml/ckpt"
)

var updateGolden = flag.Bool("update", false, "rewrite ml/testdata/golden.json")

const goldenPath = "../testdata/golden.json"

func loadExample(t *testing.T, name string) *Spec {
	t.Helper()
	s, err := LoadSpec(filepath.Join("..", "..", "examples", "ml", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func run(t *testing.T, tr *Trainer, steps int) {
	t.Helper()
	if err := tr.StepTo(uint64(steps)); err != nil {
		t.Fatal(err)
	}
}

func hexOf(h [32]byte) string { return hex.EncodeToString(h[:]) }

// golden is one CE-v1 conformance vector: the commitment after Steps steps
// of an example spec and the op-trace root of its first step.
type golden struct {
	Steps      int    `json:"steps"`
	Commitment string `json:"commitment"`
	TraceRoot  string `json:"trace_root_step0"`
	Graph      string `json:"graph"`
	Data       string `json:"data"`
}

func goldenRun(t *testing.T, name string, steps int) golden {
	tr, err := New(loadExample(t, name), 1)
	if err != nil {
		t.Fatal(err)
	}
	trace, err := tr.TraceStep()
	if err != nil {
		t.Fatal(err)
	}
	run(t, tr, steps)
	return golden{Steps: steps, Commitment: hexOf(tr.Checkpoint().Commitment()), TraceRoot: hexOf(trace.Root),
		Graph: hexOf(tr.graphHash), Data: hexOf(tr.dataRoot)}
}

// TestGoldenCommitments is the CE-v1 conformance check: 200 steps of
// digits-mlp and charlm must give the checked-in commitments on every
// machine. TestCrossPlatform runs it under other GOMAXPROCS, CPU features
// and architectures. Run with -update after an intended change of results.
func TestGoldenCommitments(t *testing.T) {
	got := map[string]golden{}
	for _, name := range []string{"digits-mlp", "charlm"} {
		got[name] = goldenRun(t, name, 200)
	}
	if *updateGolden {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(goldenPath, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]golden
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for name, g := range got {
		if g != want[name] {
			t.Errorf("%s: got %+v\nwant %+v", name, g, want[name])
		}
	}
}

// TestResumeEqualsUninterrupted saves mid-run, restores into a fresh
// trainer through the file encoding, and requires the same final commitment.
func TestResumeEqualsUninterrupted(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mid, end int
	}{
		{"digits-mlp", 37, 80},
		{"charlm", 3, 7}, // dropout: the RNG counter must resume too
		{"iris-mlp", 50, 120},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := loadExample(t, tc.name)
			a, err := New(spec, 5)
			if err != nil {
				t.Fatal(err)
			}
			run(t, a, tc.mid)
			dir := t.TempDir()
			if err := a.Save(dir); err != nil {
				t.Fatal(err)
			}
			run(t, a, tc.end)

			c, err := ckpt.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			b, err := New(spec, 5)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Restore(c); err != nil {
				t.Fatal(err)
			}
			if hexOf(b.Checkpoint().Commitment()) != hexOf(c.Commitment()) {
				t.Fatal("restored state commits differently from the saved one")
			}
			run(t, b, tc.end)
			if x, y := a.Checkpoint().Commitment(), b.Checkpoint().Commitment(); x != y {
				t.Fatalf("resumed run %x != uninterrupted %x", y, x)
			}
			// A different seed must not restore.
			d, _ := New(spec, 6)
			if err := d.Restore(c); err == nil {
				t.Fatal("checkpoint restored into a run with another seed")
			}
		})
	}
}

// TestExampleSpecsReachTargets trains every example to its target: the
// done-when figures of the runtime.
func TestExampleSpecsReachTargets(t *testing.T) {
	for _, tc := range []struct {
		name string
		acc  float64
	}{
		{"iris-mlp", 0.93},
		{"digits-mlp", 0.95},
		{"digits-cnn", 0.97},
		{"charlm", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := loadExample(t, tc.name)
			tr, err := New(spec, spec.Seed)
			if err != nil {
				t.Fatal(err)
			}
			run(t, tr, spec.Train.Steps)
			m, err := tr.Evaluate(tr.Eval)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: eval accuracy %.4f, eval loss %.4f, train loss %.4f", tc.name, m.Accuracy, m.Loss, tr.Loss())
			if m.Accuracy < tc.acc {
				t.Errorf("eval accuracy %.4f < %.2f", m.Accuracy, tc.acc)
			}
			if tr.Train.Vocab != nil {
				h := UnigramEntropy(tr.Train)
				t.Logf("unigram entropy %.4f nats", h)
				if float64(tr.Loss()) > 0.75*h || m.Loss > 0.85*h {
					t.Errorf("language model loss (train %.3f, eval %.3f) not clearly below unigram entropy %.3f", tr.Loss(), m.Loss, h)
				}
			}
		})
	}
}

func TestSpecErrors(t *testing.T) {
	base := "data: {format: csv, path: x.csv}\ntrain: {steps: 1, batch: 1}\nmodel: {kind: mlp}\nschedule: {lr: 0.1}\n"
	tests := []struct{ name, yaml string }{
		{"unknown field", base + "bogus: 1\n"},
		{"bad format", "data: {format: parquet, path: x}\ntrain: {steps: 1, batch: 1}\nschedule: {lr: 0.1}\n"},
		{"no steps", "data: {format: csv, path: x}\ntrain: {batch: 1}\nschedule: {lr: 0.1}\n"},
		{"bad optimizer", base + "optimizer: {kind: lion}\n"},
		{"no lr", "data: {format: csv, path: x.csv}\ntrain: {steps: 1, batch: 1}\n"},
		{"cosine total", base[:len(base)-len("schedule: {lr: 0.1}\n")] + "schedule: {kind: cosine, lr: 0.1, warmup: 5}\n"},
	}
	for _, tt := range tests {
		if _, err := ParseSpec([]byte(tt.yaml)); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	if _, err := ParseSpec([]byte(base)); err != nil {
		t.Errorf("valid spec rejected: %v", err)
	}
}

func TestQuantizedDigitsMLP(t *testing.T) {
	spec := loadExample(t, "digits-mlp")
	tr, err := New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	run(t, tr, 300)
	fm, err := tr.Evaluate(tr.Eval)
	if err != nil {
		t.Fatal(err)
	}
	q, err := tr.QuantizeMLP()
	if err != nil {
		t.Fatal(err)
	}
	acc, err := tr.QuantAccuracy(q, tr.Eval)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("float accuracy %.4f, int8 accuracy %.4f, model hash %x", fm.Accuracy, acc, q.Hash())
	if acc < fm.Accuracy-0.02 {
		t.Errorf("int8 accuracy %.4f much below float %.4f", acc, fm.Accuracy)
	}
}
