package data

import (
	"os"
	"path/filepath"
	"testing"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "d.csv")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadCSV(t *testing.T) {
	tests := []struct {
		name, body string
		opt        CSVOptions
		wantErr    bool
		n, classes int
	}{
		{"basic", "1,2,0\n3,4,1\n", CSVOptions{LabelColumn: -1}, false, 2, 2},
		{"header and label first", "h\n2,1,2\n0,3,4\n", CSVOptions{HeaderLines: 1, LabelColumn: 0}, false, 2, 3},
		{"ragged", "1,2,0\n3,1\n", CSVOptions{LabelColumn: -1}, true, 0, 0},
		{"non-numeric", "1,x,0\n", CSVOptions{LabelColumn: -1}, true, 0, 0},
		{"fractional label", "1,2,0.5\n", CSVOptions{LabelColumn: -1}, true, 0, 0},
		{"bad shape", "1,2,0\n", CSVOptions{LabelColumn: -1, Shape: []int{3}}, true, 0, 0},
		{"too few classes", "1,2,4\n", CSVOptions{LabelColumn: -1, Classes: 3}, true, 0, 0},
		{"empty", "\n", CSVOptions{LabelColumn: -1}, true, 0, 0},
	}
	for _, tt := range tests {
		ds, err := LoadCSV(writeFile(t, tt.body), tt.opt)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		if err == nil && (ds.N != tt.n || ds.Classes != tt.classes) {
			t.Errorf("%s: N=%d classes=%d", tt.name, ds.N, ds.Classes)
		}
	}
}

func TestSplitBatchAndRoot(t *testing.T) {
	ds, err := LoadCSV(writeFile(t, "0,0\n1,1\n2,0\n3,1\n4,0\n5,1\n6,0\n7,1\n8,0\n9,1\n"), CSVOptions{LabelColumn: -1})
	if err != nil {
		t.Fatal(err)
	}
	tr, ev, err := ds.Split(0.3, 1)
	if err != nil || tr.N != 7 || ev.N != 3 {
		t.Fatalf("split: %v %d %d", err, tr.N, ev.N)
	}
	r1 := ds.Root()
	ds.X[3] = 42
	if ds.Root() == r1 {
		t.Error("root ignores a feature")
	}
	b, err := NewBatcher(tr, 9, 3)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[float32]int{}
	x, y := make([]float32, 3), make([]float32, 3)
	for i := 0; i < 2; i++ { // one epoch: 7 examples, 2 full batches
		b.Next(x, y)
		for _, v := range x {
			seen[v]++
		}
	}
	if len(seen) != 6 || b.Cursor != (Cursor{Epoch: 0, Pos: 6}) {
		t.Errorf("epoch 0 served %v, cursor %+v", seen, b.Cursor)
	}
	b.Next(x, y)
	if b.Cursor != (Cursor{Epoch: 1, Pos: 3}) {
		t.Errorf("cursor after wrap %+v", b.Cursor)
	}
	if _, err := NewBatcher(tr, 1, 8); err == nil {
		t.Error("batch larger than dataset accepted")
	}
}

func TestText(t *testing.T) {
	ds, err := TextDataset([]byte("abcab"), TextOptions{Context: 2, Stride: 1})
	if err != nil {
		t.Fatal(err)
	}
	if string(ds.Vocab) != "abc" || ds.N != 3 || ds.X[0] != 0 || ds.Y[0] != 1 || ds.Y[5] != 1 {
		t.Errorf("got %+v", ds)
	}
	if _, err := Encode(ds.Vocab, "abz"); err == nil {
		t.Error("unknown byte encoded")
	}
	if _, err := TextDataset([]byte("ab"), TextOptions{Context: 2}); err == nil {
		t.Error("text shorter than a window accepted")
	}
}
