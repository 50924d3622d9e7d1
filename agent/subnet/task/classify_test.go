package task

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hypha-network/hypha/ml/data"
	"github.com/hypha-network/hypha/ml/train"
)

func TestScoreClassify(t *testing.T) {
	labels := []int{0, 1}
	cases := []struct {
		name    string
		answer  string
		bad     bool
		acc     float64
		quality float64
	}{
		{"perfect", `{"predictions":[{"probabilities":[1,0,0]},{"probabilities":[0,1,0]}]}`, false, 1, 1},
		{"uniform", `{"predictions":[{"probabilities":[0.5,0.25,0.25]},{"probabilities":[0.25,0.5,0.25]}]}`, false, 1, 0.75},
		{"wrong", `{"predictions":[{"probabilities":[0,1,0]},{"probabilities":[1,0,0]}]}`, false, 0, 0.5e-7},
		{"lying class field is ignored", `{"predictions":[{"class":0,"probabilities":[0,1,0]},{"class":1,"probabilities":[0,0,1]}]}`, false, 0, 0.5e-7},
		{"not json", `garbage`, true, 0, 0},
		{"too few", `{"predictions":[{"probabilities":[1,0,0]}]}`, true, 0, 0},
		{"wrong classes", `{"predictions":[{"probabilities":[1,0]},{"probabilities":[0,1]}]}`, true, 0, 0},
		{"negative", `{"predictions":[{"probabilities":[1.5,-0.5,0]},{"probabilities":[0,1,0]}]}`, true, 0, 0},
		{"unnormalised", `{"predictions":[{"probabilities":[1,1,1]},{"probabilities":[0,1,0]}]}`, true, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := scoreClassify(json.RawMessage(tc.answer), labels, 3)
			if tc.bad {
				if !errors.Is(err, ErrBadAnswer) || s.Quality != 0 {
					t.Fatalf("got %+v, %v; want quality 0 and ErrBadAnswer", s, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Accuracy != tc.acc || math.Abs(s.Quality-tc.quality) > 1e-9 {
				t.Fatalf("got accuracy %v quality %v, want %v %v", s.Accuracy, s.Quality, tc.acc, tc.quality)
			}
		})
	}
}

func TestChallengeRoundTrip(t *testing.T) {
	ds := &data.Dataset{N: 4, XShape: []int{2}, X: []float32{0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5}, Y: []float32{0, 1, 0, 1}, Classes: 2}
	ch, err := NewClassifyChallenger(ds, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ch.Challenge(rand.New(rand.NewPCG(1, 2)), 3)
	if err != nil {
		t.Fatal(err)
	}
	var req classifyRequest
	if err := json.Unmarshal(c.Request(), &req); err != nil || len(req.Inputs) != 3 {
		t.Fatalf("request %s: %v", c.Request(), err)
	}
	// An oracle reading the label off the features (x1/scale = 2·x0/scale + 1 for the
	// odd rows) must score 1.
	var ans classifyResponse
	for _, in := range req.Inputs {
		label := int(in[0]/2) % 2 // rows are (0,1),(2,3),(4,5),(6,7) in file units
		p := []float32{0, 0}
		p[label] = 1
		ans.Predictions = append(ans.Predictions, train.Prediction{Class: label, Probabilities: p})
	}
	b, _ := json.Marshal(ans)
	s, err := c.Score(b)
	if err != nil || s.Quality != 1 {
		t.Fatalf("oracle scored %+v, %v; want quality 1", s, err)
	}
}

// TestTrainedModelsOrdered trains digits models for 0, 30 and 300 steps and
// checks that the classify task scores them in that order on held-out data.
func TestTrainedModelsOrdered(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	const spec = "../../../examples/ml/digits-mlp.yaml"
	ch, err := Classify{}.LoadChallenger(spec)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ch.Challenge(rand.New(rand.NewPCG(7, 7)), 200)
	if err != nil {
		t.Fatal(err)
	}
	var prev float64 = -1
	for _, steps := range []uint64{0, 30, 300} {
		s, err := train.LoadSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := train.New(s, s.Seed)
		if err != nil {
			t.Fatal(err)
		}
		for tr.StepCount() < steps {
			if err := tr.Step(); err != nil {
				t.Fatal(err)
			}
		}
		dir := t.TempDir()
		if err := tr.Save(dir); err != nil {
			t.Fatal(err)
		}
		m, err := Classify{}.LoadModel(dir)
		if err != nil {
			t.Fatal(err)
		}
		ans, err := m.Answer(c.Request())
		if err != nil {
			t.Fatal(err)
		}
		sc, err := c.Score(ans)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d steps: accuracy %.3f log-loss %.3f quality %.3f", steps, sc.Accuracy, sc.LogLoss, sc.Quality)
		if sc.Quality <= prev {
			t.Fatalf("%d steps: quality %.3f not above the shorter run's %.3f", steps, sc.Quality, prev)
		}
		prev = sc.Quality
	}
	if _, err := (Classify{}).LoadModel(t.TempDir()); err == nil {
		t.Fatal("loading an empty directory succeeded")
	}
}

func TestLookup(t *testing.T) {
	if _, err := Lookup("classify"); err != nil {
		t.Fatal(err)
	}
	if _, err := Lookup("nope"); err == nil {
		t.Fatal("unknown task found")
	}
}

func TestClassifyShape(t *testing.T) {
	shape, err := Classify{}.LoadShape("../../../examples/ml/digits-mlp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	row := func(n int) string { return "[" + strings.TrimSuffix(strings.Repeat("0.5,", n), ",") + "]" }
	if err := shape.Validate([]byte(`{"inputs":[` + row(64) + `]}`)); err != nil {
		t.Fatalf("64 features: %v", err)
	}
	err = shape.Validate([]byte(`{"inputs":[` + row(3) + `]}`))
	if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "3 features; this subnet's model takes 64") {
		t.Fatalf("3 features: %v", err)
	}
	// A full-size query of the longest numbers fits the body bound.
	num := "-1.1754944e-38"
	big := `{"inputs": [` + strings.TrimSuffix(strings.Repeat("["+strings.TrimSuffix(strings.Repeat(num+", ", 64), ", ")+"], ", MaxClassifyInputs), ", ") + `]}`
	if len(big) > shape.MaxRequestBytes() {
		t.Fatalf("largest valid query %d bytes > bound %d", len(big), shape.MaxRequestBytes())
	}
	if err := shape.Validate([]byte(big)); err != nil {
		t.Fatal(err)
	}
	any, _ := Classify{}.LoadShape("")
	if any.MaxRequestBytes() != 0 {
		t.Fatal("a shape without data bounds the body")
	}
	if err := any.Validate([]byte(`{"inputs":[` + row(3) + `,` + row(4) + `]}`)); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("inconsistent rows: %v", err)
	}
}
