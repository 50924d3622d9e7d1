package blob

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/hypha-network/hypha/ml/merkle"
)

// MaxManifestBytes bounds an encoded manifest (64 MiB, the manifest of a
// blob of about 0.9 TiB), so a decoder never reads without limit.
const MaxManifestBytes = 64 << 20

// Manifest is what a receiver needs to check a blob chunk by chunk: its size
// and the leaf hash of every chunk. Its Merkle root is the blob's id.
type Manifest struct {
	ID     ID
	Size   int64
	Leaves []merkle.Hash
}

// Chunks returns the number of chunks.
func (m Manifest) Chunks() int { return len(m.Leaves) }

// Proof returns the inclusion proof of chunk i.
func (m Manifest) Proof(i int) (ChunkProof, error) {
	if err := checkChunk(i, len(m.Leaves)); err != nil {
		return ChunkProof{}, err
	}
	path, err := merkle.Proof(m.Leaves, i)
	if err != nil {
		return ChunkProof{}, fmt.Errorf("blob: proof of chunk %d: %w", i, err)
	}
	return ChunkProof{Index: i, Size: m.Size, Leaf: m.Leaves[i], Path: path}, nil
}

// CheckChunk checks that data is chunk i of the blob.
func (m Manifest) CheckChunk(i int, data []byte) error {
	if err := checkChunk(i, len(m.Leaves)); err != nil {
		return err
	}
	if want := ChunkLen(m.Size, i); len(data) != want {
		return fmt.Errorf("%w: chunk %d of %s has %d bytes, want %d (truncated or padded)", ErrBadProof, i, m.ID.Short(), len(data), want)
	}
	if merkle.LeafHash(data) != m.Leaves[i] {
		return fmt.Errorf("%w: chunk %d of %s hashes to another leaf than the manifest's (corrupted)", ErrBadProof, i, m.ID.Short())
	}
	return nil
}

// Validate checks that the manifest is consistent: a size within MaxSize, one
// leaf per chunk, and a root equal to ID.
func (m Manifest) Validate() error {
	if m.Size < 0 || m.Size > MaxSize {
		return fmt.Errorf("%w: size %d outside 0..%d", ErrBadManifest, m.Size, MaxSize)
	}
	if n := ChunkCount(m.Size); len(m.Leaves) != n {
		return fmt.Errorf("%w: %d leaves for %d bytes, want %d", ErrBadManifest, len(m.Leaves), m.Size, n)
	}
	if root := ID(merkle.RootOfHashes(m.Leaves)); root != m.ID {
		return fmt.Errorf("%w: leaves have root %s, not the id %s", ErrBadManifest, root, m.ID)
	}
	return nil
}

// manifestJSON is the wire form: hex strings, and the chunk size spelled out
// so a future chunk size cannot be misread as this one.
type manifestJSON struct {
	ID        ID       `json:"id"`
	Size      int64    `json:"size"`
	ChunkSize int64    `json:"chunk_size"`
	Chunks    []string `json:"chunks"`
}

// Encode returns the manifest as JSON.
func (m Manifest) Encode() []byte {
	j := manifestJSON{ID: m.ID, Size: m.Size, ChunkSize: ChunkSize, Chunks: make([]string, len(m.Leaves))}
	for i, l := range m.Leaves {
		j.Chunks[i] = hex.EncodeToString(l[:])
	}
	b, _ := json.Marshal(j) // cannot fail: only strings and integers
	return b
}

// DecodeManifest decodes a manifest and validates it (see Validate). If want
// is not zero, the manifest must be the one of that id. Every failure wraps
// ErrBadManifest.
func DecodeManifest(b []byte, want ID) (Manifest, error) {
	if len(b) > MaxManifestBytes {
		return Manifest{}, fmt.Errorf("%w: %d bytes, more than %d", ErrBadManifest, len(b), MaxManifestBytes)
	}
	var j manifestJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return Manifest{}, fmt.Errorf("%w: %v", ErrBadManifest, err)
	}
	if dec.More() {
		return Manifest{}, fmt.Errorf("%w: data after the manifest object", ErrBadManifest)
	}
	if j.ChunkSize != ChunkSize {
		return Manifest{}, fmt.Errorf("%w: chunk_size %d, this version knows only %d", ErrBadManifest, j.ChunkSize, ChunkSize)
	}
	if !want.IsZero() && j.ID != want {
		return Manifest{}, fmt.Errorf("%w: manifest is for %s, not %s", ErrBadManifest, j.ID, want)
	}
	if j.Size < 0 || j.Size > MaxSize {
		return Manifest{}, fmt.Errorf("%w: size %d outside 0..%d", ErrBadManifest, j.Size, MaxSize)
	}
	if n := ChunkCount(j.Size); len(j.Chunks) != n {
		return Manifest{}, fmt.Errorf("%w: %d chunks listed for %d bytes, want %d", ErrBadManifest, len(j.Chunks), j.Size, n)
	}
	m := Manifest{ID: j.ID, Size: j.Size, Leaves: make([]merkle.Hash, len(j.Chunks))}
	for i, s := range j.Chunks {
		if len(s) != 2*len(m.Leaves[i]) {
			return Manifest{}, fmt.Errorf("%w: chunk %d hash is %d characters, want 64", ErrBadManifest, i, len(s))
		}
		if _, err := hex.Decode(m.Leaves[i][:], []byte(s)); err != nil {
			return Manifest{}, fmt.Errorf("%w: chunk %d hash: %v", ErrBadManifest, i, err)
		}
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}
