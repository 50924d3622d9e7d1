package blob

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/hypha-network/hypha/ml/merkle"
)

// IDLen is the length of an id in hex digits.
const IDLen = 64

// ID is a blob's content address: the Merkle root of its chunks.
type ID merkle.Hash

// EmptyID is the id of the empty blob (no chunks): SHA-256 of nothing, the
// root ml/merkle gives an empty list of leaves.
var EmptyID = ID(merkle.RootOfHashes(nil))

// ErrBadID is what every ParseID failure wraps.
var ErrBadID = errors.New("blob: bad id")

// ParseError reports a string that is not a blob id, with what is wrong.
type ParseError struct {
	Input  string // the text given (cut to 80 characters)
	Reason string
}

// Error says what is wrong with the id and what one looks like.
func (e *ParseError) Error() string {
	return fmt.Sprintf("blob: bad id %q: %s (an id is %d lowercase or uppercase hex digits, as `hyphad blob put` prints)", e.Input, e.Reason, IDLen)
}

// Unwrap makes errors.Is(err, ErrBadID) hold.
func (e *ParseError) Unwrap() error { return ErrBadID }

// ParseID parses the hex form String returns (either case is accepted).
func ParseID(s string) (ID, error) {
	in := s
	if len(in) > 80 {
		in = in[:80] + "..."
	}
	if len(s) != IDLen {
		return ID{}, &ParseError{Input: in, Reason: fmt.Sprintf("%d characters, want %d", len(s), IDLen)}
	}
	var id ID
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return ID{}, &ParseError{Input: in, Reason: "not hex: " + err.Error()}
	}
	return id, nil
}

// String returns the id as 64 lowercase hex digits.
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 12 hex digits, for logs and progress lines.
func (id ID) Short() string { return id.String()[:12] }

// IsZero reports whether id is the zero value, which no content hashes to in
// practice; APIs use it for "no id given".
func (id ID) IsZero() bool { return id == ID{} }

// MarshalText encodes the id as hex (JSON strings, YAML).
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText decodes the hex form.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}
