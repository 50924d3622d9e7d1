// Package schedule holds the subnet module's arithmetic that depends only on
// heights and amounts: the halving emission curve, decaying prices, epoch
// timing and the split of a block's emission across subnets. It has no SDK
// dependency, so its rules are tested in isolation and read in one place.
package schedule

import (
	"errors"
	"math/bits"
)

// ErrOverflow reports an amount that does not fit in 64 bits.
var ErrOverflow = errors.New("schedule: amount overflows uint64")

// Halvings returns how many times the block emission has halved once issued
// units of cap have been issued: 0 below cap/2, 1 below 3/4 of cap, 2 below 7/8,
// and so on (Bittensor's rule). It is 64 once issued reaches cap.
func Halvings(issued, cap uint64) uint {
	var k uint
	for k < 64 && issued >= cap-(cap>>(k+1)) {
		k++
	}
	return k
}

// BlockEmission returns the units issued in the next block: base halved
// Halvings(issued, cap) times, never more than what remains below cap.
func BlockEmission(base, issued, cap uint64) uint64 {
	if issued >= cap {
		return 0
	}
	e := base >> Halvings(issued, cap)
	if left := cap - issued; e > left {
		e = left
	}
	return e
}

// Decayed returns a price that was last at `last` and falls linearly to floor
// over period blocks; elapsed blocks have passed. It never goes below floor,
// and it is floor for period == 0. Rounding is toward the floor's side of the
// line: the decayed part, (last-floor)*elapsed/period, is rounded down.
func Decayed(last, floor, elapsed, period uint64) uint64 {
	if last <= floor || period == 0 || elapsed >= period {
		return floor
	}
	hi, lo := bits.Mul64(last-floor, elapsed)
	drop, _ := bits.Div64(hi, lo, period) // hi < period since elapsed < period
	return last - drop
}

// Raise returns price increased by bps basis points (rounded down), capped at max.
func Raise(price uint64, bps uint32, max uint64) uint64 {
	hi, lo := bits.Mul64(price, uint64(bps))
	inc, _ := bits.Div64(hi%10_000, lo, 10_000)
	if hi >= 10_000 || price+inc < price || price+inc > max {
		return max
	}
	return price + inc
}

// EpochDue reports whether a subnet with this netuid and tempo runs its epoch
// at height. Subnets are staggered by netuid so they do not all fall due in
// the same block: the epoch runs when (height + netuid + 1) is a multiple of
// tempo + 1, as in subtensor.
func EpochDue(height int64, netuid uint32, tempo uint64) bool {
	if height < 0 {
		return false
	}
	return (uint64(height)+uint64(netuid)+1)%(tempo+1) == 0
}

// NextEpoch returns the first height after `height` at which EpochDue holds.
func NextEpoch(height int64, netuid uint32, tempo uint64) int64 {
	period := tempo + 1
	pos := (uint64(height) + uint64(netuid) + 1) % period
	return height + int64(period-pos)
}

// Interval returns the index of the tempo interval that height falls in: it
// increases by one at each epoch of the subnet.
func Interval(height int64, netuid uint32, tempo uint64) uint64 {
	return (uint64(height) + uint64(netuid) + 1) / (tempo + 1)
}

// RevealWindow returns the first and last heights at which weights committed
// at height may be revealed: the whole tempo interval that starts `period`
// epochs after the commit's interval.
func RevealWindow(height int64, netuid uint32, tempo, period uint64) (start, end int64) {
	iv := Interval(height, netuid, tempo) + period
	first := int64(iv*(tempo+1)) - int64(netuid) - 1
	return first, first + int64(tempo)
}

// SplitByStake divides emission among subnets in proportion to stakes, each
// share rounded down and capped at cap. It returns the shares and their sum;
// what the rounding and caps leave (emission - sum) is simply not issued.
func SplitByStake(emission uint64, stakes []uint64, cap uint64) ([]uint64, uint64, error) {
	var total uint64
	for _, s := range stakes {
		var carry uint64
		total, carry = bits.Add64(total, s, 0)
		if carry != 0 {
			return nil, 0, ErrOverflow
		}
	}
	shares := make([]uint64, len(stakes))
	if total == 0 {
		return shares, 0, nil
	}
	var sum uint64
	for i, s := range stakes {
		hi, lo := bits.Mul64(emission, s)
		share, _ := bits.Div64(hi, lo, total) // hi < total since s <= total
		if share > cap {
			share = cap
		}
		shares[i] = share
		sum += share
	}
	return shares, sum, nil
}

// Bps returns amount * bps / 10,000, rounded down.
func Bps(amount uint64, bps uint32) uint64 {
	hi, lo := bits.Mul64(amount, uint64(bps))
	q, _ := bits.Div64(hi, lo, 10_000) // bps <= 10,000 keeps hi < 10,000
	return q
}
