package blob

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hypha-network/hypha/ml/merkle"
)

// testSizes are the sizes at and around chunk boundaries.
var testSizes = []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 17}

func randBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestEmptyID(t *testing.T) {
	if EmptyID != ID(sha256.Sum256(nil)) || IDOf(nil) != EmptyID {
		t.Fatal("the empty blob's id is not SHA-256 of nothing")
	}
	if EmptyID.String() != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatal(EmptyID)
	}
}

func TestIDIsMerkleRootOfChunks(t *testing.T) {
	for _, n := range testSizes {
		data := randBytes(n, uint64(n))
		var leaves [][]byte
		for off := 0; off < n; off += ChunkSize {
			leaves = append(leaves, data[off:min(off+ChunkSize, n)])
		}
		want := ID(merkle.Root(leaves))
		if got := IDOf(data); got != want {
			t.Fatalf("size %d: id %s, want %s", n, got, want)
		}
		if ChunkCount(int64(n)) != len(leaves) {
			t.Fatalf("size %d: %d chunks, want %d", n, ChunkCount(int64(n)), len(leaves))
		}
		total := 0
		for i := range leaves {
			total += ChunkLen(int64(n), i)
		}
		if total != n || ChunkLen(int64(n), len(leaves)) != 0 {
			t.Fatalf("size %d: chunk lengths sum to %d", n, total)
		}
		// The streaming hasher agrees whatever the write sizes.
		for _, step := range []int{1 << 20, 7, 300000, 3 << 20} {
			if n > 2*ChunkSize && step == 7 {
				continue
			}
			h := NewHasher()
			for off := 0; off < n; off += step {
				h.Write(data[off:min(off+step, n)])
			}
			if m := h.Manifest(); m.ID != want || m.Size != int64(n) {
				t.Fatalf("size %d step %d: hasher id %s", n, step, m.ID)
			}
		}
	}
}

func TestParseID(t *testing.T) {
	id := IDOf([]byte("hello"))
	got, err := ParseID(strings.ToUpper(id.String()))
	if err != nil || got != id {
		t.Fatalf("round trip: %v %v", got, err)
	}
	for _, bad := range []string{"", "abc", id.String() + "0", strings.Repeat("g", 64)} {
		_, err := ParseID(bad)
		var pe *ParseError
		if !errors.Is(err, ErrBadID) || !errors.As(err, &pe) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}

func TestManifestRoundTripAndTamper(t *testing.T) {
	for _, n := range testSizes {
		data := randBytes(n, 7)
		m := ManifestOf(data)
		got, err := DecodeManifest(m.Encode(), m.ID)
		if err != nil || got.ID != m.ID || got.Size != m.Size || len(got.Leaves) != len(m.Leaves) {
			t.Fatalf("size %d: %v", n, err)
		}
		if _, err := DecodeManifest(m.Encode(), IDOf([]byte("other"))); !errors.Is(err, ErrBadManifest) {
			t.Fatalf("size %d: manifest accepted for another id: %v", n, err)
		}
		for i := 0; i < m.Chunks(); i++ {
			chunk := data[ChunkOffset(i) : ChunkOffset(i)+int64(ChunkLen(m.Size, i))]
			if err := m.CheckChunk(i, chunk); err != nil {
				t.Fatal(err)
			}
			bad := bytes.Clone(chunk)
			bad[len(bad)/2] ^= 1
			if err := m.CheckChunk(i, bad); !errors.Is(err, ErrBadProof) {
				t.Fatalf("flipped byte accepted: %v", err)
			}
			if err := m.CheckChunk(i, chunk[:len(chunk)-1]); !errors.Is(err, ErrBadProof) {
				t.Fatalf("truncated chunk accepted: %v", err)
			}
		}
	}
	// A tampered leaf changes the root: refused even without a wanted id.
	m := ManifestOf(randBytes(2*ChunkSize, 3))
	m.Leaves[1][0] ^= 1
	if _, err := DecodeManifest(m.Encode(), ID{}); !errors.Is(err, ErrBadManifest) {
		t.Fatalf("tampered manifest accepted: %v", err)
	}
}

func TestChunkProofs(t *testing.T) {
	for _, n := range []int{1, ChunkSize, ChunkSize + 1, 5*ChunkSize - 3} {
		data := randBytes(n, 11)
		m := ManifestOf(data)
		for i := 0; i < m.Chunks(); i++ {
			chunk := data[ChunkOffset(i) : ChunkOffset(i)+int64(ChunkLen(m.Size, i))]
			p, err := m.Proof(i)
			if err != nil {
				t.Fatal(err)
			}
			path, err := DecodePath(EncodePath(p.Path))
			if err != nil {
				t.Fatal(err)
			}
			p.Path = path
			if err := p.Verify(m.ID, m.Size, chunk); err != nil {
				t.Fatalf("size %d chunk %d: %v", n, i, err)
			}
			bad := bytes.Clone(chunk)
			bad[0] ^= 0x80
			if err := p.Verify(m.ID, m.Size, bad); !errors.Is(err, ErrBadProof) {
				t.Fatalf("corrupt chunk verified: %v", err)
			}
			if m.Chunks() > 1 {
				q := p
				q.Index = (i + 1) % m.Chunks()
				if err := q.Verify(m.ID, m.Size, chunk); err == nil {
					t.Fatal("proof verified at another index")
				}
			}
		}
		if _, err := m.Proof(m.Chunks()); !errors.Is(err, ErrChunkRange) {
			t.Fatalf("proof past the end: %v", err)
		}
	}
}
