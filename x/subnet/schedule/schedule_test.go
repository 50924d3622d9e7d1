package schedule

import (
	"math"
	"testing"
)

func TestHalvingsAndBlockEmission(t *testing.T) {
	const cap uint64 = 21_000_000_000_000
	for _, tc := range []struct {
		issued uint64
		k      uint
		e      uint64
	}{
		{0, 0, 1_000_000},
		{cap/2 - 1, 0, 1_000_000},
		{cap / 2, 1, 500_000},
		{cap - cap/4 - 1, 1, 500_000},
		{cap - cap/4, 2, 250_000},
		{cap - cap/8, 3, 125_000},
		{cap - 3, 42, 0},
		{cap, 64, 0},
	} {
		if k := Halvings(tc.issued, cap); k != tc.k {
			t.Errorf("Halvings(%d) = %d, want %d", tc.issued, k, tc.k)
		}
		if e := BlockEmission(1_000_000, tc.issued, cap); e != tc.e {
			t.Errorf("BlockEmission(%d) = %d, want %d", tc.issued, e, tc.e)
		}
	}
	// Emission never crosses the cap.
	if e := BlockEmission(1_000_000, cap-10, cap); e > 10 {
		t.Errorf("BlockEmission near cap = %d, exceeds the 10 left", e)
	}
	// Summing the whole curve stays at or below the cap.
	var issued uint64
	for step := 0; step < 100 && issued < cap; step++ {
		// Jump to the end of the current era in one go.
		k := Halvings(issued, cap)
		end := cap - (cap >> (k + 1))
		e := BlockEmission(1_000_000_000_000, issued, cap)
		if e == 0 {
			break
		}
		blocks := (end - issued + e - 1) / e
		issued += blocks * e
		if issued > cap {
			issued = cap
		}
	}
	if issued > cap {
		t.Fatalf("issued %d beyond cap", issued)
	}
}

func TestDecayed(t *testing.T) {
	for _, tc := range []struct{ last, floor, elapsed, period, want uint64 }{
		{1000, 100, 0, 10, 1000},
		{1000, 100, 5, 10, 550},
		{1000, 100, 9, 10, 190},
		{1000, 100, 10, 10, 100},
		{1000, 100, 1 << 40, 10, 100},
		{50, 100, 3, 10, 100},
		{1000, 100, 3, 0, 100},
		{math.MaxUint64, 0, 1, 3, math.MaxUint64 - math.MaxUint64/3},
	} {
		if got := Decayed(tc.last, tc.floor, tc.elapsed, tc.period); got != tc.want {
			t.Errorf("Decayed(%d,%d,%d,%d) = %d, want %d", tc.last, tc.floor, tc.elapsed, tc.period, got, tc.want)
		}
	}
}

func TestRaise(t *testing.T) {
	for _, tc := range []struct {
		price uint64
		bps   uint32
		max   uint64
		want  uint64
	}{
		{1000, 5000, 1 << 40, 1500},
		{1000, 0, 1 << 40, 1000},
		{1000, 5000, 1200, 1200},
		{math.MaxUint64, 5000, math.MaxUint64, math.MaxUint64},
		{3, 3333, 100, 3},
	} {
		if got := Raise(tc.price, tc.bps, tc.max); got != tc.want {
			t.Errorf("Raise(%d, %d, %d) = %d, want %d", tc.price, tc.bps, tc.max, got, tc.want)
		}
	}
}

func TestEpochTiming(t *testing.T) {
	for _, netuid := range []uint32{1, 2, 7} {
		for _, tempo := range []uint64{5, 10, 360} {
			var last int64 = -1
			for h := int64(0); h < 3*int64(tempo)+10; h++ {
				if EpochDue(h, netuid, tempo) {
					if last >= 0 && uint64(h-last) != tempo+1 {
						t.Fatalf("netuid %d tempo %d: epochs at %d and %d", netuid, tempo, last, h)
					}
					if NextEpoch(last, netuid, tempo) != h && last >= 0 {
						t.Fatalf("NextEpoch(%d) = %d, want %d", last, NextEpoch(last, netuid, tempo), h)
					}
					if Interval(h, netuid, tempo) != Interval(h-1, netuid, tempo)+1 {
						t.Fatalf("interval does not advance at epoch %d", h)
					}
					last = h
				}
				next := NextEpoch(h, netuid, tempo)
				if next <= h || !EpochDue(next, netuid, tempo) {
					t.Fatalf("NextEpoch(%d) = %d is not a later epoch", h, next)
				}
			}
		}
	}
}

func TestRevealWindow(t *testing.T) {
	const netuid, tempo = 3, 10
	for h := int64(0); h < 50; h++ {
		start, end := RevealWindow(h, netuid, tempo, 1)
		if Interval(start, netuid, tempo) != Interval(h, netuid, tempo)+1 || Interval(end, netuid, tempo) != Interval(start, netuid, tempo) {
			t.Fatalf("commit at %d: window [%d, %d] is not the next interval", h, start, end)
		}
		if Interval(start-1, netuid, tempo) == Interval(start, netuid, tempo) || Interval(end+1, netuid, tempo) == Interval(end, netuid, tempo) {
			t.Fatalf("commit at %d: window [%d, %d] is not a whole interval", h, start, end)
		}
	}
}

func TestSplitByStake(t *testing.T) {
	shares, sum, err := SplitByStake(1_000_000, []uint64{1, 2, 0, 7}, 600_000)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{100_000, 200_000, 0, 600_000}
	for i := range want {
		if shares[i] != want[i] {
			t.Fatalf("shares = %v, want %v", shares, want)
		}
	}
	if sum != 900_000 {
		t.Fatalf("sum = %d", sum)
	}
	if _, _, err := SplitByStake(1, []uint64{math.MaxUint64, 1}, 1); err != ErrOverflow {
		t.Fatalf("overflow: got %v", err)
	}
	if shares, sum, _ := SplitByStake(10, []uint64{0, 0}, 10); sum != 0 || shares[0] != 0 {
		t.Fatal("no stake must issue nothing")
	}
}

func FuzzSplitByStake(f *testing.F) {
	f.Add(uint64(1_000_000), uint64(3), uint64(5), uint64(0), uint64(500_000))
	f.Fuzz(func(t *testing.T, e, a, b, c, cap uint64) {
		shares, sum, err := SplitByStake(e, []uint64{a, b, c}, cap)
		if err != nil {
			return
		}
		var s uint64
		for _, x := range shares {
			if x > cap {
				t.Fatalf("share %d above cap %d", x, cap)
			}
			s += x
		}
		if s != sum || sum > e {
			t.Fatalf("sum %d (reported %d) exceeds emission %d", s, sum, e)
		}
	})
}
