package dispute

import (
	"bytes"
	"testing"
)

// seedMoves are encoded moves of a real toy game, one per phase.
func seedMoves(t testing.TB) [][]byte {
	start := &toyState{acc: 1, step: 0, w: []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33}}
	honest := runToy(start, 5, fault{Entry: -1})
	liar := runToy(start, 5, fault{Step: 2, Entry: 3, Elem: 32, Mask: 1})
	ps := [2]*toyParty{honest, liar}
	lay, ref := toyLayout{w: 33}, toyReferee{w: 33}
	g, err := Open(Params{Arity: 4, Budget: 100, MinResponse: 5}, lay, 5, start.root(), honest.States()[4], liar.States()[4], 1)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for h := uint64(2); g.Phase != PhaseDone; h++ {
		for _, s := range []Side{Solver, Challenger} {
			if !g.Owes(s) {
				continue
			}
			m, err := NextMove(g, s, ps[s])
			if err != nil {
				t.Fatal(err)
			}
			b, _ := m.MarshalBinary()
			out = append(out, b)
			if err := g.Play(m, lay, ref, h); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// FuzzMoveDecode: any input either decodes to a valid move that encodes
// back to the same bytes, or is refused; never a panic or an oversized
// allocation.
func FuzzMoveDecode(f *testing.F) {
	for _, b := range seedMoves(f) {
		f.Add(b)
	}
	f.Add([]byte(moveMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Move
		if err := m.UnmarshalBinary(b); err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded an invalid move: %v", err)
		}
		enc, err := m.MarshalBinary()
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("decode/encode not canonical: %v", err)
		}
	})
}

// FuzzEvidenceDecode: the evidence decoder accepts only canonical encodings.
func FuzzEvidenceDecode(f *testing.F) {
	moves := seedMoves(f)
	var m Move
	if err := m.UnmarshalBinary(moves[len(moves)-1]); err == nil && len(m.Evidence) > 0 {
		f.Add(m.Evidence)
	}
	f.Add([]byte(evidenceMagic + "\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev Evidence
		if err := ev.UnmarshalBinary(b); err != nil {
			return
		}
		enc, err := ev.MarshalBinary()
		if err != nil || !bytes.Equal(enc, b) {
			t.Fatalf("decode/encode not canonical: %v", err)
		}
	})
}

// FuzzPlay feeds decoded moves to a game at every phase of a real game:
// a move is either accepted or refused with the game unchanged, and the
// honest side still wins afterwards.
func FuzzPlay(f *testing.F) {
	for i, b := range seedMoves(f) {
		f.Add(b, uint8(i), uint16(3))
	}
	f.Fuzz(func(t *testing.T, b []byte, at uint8, delay uint16) {
		var m Move
		if m.UnmarshalBinary(b) != nil {
			return
		}
		start := &toyState{acc: 1, step: 0, w: []uint32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33}}
		honest := runToy(start, 5, fault{Entry: -1})
		liar := runToy(start, 5, fault{Step: 2, Entry: 3, Elem: 32, Mask: 1})
		ps := [2]*toyParty{honest, liar}
		lay, ref := toyLayout{w: 33}, toyReferee{w: 33}
		g, _ := Open(Params{Arity: 4, Budget: 100, MinResponse: 5}, lay, 5, start.root(), honest.States()[4], liar.States()[4], 1)
		h := uint64(2)
		// Play honestly up to move number `at`, then inject the fuzzed move.
		for n := 0; g.Phase != PhaseDone && n < int(at%32); n++ {
			s := Solver
			if !g.Owes(s) {
				s = Challenger
			}
			mv, err := NextMove(g, s, ps[s])
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Play(mv, lay, ref, h); err != nil {
				t.Fatal(err)
			}
			h++
		}
		before := g.clone()
		if err := g.Play(&m, lay, ref, h+uint64(delay%200)); err != nil {
			if g.Round != before.Round || g.Moved != before.Moved || g.Remaining != before.Remaining || g.Bytes != before.Bytes || g.Phase != before.Phase {
				t.Fatalf("refused move changed the game: %v", err)
			}
		}
		if g.Phase == PhaseDone && g.Outcome.Winner == Challenger && g.Outcome.Reason == ReasonWrongValue {
			t.Fatal("the lying challenger won on the value")
		}
	})
}

// TestGameCodec: a game stored and loaded at every round plays on exactly
// as the original.
func TestGameCodec(t *testing.T) {
	g, ps, l, ref := newToyGame(t, Params{Arity: 4, Budget: 100, MinResponse: 5}, 9)
	for h := uint64(101); g.Phase != PhaseDone; h++ {
		b, err := g.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var g2 Game
		if err := g2.UnmarshalBinary(b); err != nil {
			t.Fatalf("round %d: %v", g.Round, err)
		}
		b2, _ := g2.MarshalBinary()
		if !bytes.Equal(b, b2) {
			t.Fatal("stored form not canonical")
		}
		*g = g2
		for _, s := range []Side{Solver, Challenger} {
			if g.Owes(s) {
				m, err := NextMove(g, s, ps[s])
				if err != nil {
					t.Fatal(err)
				}
				if err := g.Play(m, l, ref, h); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if !g.Outcome.SolverWins() {
		t.Fatalf("outcome %+v", g.Outcome)
	}
}

// FuzzGameDecode: a stored game decodes only from its canonical form.
func FuzzGameDecode(f *testing.F) {
	g, _ := Open(DefaultParams(), toyLayout{w: 3}, 4, Hash{1}, Hash{2}, Hash{3}, 5)
	b, _ := g.MarshalBinary()
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		var g Game
		if g.UnmarshalBinary(b) != nil {
			return
		}
		enc, _ := g.MarshalBinary()
		if !bytes.Equal(enc, b) {
			t.Fatal("non-canonical game accepted")
		}
	})
}
