package yuma

import (
	"cmp"
	"math/bits"
	"slices"
)

// This file keeps the epoch implementation as it was before the workspace
// optimization (flat buffers, selection-based median, invariant-divisor
// reciprocals), renamed with a legacy prefix. TestLegacyBitIdentical
// requires the optimized Epoch to reproduce it bit for bit. Only helpers
// whose implementation changed are copied; Ratio, mul, acc128, sum128.add,
// and the Input predicates are shared and unchanged.

// legacyEpoch runs one Yuma consensus epoch. It validates p and in and returns a
// wrapped Err* error, without panicking, if either is malformed. The cost is
// O(n log n + nnz log V) for nnz weight and bond entries and V validators.
func legacyEpoch(p Params, in Input) (Output, error) {
	if err := p.Validate(); err != nil {
		return Output{}, err
	}
	if err := in.Validate(); err != nil {
		return Output{}, err
	}
	n := in.N
	out := Output{
		NextPermit:     legacyTopK(in.Stake, p.MaxValidators),
		ValidatorTrust: make([]Fixed, n),
		Incentive:      make([]Fixed, n),
	}
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
	stake := make([]Fixed, n)
	if total > 0 {
		for i := 0; i < n; i++ {
			if permit[i] && in.active(i) {
				stake[i] = Ratio(in.Stake[i], total)
			}
		}
	}

	w := legacyRowWeights(&in, permit)
	out.Consensus = legacyConsensus(w, stake, n, p.Kappa)

	// Clip weights at consensus; validator trust is the clipped row sum and
	// rank_j = sum_i clipped_ij * stake_i, accumulated exactly per column.
	// The same pass forms the weights that buy bonds, interpolating between
	// the weights and the clipped weights: wb = w - penalty*(w - clipped).
	wb := make([]Fixed, len(w.val))
	ranks := make([]acc128, n)
	for i := 0; i < n; i++ {
		var vt Fixed
		for k := w.start[i]; k < w.start[i+1]; k++ {
			j := w.col[k]
			v := min(w.val[k], out.Consensus[j])
			vt += v
			if stake[i] != 0 {
				ranks[j].addMul(v, stake[i])
			}
			wb[k] = w.val[k] - mul(p.BondPenalty, w.val[k]-v)
		}
		out.ValidatorTrust[i] = vt
	}
	for j := range ranks {
		out.Incentive[j] = ranks[j].fixed()
	}
	legacyNormalize(out.Incentive)

	if p.Version == Yuma2 {
		legacyYuma2Bonds(p, &in, w, wb, stake, &out)
	} else {
		legacyYuma3Bonds(p, &in, w, wb, stake, &out)
	}
	return out, nil
}

// legacyTopK returns the permits of the k uids with the largest non-zero stake;
// equal stakes go to the lower uid.
func legacyTopK(stake []uint64, k int) []bool {
	permit := make([]bool, len(stake))
	idx := make([]int, 0, len(stake))
	for i, s := range stake {
		if s > 0 {
			idx = append(idx, i)
		}
	}
	if len(idx) > k {
		slices.SortFunc(idx, func(a, b int) int {
			if c := cmp.Compare(stake[b], stake[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		idx = idx[:k]
	}
	for _, i := range idx {
		permit[i] = true
	}
	return permit
}

// legacyRowWeights returns the masked, row-normalized weight matrix: rows of
// validators without a permit are dropped, as are self-weights (except the
// owner's), weights set before the target registered, and zero weights. Each
// row is then divided by its sum, rounding toward zero; entries that round
// to zero are dropped.
func legacyRowWeights(in *Input, permit []bool) csr {
	n := in.N
	nnz := 0
	for _, row := range in.Weights {
		nnz += len(row)
	}
	m := csr{start: make([]int, n+1), col: make([]uint32, 0, nnz), val: make([]Fixed, 0, nnz)}
	for i := 0; i < n; i++ {
		first := len(m.col)
		m.start[i] = first
		if in.Weights == nil || !permit[i] {
			continue
		}
		var sum uint64
		for _, e := range in.Weights[i] {
			if e.Value == 0 || (int(e.UID) == i && !in.selfWeightAllowed(i)) || !in.weightFresh(i, e.UID) {
				continue
			}
			m.col = append(m.col, e.UID)
			m.val = append(m.val, Fixed(e.Value))
			sum += uint64(e.Value)
		}
		end := first
		for k := first; k < len(m.col); k++ {
			if v := Ratio(uint64(m.val[k]), sum); v != 0 {
				m.col[end], m.val[end] = m.col[k], v
				end++
			}
		}
		m.col, m.val = m.col[:end], m.val[:end]
	}
	m.start[n] = len(m.col)
	return m
}

// legacyConsensus returns, for each of the cols columns of w, the stake-weighted
// median of the column at majority kappa (rows = len(stake)). Rows without an
// entry in a column count as a zero score; rows without stake are ignored.
func legacyConsensus(w csr, stake []Fixed, cols int, kappa Fixed) []Fixed {
	cons := make([]Fixed, cols)
	var total Fixed
	for _, s := range stake {
		total += s
	}
	if total == 0 {
		return cons
	}
	// Bucket the staked entries by column (a counting sort: O(n + nnz)).
	start := make([]int, cols+1)
	for i, s := range stake {
		if s == 0 {
			continue
		}
		for k := w.start[i]; k < w.start[i+1]; k++ {
			start[w.col[k]+1]++
		}
	}
	for j := 0; j < cols; j++ {
		start[j+1] += start[j]
	}
	entries := make([]scored, start[cols])
	next := slices.Clone(start[:cols])
	for i, s := range stake {
		if s == 0 {
			continue
		}
		for k := w.start[i]; k < w.start[i+1]; k++ {
			j := w.col[k]
			entries[next[j]] = scored{score: w.val[k], stake: s}
			next[j]++
		}
	}
	scratch := make([]uint64, len(entries))
	for j := 0; j < cols; j++ {
		col := entries[start[j]:start[j+1]]
		var withScore Fixed
		for _, e := range col {
			withScore += e.stake
		}
		cons[j] = legacyWeightedMedian(col, scratch[start[j]:start[j+1]], total-withScore, total, kappa)
	}
	return cons
}

// Median sort keys: the score's top 42 bits above the entry's index in its
// column (below MaxN = 2^20), so a column sorts as plain uint64s. Truncating
// the score keeps the order monotone; entries whose truncated scores tie
// are re-sorted by full score (a rare, tiny group).
const (
	legacyIdxBits = 20
	legacyIdxMask = 1<<legacyIdxBits - 1
)

// legacyWeightedMedian returns the smallest score v whose stake-weighted cumulative
// distribution exceeds the minority total-kappa, that is
// zero + sum{stake : score <= v} + kappa > total, or the largest score if
// none does. zero is stake whose score is 0 but has no entry in col. This is
// the value subtensor's recursive weighted_median returns. Entries with
// equal scores are summed as a group, so the result does not depend on how
// the sort orders them.
//
// scratch, if at least len(col) long, is used for the sort keys.
func legacyWeightedMedian(col []scored, scratch []uint64, zero, total, kappa Fixed) Fixed {
	cum := zero
	if cum+kappa > total {
		return 0
	}
	if len(col) == 0 {
		return 0
	}
	keys := scratch
	if len(keys) < len(col) {
		keys = make([]uint64, len(col))
	}
	keys = keys[:len(col)]
	for k, e := range col {
		keys[k] = uint64(e.score)>>legacyIdxBits<<legacyIdxBits | uint64(k)
	}
	slices.Sort(keys)
	for a := 0; a < len(keys); {
		// Group entries whose truncated scores tie, then order the group
		// by full score.
		b := a + 1
		for b < len(keys) && keys[b]>>legacyIdxBits == keys[a]>>legacyIdxBits {
			b++
		}
		group := keys[a:b]
		if len(group) > 1 {
			slices.SortFunc(group, func(x, y uint64) int {
				return cmp.Compare(col[x&legacyIdxMask].score, col[y&legacyIdxMask].score)
			})
		}
		for g := 0; g < len(group); {
			v := col[group[g]&legacyIdxMask].score
			for ; g < len(group) && col[group[g]&legacyIdxMask].score == v; g++ {
				cum += col[group[g]&legacyIdxMask].stake
			}
			if cum+kappa > total {
				return v
			}
		}
		a = b
	}
	return col[keys[len(keys)-1]&legacyIdxMask].score
}

// legacyLiquidAlpha returns the Yuma 3 per-bond EMA rate: a sigmoid of how far the
// validator's weight runs ahead of consensus (when buying) or its bond runs
// ahead of its weight (when selling), mapped into [AlphaLow, AlphaHigh].
func legacyLiquidAlpha(p *Params, cons, weight, bond Fixed) Fixed {
	var diff Fixed
	if weight >= bond {
		if weight > cons {
			diff = weight - cons
		}
	} else {
		diff = bond - weight
	}
	diff = min(diff, One)
	a := p.AlphaLow + mul(legacySigmoid(diff, p.AlphaSigmoidSteepness), p.AlphaHigh-p.AlphaLow)
	return min(max(a, p.AlphaLow), p.AlphaHigh)
}

// oldBonds returns validator i's previous bond row (nil if none).
func legacyOldBonds(in *Input, i int) []Bond {
	if in.Bonds == nil {
		return nil
	}
	return in.Bonds[i]
}

// legacyMergeRow calls f for every uid in the union of weight row w[lo:hi] and
// bond row old, in increasing uid order, with the buying weight wb (0 if
// absent) and the old bond (0 if absent or discarded for re-registration).
// Pairs where both are zero are skipped: omitted and zero entries are
// treated identically.
func legacyMergeRow(in *Input, w csr, wb []Fixed, lo, hi int, old []Bond, f func(j uint32, wv, bv Fixed)) {
	a, b := lo, 0
	for a < hi || b < len(old) {
		var j uint32
		var wv, bv Fixed
		switch {
		case b >= len(old) || (a < hi && w.col[a] < old[b].UID):
			j, wv = w.col[a], wb[a]
			a++
		case a >= hi || old[b].UID < w.col[a]:
			j, bv = old[b].UID, old[b].Value
			b++
		default:
			j, wv, bv = w.col[a], wb[a], old[b].Value
			a++
			b++
		}
		if bv != 0 && !in.bondFresh(j) {
			bv = 0
		}
		if wv == 0 && bv == 0 {
			continue
		}
		f(j, wv, bv)
	}
}

// legacyBondCapacity estimates the number of new bond entries: the union of the
// weight and old bond supports, which mostly coincide in a steady subnet.
// append grows the slice if the estimate is short.
func legacyBondCapacity(in *Input, weights int) int {
	bonds := 0
	for i := 0; i < in.N; i++ {
		bonds += len(legacyOldBonds(in, i))
	}
	return max(weights, bonds) + min(weights, bonds)/8
}

// legacySplitRows slices a flat bond list into per-row slices with capacity
// clipped so that appending to one row cannot overwrite the next.
func legacySplitRows(flat []Bond, start []int) [][]Bond {
	rows := make([][]Bond, len(start)-1)
	for i := range rows {
		rows[i] = flat[start[i]:start[i+1]:start[i+1]]
	}
	return rows
}

// legacyYuma3Bonds computes Yuma 3 bonds and dividends:
// B_ij = min(1, (1-a_ij)*B_ij + a_ij*WB_ij), d_i = s_i * sum_j Bn_ij*I_j
// with Bn_ij = B_ij / sum_k B_kj, the column-normalized bonds. (The
// dividends rule postdates the workspace optimization; it is written here
// in the plainest form, with sum128.ratio, for the bit-identity tests.)
func legacyYuma3Bonds(p Params, in *Input, w csr, wb, stake []Fixed, out *Output) {
	n := in.N
	liquid := p.LiquidAlpha && slices.ContainsFunc(out.Consensus, func(c Fixed) bool { return c != 0 })
	fixedAlpha := One - p.BondsMovingAverage
	flat := make([]Bond, 0, legacyBondCapacity(in, len(w.val)))
	start := make([]int, n+1)
	div := make([]Fixed, n)
	colSum := make([]sum128, n)
	for i := 0; i < n; i++ {
		start[i] = len(flat)
		legacyMergeRow(in, w, wb, w.start[i], w.start[i+1], legacyOldBonds(in, i), func(j uint32, wv, bv Fixed) {
			alpha := fixedAlpha
			if liquid {
				alpha = legacyLiquidAlpha(&p, out.Consensus[j], wv, bv)
			}
			nb := min(mul(One-alpha, bv)+mul(alpha, wv), One)
			if nb != 0 {
				flat = append(flat, Bond{UID: j, Value: nb})
				colSum[j].add(uint64(nb))
			}
		})
	}
	start[n] = len(flat)
	for i := 0; i < n; i++ {
		var acc acc128
		for _, e := range flat[start[i]:start[i+1]] {
			acc.addMul(legacyRatio128(colSum[e.UID], uint64(e.Value)), out.Incentive[e.UID])
		}
		div[i] = mul(acc.fixed(), stake[i])
	}
	legacyNormalize(div)
	out.Dividends = div
	out.Bonds = legacySplitRows(flat, start)
}

// legacyYuma2Bonds computes original-Yuma bonds and dividends: old bonds and the
// stake-weighted bond purchase WB_ij*s_i are each column-normalized, mixed by
// the fixed EMA rate, column-normalized again, and d_i = sum_j B_ij*I_j.
func legacyYuma2Bonds(p Params, in *Input, w csr, wb, stake []Fixed, out *Output) {
	n := in.N
	alpha := One - p.BondsMovingAverage
	oldSum := make([]sum128, n)
	for i := 0; i < n; i++ {
		for _, e := range legacyOldBonds(in, i) {
			if in.bondFresh(e.UID) {
				oldSum[e.UID].add(uint64(e.Value))
			}
		}
	}
	delta := make([]Fixed, len(wb))
	deltaSum := make([]sum128, n)
	for i := 0; i < n; i++ {
		for k := w.start[i]; k < w.start[i+1]; k++ {
			delta[k] = mul(wb[k], stake[i])
			deltaSum[w.col[k]].add(uint64(delta[k]))
		}
	}
	flat := make([]Bond, 0, legacyBondCapacity(in, len(w.val)))
	start := make([]int, n+1)
	newSum := make([]sum128, n)
	for i := 0; i < n; i++ {
		start[i] = len(flat)
		legacyMergeRow(in, w, delta, w.start[i], w.start[i+1], legacyOldBonds(in, i), func(j uint32, dv, bv Fixed) {
			nb := mul(alpha, deltaSum[j].ratio(uint64(dv))) + mul(One-alpha, oldSum[j].ratio(uint64(bv)))
			if nb != 0 {
				flat = append(flat, Bond{UID: j, Value: nb})
				newSum[j].add(uint64(nb))
			}
		})
	}
	start[n] = len(flat)
	// Column-normalize in place, dropping entries that round to zero; the
	// write index never passes the read index, so rows stay contiguous.
	div := make([]Fixed, n)
	end := 0
	for i := 0; i < n; i++ {
		lo, hi := start[i], start[i+1]
		start[i] = end
		var acc acc128
		for k := lo; k < hi; k++ {
			e := flat[k]
			if v := newSum[e.UID].ratio(uint64(e.Value)); v != 0 {
				flat[end] = Bond{UID: e.UID, Value: v}
				end++
				acc.addMul(v, out.Incentive[e.UID])
			}
		}
		div[i] = acc.fixed()
	}
	start[n] = end
	legacyNormalize(div)
	out.Dividends = div
	out.Bonds = legacySplitRows(flat[:end], start)
}

// legacyNormalize scales v in place so that it sums to One, each element rounded
// toward zero (the sum then lies in [One-len(v)+1, One] ulps). A vector that
// sums to zero is left unchanged.
func legacyNormalize(v []Fixed) {
	var sum sum128
	for _, x := range v {
		sum.add(uint64(x))
	}
	if sum == (sum128{}) {
		return
	}
	for i, x := range v {
		v[i] = legacyRatio128(sum, uint64(x))
	}
}

// ratio returns x/s rounded toward zero for 0 <= x <= s. A sum wider than 64
// bits is shifted right together with x until it fits; the shifted sum is
// then at least 2^63, so the relative error stays below 2^-62.
func legacyRatio128(s sum128, x uint64) Fixed {
	if s.hi == 0 {
		return Ratio(x, s.lo)
	}
	sh := uint(bits.Len64(s.hi))
	den := s.hi<<(64-sh) | s.lo>>sh
	return Ratio(x>>sh, den)
}

// legacySigmoid returns 1/(1+e^-t) as a Fixed rounded toward zero, where
// t = (steepness/100)*(x-1/2) is the liquid-alpha argument of subtensor
// (x is the combined weight/bond difference, in [0, One]).
func legacySigmoid(x Fixed, steepness int32) Fixed {
	neg := false // sign of t
	d := x       // |x - 1/2|
	if x >= Half {
		d = x - Half
	} else {
		d = Half - x
		neg = true
	}
	d = min(d, Half)
	s := int64(steepness)
	if s < 0 {
		s = -s
		neg = !neg
	}
	// |t| = s*d/100 as a Q32.32 argument for expNeg, rounded toward zero:
	// s*d is Q62 below 2^92, and dividing by 100*2^30 yields Q32 below 2^64.
	hi, lo := bits.Mul64(uint64(s), uint64(d))
	u, _ := bits.Div64(hi, lo, 100<<30)
	e := legacyExpNeg(u) // e^-|t| in [0, 1], Q62
	num := oneQ62        // t >= 0: 1/(1+e^-|t|)
	if neg {
		num = e // t < 0: e^-|t|/(1+e^-|t|)
	}
	den := oneQ62 + e // at most 2^63, and num <= den
	q, _ := bits.Div64(num>>2, num<<62, den)
	return Fixed(q)
}

// legacyExpNegSmall returns e^-r for r < 2^-8 (Q2.62) with six Taylor terms.
func legacyExpNegSmall(r uint64) uint64 {
	t1 := r
	t2 := mulQ62(t1, r) / 2
	t3 := mulQ62(t2, r) / 3
	t4 := mulQ62(t3, r) / 4
	t5 := mulQ62(t4, r) / 5
	t6 := mulQ62(t5, r) / 6
	return (oneQ62 + t2 + t4 + t6) - (t1 + t3 + t5)
}

// legacyExpNeg returns e^-u in Q2.62 for a non-negative Q32.32 argument u.
func legacyExpNeg(u uint64) uint64 {
	m := u >> 32
	if m >= expMaxInt {
		return 0
	}
	f := u & (1<<32 - 1)
	i := f >> 24
	r := (f & (1<<24 - 1)) << 30 // Q32 -> Q62
	e := mulQ62(expNegInt[m], expNegFrac[i])
	return mulQ62(e, legacyExpNegSmall(r))
}
