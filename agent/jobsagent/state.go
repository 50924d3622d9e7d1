package jobsagent

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DB is an agent's persistent state: JSON records under string keys in one
// bbolt bucket. Every Put is a committed, fsynced bbolt transaction, so what an
// agent wrote before a kill -9 is there after the restart.
type DB struct{ db *bolt.DB }

var bucket = []byte("records")

// OpenDB opens (or creates) dir/state.db. A second agent on the same dir
// waits up to 5 s for the lock and then fails, rather than sharing state.
func OpenDB(dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, "state.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w (is another agent using this state_dir?)", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucketIfNotExists(bucket); return err }); err != nil {
		db.Close()
		return nil, fmt.Errorf("init state %s: %w", path, err)
	}
	return &DB{db: db}, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// Put stores v (JSON) under key.
func (d *DB) Put(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("state %s: %w", key, err)
	}
	if err := d.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(key), b) }); err != nil {
		return fmt.Errorf("state %s: %w", key, err)
	}
	return nil
}

// Get loads key into v and reports whether it was there.
func (d *DB) Get(key string, v any) (bool, error) {
	var b []byte
	if err := d.db.View(func(tx *bolt.Tx) error {
		if x := tx.Bucket(bucket).Get([]byte(key)); x != nil {
			b = append([]byte(nil), x...)
		}
		return nil
	}); err != nil {
		return false, fmt.Errorf("state %s: %w", key, err)
	}
	if b == nil {
		return false, nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("state %s: %w", key, err)
	}
	return true, nil
}
