package mlcli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func execute(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := NewCommand()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), errb.String(), err
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestTrainEvalPredict(t *testing.T) {
	spec := filepath.Join("..", "..", "examples", "ml", "iris-mlp.yaml")
	dir := t.TempDir()
	out, errOut, err := execute(t, "train", "--spec", spec, "--out", dir, "--steps", "100")
	if err != nil {
		t.Fatalf("train: %v\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "steps/s") || !strings.Contains(errOut, "ETA") {
		t.Errorf("no progress bar on stderr: %q", errOut)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(lastLine(out)), &s); err != nil {
		t.Fatalf("last stdout line is not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"steps", "loss", "eval_accuracy", "commitment"} {
		if _, ok := s[k]; !ok {
			t.Errorf("summary lacks %q: %v", k, s)
		}
	}
	// Resuming to 150 steps must equal a fresh 150-step run.
	out2, _, err := execute(t, "train", "--spec", spec, "--out", dir, "--steps", "150", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	fresh := t.TempDir()
	out3, _, err := execute(t, "train", "--spec", spec, "--out", fresh, "--steps", "150", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	var a, b map[string]any
	_ = json.Unmarshal([]byte(lastLine(out2)), &a)
	_ = json.Unmarshal([]byte(lastLine(out3)), &b)
	if a["commitment"] != b["commitment"] || a["commitments_root"] == nil {
		t.Errorf("resumed commitment %v != fresh %v", a["commitment"], b["commitment"])
	}

	out, _, err = execute(t, "eval", "--spec", spec, "--checkpoint", dir)
	if err != nil || !strings.Contains(out, `"accuracy"`) {
		t.Fatalf("eval: %v %s", err, out)
	}
	out, _, err = execute(t, "predict", "--checkpoint", dir, "--input", `{"inputs": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}`)
	if err != nil {
		t.Fatalf("predict: %v", err)
	}
	var p struct {
		Predictions []struct{ Class int } `json:"predictions"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || len(p.Predictions) != 2 {
		t.Fatalf("predict output %q: %v", out, err)
	}
	if p.Predictions[0].Class != 0 || p.Predictions[1].Class != 2 {
		t.Errorf("predicted %+v, want setosa (0) and virginica (2)", p.Predictions)
	}
}

func TestCharLMPredict(t *testing.T) {
	spec := filepath.Join("..", "..", "examples", "ml", "charlm.yaml")
	dir := t.TempDir()
	if _, _, err := execute(t, "train", "--spec", spec, "--out", dir, "--steps", "2", "--quiet"); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(t.TempDir(), "in.json")
	_ = os.WriteFile(in, []byte(`{"prompt": "The fox", "length": 5}`), 0o644)
	out, _, err := execute(t, "predict", "--checkpoint", dir, "--input", in)
	if err != nil {
		t.Fatal(err)
	}
	var r struct{ Text string }
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Text) != len("The fox")+5 {
		t.Fatalf("generate output %q: %v", out, err)
	}
}

func TestErrorsAreClear(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(bad, []byte("data: {format: csv, path: nope.csv}\ntrain: {steps: 1, batch: 1}\nschedule: {lr: 0.1}\nmodel: {kind: mlp}\n"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing flags", []string{"train"}, "--spec"},
		{"missing spec", []string{"train", "--spec", filepath.Join(dir, "none.yaml"), "--out", dir}, "no such file"},
		{"missing data", []string{"train", "--spec", bad, "--out", dir}, "nope.csv"},
		{"not a checkpoint", []string{"predict", "--checkpoint", dir, "--input", `{"inputs": [[1]]}`}, "spec.yaml"},
		{"bad json", []string{"predict", "--checkpoint", dir, "--input", `{"inputz": 1}`}, "predict JSON"},
		{"eval no checkpoint", []string{"eval", "--spec", bad, "--checkpoint", dir}, "state.ckpt"},
	}
	for _, tt := range tests {
		_, _, err := execute(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want mention of %q", tt.name, err, tt.want)
		}
	}
}
