package task

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hypha-network/hypha/ml/train"
)

func TestScoreTextgen(t *testing.T) {
	refs := []string{"abcd", "wxyz"}
	cases := []struct {
		name    string
		answer  string
		bad     bool
		quality float64
		acc     float64
	}{
		{"exact", `{"continuations":["abcd","wxyz"]}`, false, 1, 1},
		{"prefixes", `{"continuations":["abzz","wzzz"]}`, false, (0.5 + 0.25) / 2, 1},
		{"credit stops at the first wrong byte", `{"continuations":["zbcd","wxyq"]}`, false, (0 + 0.75) / 2, 0.5},
		{"wrong", `{"continuations":["zzzz","zzzz"]}`, false, 0, 0},
		{"not json", `nope`, true, 0, 0},
		{"too few", `{"continuations":["abcd"]}`, true, 0, 0},
		{"wrong length", `{"continuations":["abcde","wxyz"]}`, true, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := scoreTextgen(json.RawMessage(tc.answer), refs)
			if tc.bad {
				if !errors.Is(err, ErrBadAnswer) || s.Quality != 0 {
					t.Fatalf("got %+v, %v; want quality 0 and ErrBadAnswer", s, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(s.Quality-tc.quality) > 1e-12 || s.Accuracy != tc.acc {
				t.Fatalf("got quality %v accuracy %v, want %v %v", s.Quality, s.Accuracy, tc.quality, tc.acc)
			}
		})
	}
}

// TestTextgenModelsOrdered trains the character LM for 0 and 300 steps and
// checks that the longer-trained one scores higher on held-out text.
func TestTextgenModelsOrdered(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	const spec = "../../../examples/ml/charlm.yaml"
	ch, err := Textgen{}.LoadChallenger(spec)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ch.Challenge(rand.New(rand.NewPCG(3, 3)), MaxTextgenPrompts)
	if err != nil {
		t.Fatal(err)
	}
	prev := -1.0
	for _, steps := range []uint64{0, 300} {
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
		m, err := Textgen{}.LoadModel(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := (Classify{}).LoadModel(dir); err == nil {
			t.Fatal("classify accepted a language model")
		}
		ans, err := m.Answer(c.Request())
		if err != nil {
			t.Fatal(err)
		}
		sc, err := c.Score(ans)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d steps: next-byte accuracy %.3f, quality %.3f", steps, sc.Accuracy, sc.Quality)
		if sc.Quality <= prev {
			t.Fatalf("%d steps: quality %.3f not above %.3f", steps, sc.Quality, prev)
		}
		prev = sc.Quality
	}
	if _, err := (Textgen{}).LoadChallenger("../../../examples/ml/digits-mlp.yaml"); err == nil {
		t.Fatal("textgen accepted a classification spec")
	}
}

func TestTextgenShape(t *testing.T) {
	shape, err := Textgen{}.LoadShape("")
	if err != nil {
		t.Fatal(err)
	}
	if err := shape.Validate([]byte(`{"prompts":["ab"],"length":4}`)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{"prompts":[],"length":4}`, `{"prompts":["ab"],"length":0}`, `{"prompts":[""],"length":1}`, `{"inputs":[[1]]}`} {
		if err := shape.Validate([]byte(bad)); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := (Textgen{}).LoadShape("../../../examples/ml/digits-mlp.yaml"); err == nil {
		t.Fatal("a classification spec accepted for textgen")
	}
}
