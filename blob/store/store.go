// Package store keeps blobs on disk under one directory, with a size quota.
//
// Layout:
//
//	DIR/data/ID          the blob's bytes
//	DIR/meta/ID.json     its manifest; a blob exists once this file does
//	DIR/tmp/             puts in progress (emptied on Open)
//	DIR/partial/         resumable downloads of blob/client (kept across restarts)
//
// A put writes the bytes to tmp/ while hashing them, fsyncs, renames them into
// data/, then writes the manifest to tmp/, fsyncs and renames it into meta/,
// and fsyncs both directories. A kill -9 at any point leaves either no
// manifest (the blob does not exist; Open removes its stray data file) or a
// complete, synced blob: no half blob is ever visible as complete.
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/hypha-network/hypha/blob"
)

// Options configure a store.
type Options struct {
	// Quota bounds the bytes of all blobs (and puts in progress); 0 means
	// no quota.
	Quota int64
}

// Info describes a stored blob.
type Info = blob.Info

// Store is a directory of blobs. It is safe for concurrent use, also by
// several processes reading; puts from several processes are safe too (the
// last rename wins with identical bytes), but the quota is per process.
type Store struct {
	dir   string
	quota int64

	mu       sync.Mutex
	sizes    map[blob.ID]int64 // complete blobs
	used     int64             // sum of sizes
	reserved int64             // bytes of puts in progress
	cache    map[blob.ID]blob.Manifest
}

const (
	dataDir    = "data"
	metaDir    = "meta"
	tmpDir     = "tmp"
	partialDir = "partial"
	metaExt    = ".json"
	// cacheMax bounds the manifests held in memory for chunk reads.
	cacheMax = 64
)

// Open opens (creating if needed) the store in dir: it empties tmp/, drops
// data files that have no manifest (a put killed before it completed) and
// manifests whose data file is missing or of the wrong size, and sums the
// sizes for the quota.
func Open(dir string, opt Options) (*Store, error) {
	if opt.Quota < 0 {
		return nil, fmt.Errorf("blob store %s: quota %d is negative (0 means none)", dir, opt.Quota)
	}
	for _, d := range []string{dataDir, metaDir, tmpDir, partialDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("blob store: create %s: %w", filepath.Join(dir, d), err)
		}
	}
	s := &Store{dir: dir, quota: opt.Quota, sizes: map[blob.ID]int64{}, cache: map[blob.ID]blob.Manifest{}}
	if err := s.recover(); err != nil {
		return nil, err
	}
	return s, nil
}

// recover rebuilds the index from disk and removes what a crash left behind.
func (s *Store) recover() error {
	tmps, err := os.ReadDir(filepath.Join(s.dir, tmpDir))
	if err != nil {
		return fmt.Errorf("blob store %s: %w", s.dir, err)
	}
	for _, e := range tmps {
		_ = os.RemoveAll(filepath.Join(s.dir, tmpDir, e.Name()))
	}
	metas, err := os.ReadDir(filepath.Join(s.dir, metaDir))
	if err != nil {
		return fmt.Errorf("blob store %s: %w", s.dir, err)
	}
	for _, e := range metas {
		name := e.Name()
		id, err := blob.ParseID(strings.TrimSuffix(name, metaExt))
		if err != nil || !strings.HasSuffix(name, metaExt) {
			continue // not ours; leave it
		}
		m, err := s.readManifest(id)
		st, serr := os.Stat(s.dataPath(id))
		if err != nil || serr != nil || st.Size() != m.Size {
			// Unreadable manifest or data that does not match it: the blob is
			// not usable, so it does not exist.
			_ = os.Remove(s.metaPath(id))
			_ = os.Remove(s.dataPath(id))
			continue
		}
		s.sizes[id] = m.Size
		s.used += m.Size
	}
	datas, err := os.ReadDir(filepath.Join(s.dir, dataDir))
	if err != nil {
		return fmt.Errorf("blob store %s: %w", s.dir, err)
	}
	for _, e := range datas {
		id, err := blob.ParseID(e.Name())
		if err != nil {
			continue
		}
		if _, ok := s.sizes[id]; !ok {
			// Renamed into data/ but killed before its manifest was written.
			_ = os.Remove(s.dataPath(id))
		}
	}
	return nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// PartialDir is where downloads into this store keep their partial files
// (see blob/client); Open leaves it alone, so a download resumes after a restart.
func (s *Store) PartialDir() string { return filepath.Join(s.dir, partialDir) }

func (s *Store) dataPath(id blob.ID) string { return filepath.Join(s.dir, dataDir, id.String()) }
func (s *Store) metaPath(id blob.ID) string {
	return filepath.Join(s.dir, metaDir, id.String()+metaExt)
}

// Has reports whether the store holds the blob.
func (s *Store) Has(id blob.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sizes[id]
	return ok
}

// Stat describes a stored blob.
func (s *Store) Stat(id blob.ID) (Info, error) {
	s.mu.Lock()
	size, ok := s.sizes[id]
	s.mu.Unlock()
	if !ok {
		return Info{}, notFound(id)
	}
	st, err := os.Stat(s.metaPath(id))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Info{}, notFound(id)
		}
		return Info{}, fmt.Errorf("blob store: stat %s: %w", id, err)
	}
	return Info{ID: id, Size: size, Chunks: blob.ChunkCount(size), Created: st.ModTime().UTC()}, nil
}

// List returns every stored blob, ordered by id.
func (s *Store) List() ([]Info, error) {
	s.mu.Lock()
	ids := make([]blob.ID, 0, len(s.sizes))
	for id := range s.sizes {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	slices.SortFunc(ids, func(a, b blob.ID) int { return strings.Compare(string(a[:]), string(b[:])) })
	out := make([]Info, 0, len(ids))
	for _, id := range ids {
		in, err := s.Stat(id)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

// Usage returns the bytes held by complete blobs and the quota (0: none).
func (s *Store) Usage() (used, quota int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.used, s.quota
}

// Delete removes a blob. Readers that have it open keep reading it.
func (s *Store) Delete(id blob.ID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	size, ok := s.sizes[id]
	if !ok {
		return notFound(id)
	}
	// The manifest goes first: from then on the blob does not exist, even if
	// the process dies before the data file is removed (Open removes it).
	if err := os.Remove(s.metaPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob store: delete %s: %w", id, err)
	}
	_ = os.Remove(s.dataPath(id))
	delete(s.sizes, id)
	delete(s.cache, id)
	s.used -= size
	return nil
}

// syncDir fsyncs a directory so the renames into it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
