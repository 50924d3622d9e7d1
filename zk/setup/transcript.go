package setup

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrTranscript reports a transcript file that cannot be read.
var ErrTranscript = errors.New("zk/setup: malformed transcript")

// transcriptMagic starts a transcript file.
const transcriptMagic = "HYPHA-ZK-CEREMONY-1\n"

// Limits on a transcript, so a hostile file cannot make the reader allocate
// without bound.
const (
	MaxContributions = 64
	maxName          = 256
	maxBeacon        = 1024
	maxBlob          = 1 << 31
)

// Contribution is one participant's serialized mpcsetup state after their
// update.
type Contribution struct {
	Name string
	Data []byte
}

// Transcript is the whole public record of a ceremony.
type Transcript struct {
	ModelHash [32]byte
	Mode      string
	// Domain is the phase-1 domain size (a power of two at least the
	// circuit's constraint count).
	Domain  uint64
	Phase1  []Contribution
	Beacon1 []byte // closes phase 1; empty while it is open
	Phase2  []Contribution
	Beacon2 []byte // closes phase 2; empty while it is open
}

// MarshalBinary encodes the transcript: magic, model hash, then
// length-prefixed (big-endian) mode, domain, phase-1 contributions,
// beacon 1, phase-2 contributions, beacon 2.
func (t *Transcript) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(transcriptMagic)
	b.Write(t.ModelHash[:])
	putBytes(&b, []byte(t.Mode))
	_ = binary.Write(&b, binary.BigEndian, t.Domain)
	putPhase(&b, t.Phase1)
	putBytes(&b, t.Beacon1)
	putPhase(&b, t.Phase2)
	putBytes(&b, t.Beacon2)
	return b.Bytes(), nil
}

func putPhase(b *bytes.Buffer, ph []Contribution) {
	_ = binary.Write(b, binary.BigEndian, uint32(len(ph)))
	for _, c := range ph {
		putBytes(b, []byte(c.Name))
		putBytes(b, c.Data)
	}
}

func putBytes(b *bytes.Buffer, v []byte) {
	_ = binary.Write(b, binary.BigEndian, uint32(len(v)))
	b.Write(v)
}

// UnmarshalBinary decodes MarshalBinary's encoding, checking every length
// against the bytes left.
func (t *Transcript) UnmarshalBinary(data []byte) error {
	if !bytes.HasPrefix(data, []byte(transcriptMagic)) {
		return fmt.Errorf("%w: not a ceremony transcript (missing header)", ErrTranscript)
	}
	r := bytes.NewReader(data[len(transcriptMagic):])
	var out Transcript
	if _, err := io.ReadFull(r, out.ModelHash[:]); err != nil {
		return fmt.Errorf("%w: model hash: %v", ErrTranscript, err)
	}
	mode, err := getBytes(r, maxName, "mode")
	if err != nil {
		return err
	}
	out.Mode = string(mode)
	if err := binary.Read(r, binary.BigEndian, &out.Domain); err != nil {
		return fmt.Errorf("%w: domain: %v", ErrTranscript, err)
	}
	readPhase := func() ([]Contribution, error) {
		var n uint32
		if err := binary.Read(r, binary.BigEndian, &n); err != nil {
			return nil, fmt.Errorf("%w: contribution count: %v", ErrTranscript, err)
		}
		if n > MaxContributions {
			return nil, fmt.Errorf("%w: %d contributions, at most %d", ErrTranscript, n, MaxContributions)
		}
		var ph []Contribution
		for i := uint32(0); i < n; i++ {
			name, err := getBytes(r, maxName, "contributor name")
			if err != nil {
				return nil, err
			}
			d, err := getBytes(r, maxBlob, "contribution")
			if err != nil {
				return nil, err
			}
			ph = append(ph, Contribution{Name: string(name), Data: d})
		}
		return ph, nil
	}
	if out.Phase1, err = readPhase(); err != nil {
		return err
	}
	if out.Beacon1, err = getBytes(r, maxBeacon, "beacon 1"); err != nil {
		return err
	}
	if out.Phase2, err = readPhase(); err != nil {
		return err
	}
	if out.Beacon2, err = getBytes(r, maxBeacon, "beacon 2"); err != nil {
		return err
	}
	if r.Len() != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrTranscript, r.Len())
	}
	*t = out
	return nil
}

func getBytes(r *bytes.Reader, limit int, what string) ([]byte, error) {
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		return nil, fmt.Errorf("%w: %s length: %v", ErrTranscript, what, err)
	}
	if int64(n) > int64(limit) || int(n) > r.Len() {
		return nil, fmt.Errorf("%w: %s of %d bytes (limit %d, %d left)", ErrTranscript, what, n, limit, r.Len())
	}
	b := make([]byte, n)
	_, _ = io.ReadFull(r, b)
	if n == 0 {
		return nil, nil
	}
	return b, nil
}
