package types_test

import (
	"bytes"
	"errors"
	"testing"

	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/jobs/types"
)

var validAddr = sdk.AccAddress([]byte("fuzz-address-0000000")).String()

const dataset = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func coin(denom string, amt int64) sdk.Coin {
	return sdk.Coin{Denom: denom, Amount: sdkmath.NewInt(amt)}
}

// registered reports whether err wraps one of the module's registered errors.
func registered(err error) bool {
	var e *errorsmod.Error
	return errors.As(err, &e) && e.Codespace() == types.ModuleName
}

// Run with: go test ./x/jobs/types -fuzz FuzzMsgSubmitJob -fuzztime 30s
func FuzzMsgSubmitJob(f *testing.F) {
	f.Add(validAddr, []byte("name: x"), "CE-v1", dataset, uint64(1), uint64(1200), uint64(100), "uhyp", int64(5), int64(2), int64(1), uint32(2500), int64(10), int64(100), int64(6))
	f.Add("bad", []byte{}, "CE-v2", "xyz", uint64(0), uint64(10), uint64(3), "", int64(-1), int64(0), int64(-1), uint32(20000), int64(0), int64(-5), int64(0))
	f.Fuzz(func(t *testing.T, addr string, spec []byte, ce, ds string, seed, steps, interval uint64, denom string,
		price, bond, fee int64, rate uint32, claim, solve, deposit int64) {
		m := &types.MsgSubmitJob{Submitter: addr, Spec: spec, CeVersion: ce, Deposit: coin(denom, deposit),
			Terms: types.JobTerms{DatasetId: ds, Seed: seed, Steps: steps, Interval: interval, Price: coin(denom, price),
				SolverBond: coin(denom, bond), AuditFee: coin(denom, fee), AuditRateBps: rate, ClaimBlocks: claim, SolveBlocks: solve,
				DataExamples: 105, DataXShape: []uint32{4}, DataClasses: 3, DataRoot: make([]byte, 32)}}
		err := m.ValidateBasic()
		if err != nil {
			if !registered(err) {
				t.Fatalf("unregistered error: %v", err)
			}
			return
		}
		if interval == 0 || steps%interval != 0 || ce != types.CEVersion || len(ds) != 64 || rate > 10000 ||
			price <= 0 || bond <= 0 || fee < 0 || deposit <= 0 || claim < 1 || solve < 1 || len(spec) == 0 {
			t.Fatalf("accepted invalid message %+v", m)
		}
	})
}

func FuzzMsgPostCommitments(f *testing.F) {
	f.Add(validAddr, dataset, uint64(0), bytes.Repeat([]byte{1}, 64), 32)
	f.Add(validAddr, dataset, uint64(3), []byte{1, 2, 3}, 1)
	f.Fuzz(func(t *testing.T, addr, id string, start uint64, blob []byte, size int) {
		if size <= 0 || size > 64 {
			size = 32
		}
		var cs [][]byte
		for i := 0; i+size <= len(blob) && len(cs) < 300; i += size {
			cs = append(cs, blob[i:i+size])
		}
		m := &types.MsgPostCommitments{Solver: addr, JobId: id, StartIndex: start, Commitments: cs}
		err := m.ValidateBasic()
		if err != nil {
			if !registered(err) {
				t.Fatalf("unregistered error: %v", err)
			}
			return
		}
		if len(cs) == 0 || len(cs) > types.MaxCommitmentsPerMsg || size != 32 {
			t.Fatalf("accepted %d commitments of %d bytes", len(cs), size)
		}
	})
}

func FuzzMsgAuditReveal(f *testing.F) {
	f.Add(validAddr, dataset, uint64(1), bytes.Repeat([]byte{7}, 32), []byte("salt"), bytes.Repeat([]byte{9}, 32), bytes.Repeat([]byte{3}, 64))
	f.Add("", "", uint64(0), []byte{}, []byte{}, []byte{}, []byte{1})
	f.Fuzz(func(t *testing.T, addr, id string, seg uint64, result, salt, start, proofBlob []byte) {
		var proof [][]byte
		for i := 0; i+32 <= len(proofBlob) && len(proof) < 80; i += 32 {
			proof = append(proof, proofBlob[i:i+32])
		}
		if len(proofBlob)%32 != 0 {
			proof = append(proof, proofBlob[len(proofBlob)/32*32:])
		}
		m := &types.MsgAuditReveal{Auditor: addr, JobId: id, Segment: seg, Result: result, Salt: salt, StartCommitment: start, StartProof: proof}
		err := m.ValidateBasic()
		if err != nil {
			if !registered(err) {
				t.Fatalf("unregistered error: %v", err)
			}
			return
		}
		if len(result) != 32 || len(start) != 32 || len(salt) == 0 || len(proof) > 64 {
			t.Fatalf("accepted invalid reveal %+v", m)
		}
	})
}

// FuzzCanonicalSpec: any bytes either parse to a canonical spec that parses
// again to the same bytes' hash, or fail with ErrInvalidSpec; never a panic.
func FuzzCanonicalSpec(f *testing.F) {
	f.Add(digitsSpec(f))
	f.Add([]byte("model: {kind: cnn}\n"))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, c, err := types.CanonicalSpec(b, 1<<14)
		if err != nil {
			if !errors.Is(err, types.ErrInvalidSpec) {
				t.Fatalf("error not ErrInvalidSpec: %v", err)
			}
			return
		}
		_, c2, err := types.CanonicalSpec(b, 1<<14)
		if err != nil || !bytes.Equal(c, c2) {
			t.Fatalf("not deterministic: %v", err)
		}
	})
}

// Run with: go test ./x/jobs/types -fuzz FuzzMsgDispute -fuzztime 30s
func FuzzMsgDispute(f *testing.F) {
	f.Add(validAddr, dataset, []byte{1, 0, 0, 0, 0})
	f.Add("bad", "xyz", []byte{})
	f.Add(validAddr, dataset, bytes.Repeat([]byte{7}, types.MaxMoveBytes+1))
	f.Fuzz(func(t *testing.T, addr, id string, raw []byte) {
		mv := &types.MsgDisputeMove{Signer: addr, JobId: id, Move: raw}
		ev := &types.MsgDisputeEvidence{Signer: addr, JobId: id, Evidence: raw}
		for _, c := range []struct {
			err error
			max int
		}{{mv.ValidateBasic(), types.MaxMoveBytes}, {ev.ValidateBasic(), types.MaxEvidenceMsgBytes}} {
			if c.err != nil {
				if !registered(c.err) {
					t.Fatalf("unregistered error: %v", c.err)
				}
				continue
			}
			if len(raw) == 0 || len(raw) > c.max || len(id) != 64 || types.ValidateAddress("signer", addr) != nil {
				t.Fatalf("accepted invalid message (%d bytes, id %q)", len(raw), id)
			}
		}
	})
}
