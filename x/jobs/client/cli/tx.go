package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"
	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/ml/merkle"
	"github.com/hypha-network/hypha/x/internal/cliutil"
	"github.com/hypha-network/hypha/x/jobs/types"
)

const (
	flagDeposit    = "deposit"
	flagStart      = "start"
	flagModelHash  = "model-hash"
	flagResult     = "result"
	flagSalt       = "salt"
	flagClaimedEnd = "claimed-end"
	flagBond       = "bond"
	flagStatus     = "status"
)

// GetTxCmd returns `hyphad tx jobs`.
func GetTxCmd() *cobra.Command {
	return cliutil.Group(types.ModuleName, "Verifiable training job transactions",
		append(txCommands(), cliutil.Group("dispute", "Play a dispute game move by hand", cmdDisputeMove(), cmdDisputeEvidence()))...)
}

// JobCommand returns `hyphad job`: the job lifecycle in one place (submit,
// status, list, the solver's claim/commit/finalize, auditors, audits,
// challenges).
func JobCommand() *cobra.Command {
	return cliutil.Group("job", "Verifiable training jobs: submit, follow, solve, audit, challenge",
		append(txCommands(), qJob("status"), qJobs("list"), disputeCommand())...)
}

func txCommands() []*cobra.Command {
	return []*cobra.Command{
		cmdSubmit(), cmdClaim(), cmdCommit(), cmdFinalize(),
		cliutil.Group("auditor", "Bond or unbond as an auditor", cmdBondAuditor(), cmdUnbondAuditor()),
		cliutil.Group("audit", "Commit and reveal an audit result", cmdAuditCommit(), cmdAuditReveal()),
		cmdChallenge(),
	}
}

func txCmd(use, short, example string, args cobra.PositionalArgs,
	build func(cmd *cobra.Command, clientCtx client.Context, from string, args []string) (sdk.Msg, error),
) *cobra.Command {
	return cliutil.TxCmd(use, short, example, args,
		func(cmd *cobra.Command, clientCtx client.Context, args []string) (sdk.Msg, error) {
			return build(cmd, clientCtx, clientCtx.GetFromAddress().String(), args)
		})
}

func cmdSubmit() *cobra.Command {
	cmd := txCmd("submit [job.yaml]", "Submit a CE-v1 training job and escrow its deposit",
		"hyphad job submit job.yaml --deposit 6000000uhyp --from alice", cobra.ExactArgs(1),
		func(cmd *cobra.Command, _ client.Context, from string, args []string) (sdk.Msg, error) {
			jf, err := ReadJobFile(args[0])
			if err != nil {
				return nil, err
			}
			d, _ := cmd.Flags().GetString(flagDeposit)
			dep, err := sdk.ParseCoinNormalized(d)
			if err != nil {
				return nil, fmt.Errorf("--%s %q: %w", flagDeposit, d, err)
			}
			return &types.MsgSubmitJob{Submitter: from, Spec: jf.Spec, CeVersion: types.CEVersion, Terms: jf.Terms, Deposit: dep}, nil
		})
	cmd.Flags().String(flagDeposit, "", "escrow: price + audits × audit fee at least (the excess funds nothing and is refunded)")
	_ = cmd.MarkFlagRequired(flagDeposit)
	return cmd
}

func cmdClaim() *cobra.Command {
	return txCmd("claim [job-id]", "Claim an open job as its solver, locking its solver bond",
		"hyphad job claim 3f…a1 --from solver", cobra.ExactArgs(1),
		func(_ *cobra.Command, _ client.Context, from string, args []string) (sdk.Msg, error) {
			return &types.MsgClaimJob{Solver: from, JobId: args[0]}, nil
		})
}

func cmdCommit() *cobra.Command {
	cmd := txCmd("commit [job-id] [commitment-hex,...]", "Post the next checkpoint state roots S_{i*k} (train.StateRoot, not the ckpt file's c_t) in order",
		"hyphad job commit 3f…a1 9b…00,7c…11 --start 0 --from solver", cobra.ExactArgs(2),
		func(cmd *cobra.Command, _ client.Context, from string, args []string) (sdk.Msg, error) {
			start, _ := cmd.Flags().GetUint64(flagStart)
			var cs [][]byte
			for _, s := range strings.Split(args[1], ",") {
				b, err := hex32(strings.TrimSpace(s))
				if err != nil {
					return nil, fmt.Errorf("commitment %d: %w", start+uint64(len(cs)), err)
				}
				cs = append(cs, b)
			}
			return &types.MsgPostCommitments{Solver: from, JobId: args[0], StartIndex: start, Commitments: cs}, nil
		})
	cmd.Flags().Uint64(flagStart, 0, "index of the first commitment (the number already posted)")
	return cmd
}

func cmdFinalize() *cobra.Command {
	cmd := txCmd("finalize [job-id]", "Post the final model hash after all commitments",
		"hyphad job finalize 3f…a1 --model-hash 5e…ff --from solver", cobra.ExactArgs(1),
		func(cmd *cobra.Command, _ client.Context, from string, args []string) (sdk.Msg, error) {
			s, _ := cmd.Flags().GetString(flagModelHash)
			h, err := hex32(s)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", flagModelHash, err)
			}
			return &types.MsgFinalizeJob{Solver: from, JobId: args[0], ModelHash: h}, nil
		})
	cmd.Flags().String(flagModelHash, "", "sha256 of the final model (64 hex)")
	_ = cmd.MarkFlagRequired(flagModelHash)
	return cmd
}

func cmdBondAuditor() *cobra.Command {
	return txCmd("bond [amount]", "Bond as an auditor (or add to the bond)",
		"hyphad job auditor bond 100000000uhyp --from auditor1", cobra.ExactArgs(1),
		func(_ *cobra.Command, _ client.Context, from string, args []string) (sdk.Msg, error) {
			c, err := sdk.ParseCoinNormalized(args[0])
			if err != nil {
				return nil, err
			}
			return &types.MsgBondAuditor{Auditor: from, Amount: c}, nil
		})
}

func cmdUnbondAuditor() *cobra.Command {
	return txCmd("unbond", "Leave the auditor set; the bond returns after the unbonding delay",
		"hyphad job auditor unbond --from auditor1", cobra.NoArgs,
		func(_ *cobra.Command, _ client.Context, from string, _ []string) (sdk.Msg, error) {
			return &types.MsgUnbondAuditor{Auditor: from}, nil
		})
}

func cmdAuditCommit() *cobra.Command {
	cmd := txCmd("commit [job-id] [segment]", "Commit to an audit result (the hash is computed here; keep the salt)",
		"hyphad job audit commit 3f…a1 4 --result 7c…11 --salt $(openssl rand -hex 16) --from auditor1", cobra.ExactArgs(2),
		func(cmd *cobra.Command, clientCtx client.Context, from string, args []string) (sdk.Msg, error) {
			seg, result, salt, err := auditArgs(cmd, args)
			if err != nil {
				return nil, err
			}
			if len(salt) == 0 {
				salt = make([]byte, 16)
				if _, err := rand.Read(salt); err != nil {
					return nil, err
				}
				_ = clientCtx.PrintString(fmt.Sprintf("salt %x (keep it: the reveal needs it)\n", salt))
			}
			return &types.MsgAuditCommit{Auditor: from, JobId: args[0], Segment: seg,
				CommitHash: types.AuditCommitHash(args[0], seg, from, result, salt)}, nil
		})
	cmd.Flags().String(flagResult, "", "your commitment for the segment's end state (64 hex)")
	cmd.Flags().String(flagSalt, "", "hex salt (a random one is made and printed if empty)")
	return cmd
}

func cmdAuditReveal() *cobra.Command {
	cmd := txCmd("reveal [job-id] [segment]", "Reveal an audit result; the start commitment's proof is fetched from the chain",
		"hyphad job audit reveal 3f…a1 4 --result 7c…11 --salt 0a…ff --from auditor1", cobra.ExactArgs(2),
		func(cmd *cobra.Command, clientCtx client.Context, from string, args []string) (sdk.Msg, error) {
			seg, result, salt, err := auditArgs(cmd, args)
			if err != nil {
				return nil, err
			}
			start, proof, err := startProof(cmd.Context(), clientCtx, args[0], seg)
			if err != nil {
				return nil, err
			}
			return &types.MsgAuditReveal{Auditor: from, JobId: args[0], Segment: seg, Result: result, Salt: salt,
				StartCommitment: start, StartProof: proof}, nil
		})
	cmd.Flags().String(flagResult, "", "the result committed to (64 hex)")
	cmd.Flags().String(flagSalt, "", "the salt committed with (hex)")
	return cmd
}

func cmdChallenge() *cobra.Command {
	cmd := txCmd("challenge [job-id] [segment]", "Challenge a segment of a finalized job as a bonded watcher",
		"hyphad job challenge 3f…a1 4 --claimed-end 7c…11 --bond 10000000uhyp --from watcher", cobra.ExactArgs(2),
		func(cmd *cobra.Command, clientCtx client.Context, from string, args []string) (sdk.Msg, error) {
			var seg uint64
			if _, err := fmt.Sscan(args[1], &seg); err != nil {
				return nil, fmt.Errorf("segment %q: %w", args[1], err)
			}
			s, _ := cmd.Flags().GetString(flagClaimedEnd)
			end, err := hex32(s)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", flagClaimedEnd, err)
			}
			b, _ := cmd.Flags().GetString(flagBond)
			bond, err := sdk.ParseCoinNormalized(b)
			if err != nil {
				return nil, fmt.Errorf("--%s: %w", flagBond, err)
			}
			start, proof, err := startProof(cmd.Context(), clientCtx, args[0], seg)
			if err != nil {
				return nil, err
			}
			return &types.MsgChallenge{Challenger: from, JobId: args[0], Segment: seg, ClaimedEnd: end, Bond: bond,
				StartCommitment: start, StartProof: proof}, nil
		})
	cmd.Flags().String(flagClaimedEnd, "", "your commitment for the segment's end state (64 hex)")
	cmd.Flags().String(flagBond, "", "challenge bond (at least min_challenge_bond)")
	_ = cmd.MarkFlagRequired(flagClaimedEnd)
	_ = cmd.MarkFlagRequired(flagBond)
	return cmd
}

func auditArgs(cmd *cobra.Command, args []string) (uint64, []byte, []byte, error) {
	var seg uint64
	if _, err := fmt.Sscan(args[1], &seg); err != nil {
		return 0, nil, nil, fmt.Errorf("segment %q: %w", args[1], err)
	}
	r, _ := cmd.Flags().GetString(flagResult)
	result, err := hex32(r)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("--%s: %w", flagResult, err)
	}
	s, _ := cmd.Flags().GetString(flagSalt)
	salt, err := hex.DecodeString(s)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("--%s: %w", flagSalt, err)
	}
	return seg, result, salt, nil
}

// startProof fetches a job's commitments and returns c_{segment} with its
// RFC 6962 inclusion proof.
func startProof(ctx context.Context, clientCtx client.Context, jobID string, segment uint64) ([]byte, [][]byte, error) {
	qc := types.NewQueryClient(clientCtx)
	var leaves []merkle.Hash
	var start []byte
	var key []byte
	for {
		r, err := qc.Commitments(ctx, &types.QueryCommitmentsRequest{JobId: jobID, Pagination: &query.PageRequest{Key: key, Limit: 1000}})
		if err != nil {
			return nil, nil, fmt.Errorf("fetch commitments of %s: %w", jobID, err)
		}
		for _, c := range r.Commitments {
			if c.Index == segment {
				start = c.Commitment
			}
			leaves = append(leaves, merkle.LeafHash(c.Commitment))
		}
		if r.Pagination == nil || len(r.Pagination.NextKey) == 0 {
			break
		}
		key = r.Pagination.NextKey
	}
	if start == nil {
		return nil, nil, fmt.Errorf("job %s has no commitment %d", jobID, segment)
	}
	path, err := merkle.Proof(leaves, int(segment))
	if err != nil {
		return nil, nil, err
	}
	out := make([][]byte, len(path))
	for i := range path {
		out[i] = append([]byte(nil), path[i][:]...)
	}
	return start, out, nil
}

func hex32(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%q is not 64 hex digits", s)
	}
	return b, nil
}
