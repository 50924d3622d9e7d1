package setup

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/groth16/bn254/mpcsetup"
	cs "github.com/consensys/gnark/constraint/bn254"
)

// MinContributions is the fewest contributions per phase a ceremony needs
// to be finalized or verified: the owner and at least one other party.
const MinContributions = 2

// Errors of the ceremony steps.
var (
	ErrPhase   = errors.New("zk/setup: step out of order")
	ErrInvalid = errors.New("zk/setup: transcript does not verify")
)

// New starts a ceremony for a circuit: the domain is the next power of two
// of its constraint count.
func New(ccs *cs.R1CS, modelHash [32]byte, mode string) *Transcript {
	return &Transcript{ModelHash: modelHash, Mode: mode, Domain: ecc.NextPowerOfTwo(uint64(ccs.GetNbConstraints()))}
}

// Hash is the SHA-256 of a contribution's bytes: what a participant
// publishes so others can check their contribution is in the transcript.
func (c Contribution) Hash() [32]byte { return sha256.Sum256(c.Data) }

// ContributePhase1 adds name's powers-of-tau contribution with fresh
// secrets from crypto/rand (mpcsetup draws them and forgets them). It does
// not re-verify earlier contributions; VerifyPhase1 does.
func (t *Transcript) ContributePhase1(name string) (Contribution, error) {
	if len(t.Beacon1) != 0 {
		return Contribution{}, fmt.Errorf("%w: phase 1 is closed; contribute to phase 2", ErrPhase)
	}
	if len(t.Phase1) >= MaxContributions {
		return Contribution{}, fmt.Errorf("%w: phase 1 has the maximum %d contributions", ErrPhase, MaxContributions)
	}
	var p mpcsetup.Phase1
	if n := len(t.Phase1); n == 0 {
		p.Initialize(t.Domain)
	} else if _, err := p.ReadFrom(bytes.NewReader(t.Phase1[n-1].Data)); err != nil {
		return Contribution{}, fmt.Errorf("%w: phase-1 contribution %d: %v", ErrTranscript, n-1, err)
	}
	p.Contribute()
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		return Contribution{}, fmt.Errorf("zk/setup: encode phase 1: %w", err)
	}
	c := Contribution{Name: name, Data: b.Bytes()}
	t.Phase1 = append(t.Phase1, c)
	return c, nil
}

// commons verifies phase 1 and seals it with beacon 1.
func (t *Transcript) commons() (*mpcsetup.SrsCommons, error) {
	if len(t.Phase1) < MinContributions {
		return nil, fmt.Errorf("%w: phase 1 has %d contributions, needs %d", ErrPhase, len(t.Phase1), MinContributions)
	}
	if len(t.Beacon1) == 0 {
		return nil, fmt.Errorf("%w: phase 1 is not closed by a beacon", ErrPhase)
	}
	ps := make([]*mpcsetup.Phase1, len(t.Phase1))
	for i, c := range t.Phase1 {
		ps[i] = new(mpcsetup.Phase1)
		if _, err := ps[i].ReadFrom(bytes.NewReader(c.Data)); err != nil {
			return nil, fmt.Errorf("%w: phase-1 contribution %d (%s): %v", ErrTranscript, i, c.Name, err)
		}
	}
	commons, err := mpcsetup.VerifyPhase1(t.Domain, t.Beacon1, ps...)
	if err != nil {
		return nil, fmt.Errorf("%w: phase 1: %v", ErrInvalid, err)
	}
	return &commons, nil
}

// ClosePhase1 seals phase 1 with a public beacon (for example a block
// hash after the last contribution) once it has MinContributions.
func (t *Transcript) ClosePhase1(beacon []byte) error {
	if len(t.Beacon1) != 0 {
		return fmt.Errorf("%w: phase 1 is already closed", ErrPhase)
	}
	if len(beacon) == 0 || len(beacon) > maxBeacon {
		return fmt.Errorf("%w: a beacon is 1..%d bytes", ErrPhase, maxBeacon)
	}
	if len(t.Phase1) < MinContributions {
		return fmt.Errorf("%w: phase 1 has %d contributions, needs %d before closing", ErrPhase, len(t.Phase1), MinContributions)
	}
	t.Beacon1 = append([]byte(nil), beacon...)
	return nil
}

// ContributePhase2 adds name's circuit-specific contribution. The first
// one verifies phase 1 and derives the circuit's initial phase-2 state.
func (t *Transcript) ContributePhase2(ccs *cs.R1CS, name string) (Contribution, error) {
	if len(t.Beacon2) != 0 {
		return Contribution{}, fmt.Errorf("%w: phase 2 is closed", ErrPhase)
	}
	if len(t.Phase2) >= MaxContributions {
		return Contribution{}, fmt.Errorf("%w: phase 2 has the maximum %d contributions", ErrPhase, MaxContributions)
	}
	var p mpcsetup.Phase2
	if n := len(t.Phase2); n == 0 {
		commons, err := t.commons()
		if err != nil {
			return Contribution{}, err
		}
		p.Initialize(ccs, commons)
	} else if _, err := p.ReadFrom(bytes.NewReader(t.Phase2[n-1].Data)); err != nil {
		return Contribution{}, fmt.Errorf("%w: phase-2 contribution %d: %v", ErrTranscript, n-1, err)
	}
	p.Contribute()
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		return Contribution{}, fmt.Errorf("zk/setup: encode phase 2: %w", err)
	}
	c := Contribution{Name: name, Data: b.Bytes()}
	t.Phase2 = append(t.Phase2, c)
	return c, nil
}

// Finalize closes phase 2 with a public beacon once it has
// MinContributions; Verify then yields the keys.
func (t *Transcript) Finalize(beacon []byte) error {
	if len(t.Beacon2) != 0 {
		return fmt.Errorf("%w: phase 2 is already closed", ErrPhase)
	}
	if len(beacon) == 0 || len(beacon) > maxBeacon {
		return fmt.Errorf("%w: a beacon is 1..%d bytes", ErrPhase, maxBeacon)
	}
	if len(t.Phase2) < MinContributions {
		return fmt.Errorf("%w: phase 2 has %d contributions, needs %d before closing", ErrPhase, len(t.Phase2), MinContributions)
	}
	t.Beacon2 = append([]byte(nil), beacon...)
	return nil
}

// Verify replays the whole ceremony for ccs: every contribution's update
// proofs and chaining in both phases, both beacons, the model hash and the
// domain. It returns the proving and verifying keys the ceremony defines,
// identical for every verifier.
func Verify(ccs *cs.R1CS, modelHash [32]byte, mode string, t *Transcript) (groth16.ProvingKey, groth16.VerifyingKey, error) {
	if t.ModelHash != modelHash || t.Mode != mode {
		return nil, nil, fmt.Errorf("%w: transcript is for model %x mode %s, not %x %s", ErrInvalid, t.ModelHash[:6], t.Mode, modelHash[:6], mode)
	}
	if want := ecc.NextPowerOfTwo(uint64(ccs.GetNbConstraints())); t.Domain != want {
		return nil, nil, fmt.Errorf("%w: domain %d, the circuit needs %d", ErrInvalid, t.Domain, want)
	}
	commons, err := t.commons()
	if err != nil {
		return nil, nil, err
	}
	if len(t.Phase2) < MinContributions || len(t.Beacon2) == 0 {
		return nil, nil, fmt.Errorf("%w: phase 2 has %d contributions and beacon %t; needs %d and a beacon", ErrPhase, len(t.Phase2), len(t.Beacon2) != 0, MinContributions)
	}
	ps := make([]*mpcsetup.Phase2, len(t.Phase2))
	for i, c := range t.Phase2 {
		ps[i] = new(mpcsetup.Phase2)
		if _, err := ps[i].ReadFrom(bytes.NewReader(c.Data)); err != nil {
			return nil, nil, fmt.Errorf("%w: phase-2 contribution %d (%s): %v", ErrTranscript, i, c.Name, err)
		}
	}
	pk, vk, err := mpcsetup.VerifyPhase2(ccs, commons, t.Beacon2, ps...)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: phase 2: %v", ErrInvalid, err)
	}
	return pk, vk, nil
}
