package blob

import (
	"errors"
	"fmt"
)

// Errors of the blob layer; the store, server and client wrap them with
// context, so callers test them with errors.Is.
var (
	// ErrBadManifest reports a manifest that is malformed or does not hash
	// to the id it is meant for.
	ErrBadManifest = errors.New("blob: bad manifest")
	// ErrChunkRange reports a chunk index outside the blob.
	ErrChunkRange = errors.New("blob: chunk out of range")
	// ErrBadProof reports a chunk or proof that does not verify against the id.
	ErrBadProof = errors.New("blob: chunk proof does not verify")
	// ErrMismatch reports content whose id is not the one expected.
	ErrMismatch = errors.New("blob: content does not match the id")
)

// MismatchError reports content that hashed to another id than expected.
type MismatchError struct {
	Want, Got ID
	Size      int64 // bytes of the content that was hashed
}

// Error names both ids and the likely causes.
func (e *MismatchError) Error() string {
	return fmt.Sprintf("blob: content does not match the id: want %s, the %d bytes received hash to %s (the source holds other bytes, or the transfer was corrupted)", e.Want, e.Size, e.Got)
}

// Unwrap makes errors.Is(err, ErrMismatch) hold.
func (e *MismatchError) Unwrap() error { return ErrMismatch }
