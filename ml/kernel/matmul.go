package kernel

import (
	"sync"
)

// microKernel is one implementation of the innermost matmul step together
// with its blocking parameters.
//
// run computes an mr×nr tile of C (row stride ldc) from kc consecutive
// values of t. It reads A[r][t] = a[r*ra+t*ta] for r < mr, t < kc, where one
// of ra and ta is 1: that is op(A) in place (ra = k, ta = 1 for a row-major
// A; ra = 1, ta = m for a transposed one) or a packed, zero-padded panel
// (ra = 1, ta = mr). It reads B from the packed panel bp (bp[t*nr+c] =
// B[t0+t][j0+c]). With load == false every accumulator starts at +0; with
// load == true it starts from the value already in C, which is how a sum
// over k is continued across k blocks: the float32 stored in C between
// blocks is exactly the sequential partial sum, so blocking over k does not
// change the canonical order.
type microKernel struct {
	name   string
	mr, nr int
	kc     int // k block: kc*nr floats of packed B
	mc     int // row block: mc rows of A are reused across a column block
	nc     int // column block
	run    func(kc int, a []float32, ra, ta int, bp, c []float32, ldc int, load bool)
}

// current is the micro-kernel MatMul uses, chosen at start-up from the
// CPU's features (see kernel_amd64.go).
var current = &goKernel

// narrow is the micro-kernel for products with at most narrow.nr columns.
var narrow = &goKernel

// smallWork is the m*n*k below which MatMul skips packing and threads.
const smallWork = 12 * 12 * 12

// minThreadWork is the minimum m*n*k per goroutine worth spawning one.
const minThreadWork = 64 * 64 * 64

func matMul(c, a, b []float32, m, k, n int, transA, transB bool) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clear(c) // the empty sum is +0
		return
	}
	// Tiny products, and products with very few rows (vector-matrix
	// shapes, where packing B would cost more than the arithmetic), skip
	// the blocked kernels.
	if m*n*k < smallWork || m < 4 || (m < 8 && transB) {
		matMulSmall(c, a, b, m, k, n, transA, transB)
		return
	}
	if n <= narrow.nr {
		narrow.matMul(c, a, b, m, k, n, transA, transB)
		return
	}
	current.matMul(c, a, b, m, k, n, transA, transB)
}

// matMulSmall is the unpacked path for tiny products. Every output element
// still accumulates its terms t = 0, 1, ... sequentially from +0; the loops
// only choose which elements advance together.
func matMulSmall(c, a, b []float32, m, k, n int, transA, transB bool) {
	var rowBuf []float32
	if transA {
		var stack [64]float32
		rowBuf = stack[:0]
		if k > len(stack) {
			rowBuf = make([]float32, 0, k)
		}
	}
	for i := range m {
		// Row i of op(A), contiguous.
		var arow []float32
		if transA {
			arow = rowBuf[:0]
			for t := range k {
				arow = append(arow, a[t*m+i])
			}
		} else {
			arow = a[i*k : i*k+k]
		}
		crow := c[i*n : i*n+n]
		if !transB {
			// Axpy form: add term t to the whole row, t = 0, 1, ...
			clear(crow)
			for t, x := range arow {
				brow := b[t*n : t*n+n]
				for j, y := range brow {
					crow[j] += float32(x * y)
				}
			}
			continue
		}
		// B[t][j] = b[j*k+t]: four independent sequential sums at a time.
		j := 0
		for ; j+4 <= n; j += 4 {
			b0 := b[j*k : j*k+k]
			b1 := b[(j+1)*k : (j+1)*k+k]
			b2 := b[(j+2)*k : (j+2)*k+k]
			b3 := b[(j+3)*k : (j+3)*k+k]
			var s0, s1, s2, s3 float32
			for t, x := range arow {
				s0 += float32(x * b0[t])
				s1 += float32(x * b1[t])
				s2 += float32(x * b2[t])
				s3 += float32(x * b3[t])
			}
			crow[j], crow[j+1], crow[j+2], crow[j+3] = s0, s1, s2, s3
		}
		for ; j < n; j++ {
			bj := b[j*k : j*k+k]
			var s float32
			for t, x := range arow {
				s += float32(x * bj[t])
			}
			crow[j] = s
		}
	}
}

// job describes one MatMul call.
type job struct {
	c, a, b        []float32
	m, k, n        int
	transA, transB bool
}

// buffers are the per-goroutine packing buffers.
type buffers struct {
	a, b, tile []float32
}

var bufPool sync.Pool

// getBuffers returns buffers large enough for a rectangle of cols columns
// of a product with inner dimension k.
func getBuffers(mk *microKernel, k, cols int) *buffers {
	bf, _ := bufPool.Get().(*buffers)
	if bf == nil {
		bf = new(buffers)
	}
	grow := func(s []float32, n int) []float32 {
		if cap(s) < n {
			return make([]float32, n)
		}
		return s[:n]
	}
	kc := min(mk.kc, k)
	nc := min(mk.nc, (cols+mk.nr-1)/mk.nr*mk.nr)
	bf.a = grow(bf.a, mk.mr*(kc+rowPad))
	bf.b = grow(bf.b, kc*nc)
	bf.tile = grow(bf.tile, mk.mr*mk.nr)
	return bf
}

// matMul splits the output into rectangles, one per goroutine, and
// computes each with the blocked algorithm. Each output element is
// computed entirely by one goroutine in the canonical order, so the split
// cannot change any result.
func (mk *microKernel) matMul(c, a, b []float32, m, k, n int, transA, transB bool) {
	jb := job{c: c, a: a, b: b, m: m, k: k, n: n, transA: transA, transB: transB}
	sp := split{t: min(numThreads(), max(1, m*n*k/minThreadWork)), m: m, n: n, mr: mk.mr, nr: mk.nr}
	// Prefer splitting rows: each goroutine then touches only its own rows
	// of A and C. Column rectangles are the fallback for short, wide C.
	sp.byRows = (m+mk.mr-1)/mk.mr >= 2*sp.t
	if !sp.byRows && (n+mk.nr-1)/mk.nr < sp.t {
		sp.t = 1
	}
	if sp.t == 1 {
		mk.run1(&jb, 0, m, 0, n)
		return
	}
	mk.runParallel(jb, sp)
}

// split divides an m×n output into t rectangles of whole micro-tiles.
type split struct {
	t, m, n, mr, nr int
	byRows          bool
}

// rect returns the output rectangle of goroutine w.
func (sp split) rect(w int) (i0, i1, j0, j1 int) {
	if sp.byRows {
		panels := (sp.m + sp.mr - 1) / sp.mr
		p0, p1 := panels*w/sp.t, panels*(w+1)/sp.t
		return p0 * sp.mr, min(sp.m, p1*sp.mr), 0, sp.n
	}
	panels := (sp.n + sp.nr - 1) / sp.nr
	p0, p1 := panels*w/sp.t, panels*(w+1)/sp.t
	return 0, sp.m, p0 * sp.nr, min(sp.n, p1*sp.nr)
}

// run1 computes one rectangle with pooled buffers.
func (mk *microKernel) run1(jb *job, i0, i1, j0, j1 int) {
	bf := getBuffers(mk, jb.k, j1-j0)
	mk.block(jb, bf, i0, i1, j0, j1)
	bufPool.Put(bf)
}

// runParallel computes rectangles 1..t-1 on new goroutines and rectangle 0
// on the calling one.
func (mk *microKernel) runParallel(jb job, sp split) {
	var wg sync.WaitGroup
	for w := 1; w < sp.t; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i0, i1, j0, j1 := sp.rect(w)
			mk.run1(&jb, i0, i1, j0, j1)
		}()
	}
	i0, i1, j0, j1 := sp.rect(0)
	mk.run1(&jb, i0, i1, j0, j1)
	wg.Wait()
}

// block computes the output rectangle rows [i0,i1) × columns [j0,j1) with
// the GotoBLAS loop nest: column blocks of nc, k blocks of kc (B packed
// once per block), row blocks of mc, then micro-tiles. Full row panels read
// A in place; only a last, partial row panel is packed (zero-padded).
func (mk *microKernel) block(jb *job, bf *buffers, i0, i1, j0, j1 int) {
	mr, nr := mk.mr, mk.nr
	m, k, n := jb.m, jb.k, jb.n
	conflict := !jb.transA && setConflict(k, mr)
	for jc := j0; jc < j1; jc += mk.nc {
		ncur := min(mk.nc, j1-jc)
		for pc := 0; pc < k; pc += mk.kc {
			kcur := min(mk.kc, k-pc)
			load := pc > 0
			packB(bf.b, jb.b, k, n, jb.transB, pc, kcur, jc, ncur, nr)
			for ic := i0; ic < i1; ic += mk.mc {
				mcur := min(mk.mc, i1-ic)
				for ir := 0; ir < mcur; ir += mr {
					rows := min(mr, mcur-ir)
					i := ic + ir
					// Locate A[i..i+mr)[pc..pc+kcur).
					var a []float32
					var ra, ta int
					switch {
					case jb.transA && rows < mr:
						packA(bf.a, jb.a, m, k, jb.transA, i, rows, pc, kcur, mr)
						a, ra, ta = bf.a, 1, mr
					case jb.transA:
						a, ra, ta = jb.a[pc*m+i:], 1, m
					case rows < mr || conflict:
						// Copy the rows to a stride that maps them to
						// different L1 sets (and zero-pad an edge panel).
						ld := kcur + rowPad
						for r := range mr {
							d := bf.a[r*ld : r*ld+kcur]
							if r < rows {
								copy(d, jb.a[(i+r)*k+pc:])
							} else {
								clear(d)
							}
						}
						a, ra, ta = bf.a, ld, 1
					default:
						a, ra, ta = jb.a[i*k+pc:], k, 1
					}
					for jr := 0; jr < ncur; jr += nr {
						cols := min(nr, ncur-jr)
						bp := bf.b[jr*kcur : (jr+nr)*kcur]
						off := i*n + jc + jr
						if rows == mr && cols == nr {
							mk.run(kcur, a, ra, ta, bp, jb.c[off:off+(mr-1)*n+nr], n, load)
							continue
						}
						// Edge tile: compute a full tile in scratch
						// space and copy the valid part.
						tile := bf.tile
						if load {
							for r := range rows {
								copy(tile[r*nr:r*nr+cols], jb.c[off+r*n:off+r*n+cols])
							}
						}
						mk.run(kcur, a, ra, ta, bp, tile, nr, load)
						for r := range rows {
							copy(jb.c[off+r*n:off+r*n+cols], tile[r*nr:r*nr+cols])
						}
					}
				}
			}
		}
	}
}

// rowPad is the padding added to the row stride of copied A rows.
const rowPad = 16

// setConflict reports whether mr rows of a row-major matrix with row stride
// ld float32s crowd into the same sets of a typical L1 data cache (64 sets
// of 64-byte lines, 8 ways): strides near a multiple of 4 KiB would evict
// each other while the micro-kernel streams through them.
func setConflict(ld, mr int) bool {
	var count [64]int
	for r := range mr {
		set := (r * ld * 4 / 64) % 64
		if count[set]++; count[set] > 4 {
			return true
		}
	}
	return false
}

// packA packs rows [i0,i0+rows) × columns [t0,t0+kc) of op(A), rows <= mr,
// into one panel: dst[t*mr + r] = A[i0+r][t0+t], zero-padded to mr rows.
func packA(dst, a []float32, m, k int, transA bool, i0, rows, t0, kc, mr int) {
	panel := dst[:kc*mr]
	if transA {
		// A[i][t] = a[t*m+i]: each t reads rows consecutive values.
		for t := range kc {
			src := a[(t0+t)*m+i0 : (t0+t)*m+i0+rows]
			d := panel[t*mr : t*mr+mr]
			copy(d, src)
			clear(d[rows:])
		}
		return
	}
	// A[i][t] = a[i*k+t]: each row is contiguous in t.
	for r := range rows {
		src := a[(i0+r)*k+t0 : (i0+r)*k+t0+kc]
		for t, v := range src {
			panel[t*mr+r] = v
		}
	}
	for r := rows; r < mr; r++ {
		for t := range kc {
			panel[t*mr+r] = 0
		}
	}
}

// packB packs rows [t0,t0+kc) × columns [j0,j0+cols) of op(B) into panels
// of nr columns: dst[p*kc*nr + t*nr + c] = B[t0+t][j0+p*nr+c], zero-padded
// to a multiple of nr columns.
func packB(dst, b []float32, k, n int, transB bool, t0, kc, j0, cols, nr int) {
	for p := 0; p*nr < cols; p++ {
		panel := dst[p*kc*nr : (p+1)*kc*nr]
		cp := min(nr, cols-p*nr)
		base := j0 + p*nr
		if !transB {
			// B[t][j] = b[t*n+j]: each t reads cp consecutive values.
			for t := range kc {
				src := b[(t0+t)*n+base : (t0+t)*n+base+cp]
				d := panel[t*nr : t*nr+nr]
				copy(d, src)
				clear(d[cp:])
			}
			continue
		}
		// B[t][j] = b[j*k+t]: each column is contiguous in t.
		for c := range cp {
			src := b[(base+c)*k+t0 : (base+c)*k+t0+kc]
			for t, v := range src {
				panel[t*nr+c] = v
			}
		}
		for c := cp; c < nr; c++ {
			for t := range kc {
				panel[t*nr+c] = 0
			}
		}
	}
}
