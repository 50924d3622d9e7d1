package yuma

import (
	"fmt"
	"math"
	"math/bits"
)

// MaxN is the largest number of uids an epoch accepts. The chain caps a
// subnet at 256; the library is general but bounds n so that raw weight
// sums fit in 64 bits.
const MaxN = 1 << 20

// Weight is one entry of a validator's sparse weight row: the raw weight the
// validator set on uid UID, on any scale (rows are normalized to sum 1). A
// zero weight and an omitted weight are the same thing.
type Weight struct {
	UID   uint32
	Value uint32
}

// Bond is one entry of a validator's sparse bond row: the validator's bond in
// uid UID as a proportion in [0, One]. A zero bond and an omitted bond are the
// same thing.
type Bond struct {
	UID   uint32
	Value Fixed
}

// Input is the state of a subnet that one epoch reads. Per-uid slices have
// length N; sparse rows list entries in strictly increasing UID order.
type Input struct {
	// N is the number of uids, 0 <= N <= MaxN.
	N int
	// Stake is each uid's stake in base units; the total must fit a uint64.
	Stake []uint64
	// Permit holds the validator permits in force for this epoch (the ones
	// the previous epoch returned as Output.NextPermit). If nil, the permits
	// are computed from Stake, as for a subnet's first epoch.
	Permit []bool
	// Weights holds row i = the weights set by uid i. Nil, or of length N
	// with nil rows for uids that set none.
	Weights [][]Weight
	// Bonds holds row i = the bonds of uid i from the previous epoch (nil
	// for none): Output.Bonds of that epoch.
	Bonds [][]Bond

	// LastUpdate is the block at which each uid last set weights. Nil means
	// every uid is active and no weight is older than a registration.
	LastUpdate []uint64
	// RegisteredAt is the block at which each uid was registered. Nil means
	// no uid changed hands (no weight or bond is discarded).
	RegisteredAt []uint64
	// Block is the current block.
	Block uint64
	// ActivityCutoff: uid i is inactive if LastUpdate[i]+ActivityCutoff < Block.
	ActivityCutoff uint64
	// LastEpochBlock is the block of the previous epoch (subtensor passes
	// Block - tempo). Bonds in a uid registered at or after it belonged to
	// the uid's previous holder and are discarded.
	LastEpochBlock uint64
	// HasOwner reports whether the subnet owner holds a uid, OwnerUID. The
	// owner's uid is the only one whose self-weight counts (the owner may
	// park emission on itself, as in subtensor).
	HasOwner bool
	OwnerUID uint32
}

// Validate reports whether in is well formed. Epoch calls it; callers that
// build inputs from untrusted data may call it earlier.
func (in *Input) Validate() error {
	n := in.N
	if n < 0 || n > MaxN {
		return fmt.Errorf("%w: n = %d, want 0..%d", ErrInvalidN, n, MaxN)
	}
	if len(in.Stake) != n {
		return fmt.Errorf("%w: %d stakes for n = %d", ErrLength, len(in.Stake), n)
	}
	var total, carry uint64
	for _, s := range in.Stake {
		total, carry = bits.Add64(total, s, 0)
		if carry != 0 {
			return ErrStakeOverflow
		}
	}
	if in.Permit != nil && len(in.Permit) != n {
		return fmt.Errorf("%w: %d permits for n = %d", ErrLength, len(in.Permit), n)
	}
	if in.LastUpdate != nil && len(in.LastUpdate) != n {
		return fmt.Errorf("%w: %d last-update blocks for n = %d", ErrLength, len(in.LastUpdate), n)
	}
	if in.RegisteredAt != nil && len(in.RegisteredAt) != n {
		return fmt.Errorf("%w: %d registration blocks for n = %d", ErrLength, len(in.RegisteredAt), n)
	}
	if in.HasOwner && int64(in.OwnerUID) >= int64(n) {
		return fmt.Errorf("%w: owner uid %d, n = %d", ErrUID, in.OwnerUID, n)
	}
	if in.Weights != nil {
		if len(in.Weights) != n {
			return fmt.Errorf("%w: %d weight rows for n = %d", ErrLength, len(in.Weights), n)
		}
		for i, row := range in.Weights {
			prev := int64(-1)
			for _, e := range row {
				if int64(e.UID) >= int64(n) {
					return fmt.Errorf("%w: weight row %d names uid %d, n = %d", ErrUID, i, e.UID, n)
				}
				if int64(e.UID) <= prev {
					return fmt.Errorf("%w: weight row %d: uid %d after %d", ErrUnsorted, i, e.UID, prev)
				}
				prev = int64(e.UID)
			}
		}
	}
	if in.Bonds != nil {
		if len(in.Bonds) != n {
			return fmt.Errorf("%w: %d bond rows for n = %d", ErrLength, len(in.Bonds), n)
		}
		for i, row := range in.Bonds {
			prev := int64(-1)
			for _, e := range row {
				if int64(e.UID) >= int64(n) {
					return fmt.Errorf("%w: bond row %d names uid %d, n = %d", ErrUID, i, e.UID, n)
				}
				if int64(e.UID) <= prev {
					return fmt.Errorf("%w: bond row %d: uid %d after %d", ErrUnsorted, i, e.UID, prev)
				}
				if e.Value > One {
					return fmt.Errorf("%w: bond row %d uid %d = %v", ErrBondRange, i, e.UID, e.Value)
				}
				prev = int64(e.UID)
			}
		}
	}
	return nil
}

// selfWeightAllowed reports whether uid i may weight itself.
func (in *Input) selfWeightAllowed(i int) bool {
	return in.HasOwner && int64(in.OwnerUID) == int64(i)
}

// active reports whether uid i set weights within the activity cutoff.
func (in *Input) active(i int) bool {
	if in.LastUpdate == nil {
		return true
	}
	last := in.LastUpdate[i]
	if last > math.MaxUint64-in.ActivityCutoff {
		return true
	}
	return last+in.ActivityCutoff >= in.Block
}

// weightFresh reports whether validator i's weights were set after uid j
// registered; older weights were meant for j's previous holder.
func (in *Input) weightFresh(i int, j uint32) bool {
	if in.LastUpdate == nil || in.RegisteredAt == nil {
		return true
	}
	return in.LastUpdate[i] > in.RegisteredAt[j]
}

// bondFresh reports whether bonds in uid j survive: j registered before the
// previous epoch.
func (in *Input) bondFresh(j uint32) bool {
	if in.RegisteredAt == nil {
		return true
	}
	return in.LastEpochBlock > in.RegisteredAt[j]
}
