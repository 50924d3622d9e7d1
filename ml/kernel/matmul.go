package kernel

import (
	"sync"
	"sync/atomic"
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
	kc     int // k block
	nc     int // column block: B is packed kc×nc at a time
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

// getBuffers returns buffers large enough for a product with inner
// dimension k and cols columns, with nb packed-B blocks.
func getBuffers(mk *microKernel, k, cols, nb int) *buffers {
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
	bf.b = grow(bf.b, nb*kc*nc)
	bf.tile = grow(bf.tile, mk.mr*mk.nr)
	return bf
}

// chunksPerThread is how many pieces of work per goroutine each parallel
// phase is cut into, so that a goroutine whose core is busy with something
// else (a shared machine, a slower core) does not hold up the others.
const chunksPerThread = 4

// kblock is one k block of one column block, with B packed into bp.
type kblock struct {
	jc, ncur int // columns [jc, jc+ncur)
	pc, kcur int // t in [pc, pc+kcur)
	bp       []float32
	conflict bool // copy row-major A panels to a padded stride
}

// matMul computes c with the GotoBLAS loop nest: column blocks of nc, k
// blocks of kc (B packed once per block), then micro-tiles.
//
// With several goroutines, every goroutine walks the same sequence of
// blocks. In each block they first pack B's column panels and then compute
// chunks of row panels (or of column panels, for short and wide outputs),
// taking both from atomic counters, with a barrier between the two phases.
// B is double-buffered, so that barrier also guarantees that block b is
// finished everywhere before anyone computes block b+1. Every output
// element's k block is computed entirely by one goroutine and its k blocks
// run in order, so neither the number of goroutines nor the scheduling can
// change any result.
func (mk *microKernel) matMul(c, a, b []float32, m, k, n int, transA, transB bool) {
	jb := job{c: c, a: a, b: b, m: m, k: k, n: n, transA: transA, transB: transB}
	mr, nr := mk.mr, mk.nr
	t := min(numThreads(), max(1, m*n*k/minThreadWork))
	byRows := (m+mr-1)/mr >= 2*t
	if !byRows && (min(n, mk.nc)+nr-1)/nr < 2*t {
		t = 1
	}
	conflict := !transA && setConflict(k, mr)
	if t > 1 {
		mk.parallel(jb, t, byRows, conflict)
		return
	}
	bf := getBuffers(mk, k, n, 1)
	for jc := 0; jc < n; jc += mk.nc {
		ncur := min(mk.nc, n-jc)
		for pc := 0; pc < k; pc += mk.kc {
			kb := kblock{jc: jc, ncur: ncur, pc: pc, kcur: min(mk.kc, k-pc), bp: bf.b, conflict: conflict}
			packB(kb.bp, b, k, n, transB, pc, kb.kcur, jc, 0, ncur, nr)
			mk.tiles(&jb, bf, &kb, 0, m, 0, ncur)
		}
	}
	bufPool.Put(bf)
}

// parallel is the multi-goroutine part of matMul.
func (mk *microKernel) parallel(jb job, t int, byRows, conflict bool) {
	mr, nr := mk.mr, mk.nr
	m, k, n := jb.m, jb.k, jb.n
	var blocks []kblock
	for jc := 0; jc < n; jc += mk.nc {
		for pc := 0; pc < k; pc += mk.kc {
			blocks = append(blocks, kblock{jc: jc, ncur: min(mk.nc, n-jc), pc: pc, kcur: min(mk.kc, k-pc), conflict: conflict})
		}
	}
	shared := getBuffers(mk, k, n, 2)
	half := len(shared.b) / 2
	counters := make([]struct{ pack, tiles atomic.Int64 }, len(blocks))
	barriers := make([]sync.WaitGroup, len(blocks))
	for i := range blocks {
		blocks[i].bp = shared.b[i%2*half : (i%2+1)*half]
		barriers[i].Add(t)
	}
	work := func(bf *buffers) {
		for i := range blocks {
			kb := &blocks[i]
			// Phase 1: pack B's column panels.
			panels := (kb.ncur + nr - 1) / nr
			chunks := min(panels, chunksPerThread*t)
			for {
				ch := int(counters[i].pack.Add(1) - 1)
				if ch >= chunks {
					break
				}
				p0, p1 := panels*ch/chunks, panels*(ch+1)/chunks
				packB(kb.bp, jb.b, k, n, jb.transB, kb.pc, kb.kcur, kb.jc, p0*nr, min(kb.ncur, p1*nr), nr)
			}
			barriers[i].Done()
			barriers[i].Wait()
			// Phase 2: micro-tiles.
			if byRows {
				panels = (m + mr - 1) / mr
			}
			chunks = min(panels, chunksPerThread*t)
			for {
				ch := int(counters[i].tiles.Add(1) - 1)
				if ch >= chunks {
					break
				}
				p0, p1 := panels*ch/chunks, panels*(ch+1)/chunks
				if byRows {
					mk.tiles(&jb, bf, kb, p0*mr, min(m, p1*mr), 0, kb.ncur)
				} else {
					mk.tiles(&jb, bf, kb, 0, m, p0*nr, min(kb.ncur, p1*nr))
				}
			}
		}
	}
	var wg sync.WaitGroup
	for range t - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bf := getBuffers(mk, k, 0, 0)
			work(bf)
			bufPool.Put(bf)
		}()
	}
	work(shared)
	wg.Wait()
	bufPool.Put(shared)
}

// tiles computes the micro-tiles of rows [i0,i1) and block columns
// [jr0,jr1) (relative to kb.jc) for the k block kb. Full row panels read A
// in place; partial panels, and row-major panels whose stride maps the rows
// into the same L1 sets, are copied into bf.a first.
func (mk *microKernel) tiles(jb *job, bf *buffers, kb *kblock, i0, i1, jr0, jr1 int) {
	mr, nr := mk.mr, mk.nr
	m, k, n := jb.m, jb.k, jb.n
	pc, kcur := kb.pc, kb.kcur
	load := pc > 0
	for i := i0; i < i1; i += mr {
		rows := min(mr, i1-i)
		// Locate A[i..i+mr)[pc..pc+kcur).
		var a []float32
		var ra, ta int
		switch {
		case jb.transA && rows < mr:
			packATrans(bf.a, jb.a, m, i, rows, pc, kcur, mr)
			a, ra, ta = bf.a, 1, mr
		case jb.transA:
			a, ra, ta = jb.a[pc*m+i:], 1, m
		case rows < mr || kb.conflict:
			// Copy the rows to a stride that maps them to different
			// L1 sets (and zero-pad a partial panel).
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
		for jr := jr0; jr < jr1; jr += nr {
			cols := min(nr, kb.ncur-jr)
			bp := kb.bp[jr*kcur : (jr+nr)*kcur]
			off := i*n + kb.jc + jr
			if rows == mr && cols == nr {
				mk.run(kcur, a, ra, ta, bp, jb.c[off:off+(mr-1)*n+nr], n, load)
				continue
			}
			// Edge tile: compute a full tile in scratch space and copy
			// the valid part.
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

// packATrans packs rows [i0,i0+rows) × columns [t0,t0+kc) of a
// transposed A (A[i][t] = a[t*m+i]), rows <= mr, into one panel:
// dst[t*mr + r] = A[i0+r][t0+t], zero-padded to mr rows.
func packATrans(dst, a []float32, m, i0, rows, t0, kc, mr int) {
	panel := dst[:kc*mr]
	for t := range kc {
		src := a[(t0+t)*m+i0 : (t0+t)*m+i0+rows]
		d := panel[t*mr : t*mr+mr]
		copy(d, src)
		clear(d[rows:])
	}
}

// packB packs rows [t0,t0+kc) × columns [j0+c0,j0+c1) of op(B) into
// panels of nr columns (c0 a multiple of nr): dst[p*kc*nr + t*nr + c] =
// B[t0+t][j0+p*nr+c], zero-padded to whole panels.
func packB(dst, b []float32, k, n int, transB bool, t0, kc, j0, c0, c1, nr int) {
	for p := c0 / nr; p*nr < c1; p++ {
		panel := dst[p*kc*nr : (p+1)*kc*nr]
		cp := min(nr, c1-p*nr)
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
