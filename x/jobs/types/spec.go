package types

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strings"

	errorsmod "cosmossdk.io/errors"

	"github.com/hypha-network/hypha/ml/model"
	"github.com/hypha-network/hypha/ml/train"
)

// CEVersion is the only canonical-execution version jobs may name.
const CEVersion = train.Version

// Domain tags keep the module's hashes apart from each other and from
// anything else signed or hashed on the chain.
const (
	jobIDDomain  = "hypha/jobs/id/v1"
	auditDomain  = "hypha/jobs/audit/v1"
	beaconDomain = "hypha/jobs/beacon/v1"
)

// CanonicalSpec parses a CE-v1 training spec (the examples/ml YAML format),
// checks it, and returns its canonical encoding: the parsed spec with defaults
// applied, minus what cannot change the result (name, data path, eval batch,
// checkpoint_every), as JSON with fields in declaration order. That is exactly
// what train.Spec.Program hashes, so sha256(canonical) == Program(), and two
// YAML files that differ only in layout, comments, key order or a default
// written out give the same bytes. Floats in the spec are only parsed
// (correctly rounded by strconv) and re-printed (shortest form), never
// computed with, so every node produces the same bytes.
func CanonicalSpec(raw []byte, maxBytes uint32) (*train.Spec, []byte, error) {
	if len(raw) == 0 {
		return nil, nil, errorsmod.Wrap(ErrInvalidSpec, "spec is empty: pass the training spec of the job file")
	}
	if uint64(len(raw)) > uint64(maxBytes) {
		return nil, nil, errorsmod.Wrapf(ErrInvalidSpec, "spec is %d bytes, more than max_spec_bytes %d", len(raw), maxBytes)
	}
	s, err := train.ParseSpec(raw)
	if err != nil {
		return nil, nil, errorsmod.Wrap(ErrInvalidSpec, strings.TrimPrefix(err.Error(), train.ErrSpec.Error()+": "))
	}
	if err := checkOps(s); err != nil {
		return nil, nil, err
	}
	p := *s
	p.Name, p.Dir, p.Data.Path = "", "", ""
	p.Train.EvalBatch, p.Train.CheckpointEvery = 0, 0
	b, err := json.Marshal(p)
	if err != nil {
		return nil, nil, errorsmod.Wrapf(ErrInvalidSpec, "encode: %v", err)
	}
	return s, b, nil
}

// checkOps refuses a model the CE-v1 runtime does not implement, without
// building its graph (which would allocate its weights).
func checkOps(s *train.Spec) error {
	m := s.Model
	switch m.Kind {
	case model.MLP, model.CNN, model.Transformer:
	default:
		return errorsmod.Wrapf(ErrInvalidSpec, "unknown op: model.kind %q (want mlp, cnn or transformer)", m.Kind)
	}
	switch m.Activation {
	case "", "relu", "gelu", "tanh", "sigmoid":
	default:
		return errorsmod.Wrapf(ErrInvalidSpec, "unknown op: model.activation %q (want relu, gelu, tanh or sigmoid)", m.Activation)
	}
	switch m.Pool {
	case "", "max", "avg":
	default:
		return errorsmod.Wrapf(ErrInvalidSpec, "unknown op: model.pool %q (want max or avg)", m.Pool)
	}
	if !(m.Dropout >= 0 && m.Dropout < 1) {
		return errorsmod.Wrapf(ErrInvalidSpec, "model.dropout %v not in [0, 1)", m.Dropout)
	}
	return nil
}

// ParseHash32 decodes a 64-hex (32-byte) id such as a dataset blob id or a job id.
func ParseHash32(field, s string) ([32]byte, error) {
	var h [32]byte
	if s == "" {
		return h, errorsmod.Wrapf(ErrInvalidRequest, "%s is missing", field)
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 || strings.ToLower(s) != s {
		return h, errorsmod.Wrapf(ErrInvalidRequest, "%s %q must be 64 lowercase hex digits", field, s)
	}
	copy(h[:], b)
	return h, nil
}

// ValidateDatasetID checks a dataset id: a 32-byte blob id in lowercase hex
// (the blob store's RFC 6962 root over 1 MiB chunks).
func ValidateDatasetID(id string) error {
	if _, err := ParseHash32("dataset_id", id); err != nil {
		return errorsmod.Wrap(ErrInvalidDataset, strings.TrimPrefix(err.Error(), ErrInvalidRequest.Error()+": "))
	}
	return nil
}

// JobID is sha256(domain ‖ len ‖ canonical spec ‖ len ‖ CE version ‖ dataset id
// (32 bytes) ‖ seed ‖ T ‖ k), integers as 8-byte big-endian, lengths as 4-byte
// big-endian: everything that fixes the result, and nothing else.
func JobID(canonical []byte, ce string, dataset [32]byte, seed, steps, interval uint64) string {
	h := sha256.New()
	var n [8]byte
	h.Write([]byte(jobIDDomain))
	binary.BigEndian.PutUint32(n[:4], uint32(len(canonical)))
	h.Write(n[:4])
	h.Write(canonical)
	binary.BigEndian.PutUint32(n[:4], uint32(len(ce)))
	h.Write(n[:4])
	h.Write([]byte(ce))
	h.Write(dataset[:])
	for _, v := range []uint64{seed, steps, interval} {
		binary.BigEndian.PutUint64(n[:], v)
		h.Write(n[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditCount is m = ceil(rateBps × segments / 10000), clamped to
// [minAudits, maxAudits] and to the number of segments. Integer math only.
func AuditCount(rateBps uint32, segments uint64, minAudits, maxAudits uint32) uint32 {
	m := (uint64(rateBps)*segments + 9999) / 10000 // rateBps <= 10000, segments <= 2^20: no overflow
	if m < uint64(minAudits) {
		m = uint64(minAudits)
	}
	if m > uint64(maxAudits) {
		m = uint64(maxAudits)
	}
	if m > segments {
		m = segments
	}
	return uint32(m)
}

// AuditCommitHash is what an auditor commits to: sha256(domain ‖ job id ‖
// segment ‖ auditor ‖ len ‖ result ‖ salt). Binding the job, segment and
// auditor means no auditor can copy another's commitment.
func AuditCommitHash(jobID string, segment uint64, auditor string, result, salt []byte) []byte {
	h := sha256.New()
	h.Write([]byte(auditDomain))
	h.Write([]byte(jobID))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], segment)
	h.Write(n[:])
	h.Write([]byte(auditor))
	binary.BigEndian.PutUint32(n[:4], uint32(len(result)))
	h.Write(n[:4])
	h.Write(result)
	h.Write(salt)
	return h.Sum(nil)
}

// Beacon is sha256(domain ‖ job id ‖ hashes...), over the header hashes of the
// blocks after the final posting, in height order.
func Beacon(jobID string, hashes [][]byte) []byte {
	h := sha256.New()
	h.Write([]byte(beaconDomain))
	h.Write([]byte(jobID))
	for _, b := range hashes {
		h.Write(b)
	}
	return h.Sum(nil)
}

// Draw returns the i-th 64-bit draw of a beacon for a purpose ("segment" or
// "auditor"): the first 8 bytes of sha256(beacon ‖ purpose ‖ i).
func Draw(beacon []byte, purpose string, i uint64) uint64 {
	h := sha256.New()
	h.Write(beacon)
	h.Write([]byte(purpose))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], i)
	h.Write(n[:])
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

// SampleSegments picks m distinct segments of [0, segments) from the beacon by
// a partial Fisher–Yates shuffle driven by Draw, and returns them in draw
// order. Modulo bias is below segments/2^64 (segments <= 2^20). Work and
// memory are O(segments), bounded by Params.max_segments.
func SampleSegments(beacon []byte, segments uint64, m uint32) []uint64 {
	idx := make([]uint64, segments)
	for i := range idx {
		idx[i] = uint64(i)
	}
	out := make([]uint64, 0, m)
	for i := uint64(0); i < uint64(m) && i < segments; i++ {
		j := i + Draw(beacon, "segment", i)%(segments-i)
		idx[i], idx[j] = idx[j], idx[i]
		out = append(out, idx[i])
	}
	return out
}
