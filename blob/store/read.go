package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/hypha-network/hypha/blob"
)

// ErrRange reports a byte range outside a blob.
var ErrRange = errors.New("blob store: range outside the blob")

// Reader reads one stored blob; it is an io.ReadSeeker and io.ReaderAt
// (http.ServeContent serves ranges from it). Close it when done.
type Reader struct {
	*os.File
	Info Info
}

// Open opens a stored blob for reading.
func (s *Store) Open(id blob.ID) (*Reader, error) {
	in, err := s.Stat(id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(s.dataPath(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("blob store: open %s: %w", id, err)
	}
	return &Reader{File: f, Info: in}, nil
}

// ReadRange returns length bytes of the blob from off.
func (s *Store) ReadRange(id blob.ID, off, length int64) ([]byte, error) {
	r, err := s.Open(id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if off < 0 || length < 0 || off > r.Info.Size || length > r.Info.Size-off {
		return nil, fmt.Errorf("%w: %d bytes from %d of a %d-byte blob", ErrRange, length, off, r.Info.Size)
	}
	buf := make([]byte, length)
	if _, err := r.ReadAt(buf, off); err != nil && !(errors.Is(err, io.EOF) && length == 0) {
		return nil, fmt.Errorf("blob store: read %s: %w", id, err)
	}
	return buf, nil
}

// Manifest returns the manifest of a stored blob.
func (s *Store) Manifest(id blob.ID) (blob.Manifest, error) {
	s.mu.Lock()
	m, ok := s.cache[id]
	_, held := s.sizes[id]
	s.mu.Unlock()
	if !held {
		return blob.Manifest{}, notFound(id)
	}
	if ok {
		return m, nil
	}
	m, err := s.readManifest(id)
	if errors.Is(err, fs.ErrNotExist) {
		return blob.Manifest{}, notFound(id)
	}
	if err != nil {
		return blob.Manifest{}, err
	}
	s.mu.Lock()
	s.remember(m)
	s.mu.Unlock()
	return m, nil
}

// remember caches m; s.mu must be held. The cache is dropped whole when
// full: chunk reads of a few hot blobs refill it at once.
func (s *Store) remember(m blob.Manifest) {
	if len(s.cache) >= cacheMax {
		clear(s.cache)
	}
	s.cache[m.ID] = m
}

func (s *Store) readManifest(id blob.ID) (blob.Manifest, error) {
	b, err := os.ReadFile(s.metaPath(id))
	if err != nil {
		return blob.Manifest{}, err
	}
	m, err := blob.DecodeManifest(b, id)
	if err != nil {
		return blob.Manifest{}, fmt.Errorf("%w: %s: %v", ErrCorrupt, id, err)
	}
	return m, nil
}

// ReadChunk returns chunk i of a stored blob with its inclusion proof. The
// bytes are checked against the manifest first, so a store never hands out
// a chunk that disk corruption changed (ErrCorrupt).
func (s *Store) ReadChunk(id blob.ID, i int) ([]byte, blob.ChunkProof, error) {
	m, err := s.Manifest(id)
	if err != nil {
		return nil, blob.ChunkProof{}, err
	}
	p, err := m.Proof(i)
	if err != nil {
		return nil, blob.ChunkProof{}, fmt.Errorf("blob store: %s: %w", id.Short(), err)
	}
	data, err := s.ReadRange(id, blob.ChunkOffset(i), int64(blob.ChunkLen(m.Size, i)))
	if err != nil {
		return nil, blob.ChunkProof{}, err
	}
	if err := m.CheckChunk(i, data); err != nil {
		return nil, blob.ChunkProof{}, fmt.Errorf("%w: %v (delete it and fetch it again)", ErrCorrupt, err)
	}
	return data, p, nil
}

// Verify re-hashes a stored blob and checks it against its id (ErrCorrupt).
func (s *Store) Verify(id blob.ID) error {
	r, err := s.Open(id)
	if err != nil {
		return err
	}
	defer r.Close()
	h := blob.NewHasher()
	if _, err := io.Copy(h, r); err != nil {
		return fmt.Errorf("blob store: verify %s: %w", id, err)
	}
	if got := h.Manifest().ID; got != id {
		return fmt.Errorf("%w: %s now hashes to %s (delete it and fetch it again)", ErrCorrupt, id, got)
	}
	return nil
}

// Path returns the file that holds a stored blob's bytes, for programs that
// read it in place (mmap, a training loader). Never write to it.
func (s *Store) Path(id blob.ID) (string, error) {
	if !s.Has(id) {
		return "", notFound(id)
	}
	return s.dataPath(id), nil
}
