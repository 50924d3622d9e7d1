package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hypha-network/hypha/blob"
)

// Put stores the blob read from r to its end and returns its description;
// the id is computed while the bytes are written. If expect is not zero the
// content must hash to it: a mismatch (*blob.MismatchError) or any other
// failure (a read error, the quota, a full disk) leaves nothing behind. If
// the store already holds expect, Put returns it at once without reading r.
// Concurrent puts of the same content store it once.
func (s *Store) Put(r io.Reader, expect blob.ID) (Info, error) {
	if !expect.IsZero() && s.Has(expect) {
		return s.Stat(expect)
	}
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "put-*")
	if err != nil {
		return Info{}, fmt.Errorf("blob store: put: %w", err)
	}
	tmp := f.Name()
	var reserved int64
	fail := func(err error) (Info, error) {
		_ = f.Close()
		_ = os.Remove(tmp)
		s.release(reserved)
		return Info{}, err
	}
	h := blob.NewHasher()
	buf := make([]byte, blob.ChunkSize)
	for {
		n, rerr := readChunk(r, buf)
		if n > 0 {
			if h.Size()+int64(n) > blob.MaxSize {
				return fail(fmt.Errorf("blob store: put: the blob is larger than %d bytes", blob.MaxSize))
			}
			if err := s.reserve(int64(n), h.Size()+int64(n)); err != nil {
				return fail(err)
			}
			reserved += int64(n)
			if _, err := f.Write(buf[:n]); err != nil {
				return fail(fmt.Errorf("blob store: put: write %s: %w", tmp, err))
			}
			h.Write(buf[:n])
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fail(fmt.Errorf("%w after %d bytes: %w", ErrSource, h.Size(), rerr))
		}
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("blob store: put: sync %s: %w", tmp, err))
	}
	if err := f.Close(); err != nil {
		return fail(fmt.Errorf("blob store: put: close %s: %w", tmp, err))
	}
	m := h.Manifest()
	if !expect.IsZero() && m.ID != expect {
		return fail(&blob.MismatchError{Want: expect, Got: m.ID, Size: m.Size})
	}
	return s.commit(tmp, m, reserved)
}

// PutFile stores the file at path (which is left in place).
func (s *Store) PutFile(path string, expect blob.ID) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, fmt.Errorf("blob store: put %s: %w", path, err)
	}
	defer f.Close()
	in, err := s.Put(f, expect)
	if err != nil {
		return Info{}, fmt.Errorf("put %s: %w", path, err)
	}
	return in, nil
}

// Import moves the complete file at path into the store as blob expect
// (zero: whatever it hashes to), without copying when path is on the same
// file system as the store (blob/client downloads into PartialDir for this).
// The file is hashed first; on a mismatch or any failure it is left where it
// was and the store is unchanged.
func (s *Store) Import(path string, expect blob.ID) (Info, error) {
	if !expect.IsZero() && s.Has(expect) {
		_ = os.Remove(path)
		return s.Stat(expect)
	}
	f, err := os.Open(path)
	if err != nil {
		return Info{}, fmt.Errorf("blob store: import %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return Info{}, fmt.Errorf("blob store: import %s: %w", path, err)
	}
	if err := s.reserve(st.Size(), st.Size()); err != nil {
		f.Close()
		return Info{}, err
	}
	h := blob.NewHasher()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		s.release(st.Size())
		return Info{}, fmt.Errorf("blob store: import %s: %w", path, err)
	}
	m := h.Manifest()
	if m.Size != st.Size() || (!expect.IsZero() && m.ID != expect) {
		s.release(st.Size())
		return Info{}, fmt.Errorf("blob store: import %s: %w", path, &blob.MismatchError{Want: expect, Got: m.ID, Size: m.Size})
	}
	// Move it into tmp/ first so commit works on one file system; across file
	// systems, fall back to a copy through Put.
	tmp := filepath.Join(s.dir, tmpDir, "import-"+m.ID.String())
	if err := os.Rename(path, tmp); err != nil {
		s.release(st.Size())
		in, perr := s.PutFile(path, m.ID)
		if perr == nil {
			_ = os.Remove(path)
		}
		return in, perr
	}
	return s.commit(tmp, m, st.Size())
}

// commit makes the synced temp file data the blob of manifest m: it writes
// the manifest, renames the data and then the manifest into place, and turns
// the put's reservation into use. If the blob exists already (a concurrent
// put of the same content), the temp file is dropped.
func (s *Store) commit(data string, m blob.Manifest, reserved int64) (Info, error) {
	mf, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "meta-*")
	if err != nil {
		_ = os.Remove(data)
		s.release(reserved)
		return Info{}, fmt.Errorf("blob store: put %s: %w", m.ID, err)
	}
	mtmp := mf.Name()
	fail := func(err error) (Info, error) {
		_ = os.Remove(data)
		_ = os.Remove(mtmp)
		s.release(reserved)
		return Info{}, fmt.Errorf("blob store: put %s: %w", m.ID, err)
	}
	_, werr := mf.Write(m.Encode())
	serr := mf.Sync()
	cerr := mf.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fail(fmt.Errorf("write manifest: %w", err))
	}

	s.mu.Lock()
	if _, ok := s.sizes[m.ID]; ok {
		s.reserved -= reserved
		s.mu.Unlock()
		_ = os.Remove(data)
		_ = os.Remove(mtmp)
		return s.Stat(m.ID)
	}
	if err := os.Rename(data, s.dataPath(m.ID)); err != nil {
		s.mu.Unlock()
		return fail(err)
	}
	if err := os.Rename(mtmp, s.metaPath(m.ID)); err != nil {
		_ = os.Remove(s.dataPath(m.ID))
		s.mu.Unlock()
		return fail(err)
	}
	s.reserved -= reserved
	s.sizes[m.ID] = m.Size
	s.used += m.Size
	s.remember(m)
	s.mu.Unlock()

	// The renames are visible to every process now and survive a kill -9;
	// syncing the directories makes them survive a power loss too.
	derr := syncDir(filepath.Join(s.dir, dataDir))
	merr := syncDir(filepath.Join(s.dir, metaDir))
	if err := errors.Join(derr, merr); err != nil {
		return Info{}, fmt.Errorf("blob store: put %s: sync directories: %w", m.ID, err)
	}
	return s.Stat(m.ID)
}

// reserve takes n bytes of the quota for a put in progress that has needed
// total bytes so far, or fails with a *QuotaError.
func (s *Store) reserve(n, total int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quota > 0 && s.used+s.reserved+n > s.quota {
		return fmt.Errorf("blob store %s: %w", s.dir, &QuotaError{Quota: s.quota, Used: s.used + s.reserved - (total - n), Need: total})
	}
	s.reserved += n
	return nil
}

// release returns a failed put's reservation.
func (s *Store) release(n int64) {
	s.mu.Lock()
	s.reserved -= n
	s.mu.Unlock()
}

// Fits reports (as a *QuotaError) whether size more bytes fit in the quota
// now, so a server can refuse an upload of known length before reading it.
func (s *Store) Fits(size int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quota > 0 && s.used+s.reserved+size > s.quota {
		return fmt.Errorf("blob store %s: %w", s.dir, &QuotaError{Quota: s.quota, Used: s.used + s.reserved, Need: size})
	}
	return nil
}

// readChunk fills buf from r like io.ReadFull, but returns io.EOF (with the
// bytes read) only at the real end of r: a reader that fails with
// io.ErrUnexpectedEOF (a request body cut short) is an error, never a short
// last chunk, so a truncated upload is never stored as a blob of its own.
func readChunk(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err == io.EOF {
			return n, io.EOF
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
