package blob

import (
	"errors"
	"testing"

	"github.com/hypha-network/hypha/ml/merkle"
)

// FuzzParseID checks that ParseID accepts exactly the 64-hex-digit strings,
// round-trips them, and fails with a typed error otherwise.
func FuzzParseID(f *testing.F) {
	f.Add(EmptyID.String())
	f.Add("zz")
	f.Add("")
	f.Add(IDOf([]byte("x")).String() + "00")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrBadID) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		back, err := ParseID(id.String())
		if err != nil || back != id {
			t.Fatalf("round trip of %q: %v", s, err)
		}
	})
}

// FuzzDecodeManifest checks that a decoded manifest is always consistent: its
// root is its id, it has one leaf per chunk, and it re-encodes to a manifest
// that decodes to the same thing.
func FuzzDecodeManifest(f *testing.F) {
	f.Add(ManifestOf(nil).Encode())
	f.Add(ManifestOf([]byte("hello")).Encode())
	f.Add(ManifestOf(make([]byte, ChunkSize+1)).Encode())
	f.Add([]byte(`{"id":"00","size":-1,"chunk_size":1048576,"chunks":[]}`))
	f.Add([]byte(`{"id":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","size":1125899906842624,"chunk_size":1048576,"chunks":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeManifest(b, ID{})
		if err != nil {
			if !errors.Is(err, ErrBadManifest) && !errors.Is(err, ErrBadID) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if ID(merkle.RootOfHashes(m.Leaves)) != m.ID || len(m.Leaves) != ChunkCount(m.Size) {
			t.Fatal("decoded an inconsistent manifest")
		}
		again, err := DecodeManifest(m.Encode(), m.ID)
		if err != nil || again.ID != m.ID || again.Size != m.Size {
			t.Fatalf("re-encode: %v", err)
		}
	})
}

// FuzzChunkProof checks that a chunk proof verifies only for the right
// chunk of a blob whose size the caller knows: mutating the data, the index,
// the proof's stated size or the path is refused unless it leaves the proof unchanged, and nothing
// panics. The blob's full chunks are stood in for by their leaf hashes (a
// manifest), so each input costs microseconds; the short last chunk is real.
func FuzzChunkProof(f *testing.F) {
	f.Add([]byte("abc"), 5, 4, 0, 0, byte(1))
	f.Add([]byte("abc"), 3, 1, -1, -1, byte(0))
	f.Add([]byte("x"), 9, 8, 1, 3, byte(7))
	f.Fuzz(func(t *testing.T, last []byte, n, idx, dsize, pathCut int, flip byte) {
		if n < 1 || n > 20 || len(last) == 0 || len(last) > 64 {
			return
		}
		leaves := make([]merkle.Hash, n)
		for i := range leaves {
			leaves[i] = merkle.LeafHash([]byte{byte(i), 0xAB})
		}
		leaves[n-1] = merkle.LeafHash(last)
		id := ID(merkle.RootOfHashes(leaves))
		m := Manifest{ID: id, Size: int64(n-1)*ChunkSize + int64(len(last)), Leaves: leaves}
		p, err := m.Proof(n - 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Verify(id, m.Size, last); err != nil {
			t.Fatalf("genuine proof refused: %v", err)
		}
		q := p
		q.Index = idx
		// The caller knows the true size; the proof's own claim is mutated.
		q.Size = m.Size + int64(dsize)*ChunkSize
		if pathCut >= 0 && pathCut < len(p.Path) {
			q.Path = append([]merkle.Hash(nil), p.Path...)
			q.Path[pathCut][0] ^= flip
		}
		data := append([]byte(nil), last...)
		data[0] ^= flip >> 1
		err = q.Verify(id, m.Size, data)
		same := q.Index == p.Index && q.Size == m.Size && data[0] == last[0] &&
			(pathCut < 0 || pathCut >= len(p.Path) || flip == 0)
		if err == nil && !same {
			t.Fatalf("mutated proof verified: idx %d size %+d chunks, cut %d flip %d", idx, dsize, pathCut, flip)
		}
		if err != nil && same {
			t.Fatalf("unchanged proof refused: %v", err)
		}
	})
}
