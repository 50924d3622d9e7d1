package graph

import (
	"bytes"
	"encoding/json"
	"math"
	"os/exec"
	"testing"
)

// torchPython returns a python3 that can import torch, preferring Debian's
// /usr/bin/python3 (where python3-torch installs) over one on PATH.
func torchPython() string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import torch").Run() == nil {
			return py
		}
	}
	return ""
}

// TestOpsMatchPyTorch compares the output and the parameter gradients of
// every op case with PyTorch's float32 results. Dropout is left out: its
// mask comes from our counter RNG, which PyTorch does not share.
func TestOpsMatchPyTorch(t *testing.T) {
	py := torchPython()
	if py == "" {
		t.Skip("PyTorch not importable: install Debian's python3-torch (apt-get install -y python3-torch) to run this comparison")
	}
	type tensorJSON [2]any // [shape, data]
	type caseJSON struct {
		Params map[string]tensorJSON `json:"params"`
		Inputs map[string]tensorJSON `json:"inputs"`
		R      tensorJSON            `json:"R"`
	}
	req := map[string]caseJSON{}
	type result struct {
		out   []float32
		grads map[string][]float32
	}
	ours := map[string]result{}
	for _, c := range opCases() {
		if c.name == "dropout" {
			continue
		}
		g, e, out := buildCase(t, c, 21)
		if err := e.Run(); err != nil {
			t.Fatal(err)
		}
		cj := caseJSON{Params: map[string]tensorJSON{}, Inputs: map[string]tensorJSON{}}
		res := result{out: e.Value(out), grads: map[string][]float32{}}
		for id, n := range g.Nodes {
			v := tensorJSON{n.Shape, e.Value(id)}
			switch {
			case n.Op == OpParam:
				cj.Params[n.Name] = v
			case n.Op == OpInput && n.Name == "R":
				cj.R = v
			case n.Op == OpInput:
				cj.Inputs[n.Name] = v
			}
		}
		for i, p := range g.Params {
			res.grads[g.Nodes[p].Name] = e.Value(g.Grads[i])
		}
		req[c.name] = cj
		ours[c.name] = res
	}
	body, _ := json.Marshal(req)
	cmd := exec.Command(py, "testdata/torch_ops.py")
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		t.Fatalf("torch_ops.py: %v\n%s", err, stderr.String())
	}
	var theirs map[string]struct {
		Out   []float64            `json:"out"`
		Grads map[string][]float64 `json:"grads"`
	}
	if err := json.Unmarshal(outb, &theirs); err != nil {
		t.Fatal(err)
	}
	for name, r := range ours {
		th, ok := theirs[name]
		if !ok {
			t.Errorf("%s: no PyTorch reference", name)
			continue
		}
		closeTo(t, name+" output", r.out, th.Out)
		for p, gr := range r.grads {
			closeTo(t, name+" grad "+p, gr, th.Grads[p])
		}
	}
}

// closeTo checks |a-b| <= 1e-5 + 1e-4*scale elementwise, scale being the
// largest magnitude in the reference: float32 agreement up to a different
// summation order.
func closeTo(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, PyTorch %d", what, len(got), len(want))
		return
	}
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5+1e-4*scale {
			t.Errorf("%s[%d]: %v, PyTorch %v", what, i, got[i], want[i])
			return
		}
	}
}
