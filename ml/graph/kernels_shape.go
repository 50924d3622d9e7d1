package graph

import "fmt"

func embeddingForward(a *args) error {
	d := a.n.Shape[len(a.n.Shape)-1]
	v := a.inShape(0)[0]
	for i, id := range a.in[1] {
		k, err := classIndex(id, v)
		if err != nil {
			return fmt.Errorf("id %d: %w", i, err)
		}
		copy(a.out[i*d:(i+1)*d], a.in[0][k*d:(k+1)*d])
	}
	return nil
}

func embeddingElem(a *args, i int) (float32, error) {
	d := a.n.Shape[len(a.n.Shape)-1]
	k, err := classIndex(a.in[1][i/d], a.inShape(0)[0])
	if err != nil {
		return 0, err
	}
	return a.in[0][k*d+i%d], nil
}

// embeddingGradForward scatters dy rows into the table gradient, visiting
// positions in increasing order, each added to the running value.
func embeddingGradForward(a *args) error {
	v, d := a.n.Shape[0], a.n.Shape[1]
	clear(a.out)
	dy := a.in[1]
	for i, id := range a.in[0] {
		k, err := classIndex(id, v)
		if err != nil {
			return fmt.Errorf("id %d: %w", i, err)
		}
		row := a.out[k*d : (k+1)*d]
		for j := range row {
			row[j] += dy[i*d+j]
		}
	}
	return nil
}

func embeddingGradElem(a *args, e int) (float32, error) {
	v, d := a.n.Shape[0], a.n.Shape[1]
	var acc float32
	for i, id := range a.in[0] {
		k, err := classIndex(id, v)
		if err != nil {
			return 0, err
		}
		if k == e/d {
			acc += a.in[1][i*d+e%d]
		}
	}
	return acc, nil
}

// axisSplit views shape as [outer, shape[ax], inner].
func axisSplit(shape []int, ax int) (outer, mid, inner int) {
	outer, inner = 1, 1
	for _, d := range shape[:ax] {
		outer *= d
	}
	for _, d := range shape[ax+1:] {
		inner *= d
	}
	return outer, shape[ax], inner
}

// moveBlock copies, for each outer index, mid*inner contiguous values from
// src (blocks of srcMid*inner, starting at srcOff*inner) to dst (blocks of
// dstMid*inner, starting at dstOff*inner). Slice, pad and concat are all this.
func moveBlock(dst, src []float32, outer, mid, inner, srcMid, srcOff, dstMid, dstOff int) {
	for o := 0; o < outer; o++ {
		copy(dst[(o*dstMid+dstOff)*inner:(o*dstMid+dstOff+mid)*inner], src[(o*srcMid+srcOff)*inner:(o*srcMid+srcOff+mid)*inner])
	}
}

func sliceForward(a *args) error {
	ax, b := a.n.Ints[0], a.n.Ints[1]
	outer, mid, inner := axisSplit(a.n.Shape, ax)
	moveBlock(a.out, a.in[0], outer, mid, inner, a.inShape(0)[ax], b, mid, 0)
	return nil
}

func sliceElem(a *args, i int) (float32, error) {
	ax, b := a.n.Ints[0], a.n.Ints[1]
	_, mid, inner := axisSplit(a.n.Shape, ax)
	o, r := i/(mid*inner), i%(mid*inner)
	return a.in[0][(o*a.inShape(0)[ax]+b)*inner+r], nil
}

func padForward(a *args) error {
	ax, b := a.n.Ints[0], a.n.Ints[1]
	clear(a.out)
	outer, mid, inner := axisSplit(a.inShape(0), ax)
	moveBlock(a.out, a.in[0], outer, mid, inner, mid, 0, a.n.Shape[ax], b)
	return nil
}

func padElem(a *args, i int) (float32, error) {
	ax, b := a.n.Ints[0], a.n.Ints[1]
	_, full, inner := axisSplit(a.n.Shape, ax)
	mid := a.inShape(0)[ax]
	o, c, r := i/(full*inner), (i/inner)%full, i%inner
	if c < b || c >= b+mid {
		return 0, nil
	}
	return a.in[0][(o*mid+c-b)*inner+r], nil
}

func concatForward(a *args) error {
	ax := a.n.Ints[0]
	off := 0
	for k := range a.in {
		outer, mid, inner := axisSplit(a.inShape(k), ax)
		moveBlock(a.out, a.in[k], outer, mid, inner, mid, 0, a.n.Shape[ax], off)
		off += mid
	}
	return nil
}

func concatElem(a *args, i int) (float32, error) {
	ax := a.n.Ints[0]
	_, full, inner := axisSplit(a.n.Shape, ax)
	o, c, r := i/(full*inner), (i/inner)%full, i%inner
	for k := range a.in {
		mid := a.inShape(k)[ax]
		if c < mid {
			return a.in[k][(o*mid+c)*inner+r], nil
		}
		c -= mid
	}
	return 0, fmt.Errorf("concat element %d out of range", i)
}
