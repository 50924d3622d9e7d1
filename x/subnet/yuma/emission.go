package yuma

import (
	"fmt"
	"math/bits"
)

// Split divides amount among uids in proportion to shares (each at most One):
// part_i = floor(amount * share_i / sum(shares)), and the remainder, fewer
// base units than there are non-zero shares, goes to the lowest uid with a
// non-zero share, so the parts sum to amount exactly. If every share is zero
// nothing is distributed and rest = amount; otherwise rest = 0. Shares are
// used at 2^-42 resolution (see shareShift).
func Split(amount uint64, shares []Fixed) (parts []uint64, rest uint64, err error) {
	if len(shares) > MaxN {
		return nil, 0, fmt.Errorf("%w: %d shares, max %d", ErrShares, len(shares), MaxN)
	}
	var sum uint64 // of shifted shares: at most MaxN * One >> shareShift = 2^62
	first := -1
	for i, s := range shares {
		if s > One {
			return nil, 0, fmt.Errorf("%w: share %d = %v exceeds 1", ErrShares, i, s)
		}
		if s>>shareShift != 0 && first < 0 {
			first = i
		}
		sum += uint64(s) >> shareShift
	}
	parts = make([]uint64, len(shares))
	if sum == 0 {
		return parts, amount, nil
	}
	var given uint64
	for i, s := range shares {
		// amount*s' < 2^64*sum because s' <= sum, so the quotient fits.
		hi, lo := bits.Mul64(amount, uint64(s)>>shareShift)
		parts[i], _ = bits.Div64(hi, lo, sum)
		given += parts[i]
	}
	parts[first] += amount - given
	return parts, 0, nil
}

// shareShift drops the low bits of each share so that MaxN shares of at most
// One sum below 2^64; shares keep 2^-42 resolution, far finer than any
// token amount they divide.
const shareShift = 20

// Emission is a subnet's emission for one epoch, split by SplitEmission.
// Owner + sum(Miner) + sum(Validator) + Unallocated equals the total exactly.
type Emission struct {
	// Owner is the subnet owner's cut.
	Owner uint64
	// Miner[i] is uid i's emission by incentive.
	Miner []uint64
	// Validator[i] is uid i's emission by dividends.
	Validator []uint64
	// Unallocated is a miner or validator pool that had no recipient
	// because every incentive or every dividend was zero; the chain decides
	// its fate (e.g. burn it), it is never silently lost.
	Unallocated uint64
}

// SplitEmission divides total between the owner (ownerCut), the miners
// (minerCut, by incentive) and the validators (the rest, by dividends), e.g.
// 18% / 41% / 41%. The owner and miner pools are rounded toward zero and the
// validator pool takes what is left; within a pool, Split assigns the
// remainder. incentive and dividends must have the same length.
func SplitEmission(total uint64, ownerCut, minerCut Fixed, incentive, dividends []Fixed) (Emission, error) {
	if ownerCut > One || minerCut > One || ownerCut+minerCut > One {
		return Emission{}, fmt.Errorf("%w: owner %v + miner %v exceeds 1", ErrShares, ownerCut, minerCut)
	}
	if len(incentive) != len(dividends) {
		return Emission{}, fmt.Errorf("%w: %d incentives, %d dividends", ErrLength, len(incentive), len(dividends))
	}
	owner := scale(total, ownerCut)
	minerPool := scale(total, minerCut)
	validatorPool := total - owner - minerPool
	miner, restM, err := Split(minerPool, incentive)
	if err != nil {
		return Emission{}, err
	}
	validator, restV, err := Split(validatorPool, dividends)
	if err != nil {
		return Emission{}, err
	}
	return Emission{Owner: owner, Miner: miner, Validator: validator, Unallocated: restM + restV}, nil
}

// scale returns floor(amount * f) for f in [0, One].
func scale(amount uint64, f Fixed) uint64 {
	hi, lo := bits.Mul64(amount, uint64(f))
	return hi<<(64-fracBits) | lo>>fracBits
}
