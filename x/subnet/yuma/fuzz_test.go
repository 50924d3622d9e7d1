package yuma

import (
	"encoding/binary"
	"errors"
	"testing"
)

// byteSource reads fuzz bytes as numbers, yielding zeros once exhausted.
type byteSource struct{ b []byte }

func (s *byteSource) u64() uint64 {
	var buf [8]byte
	k := copy(buf[:], s.b)
	s.b = s.b[k:]
	return binary.LittleEndian.Uint64(buf[:])
}

func (s *byteSource) byte() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

// step returns the gap to the next uid of a sparse row: usually 1 to 4,
// rarely 0 (a duplicate uid, which validation must reject).
func step(s *byteSource) uint32 {
	c := s.byte()
	if c == 0 {
		return 0
	}
	return 1 + uint32(c%4)
}

// fuzzInput builds params and an input from raw bytes. It deliberately
// produces invalid values too (uids past n, unsorted rows, bonds above One,
// lengths off by one) so that validation is exercised.
func fuzzInput(data []byte) (Params, Input) {
	s := &byteSource{data}
	fix := func() Fixed {
		if s.byte() == 0 {
			return One + 1 // out of range
		}
		return Fixed(s.u64() % (uint64(One) + 1))
	}
	p := Params{
		Version:               Version(s.byte() % 2),
		Kappa:                 fix(),
		BondPenalty:           fix(),
		BondsMovingAverage:    fix(),
		LiquidAlpha:           s.byte()%2 == 0,
		AlphaLow:              fix(),
		AlphaHigh:             fix(),
		AlphaSigmoidSteepness: int32(s.u64()),
		MaxValidators:         int(s.byte() % 48),
	}
	// Rare invalid parameters.
	switch s.byte() {
	case 0:
		p.Version = 7
	case 1:
		p.MaxValidators = -1
	}
	if p.AlphaLow > p.AlphaHigh && s.byte() != 0 {
		p.AlphaLow, p.AlphaHigh = p.AlphaHigh, p.AlphaLow
	}
	n := int(s.byte() % 40)
	in := Input{N: n, Block: s.u64() % 64, ActivityCutoff: s.u64() % 64, LastEpochBlock: s.u64() % 64}
	lenOf := func() int { // usually n, sometimes off by one
		switch s.byte() {
		case 0:
			return n + 1
		case 1:
			return max(n-1, 0)
		}
		return n
	}
	in.Stake = make([]uint64, lenOf())
	for i := range in.Stake {
		switch s.byte() % 64 {
		case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15:
		case 16:
			in.Stake[i] = s.u64() // may overflow the total
		default:
			in.Stake[i] = s.u64() >> 20
		}
	}
	flags := s.byte()
	if flags&1 != 0 {
		in.Permit = make([]bool, lenOf())
		for i := range in.Permit {
			in.Permit[i] = s.byte()%2 == 0
		}
	}
	if flags&2 != 0 {
		in.LastUpdate, in.RegisteredAt = make([]uint64, lenOf()), make([]uint64, lenOf())
		for i := range in.LastUpdate {
			in.LastUpdate[i] = s.u64() % 64
		}
		for i := range in.RegisteredAt {
			in.RegisteredAt[i] = s.u64() % 64
		}
	}
	if flags&4 != 0 {
		in.HasOwner, in.OwnerUID = true, uint32(s.byte())%uint32(n+2)
	}
	if flags&8 != 0 {
		in.Weights = make([][]Weight, lenOf())
		for i := range in.Weights {
			uid := uint32(0)
			for k := int(s.byte() % 8); k > 0; k-- {
				in.Weights[i] = append(in.Weights[i], Weight{UID: uid, Value: uint32(s.u64())})
				uid += step(s)
			}
		}
	}
	if flags&16 != 0 {
		in.Bonds = make([][]Bond, lenOf())
		for i := range in.Bonds {
			uid := uint32(0)
			for k := int(s.byte() % 8); k > 0; k-- {
				in.Bonds[i] = append(in.Bonds[i], Bond{UID: uid, Value: fix()})
				uid += step(s)
			}
		}
	}
	return p, in
}

// checkInvariants verifies the properties every successful epoch has.
func checkInvariants(t *testing.T, p Params, in Input, out Output) {
	t.Helper()
	n := in.N
	for _, v := range [][]Fixed{out.Consensus, out.Incentive, out.Dividends, out.ValidatorTrust} {
		if len(v) != n {
			t.Fatalf("output length %d, n = %d", len(v), n)
		}
		var sum uint64
		for _, x := range v {
			if x > One {
				t.Fatalf("output %v above 1", x)
			}
			sum += uint64(x)
		}
		_ = sum
	}
	for _, v := range [][]Fixed{out.Incentive, out.Dividends} {
		var sum uint64
		for _, x := range v {
			sum += uint64(x)
		}
		// Normalized: exactly zero, or One minus fewer than n ulps.
		if sum != 0 && (sum > uint64(One) || uint64(One)-sum >= uint64(n)) {
			t.Fatalf("normalized vector sums to %v", Fixed(sum))
		}
	}
	permits := 0
	for i, ok := range out.NextPermit {
		if ok {
			permits++
			if in.Stake[i] == 0 {
				t.Fatalf("permit for zero stake uid %d", i)
			}
		}
	}
	if permits > p.MaxValidators {
		t.Fatalf("%d permits, max %d", permits, p.MaxValidators)
	}
	if len(out.Bonds) != n {
		t.Fatalf("%d bond rows, n = %d", len(out.Bonds), n)
	}
	for i, row := range out.Bonds {
		for k, e := range row {
			if e.Value == 0 || e.Value > One || int(e.UID) >= n || (k > 0 && e.UID <= row[k-1].UID) {
				t.Fatalf("bad bond row %d: %v", i, row)
			}
		}
	}
	// Bonds must be valid input for the next epoch.
	next := in
	next.Bonds, next.Permit = out.Bonds, out.NextPermit
	if _, err := Epoch(p, next); err != nil {
		t.Fatalf("next epoch rejects this epoch's output: %v", err)
	}
	// Emission split conserves the total.
	e, err := SplitEmission(1_000_000_007, Ratio(18, 100), Ratio(41, 100), out.Incentive, out.Dividends)
	if err != nil {
		t.Fatal(err)
	}
	total := e.Owner + e.Unallocated
	for i := range e.Miner {
		total += e.Miner[i] + e.Validator[i]
	}
	if total != 1_000_000_007 {
		t.Fatalf("emission split sums to %d", total)
	}
}

// FuzzEpoch feeds arbitrary bytes through Epoch: it must never panic, must
// reject malformed input with one of the package's errors, and must satisfy
// the output invariants otherwise.
func FuzzEpoch(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"))
	seed := make([]byte, 512)
	for i := range seed {
		seed[i] = byte(i*131 + 7)
	}
	f.Add(seed)
	known := []error{ErrInvalidParams, ErrInvalidN, ErrLength, ErrUID, ErrUnsorted, ErrBondRange, ErrStakeOverflow}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, in := fuzzInput(data)
		out, err := Epoch(p, in)
		if err != nil {
			for _, k := range known {
				if errors.Is(err, k) {
					return
				}
			}
			t.Fatalf("untyped error: %v", err)
		}
		checkInvariants(t, p, in, out)
	})
}

// TestFuzzCorpusRandom runs the fuzz body on pseudo-random inputs in plain
// `go test`, so the invariants are checked without -fuzz.
func TestFuzzCorpusRandom(t *testing.T) {
	data := make([]byte, 2048)
	x := uint64(88172645463325252)
	valid := 0
	for k := 0; k < 3000; k++ {
		for i := range data {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			data[i] = byte(x)
		}
		p, in := fuzzInput(data[:int(x%2048)])
		out, err := Epoch(p, in)
		if err == nil {
			valid++
			checkInvariants(t, p, in, out)
		}
	}
	t.Logf("%d of 3000 random inputs were valid", valid)
}
