package train

import (
	"testing"

	"github.com/hypha-network/hypha/ml/ckpt"
	"github.com/hypha-network/hypha/ml/graph"
)

// TestRecordStep: the recorded values hash to the trace entries, the root is
// over the entries, and a recorded step leaves the run exactly where Step
// would (same commitment and state root).
func TestRecordStep(t *testing.T) {
	spec := loadExample(t, "iris-mlp")
	a, err := New(spec, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(spec, 1)
	rec, err := a.RecordStep()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Step(); err != nil {
		t.Fatal(err)
	}
	es := rec.Trace.Entries()
	if len(es) != len(rec.Values) || len(es) != len(a.Model.G.Nodes)+1+len(rec.Trace.Optimizer) {
		t.Fatalf("%d entries, %d values", len(es), len(rec.Values))
	}
	for j, v := range rec.Values {
		if graph.HashValues(v) != es[j] {
			t.Fatalf("entry %d does not hash its values", j)
		}
	}
	if TraceRoot(es) != rec.Trace.Root {
		t.Fatal("trace root")
	}
	if a.Checkpoint().Commitment() != b.Checkpoint().Commitment() || StateRoot(a.Checkpoint()) != StateRoot(b.Checkpoint()) {
		t.Fatal("a recorded step changed the run")
	}
}

// TestStateLeafRoundTrip: every state leaf decodes to its entry and the
// tensor leaves hold the tensor roots.
func TestStateLeafRoundTrip(t *testing.T) {
	tr, err := New(loadExample(t, "iris-mlp"), 1)
	if err != nil {
		t.Fatal(err)
	}
	c := tr.Checkpoint()
	for i, leaf := range StateLeaves(c) {
		e, err := DecodeStateLeaf(leaf)
		if err != nil {
			t.Fatal(err)
		}
		if e.Name != c.Names()[i] {
			t.Fatalf("leaf %d is %q", i, e.Name)
		}
		orig, _ := c.Get(e.Name)
		if e.Kind == ckpt.Tensor && e.Root != graph.HashValues(orig.F32) {
			t.Fatalf("%s: tensor root", e.Name)
		}
		if _, err := DecodeStateLeaf(leaf[:len(leaf)-1]); err == nil {
			t.Fatalf("%s: truncated leaf accepted", e.Name)
		}
	}
}

// FuzzDecodeStateLeaf: a state leaf decodes only if it re-encodes to the
// same bytes.
func FuzzDecodeStateLeaf(f *testing.F) {
	c := ckpt.New()
	c.PutTensor("param/w", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	c.PutUint("run/step", 7)
	c.PutBytes("ce/version", []byte("CE-v1"))
	c.PutFloat("run/loss", 0.5)
	for _, l := range StateLeaves(c) {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeStateLeaf(b)
		if err != nil {
			return
		}
		var enc []byte
		switch e.Kind {
		case ckpt.Tensor:
			enc = TensorStateLeaf(e.Name, e.Shape, e.Root)
		case ckpt.Uint:
			enc = UintStateLeaf(e.Name, e.U64)
		default:
			enc = StateLeaf(ckpt.Entry{Name: e.Name, Kind: e.Kind, Raw: e.Raw})
		}
		if string(enc) != string(b) {
			t.Fatalf("non-canonical leaf accepted")
		}
	})
}
