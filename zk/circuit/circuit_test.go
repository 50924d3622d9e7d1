package circuit

import (
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"

	"github.com/hypha-network/hypha/ml/quant"
	"github.com/hypha-network/hypha/testutil/zkmodels"
)

func compile(t testing.TB, m *quant.Model, mode Mode) (*Circuit, constraint.ConstraintSystem) {
	t.Helper()
	c, err := New(m, mode)
	if err != nil {
		t.Fatal(err)
	}
	ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	return c, ccs
}

// solves reports whether the constraint system accepts output out for x.
func solves(t testing.TB, c *Circuit, ccs constraint.ConstraintSystem, x []int8, out []int32) bool {
	t.Helper()
	w, err := c.FullWitness(Witness{Input: x, Output: out})
	if err != nil {
		t.Fatal(err)
	}
	return ccs.IsSolved(w, solver.WithNbTasks(1)) == nil
}

// agree runs every input natively and through the constraint system: the
// native logits must satisfy it, and (for every perturbEvery-th input, to
// keep the 10,000-input runs short) the same logits with one changed by one
// must not. It returns the number of disagreements.
func agree(t *testing.T, m *quant.Model, mode Mode, inputs [][]int8) int {
	c, ccs := compile(t, m, mode)
	t.Logf("%s: %d constraints", mode, ccs.GetNbConstraints())
	var (
		mu  sync.Mutex
		bad int
		wg  sync.WaitGroup
	)
	workers := runtime.GOMAXPROCS(0)
	perturbEvery := 10
	if len(inputs) < 1000 {
		perturbEvery = 1
	}
	for wk := 0; wk < workers; wk++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := wk; k < len(inputs); k += workers {
				x := inputs[k]
				out, err := m.Infer(x)
				if err != nil {
					t.Error(err)
					return
				}
				ok := solves(t, c, ccs, x, out)
				if ok && k%perturbEvery == 0 {
					wrong := append([]int32(nil), out...)
					wrong[(k/perturbEvery)%len(wrong)]++
					ok = !solves(t, c, ccs, x, wrong)
				}
				if !ok {
					mu.Lock()
					bad++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return bad
}

func TestDigitsAgree10k(t *testing.T) {
	m, xs, acc, err := zkmodels.Digits()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("digits 64-32-10 int8 eval accuracy %.3f, %d examples", acc, len(xs))
	if acc < 0.85 {
		t.Fatalf("digits model accuracy %.3f: training broke", acc)
	}
	n := 10000
	if testing.Short() {
		n = 500
	}
	if bad := agree(t, m, Mode{}, zkmodels.Vary(xs, n, 1)); bad != 0 {
		t.Fatalf("%d disagreements on %d inputs", bad, n)
	}
}

func TestMNISTShapeAgree10k(t *testing.T) {
	m, err := zkmodels.Random(784, 784, 32, 10)
	if err != nil {
		t.Fatal(err)
	}
	n := 10000
	if testing.Short() {
		n = 500
	}
	if bad := agree(t, m, Mode{}, zkmodels.RandomInputs(1, n, 784)); bad != 0 {
		t.Fatalf("%d disagreements on %d inputs", bad, n)
	}
}

// TestModesAgree runs the other three modes on fewer inputs: their
// arithmetic is the same, only what is public changes.
func TestModesAgree(t *testing.T) {
	m, err := zkmodels.Random(7, 64, 32, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range Modes[1:] {
		if bad := agree(t, m, mode, zkmodels.RandomInputs(2, 50, 64)); bad != 0 {
			t.Errorf("%s: %d disagreements", mode, bad)
		}
	}
}

// TestClampEdges drives a hand-built model through every corner of the
// requantization: activations above 127, negative accumulators, -128 and
// 127 weights and inputs, shift 0, and accumulators at the int32 limits.
func TestClampEdges(t *testing.T) {
	m := &quant.Model{InShift: 0, Layers: []quant.Layer{
		{In: 2, Out: 4, WShift: 0, OutShift: 0, W: []int8{127, -128, 1, 127, -128, 127, 0, -128}, B: []int32{0, -5, 127, 128}},
		{In: 4, Out: 3, WShift: 3, OutShift: 0, W: []int8{127, -128, 1, 127, -128, 2, -1, 3, 4, 5, 6, -7}, B: []int32{1<<31 - 1 - 32893, -1<<31 + 32512, 0}},
		{In: 3, Out: 2, WShift: 0, W: []int8{127, -128, 127, -128, 127, -128}, B: []int32{1<<31 - 1 - 32258, -1<<31 + 32512}},
	}}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	var inputs [][]int8
	for _, a := range []int8{-128, -127, -1, 0, 1, 2, 126, 127} {
		for _, b := range []int8{-128, -1, 0, 1, 127} {
			inputs = append(inputs, []int8{a, b})
		}
	}
	for _, mode := range []Mode{{}, {PrivateModel: true}} {
		if bad := agree(t, m, mode, inputs); bad != 0 {
			t.Errorf("%s: %d disagreements at the edges", mode, bad)
		}
	}
}

// TestOverflowHasNoWitness: when an accumulator leaves int32 the native
// engine reports ErrOverflow and no output satisfies the circuit, not even
// the wrapped int32 value.
func TestOverflowHasNoWitness(t *testing.T) {
	for _, hidden := range []bool{false, true} {
		m := &quant.Model{Layers: []quant.Layer{{In: 2, Out: 1, W: []int8{127, 127}, B: []int32{1<<31 - 200}}}}
		if hidden {
			m.Layers[0].OutShift = 0
			m.Layers = append(m.Layers, quant.Layer{In: 1, Out: 1, W: []int8{1}, B: []int32{0}})
		}
		x := []int8{1, 1}
		if _, err := m.Infer(x); !errors.Is(err, quant.ErrOverflow) {
			t.Fatalf("hidden=%v: Infer = %v, want ErrOverflow", hidden, err)
		}
		c, ccs := compile(t, m, Mode{})
		for _, out := range []int32{1<<31 - 200 + 254 - 1<<32, 1<<31 - 1, 127, 0} {
			if solves(t, c, ccs, x, []int32{out}) {
				t.Errorf("hidden=%v: overflowing accumulator accepted with output %d", hidden, out)
			}
		}
	}
}

// TestFullWitnessMatchesSchema: the hand-filled witness equals gnark's
// reflective one in every mode.
func TestFullWitnessMatchesSchema(t *testing.T) {
	m, err := zkmodels.Random(3, 8, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	x := zkmodels.RandomInputs(3, 1, 8)[0]
	out, _ := m.Infer(x)
	for _, mode := range Modes {
		c, _ := New(m, mode)
		w := Witness{Input: x, Output: out}
		w.InputSalt.SetUint64(11)
		w.ModelSalt.SetUint64(12)
		got, err := c.FullWitness(w)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := c.Assign(w)
		want, err := frontend.NewWitness(a, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		gb, _ := got.MarshalBinary()
		wb, _ := want.MarshalBinary()
		if string(gb) != string(wb) {
			t.Errorf("%s: witness differs from frontend.NewWitness", mode)
		}
	}
}
