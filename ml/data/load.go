package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/hypha-network/hypha/ml/tensor"
)

// CSVOptions describes a numeric CSV file with one example per line.
type CSVOptions struct {
	HeaderLines int     // lines to skip at the top
	LabelColumn int     // column of the class label; negative counts from the end
	Scale       float32 // features are multiplied by Scale (0 means 1)
	Shape       []int   // feature shape (e.g. [1, 8, 8]); default [features]
	Classes     int     // number of classes; 0 means max label + 1
}

// ReadFile reads a file, transparently gunzipping names ending in .gz.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrData, err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrData, path, err)
		}
		defer z.Close()
		r = z
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrData, path, err)
	}
	return b, nil
}

// LoadCSV reads a tabular or image-like dataset: numeric columns, one of
// which is an integer class label. Numbers are parsed with strconv at
// float32 precision, so loading is exact and platform independent.
func LoadCSV(path string, o CSVOptions) (*Dataset, error) {
	raw, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	scale := o.Scale
	if scale == 0 {
		scale = 1
	}
	ds := &Dataset{YShape: []int{}}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line, width := 0, -1
	maxLabel := -1
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if line <= o.HeaderLines || text == "" {
			continue
		}
		cols := strings.Split(text, ",")
		if width < 0 {
			width = len(cols)
			if width < 2 {
				return nil, fmt.Errorf("%w: %s:%d: need at least two columns", ErrData, path, line)
			}
		}
		if len(cols) != width {
			return nil, fmt.Errorf("%w: %s:%d: %d columns, want %d", ErrData, path, line, len(cols), width)
		}
		lc := o.LabelColumn
		if lc < 0 {
			lc += width
		}
		if lc < 0 || lc >= width {
			return nil, fmt.Errorf("%w: label column %d out of %d columns", ErrData, o.LabelColumn, width)
		}
		for c, s := range cols {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 32)
			if err != nil {
				return nil, fmt.Errorf("%w: %s:%d column %d: %v", ErrData, path, line, c+1, err)
			}
			if c == lc {
				if v != float64(int(v)) || v < 0 || v > 1<<24 {
					return nil, fmt.Errorf("%w: %s:%d: label %v is not a class index", ErrData, path, line, v)
				}
				ds.Y = append(ds.Y, float32(v))
				maxLabel = max(maxLabel, int(v))
				continue
			}
			ds.X = append(ds.X, float32(float32(v)*scale))
		}
		ds.N++
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrData, path, err)
	}
	if ds.N == 0 {
		return nil, fmt.Errorf("%w: %s has no data rows", ErrData, path)
	}
	ds.XShape = []int{width - 1}
	if o.Shape != nil {
		if tensor.Size(o.Shape) != width-1 || tensor.CheckShape(o.Shape) != nil {
			return nil, fmt.Errorf("%w: shape %v does not hold %d features", ErrData, o.Shape, width-1)
		}
		ds.XShape = slices.Clone(o.Shape)
	}
	ds.Classes = maxLabel + 1
	if o.Classes != 0 {
		if o.Classes <= maxLabel {
			return nil, fmt.Errorf("%w: label %d but only %d classes", ErrData, maxLabel, o.Classes)
		}
		ds.Classes = o.Classes
	}
	return ds, nil
}

// TextOptions describes a character-level language-modelling dataset.
type TextOptions struct {
	Context int // tokens per example
	Stride  int // distance between example starts (0 means Context)
	// Vocab is the byte vocabulary; nil means VocabOf the text.
	Vocab []byte
}

// VocabOf returns the distinct bytes of text in increasing order.
func VocabOf(text []byte) []byte {
	var seen [256]bool
	for _, c := range text {
		seen[c] = true
	}
	var v []byte
	for c := 0; c < 256; c++ {
		if seen[c] {
			v = append(v, byte(c))
		}
	}
	return v
}

// LoadText reads a text file as bytes. Example k is the window of Context token ids starting
// at k*Stride, labelled with the window shifted one byte to the right.
func LoadText(path string, o TextOptions) (*Dataset, error) {
	raw, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return TextDataset(raw, o)
}

// TextDataset is LoadText on bytes already in memory.
func TextDataset(raw []byte, o TextOptions) (*Dataset, error) {
	stride := o.Stride
	if stride == 0 {
		stride = o.Context
	}
	if o.Context <= 0 || stride <= 0 || len(raw) < o.Context+1 {
		return nil, fmt.Errorf("%w: %d bytes of text cannot give windows of %d", ErrData, len(raw), o.Context)
	}
	vocab := o.Vocab
	if vocab == nil {
		vocab = VocabOf(raw)
	}
	ids, err := Encode(vocab, string(raw))
	if err != nil {
		return nil, err
	}
	ds := &Dataset{XShape: []int{o.Context}, YShape: []int{o.Context}, Classes: len(vocab), Vocab: vocab}
	for s := 0; s+o.Context+1 <= len(raw); s += stride {
		ds.X = append(ds.X, ids[s:s+o.Context]...)
		ds.Y = append(ds.Y, ids[s+1:s+o.Context+1]...)
		ds.N++
	}
	return ds, nil
}

// Encode maps text to token ids of vocab, failing on unknown bytes.
func Encode(vocab []byte, text string) ([]float32, error) {
	var id [256]int
	for i := range id {
		id[i] = -1
	}
	for i, c := range vocab {
		id[c] = i
	}
	out := make([]float32, len(text))
	for i := 0; i < len(text); i++ {
		if id[text[i]] < 0 {
			return nil, fmt.Errorf("%w: byte %q is not in the vocabulary", ErrData, text[i])
		}
		out[i] = float32(id[text[i]])
	}
	return out, nil
}
