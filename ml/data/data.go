// Package data loads the datasets of the canonical ML runtime, identifies
// them by a Merkle root (the dataset manifest) and serves them in seeded
// shuffled batches.
//
// A Dataset is N examples, each a feature tensor of shape XShape and a label
// tensor of shape YShape, stored flat as float32 (labels and token ids are
// exact small integers).
package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/ml/rng"
	"github.com/hypha-network/hypha/ml/tensor"
)

// ErrData reports unreadable or malformed data.
var ErrData = errors.New("data: invalid dataset")

// Dataset is an in-memory list of examples.
type Dataset struct {
	N      int
	XShape []int     // shape of one example's features
	YShape []int     // shape of one example's labels ([] for a class label)
	X      []float32 // N * Size(XShape)
	Y      []float32 // N * Size(YShape)
	// Classes is the number of label values (classes or vocabulary size).
	Classes int
	// Vocab maps token ids to bytes for text datasets.
	Vocab []byte
}

// XSize and YSize are the element counts of one example.
func (d *Dataset) XSize() int { return tensor.Size(d.XShape) }

// YSize is the number of label values of one example.
func (d *Dataset) YSize() int { return tensor.Size(d.YShape) }

// Subset returns the examples at the given indices, in that order.
func (d *Dataset) Subset(idx []int) *Dataset {
	out := &Dataset{N: len(idx), XShape: d.XShape, YShape: d.YShape, Classes: d.Classes, Vocab: d.Vocab}
	xs, ys := d.XSize(), d.YSize()
	out.X = make([]float32, 0, len(idx)*xs)
	out.Y = make([]float32, 0, len(idx)*ys)
	for _, i := range idx {
		out.X = append(out.X, d.X[i*xs:(i+1)*xs]...)
		out.Y = append(out.Y, d.Y[i*ys:(i+1)*ys]...)
	}
	return out
}

// Split divides d into a training and an evaluation set: the examples are
// ordered by rng.Permutation(seed, 0, N) and the last round(N*fraction) go to
// evaluation. The split is fixed by (seed, fraction) alone.
func (d *Dataset) Split(fraction float64, seed uint64) (train, eval *Dataset, err error) {
	if !(fraction > 0 && fraction < 1) {
		return nil, nil, fmt.Errorf("%w: eval fraction %v not in (0, 1)", ErrData, fraction)
	}
	ne := int(math.Round(float64(d.N) * fraction))
	if ne < 1 || ne >= d.N {
		return nil, nil, fmt.Errorf("%w: eval fraction %v of %d examples leaves an empty split", ErrData, fraction, d.N)
	}
	p := rng.Permutation(seed, 0, d.N)
	return d.Subset(p[:d.N-ne]), d.Subset(p[d.N-ne:]), nil
}

// manifestMagic starts the manifest header leaf.
const manifestMagic = "HYPHA-CE1-DATASET\n"

// Leaves returns the manifest leaves: a header (magic, N, classes, shapes,
// vocabulary) followed by one leaf per example, the little-endian float32
// bytes of its features then its labels.
func (d *Dataset) Leaves() [][]byte {
	h := []byte(manifestMagic)
	for _, v := range []int{d.N, d.Classes, len(d.XShape)} {
		h = binary.LittleEndian.AppendUint64(h, uint64(v))
	}
	for _, v := range d.XShape {
		h = binary.LittleEndian.AppendUint64(h, uint64(v))
	}
	h = binary.LittleEndian.AppendUint64(h, uint64(len(d.YShape)))
	for _, v := range d.YShape {
		h = binary.LittleEndian.AppendUint64(h, uint64(v))
	}
	h = binary.LittleEndian.AppendUint64(h, uint64(len(d.Vocab)))
	h = append(h, d.Vocab...)
	leaves := [][]byte{h}
	xs, ys := d.XSize(), d.YSize()
	for i := 0; i < d.N; i++ {
		b := make([]byte, 0, 4*(xs+ys))
		for _, v := range d.X[i*xs : (i+1)*xs] {
			b = binary.LittleEndian.AppendUint32(b, tensor.Float32Bits(v))
		}
		for _, v := range d.Y[i*ys : (i+1)*ys] {
			b = binary.LittleEndian.AppendUint32(b, tensor.Float32Bits(v))
		}
		leaves = append(leaves, b)
	}
	return leaves
}

// Root is the dataset's identity: the Merkle root of its manifest leaves.
func (d *Dataset) Root() merkle.Hash { return merkle.Root(d.Leaves()) }

// Cursor is the position of a training run in its data stream.
type Cursor struct {
	Epoch uint64 // current epoch; its order is rng.Permutation(seed, Epoch, N)
	Pos   uint64 // examples of this epoch already served
}

// Batcher serves fixed-size batches in seeded shuffled order. An epoch's
// order is rng.Permutation(seed, epoch, N); a batch takes the next B indices,
// and when fewer than B remain the epoch ends (the rest are dropped) so every
// batch has the same shape.
type Batcher struct {
	ds     *Dataset
	seed   uint64
	batch  int
	Cursor Cursor
	perm   []int
	permOf uint64
}

// NewBatcher returns a batcher at the start of epoch 0.
func NewBatcher(ds *Dataset, seed uint64, batch int) (*Batcher, error) {
	if batch <= 0 || batch > ds.N {
		return nil, fmt.Errorf("%w: batch size %d for %d examples", ErrData, batch, ds.N)
	}
	return &Batcher{ds: ds, seed: seed, batch: batch, permOf: math.MaxUint64}, nil
}

// Next writes the next batch's features and labels into x and y and
// advances the cursor.
func (b *Batcher) Next(x, y []float32) {
	if b.Cursor.Pos+uint64(b.batch) > uint64(b.ds.N) {
		b.Cursor = Cursor{Epoch: b.Cursor.Epoch + 1}
	}
	if b.permOf != b.Cursor.Epoch {
		b.perm = rng.Permutation(b.seed, b.Cursor.Epoch, b.ds.N)
		b.permOf = b.Cursor.Epoch
	}
	xs, ys := b.ds.XSize(), b.ds.YSize()
	for k := 0; k < b.batch; k++ {
		i := b.perm[int(b.Cursor.Pos)+k]
		copy(x[k*xs:(k+1)*xs], b.ds.X[i*xs:(i+1)*xs])
		copy(y[k*ys:(k+1)*ys], b.ds.Y[i*ys:(i+1)*ys])
	}
	b.Cursor.Pos += uint64(b.batch)
}
