package store

import (
	"errors"
	"fmt"

	"github.com/hypha-network/hypha/blob"
)

// Errors of the store; each is wrapped with the blob and the directory.
var (
	// ErrNotFound reports a blob the store does not hold.
	ErrNotFound = errors.New("blob store: blob not found")
	// ErrQuota reports a put that would take the store past its quota; the
	// error is a *QuotaError with the figures.
	ErrQuota = errors.New("blob store: quota exceeded")
	// ErrCorrupt reports stored bytes that no longer match their manifest
	// (disk corruption, or a file changed behind the store's back).
	ErrCorrupt = errors.New("blob store: stored blob is corrupt")
	// ErrSource reports a put whose reader failed before its end (an upload
	// cut short); nothing was stored.
	ErrSource = errors.New("blob store: put: reading the content failed")
)

// QuotaError reports a put refused for the quota, with what it would take.
type QuotaError struct {
	Quota int64 // the store's quota in bytes
	Used  int64 // bytes held by complete blobs and puts in progress
	Need  int64 // bytes the refused put needed (as far as it had got)
}

// Error gives the figures and how to make room.
func (e *QuotaError) Error() string {
	return fmt.Sprintf("blob store: quota exceeded: %d bytes used of %d, the blob needs %d more (free %d bytes with `hyphad blob rm ID` or raise --quota)",
		e.Used, e.Quota, e.Need, e.Need-(e.Quota-e.Used))
}

// Unwrap makes errors.Is(err, ErrQuota) hold.
func (e *QuotaError) Unwrap() error { return ErrQuota }

func notFound(id blob.ID) error {
	return fmt.Errorf("%w: %s (list what the store holds with `hyphad blob ls`)", ErrNotFound, id)
}
