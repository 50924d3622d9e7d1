package yuma

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"sync"
)

// Output is the result of one epoch. Per-uid slices have length N and every
// value is a Fixed in [0, One].
type Output struct {
	// NextPermit holds the validator permits for the next epoch: the top
	// MaxValidators uids by stake, among those with non-zero stake.
	NextPermit []bool
	// Consensus is the stake-weighted median (at majority kappa) of the
	// normalized weights each uid received.
	Consensus []Fixed
	// Incentive is each uid's share of the miner emission: its consensus-
	// clipped, stake-weighted rank, normalized to sum One (or all zero).
	Incentive []Fixed
	// Dividends is each uid's share of the validator emission, normalized to
	// sum One (or all zero).
	Dividends []Fixed
	// ValidatorTrust is the sum of a validator's weights after clipping at
	// consensus: the part of its weight that the majority agreed with.
	ValidatorTrust []Fixed
	// Bonds holds the new bonds, row i for validator i, to be passed as
	// Input.Bonds to the next epoch. Entries are non-zero and sorted by UID.
	Bonds [][]Bond
}

// csr is a sparse matrix in compressed-row form: row i holds the entries
// start[i] <= k < start[i+1], column col[k], value val[k].
type csr struct {
	start []int
	col   []uint32
	val   []Fixed
}

// Workspace holds the scratch memory of an epoch: the normalized weight
// matrix, column blocks of its transpose for the medians, and the per-uid
// accumulators. Passing the same Workspace to successive EpochWith calls
// reuses that memory instead of allocating it afresh each epoch; only the
// Output is newly allocated. The contents of a Workspace never affect a
// result: every buffer is overwritten or cleared before it is read.
//
// The zero value is ready to use. A Workspace must not be used by two
// epochs at once; it retains the memory of the largest epoch it has run.
type Workspace struct {
	idx      []int     // topK candidates; staked rows in consensus
	cur      []int     // per staked row: next entry to bucket
	stake    []Fixed   // active stake
	w        csr       // masked, row-normalized weights
	colStart []int     // column offsets of the staked entries
	colNext  []int     // fill cursors while bucketing a block
	entries  []scored  // one block of columns' staked entries
	tmp      []scored  // median selection scratch, two halves
	rowStart []int     // row offsets of the new bonds
	sums     []sum128  // bond column sums
	divs     []divisor // bond column divisors
	arg      []uint64  // liquid alpha: per-bond sigmoid arguments and rates
	buy      []Fixed   // liquid alpha: per-bond buying weights
}

// NewWorkspace returns an empty Workspace. It is equivalent to
// new(Workspace).
func NewWorkspace() *Workspace { return new(Workspace) }

// workspaces backs Epoch. A pooled Workspace is reused by whichever call
// gets it next; since its contents never affect results, that is safe.
var workspaces = sync.Pool{New: func() any { return new(Workspace) }}

// grow returns s resized to length n, reusing its memory when it is large
// enough. The contents are unspecified: callers overwrite or clear them.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Epoch runs one Yuma consensus epoch. It validates p and in and returns a
// wrapped Err* error, without panicking, if either is malformed. The cost is
// O(n log n + nnz) for nnz weight and bond entries: sorting the stakes for
// the permits, and linear passes for everything else (the consensus medians
// are radix selections). Scratch memory comes from an internal pool of
// Workspaces; see EpochWith to manage it explicitly. The result does not
// depend on which is used.
func Epoch(p Params, in Input) (Output, error) {
	ws := workspaces.Get().(*Workspace)
	out, err := EpochWith(ws, p, in)
	workspaces.Put(ws)
	return out, err
}

// EpochWith is Epoch with the caller's Workspace for scratch memory (nil
// means a fresh one). The Output never aliases the Workspace or the Input,
// so it stays valid across later calls; in particular Output.Bonds may be
// passed as Input.Bonds of the next EpochWith call on the same Workspace.
func EpochWith(ws *Workspace, p Params, in Input) (Output, error) {
	if err := p.Validate(); err != nil {
		return Output{}, err
	}
	if err := in.Validate(); err != nil {
		return Output{}, err
	}
	if ws == nil {
		ws = new(Workspace)
	}
	n := in.N
	// One allocation for the four Fixed vectors; each is capped so that
	// appending to one cannot overwrite the next.
	vec := make([]Fixed, 4*n)
	out := Output{
		Consensus:      vec[0*n : 1*n : 1*n],
		Incentive:      vec[1*n : 2*n : 2*n],
		Dividends:      vec[2*n : 3*n : 3*n],
		ValidatorTrust: vec[3*n : 4*n : 4*n],
	}
	out.NextPermit, ws.idx = topK(in.Stake, p.MaxValidators, ws.idx)
	permit := in.Permit
	if permit == nil {
		// No permits from a previous epoch: this is the subnet's first
		// epoch, whose permits are those a setup epoch would have computed.
		permit = out.NextPermit
	}

	// Active stake: stake of active, permitted validators, normalized.
	var total uint64
	for i := 0; i < n; i++ {
		if permit[i] && in.active(i) {
			total += in.Stake[i]
		}
	}
	stake := grow(ws.stake, n)
	ws.stake = stake
	clear(stake)
	if total > 0 {
		d := newDivisor(total)
		for i := 0; i < n; i++ {
			if permit[i] && in.active(i) {
				stake[i] = d.frac(in.Stake[i])
			}
		}
	}

	w := ws.rowWeights(&in, permit)
	// Consensus also yields the ranks (into Incentive); validator trust is
	// summed by the bond pass, which clips the weights anyway.
	ws.consensus(w, stake, p.Kappa, out.Consensus, out.Incentive)
	normalize(out.Incentive)

	if p.Version == Yuma2 {
		ws.yuma2Bonds(&p, &in, w, stake, &out)
	} else {
		ws.yuma3Bonds(&p, &in, w, stake, &out)
	}
	return out, nil
}

// topK returns the permits of the k uids with the largest non-zero stake;
// equal stakes go to the lower uid. idx is scratch memory, returned for
// reuse.
func topK(stake []uint64, k int, idx []int) ([]bool, []int) {
	permit := make([]bool, len(stake))
	idx = idx[:0]
	for i, s := range stake {
		if s > 0 {
			idx = append(idx, i)
		}
	}
	cand := idx
	if len(cand) > k {
		slices.SortFunc(cand, func(a, b int) int {
			if c := cmp.Compare(stake[b], stake[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		cand = cand[:k]
	}
	for _, i := range cand {
		permit[i] = true
	}
	return permit, idx
}

// rowWeights returns the masked, row-normalized weight matrix: rows of
// validators without a permit are dropped, as are self-weights (except the
// owner's), weights set before the target registered, and zero weights. Each
// row is then divided by its sum, rounding toward zero; entries that round
// to zero are dropped. The matrix lives in ws.
func (ws *Workspace) rowWeights(in *Input, permit []bool) csr {
	n := in.N
	nnz := 0
	if in.Weights != nil {
		for i, row := range in.Weights {
			if permit[i] {
				nnz += len(row)
			}
		}
	}
	m := csr{start: grow(ws.w.start, n+1), col: grow(ws.w.col, nnz), val: grow(ws.w.val, nnz)}
	ws.w = m
	fresh := in.LastUpdate != nil && in.RegisteredAt != nil
	end := 0
	for i := 0; i < n; i++ {
		m.start[i] = end
		if in.Weights == nil || !permit[i] {
			continue
		}
		// self is the uid this row may not weight; uids are below MaxN, so
		// MaxUint32 matches none.
		self := uint32(i)
		if in.selfWeightAllowed(i) {
			self = math.MaxUint32
		}
		var last uint64
		if fresh {
			last = in.LastUpdate[i]
		}
		// Two passes over the row, with the same mask: the sum, then the
		// quotients (the row is still in cache).
		row := in.Weights[i]
		var sum uint64
		masked := false
		for _, e := range row {
			if e.Value == 0 || e.UID == self || (fresh && last <= in.RegisteredAt[e.UID]) {
				masked = true
				continue
			}
			sum += uint64(e.Value)
		}
		if sum == 0 {
			continue
		}
		d := newDivisor(sum)
		col, val := m.col[end:end+len(row)], m.val[end:end+len(row)]
		kept := 0
		if masked {
			for _, e := range row {
				if e.Value == 0 || e.UID == self || (fresh && last <= in.RegisteredAt[e.UID]) {
					continue
				}
				if v := d.frac(uint64(e.Value)); v != 0 {
					col[kept], val[kept] = e.UID, v
					kept++
				}
			}
		} else {
			// Every entry counts. (None rounds to zero either: a weight of 1
			// in a sum below 2^52 is at least 2^10 ulps. The loop drops
			// zeros anyway, by advancing only past non-zero values.)
			for _, e := range row {
				v := d.frac(uint64(e.Value))
				col[kept], val[kept] = e.UID, v
				kept += int(uint64(-v) >> 63) // v <= One < 2^63
			}
		}
		end += kept
	}
	m.start[n] = end
	m.col, m.val = m.col[:end], m.val[:end]
	return m
}

// scored is one validator's score in a column and the validator's stake.
type scored struct {
	score, stake Fixed
}

// consensus returns, for each of the cols columns of w, the stake-weighted
// median of the column at majority kappa (rows = len(stake)). Rows without an
// entry in a column count as a zero score; rows without stake are ignored.
func consensus(w csr, stake []Fixed, cols int, kappa Fixed) []Fixed {
	cons := make([]Fixed, cols)
	new(Workspace).consensus(w, stake, kappa, cons, nil)
	return cons
}

// colPad is the number of unused entries consensus leaves between two
// columns of a block. Without it, the columns of a dense block, which have
// the same length, may start a multiple of 4 KB apart, so that the
// transpose's writes to them all fall into the same L1 cache set; 64 bytes
// of padding spread them over successive sets.
const colPad = 4

// minBlock is the least number of entries consensus transposes at a time:
// 2^14 entries of 16 bytes, which stay in a core's L2 cache.
const minBlock = 1 << 14

// consensus sets cons[j] to the stake-weighted median at majority kappa of
// column j of w, for every column j < len(cons); see the package function.
// Unless ranks is nil, it also sets ranks[j] to the column's clipped rank
// sum_i min(w_ij, cons_j) * stake_i, accumulated exactly. cons and ranks
// must be zero on entry.
//
// The staked entries are transposed into columns by a counting sort, one
// block of consecutive columns at a time so that the block stays in cache:
// each staked row keeps a cursor that advances through the block's columns.
// A block holds at least max(minBlock, 4*rows) entries unless it is the
// last, so there are at most 2*nnz/(4*rows)+1 blocks and the cursor visits
// cost O(nnz + rows) in all.
func (ws *Workspace) consensus(w csr, stake []Fixed, kappa Fixed, cons, ranks []Fixed) {
	cols := len(cons)
	var total Fixed
	for _, s := range stake {
		total += s
	}
	if total == 0 {
		return
	}
	// Column counts of the staked entries, then column offsets.
	rows := ws.idx[:0]
	start := grow(ws.colStart, cols+1)
	ws.colStart = start
	clear(start)
	for i, s := range stake {
		if s == 0 {
			continue
		}
		rows = append(rows, i)
		for _, j := range w.col[w.start[i]:w.start[i+1]] {
			start[j+1]++
		}
	}
	ws.idx = rows
	longest := 0
	for j := 0; j < cols; j++ {
		longest = max(longest, start[j+1])
		start[j+1] += start[j]
	}
	cur := grow(ws.cur, len(rows))
	ws.cur = cur
	for r, i := range rows {
		cur[r] = w.start[i]
	}
	block := max(minBlock, 4*len(rows))
	ws.tmp = grow(ws.tmp, 2*longest)
	t1, t2 := ws.tmp[:longest], ws.tmp[longest:]
	for j0 := 0; j0 < cols; {
		j1 := j0 + 1
		for j1 < cols && start[j1+1]-start[j0] <= block {
			j1++
		}
		base := start[j0]
		// Column j of the block starts at start[j]-base+colPad*(j-j0).
		entries := grow(ws.entries, start[j1]-base+colPad*(j1-j0))
		ws.entries = entries
		next := grow(ws.colNext, j1-j0)
		ws.colNext = next
		for j := range next {
			next[j] = start[j0+j] - base + colPad*j
		}
		for r, i := range rows {
			k, end := cur[r], w.start[i+1]
			cur[r] = k + bucket(w.col[k:end], w.val[k:end], stake[i], uint32(j0), uint32(j1), next, entries)
		}
		for j := j0; j < j1; j++ {
			off := start[j] - base + colPad*(j-j0)
			col := entries[off : off+start[j+1]-start[j]]
			var withScore Fixed
			for _, e := range col {
				withScore += e.stake
			}
			// The stake without an entry scores 0. If it alone exceeds
			// the minority, zero + kappa > total, that is kappa >
			// withScore, the median is 0 (cons[j] is already 0).
			if len(col) == 0 || kappa > withScore {
				continue
			}
			c := medianSelect(col, t1, t2, withScore-kappa)
			cons[j] = c
			if ranks != nil && c != 0 {
				var acc acc128
				for _, e := range col {
					acc.addMul(min(e.score, c), e.stake)
				}
				ranks[j] = acc.fixed()
			}
		}
		j0 = j1
	}
}

// bucket copies the leading entries of a row (cols, vals) whose columns lie
// in [j0, j1) to entries, column c at next[c-j0], advancing the cursors, and
// returns how many it copied. It is kept out of line so that its loop gets
// the registers to itself.
//
//go:noinline
func bucket(cols []uint32, vals []Fixed, stake Fixed, j0, j1 uint32, next []int, entries []scored) int {
	vals = vals[:len(cols)]
	for k, j := range cols {
		if j >= j1 {
			return k
		}
		c := j - j0
		entries[next[c]] = scored{score: vals[k], stake: stake}
		next[c]++
	}
	return len(cols)
}

// weightedMedian returns the smallest score v whose stake-weighted cumulative
// distribution exceeds the minority total-kappa, that is
// zero + sum{stake : score <= v} + kappa > total, or the largest score if
// none does. zero is stake whose score is 0 but has no entry in col. This is
// the value subtensor's recursive weighted_median returns. Entries with
// equal scores count as a group, so the result does not depend on their
// order. The stakes must sum within a uint64.
//
// col is not modified. buf, if at least 2*len(col) long, is used as the
// selection's scratch memory.
func weightedMedian(col []scored, buf []scored, zero, total, kappa Fixed) Fixed {
	if zero+kappa > total || len(col) == 0 {
		return 0
	}
	if len(buf) < 2*len(col) {
		buf = make([]scored, 2*len(col))
	}
	// zero + kappa <= total, so the subtraction cannot wrap, and
	// zero + S + kappa > total exactly when S > total - zero - kappa.
	return medianSelect(col, buf[:len(col)], buf[len(col):2*len(col)], total-zero-kappa)
}

// medianSmall is the size at or below which medianSelect sorts.
const medianSmall = 16

// radixBits is the number of score bits medianSelect resolves per round.
const radixBits = 8

// medianSelect returns the smallest score v in a with
// sum{stake : score <= v} > need, or the largest score if there is none. a
// must not be empty; it is not modified. t1 and t2 are scratch memory at
// least as long as a.
//
// It is a weighted radix select. Each round finds the scores' range
// [lo, hi] and splits it into at most 2^radixBits buckets of 2^shift scores,
// shift = max(0, bitlen(hi-lo) - radixBits); it sums the stake in each
// bucket and walks the buckets to the one where the cumulative stake first
// exceeds need. The answer is in that bucket, so the entries of the other
// buckets are dropped (those below it reduce need by their stake). The next
// range is shorter than a bucket, so shift drops by radixBits every round;
// once it is 0 a bucket holds equal scores only. After at most
// 64/radixBits + 1 rounds the entries left are thus all equal (the answer)
// or few enough to sort, and the cost is O(len(a)) whatever the scores. No
// step depends on the order of a.
func medianSelect(a, t1, t2 []scored, need Fixed) Fixed {
	dst := t1 // the next round's entries; t2 is the spare buffer
	for len(a) > medianSmall {
		lo, hi := a[0].score, a[0].score
		var total Fixed
		for _, e := range a {
			lo, hi = min(lo, e.score), max(hi, e.score)
			total += e.stake
		}
		if total <= need {
			return hi // the cumulative stake never exceeds need
		}
		if lo == hi {
			return lo
		}
		// Bucket b holds the scores lo + [b, b+1) << shift, b < 2^radixBits.
		shift := uint(max(0, bits.Len64(uint64(hi-lo))-radixBits))
		var hist [1 << radixBits]Fixed
		for _, e := range a {
			hist[uint64(e.score-lo)>>shift] += e.stake
		}
		b := 0
		for hist[b] <= need {
			need -= hist[b]
			b++
		}
		// Keep bucket b's entries, without branches: each entry is written
		// to the next slot, which advances only for a kept entry.
		m := 0
		for _, e := range a {
			dst[m] = e
			x := uint64(e.score-lo)>>shift ^ uint64(b)
			m += int(1 ^ (x|-x)>>63) // 1 if x == 0
		}
		a = dst[:m]
		dst, t2 = t2, dst
	}
	// Sort a copy: a may still be the caller's slice.
	return medianSorted(dst[:copy(dst, a)], need)
}

// medianSorted is medianSelect by sorting a by score (insertion sort: a is
// short) and scanning the cumulative stake, one group of equal scores at a
// time. It sorts in place.
func medianSorted(a []scored, need Fixed) Fixed {
	for i := 1; i < len(a); i++ {
		for k := i; k > 0 && a[k].score < a[k-1].score; k-- {
			a[k], a[k-1] = a[k-1], a[k]
		}
	}
	var cum Fixed
	for k := 0; k < len(a); {
		v := a[k].score
		for ; k < len(a) && a[k].score == v; k++ {
			cum += a[k].stake
		}
		if cum > need {
			return v
		}
	}
	return a[len(a)-1].score
}

// clipBuy returns the weight w clipped at consensus c, min(w, c), and the
// weight that buys bonds, which interpolates between the two:
// w - penalty*(w - min(w, c)). A penalty of 0 buys with w and One with
// min(w, c), exactly. w and penalty must be at most One.
func clipBuy(w, c, penalty Fixed) (clipped, buy Fixed) {
	clipped = min(w, c)
	return clipped, w - mulUnit(penalty, w-clipped)
}

// liquidEMA is the Yuma 3 bond update with liquid alpha, its parameters
// hoisted out of the per-bond loops.
type liquidEMA struct {
	cons               []Fixed
	colSum             []sum128 // new bonds' column sums, for the dividends
	penalty, low, high Fixed
	steep              uint64   // |AlphaSigmoidSteepness|
	flip               bool     // AlphaSigmoidSteepness < 0
	arg                []uint64 // sameSupport scratch, n long
	buy                []Fixed  // sameSupport scratch, n long
}

func newLiquidEMA(p *Params, cons []Fixed, colSum []sum128) liquidEMA {
	s := int64(p.AlphaSigmoidSteepness)
	return liquidEMA{
		cons: cons, colSum: colSum, penalty: p.BondPenalty,
		low: p.AlphaLow, high: p.AlphaHigh,
		steep: uint64(max(s, -s)), flip: s < 0,
	}
}

// alpha returns the Yuma 3 per-bond EMA rate: a sigmoid of how far the
// validator's weight runs ahead of consensus (when buying) or its bond runs
// ahead of its weight (when selling), mapped into [AlphaLow, AlphaHigh].
func (l *liquidEMA) alpha(cons, weight, bond Fixed) Fixed {
	var diff Fixed
	if weight >= bond {
		if weight > cons {
			diff = weight - cons
		}
	} else {
		diff = bond - weight
	}
	diff = min(diff, One)
	a := l.low + mulUnit(sigmoidAbs(diff, l.steep, l.flip), l.high-l.low)
	return min(max(a, l.low), l.high)
}

// bond returns the new bond (1-a)*bond + a*weight, capped at One, for the
// liquid rate a of the pair.
func (l *liquidEMA) bond(cons, weight, bond Fixed) Fixed {
	al := l.alpha(cons, weight, bond)
	return min(mulUnit(One-al, bond)+mulUnit(al, weight), One)
}

// sameSupport is fixedEMA.sameSupport with the liquid rate. It computes
// bond (clipBuy, alpha, sigmoidAbs, expNeg) written out in line, in three
// passes over the row through the scratch buffers l.arg and l.buy: each
// bond's rate is a long chain of dependent multiplications and a division,
// and short loops of independent iterations let the processor overlap the
// chains of successive bonds. The data-dependent choices are written so
// that they compile to conditional moves. TestGoldenOutputs,
// TestLegacyBitIdentical and FuzzLegacyBitIdentical check it against the
// general merge and the legacy implementation bit for bit.
//
//go:noinline
func (l *liquidEMA) sameSupport(cols []uint32, vals []Fixed, old, dst []Bond) (m int, vt Fixed, ok bool) {
	cons, colSum := l.cons, l.colSum
	penalty, low, high, steep, flip := l.penalty, l.low, l.high, l.steep, l.flip
	span := high - low
	vals, old, dst = vals[:len(cols)], old[:len(cols)], dst[:len(cols)]
	arg, buy := l.arg[:len(cols)], l.buy[:len(cols)]
	// Pass 1: the buying weight and the sigmoid's argument |t| as a Q32.32
	// number (below 2^56), with the sign of t in bit 63.
	var diff uint32
	for k, j := range cols {
		b := old[k]
		diff |= j ^ b.UID
		c := cons[j]
		w := vals[k]
		v := min(w, c)
		vt += v
		wv := w - mulUnit(penalty, w-v) // clipBuy
		bv := b.Value
		// alpha: x is how far the weight runs ahead of consensus, or the
		// bond ahead of the weight.
		x := max(wv, c) - c
		if bv > wv {
			x = bv - wv
		}
		x = min(x, One)
		// sigmoidAbs(x, steep, flip)
		below := x < Half
		d := x - Half
		if below {
			d = Half - x
		}
		d = min(d, Half)
		hi, lo := bits.Mul64(steep, uint64(d))
		u := (hi<<34 | lo>>30) / 100 // s*d < 2^92, so u < 2^56
		if below != flip {
			u |= 1 << 63
		}
		arg[k], buy[k] = u, wv
	}
	// Pass 2: the rate.
	for k, u := range arg {
		neg := u>>63 != 0
		u &^= 1 << 63
		var e uint64
		if ui := u >> 32; ui < expMaxInt { // expNeg(u)
			rho := u & (1<<24 - 1)
			t2 := rho * rho >> 3
			h3, l3 := bits.Mul64(t2, rho)
			t3 := (h3<<32 | l3>>32) / 3
			t4 := t3 * rho >> 34
			t5 := (t4 * rho >> 32) / 5
			t6 := (t5 * rho >> 32) / 6
			small := (oneQ62 + t2 + t4 + t6) - (rho<<30 + t3 + t5)
			e = mulQ62(mulQ62(expNegInt[ui], expNegFrac[u>>24&0xff]), small)
		}
		num := uint64(oneQ62)
		if neg {
			num = e
		}
		q, _ := bits.Div64(num>>2, num<<62, oneQ62+e)
		arg[k] = uint64(min(max(low+mulUnit(Fixed(q), span), low), high))
	}
	// Pass 3: the bonds.
	for k, j := range cols {
		al, bv := Fixed(arg[k]), old[k].Value
		nb := min(mulUnit(One-al, bv)+mulUnit(al, buy[k]), One)
		dst[m] = Bond{UID: j, Value: nb}
		colSum[j].add(uint64(nb))
		m += int(uint64(-nb) >> 63)
	}
	if diff != 0 {
		unsum(colSum, dst[:m])
		return 0, 0, false
	}
	return m, vt, true
}

// unsum subtracts bonds from their column sums, undoing the additions of a
// fast path that found the supports differ. The zero bonds it added are
// not in bonds, and subtracting them would change nothing.
func unsum(colSum []sum128, bonds []Bond) {
	for _, e := range bonds {
		colSum[e.UID].sub(uint64(e.Value))
	}
}

// oldBonds returns validator i's previous bond row (nil if none).
func (in *Input) oldBonds(i int) []Bond {
	if in.Bonds == nil {
		return nil
	}
	return in.Bonds[i]
}

// bondCapacity estimates the number of new bond entries: the union of the
// weight and old bond supports, which mostly coincide in a steady subnet.
// append grows the slice if the estimate is short.
func bondCapacity(in *Input, weights int) int {
	bonds := 0
	for i := 0; i < in.N; i++ {
		bonds += len(in.oldBonds(i))
	}
	return max(weights, bonds) + min(weights, bonds)/8
}

// splitRows slices a flat bond list into per-row slices with capacity
// clipped so that appending to one row cannot overwrite the next.
func splitRows(flat []Bond, start []int) [][]Bond {
	rows := make([][]Bond, len(start)-1)
	for i := range rows {
		rows[i] = flat[start[i]:start[i+1]:start[i+1]]
	}
	return rows
}

// The bond loops below merge row i of the weights with the old bond row in
// increasing uid order, as one pass over the union of the two supports: an
// absent entry and a bond discarded for re-registration count as 0, and
// pairs where both are zero are skipped, so omitted and zero entries are
// treated identically. They clip the weights at consensus on the fly
// (clipBuy), for the buying weights and for validator trust, the clipped
// row sum.

// yuma3Bonds computes Yuma 3 bonds and dividends:
// B_ij = min(1, (1-a_ij)*B_ij + a_ij*WB_ij), and d_i = s_i * sum_j Bn_ij*I_j
// for the column-normalized bonds Bn_ij = B_ij / sum_k B_kj, as subtensor's
// epoch computes them (inplace_col_normalize, mat_vec_mul, row_sum,
// vec_mul; the stored bonds stay unnormalized proportions). Normalizing
// the columns first gives each miner's incentive out in full to its
// bondholders, however much bond the column holds in all; without it a
// miner whose bonds sum higher would pay its validators more.
func (ws *Workspace) yuma3Bonds(p *Params, in *Input, w csr, stake []Fixed, out *Output) {
	n := in.N
	cons, inc, div := out.Consensus, out.Incentive, out.Dividends
	// The bond passes sum each column of the new bonds, exactly.
	colSum := grow(ws.sums, n)
	ws.sums = colSum
	clear(colSum)
	liquid := p.LiquidAlpha && slices.ContainsFunc(cons, func(c Fixed) bool { return c != 0 })
	penalty := p.BondPenalty
	alpha := One - p.BondsMovingAverage
	keep := One - alpha
	checkFresh := in.RegisteredAt != nil
	// With no stale bonds, rows whose weights and old bonds have the same
	// uids, as in a steady subnet, take a tight loop.
	fast := !checkFresh
	fixed := fixedEMA{cons: cons, colSum: colSum, penalty: penalty, keep: keep, alpha: alpha}
	liq := newLiquidEMA(p, cons, colSum)
	if liquid && fast {
		ws.arg, ws.buy = grow(ws.arg, n), grow(ws.buy, n)
		liq.arg, liq.buy = ws.arg, ws.buy
	}
	flat := make([]Bond, 0, bondCapacity(in, len(w.val)))
	start := grow(ws.rowStart, n+1)
	ws.rowStart = start
	for i := 0; i < n; i++ {
		start[i] = len(flat)
		lo, hi := w.start[i], w.start[i+1]
		cols, vals := w.col[lo:hi], w.val[lo:hi]
		old := in.oldBonds(i)
		if fast && len(cols) == len(old) {
			flat = slices.Grow(flat, len(cols))
			dst := flat[len(flat) : len(flat)+len(cols)]
			var m int
			var vt Fixed
			var ok bool
			if liquid {
				m, vt, ok = liq.sameSupport(cols, vals, old, dst)
			} else {
				m, vt, ok = fixed.sameSupport(cols, vals, old, dst)
			}
			if ok {
				flat = flat[:len(flat)+m]
				out.ValidatorTrust[i] = vt
				continue
			}
		}
		var vt, v Fixed
		for a, b := 0, 0; a < len(cols) || b < len(old); {
			var j uint32
			var wv, bv Fixed
			switch {
			case b >= len(old) || (a < len(cols) && cols[a] < old[b].UID):
				j = cols[a]
				v, wv = clipBuy(vals[a], cons[j], penalty)
				vt += v
				a++
			case a >= len(cols) || old[b].UID < cols[a]:
				j, bv = old[b].UID, old[b].Value
				b++
			default:
				j, bv = cols[a], old[b].Value
				v, wv = clipBuy(vals[a], cons[j], penalty)
				vt += v
				a++
				b++
			}
			if bv != 0 && checkFresh && in.LastEpochBlock <= in.RegisteredAt[j] {
				bv = 0
			}
			if wv == 0 && bv == 0 {
				continue
			}
			var nb Fixed
			if liquid {
				nb = liq.bond(cons[j], wv, bv)
			} else {
				nb = min(mulUnit(keep, bv)+mulUnit(alpha, wv), One)
			}
			if nb != 0 {
				flat = append(flat, Bond{UID: j, Value: nb})
				colSum[j].add(uint64(nb))
			}
		}
		out.ValidatorTrust[i] = vt
	}
	start[n] = len(flat)
	divs := grow(ws.divs, n)
	ws.divs = divs
	for j := 0; j < n; j++ {
		divs[j] = colSum[j].divisor()
	}
	colNormDividends(flat, start, stake, divs, inc, div)
	normalize(div)
	out.Bonds = splitRows(flat, start)
}

// colNormDividends sets div[i] = mul(floor(sum_j Bn_ij*I_j), s_i) for the
// column-normalized bonds Bn_ij = Ratio(B_ij, S_j), where row i of the bonds
// is flat[start[i]:start[i+1]] and divs[j] divides by the column sum S_j.
// Each quotient rounds toward zero, as normalize's do, and the products are
// summed exactly. A column whose sum is zero holds no stored (non-zero)
// bond, so subtensor's rule of leaving such a column unnormalized needs no
// case here; a bond is at most its column sum, so frac applies. Rows
// without stake are skipped, since their dividend is 0 (div must be zero on
// entry). It is kept out of line so that its loop gets the registers to
// itself.
//
//go:noinline
func colNormDividends(flat []Bond, start []int, stake []Fixed, divs []divisor, inc, div []Fixed) {
	for i, s := range stake {
		if s == 0 {
			continue
		}
		div[i] = mul(colNormDot(flat[start[i]:start[i+1]], divs, inc), s)
	}
}

// colNormDot returns floor(sum_j Ratio(B_j, S_j)*I_j) over one bond row,
// summed exactly. It is its own function, kept out of line, and it writes
// acc128.addMul out on two locals (the method's pointer receiver would keep
// the sum in memory), so that the sum and the division's temporaries stay
// in registers.
//
//go:noinline
func colNormDot(row []Bond, divs []divisor, inc []Fixed) Fixed {
	var hi, lo uint64
	for _, e := range row {
		d := &divs[e.UID]
		ph, pl := bits.Mul64(uint64(d.frac(uint64(e.Value)>>(d.pre&63))), uint64(inc[e.UID]))
		var c uint64
		lo, c = bits.Add64(lo, pl, 0)
		hi += ph + c
	}
	return acc128{hi: hi, lo: lo}.fixed()
}

// fixedEMA is the Yuma 3 bond update with a fixed alpha.
type fixedEMA struct {
	cons                 []Fixed
	colSum               []sum128 // new bonds' column sums, for the dividends
	penalty, keep, alpha Fixed
}

// sameSupport computes the new bonds of a row whose weights (cols, vals) and
// old bonds are on the same uids, none of them stale: it writes the non-zero
// new bonds to dst (at least len(cols) long), adds them to their column
// sums and returns their number and the row's validator trust. If the uids
// differ after all, it undoes its additions to the column sums and returns
// ok false. Like the general merge it skips no work that matters: a pair
// whose weight and bond are both zero yields a zero bond, which is not
// stored, and adds nothing. It is kept out of line so that its loop gets
// the registers to itself.
//
//go:noinline
func (e *fixedEMA) sameSupport(cols []uint32, vals []Fixed, old, dst []Bond) (m int, vt Fixed, ok bool) {
	cons, colSum := e.cons, e.colSum
	vals, old, dst = vals[:len(cols)], old[:len(cols)], dst[:len(cols)]
	var diff uint32
	for k, j := range cols {
		b := old[k]
		diff |= j ^ b.UID
		v, wv := clipBuy(vals[k], cons[j], e.penalty)
		vt += v
		nb := min(mulUnit(e.keep, b.Value)+mulUnit(e.alpha, wv), One)
		// Write, then advance only past a non-zero bond; adding a zero
		// bond to the column sum changes nothing. nb <= One < 2^63, so
		// the sign bit of -nb tells whether nb is non-zero.
		dst[m] = Bond{UID: j, Value: nb}
		colSum[j].add(uint64(nb))
		m += int(uint64(-nb) >> 63)
	}
	if diff != 0 {
		unsum(colSum, dst[:m])
		return 0, 0, false
	}
	return m, vt, true
}

// yuma2Bonds computes original-Yuma bonds and dividends: old bonds and the
// stake-weighted bond purchase WB_ij*s_i are each column-normalized, mixed by
// the fixed EMA rate, column-normalized again, and d_i = sum_j B_ij*I_j.
func (ws *Workspace) yuma2Bonds(p *Params, in *Input, w csr, stake []Fixed, out *Output) {
	n := in.N
	cons := out.Consensus
	penalty := p.BondPenalty
	alpha := One - p.BondsMovingAverage
	checkFresh := in.RegisteredAt != nil
	sums := grow(ws.sums, 2*n)
	ws.sums = sums
	clear(sums)
	oldSum, deltaSum := sums[:n], sums[n:]
	for i := 0; i < n; i++ {
		for _, e := range in.oldBonds(i) {
			if !checkFresh || in.LastEpochBlock > in.RegisteredAt[e.UID] {
				oldSum[e.UID].add(uint64(e.Value))
			}
		}
	}
	// The purchase mul(wb, s) is formed here for the column sums and again
	// in the merge.
	for i := 0; i < n; i++ {
		s := stake[i]
		var vt Fixed
		for k := w.start[i]; k < w.start[i+1]; k++ {
			j := w.col[k]
			v, wb := clipBuy(w.val[k], cons[j], penalty)
			vt += v
			deltaSum[j].add(uint64(mulUnit(wb, s)))
		}
		out.ValidatorTrust[i] = vt
	}
	divs := grow(ws.divs, 2*n)
	ws.divs = divs
	oldDiv, deltaDiv := divs[:n], divs[n:]
	for j := 0; j < n; j++ {
		oldDiv[j] = oldSum[j].divisor()
		deltaDiv[j] = deltaSum[j].divisor()
	}
	flat := make([]Bond, 0, bondCapacity(in, len(w.val)))
	start := grow(ws.rowStart, n+1)
	ws.rowStart = start
	newSum := oldSum
	clear(newSum)
	// With no stale bonds, rows whose weights and old bonds have the same
	// uids, as in a steady subnet, take a tight loop.
	fast := !checkFresh
	y2 := yuma2EMA{cons: cons, penalty: penalty, alpha: alpha, deltaDiv: deltaDiv, oldDiv: oldDiv, newSum: newSum}
	for i := 0; i < n; i++ {
		start[i] = len(flat)
		lo, hi := w.start[i], w.start[i+1]
		cols, vals := w.col[lo:hi], w.val[lo:hi]
		s := stake[i]
		old := in.oldBonds(i)
		if fast && len(cols) == len(old) {
			flat = slices.Grow(flat, len(cols))
			dst := flat[len(flat) : len(flat)+len(cols)]
			if m, ok := y2.sameSupport(cols, vals, old, dst, s); ok {
				flat = flat[:len(flat)+m]
				continue
			}
		}
		for a, b := 0, 0; a < len(cols) || b < len(old); {
			var j uint32
			var dv, bv Fixed
			switch {
			case b >= len(old) || (a < len(cols) && cols[a] < old[b].UID):
				j = cols[a]
				_, wb := clipBuy(vals[a], cons[j], penalty)
				dv = mulUnit(wb, s)
				a++
			case a >= len(cols) || old[b].UID < cols[a]:
				j, bv = old[b].UID, old[b].Value
				b++
			default:
				j, bv = cols[a], old[b].Value
				_, wb := clipBuy(vals[a], cons[j], penalty)
				dv = mulUnit(wb, s)
				a++
				b++
			}
			if bv != 0 && checkFresh && in.LastEpochBlock <= in.RegisteredAt[j] {
				bv = 0
			}
			if dv == 0 && bv == 0 {
				continue
			}
			dd, od := &deltaDiv[j], &oldDiv[j]
			nb := mulUnit(alpha, dd.frac(uint64(dv)>>(dd.pre&63))) + mulUnit(One-alpha, od.frac(uint64(bv)>>(od.pre&63)))
			if nb != 0 {
				flat = append(flat, Bond{UID: j, Value: nb})
				newSum[j].add(uint64(nb))
			}
		}
	}
	start[n] = len(flat)
	newDiv := oldDiv
	for j := 0; j < n; j++ {
		newDiv[j] = newSum[j].divisor()
	}
	// Column-normalize in place, dropping entries that round to zero; the
	// write index never passes the read index, so rows stay contiguous.
	div, inc := out.Dividends, out.Incentive
	end := 0
	for i := 0; i < n; i++ {
		lo, hi := start[i], start[i+1]
		start[i] = end
		var acc acc128
		for k := lo; k < hi; k++ {
			e := flat[k]
			// Write, then advance only past a non-zero bond (v <= One).
			d := &newDiv[e.UID]
			v := d.frac(uint64(e.Value) >> (d.pre & 63))
			flat[end] = Bond{UID: e.UID, Value: v}
			end += int(uint64(-v) >> 63)
			acc.addMul(v, inc[e.UID])
		}
		div[i] = acc.fixed()
	}
	start[n] = end
	normalize(div)
	out.Bonds = splitRows(flat[:end], start)
}

// yuma2EMA is the Yuma 2 bond merge: the column-normalized purchase and old
// bonds mixed by the fixed rate, summed per column for the final
// normalization.
type yuma2EMA struct {
	cons             []Fixed
	penalty, alpha   Fixed
	deltaDiv, oldDiv []divisor
	newSum           []sum128
}

// sameSupport computes the mixed bonds of a row of stake s whose weights
// (cols, vals) and old bonds are on the same uids, none of them stale: it
// writes the non-zero ones to dst (at least len(cols) long), adds them to
// newSum and returns their number. If the uids differ after all, it undoes
// its additions to newSum and returns ok false. It is kept out of line so
// that its loop gets the registers to itself.
//
//go:noinline
func (y *yuma2EMA) sameSupport(cols []uint32, vals []Fixed, old, dst []Bond, s Fixed) (m int, ok bool) {
	cons, deltaDiv, oldDiv, newSum := y.cons, y.deltaDiv, y.oldDiv, y.newSum
	penalty, alpha := y.penalty, y.alpha
	keep := One - alpha
	vals, old, dst = vals[:len(cols)], old[:len(cols)], dst[:len(cols)]
	// Two passes, so that each loop has the registers it needs: the
	// purchases into dst, then the mixed bonds over them.
	var diff uint32
	for k, j := range cols {
		diff |= j ^ old[k].UID
		_, wb := clipBuy(vals[k], cons[j], penalty)
		dst[k] = Bond{UID: j, Value: mulUnit(wb, s)}
	}
	for k, e := range dst {
		j := e.UID
		dd, od := &deltaDiv[j], &oldDiv[j]
		nb := mulUnit(alpha, dd.frac(uint64(e.Value)>>(dd.pre&63))) + mulUnit(keep, od.frac(uint64(old[k].Value)>>(od.pre&63)))
		dst[m] = Bond{UID: j, Value: nb}
		newSum[j].add(uint64(nb))
		m += int(uint64(-nb) >> 63) // nb <= One
	}
	if diff != 0 {
		for _, e := range dst[:m] {
			newSum[e.UID].sub(uint64(e.Value))
		}
		return 0, false
	}
	return m, true
}
