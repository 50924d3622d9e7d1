package blob

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/hypha-network/hypha/ml/merkle"
)

// MaxProofLen bounds a proof's path: a tree of at most 2^30 chunks (MaxSize)
// is at most 30 levels deep, and a few spare levels cost nothing.
const MaxProofLen = 40

// ChunkProof proves that a chunk belongs to a blob without its manifest: the
// chunk's leaf hash, its index, the blob's size as the server states it, and
// the RFC 6962 audit path (leaf up to root).
//
// An RFC 6962 root does not commit to the number of leaves: the same path can
// prove a leaf at another index of a tree of another size. So Verify takes
// the blob's size from the caller, who knows it from where the id came from
// (a chain record, a verified manifest), and never trusts Size.
type ChunkProof struct {
	Index int
	Size  int64
	Leaf  merkle.Hash
	Path  []merkle.Hash
}

// Verify checks that data is chunk p.Index of the blob id of size bytes
// (which the caller knows independently of the proof).
func (p ChunkProof) Verify(id ID, size int64, data []byte) error {
	if size < 0 || size > MaxSize {
		return fmt.Errorf("%w: size %d outside 0..%d", ErrBadProof, size, MaxSize)
	}
	if p.Size != size {
		return fmt.Errorf("%w: the proof is for a blob of %d bytes, not %d", ErrBadProof, p.Size, size)
	}
	n := ChunkCount(size)
	if err := checkChunk(p.Index, n); err != nil {
		return err
	}
	if len(p.Path) > MaxProofLen {
		return fmt.Errorf("%w: path of %d hashes, more than %d", ErrBadProof, len(p.Path), MaxProofLen)
	}
	if want := ChunkLen(size, p.Index); len(data) != want {
		return fmt.Errorf("%w: chunk %d has %d bytes, want %d (truncated or padded)", ErrBadProof, p.Index, len(data), want)
	}
	if merkle.LeafHash(data) != p.Leaf {
		return fmt.Errorf("%w: chunk %d does not hash to the proof's leaf (corrupted)", ErrBadProof, p.Index)
	}
	if err := merkle.Verify(merkle.Hash(id), p.Leaf, p.Index, n, p.Path); err != nil {
		return fmt.Errorf("%w: chunk %d of %s: %v", ErrBadProof, p.Index, id.Short(), err)
	}
	return nil
}

// EncodePath returns the path as comma-separated hex (the HTTP header form).
func EncodePath(path []merkle.Hash) string {
	s := make([]string, len(path))
	for i, h := range path {
		s[i] = hex.EncodeToString(h[:])
	}
	return strings.Join(s, ",")
}

// DecodePath parses EncodePath's form; every failure wraps ErrBadProof.
func DecodePath(s string) ([]merkle.Hash, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxProofLen {
		return nil, fmt.Errorf("%w: path of %d hashes, more than %d", ErrBadProof, len(parts), MaxProofLen)
	}
	out := make([]merkle.Hash, len(parts))
	for i, p := range parts {
		if len(p) != 64 {
			return nil, fmt.Errorf("%w: path hash %d is %d characters, want 64", ErrBadProof, i, len(p))
		}
		if _, err := hex.Decode(out[i][:], []byte(p)); err != nil {
			return nil, fmt.Errorf("%w: path hash %d: %v", ErrBadProof, i, err)
		}
	}
	return out, nil
}
