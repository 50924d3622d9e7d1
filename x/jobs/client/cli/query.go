package cli

import (
	"fmt"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"

	"github.com/hypha-network/hypha/x/internal/cliutil"
	"github.com/hypha-network/hypha/x/jobs/types"
)

// GetQueryCmd returns `hyphad q jobs`.
func GetQueryCmd() *cobra.Command {
	return cliutil.Group(types.ModuleName, "Verifiable training job queries",
		qParams(), qJob("job"), qJobs("jobs"), qCommitments(), qAuditor(), qAuditors(), qDispute("dispute"))
}

func queryCmd(use, short, example string, args cobra.PositionalArgs,
	fn func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error),
) *cobra.Command {
	return cliutil.QueryCmd(use, short, example, args, types.NewQueryClient, fn)
}

func qParams() *cobra.Command {
	return queryCmd("params", "Jobs module parameters", "hyphad q jobs params", cobra.NoArgs,
		func(cmd *cobra.Command, qc types.QueryClient, _ []string) (proto.Message, error) {
			return qc.Params(cmd.Context(), &types.QueryParamsRequest{})
		})
}

func qJob(use string) *cobra.Command {
	return queryCmd(use+" [job-id]", "A job: status, deadlines, root, model hash, audit assignments",
		"hyphad job status 3f…a1", cobra.ExactArgs(1),
		func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			return qc.Job(cmd.Context(), &types.QueryJobRequest{JobId: args[0]})
		})
}

func qJobs(use string) *cobra.Command {
	cmd := queryCmd(use, "List jobs, optionally in one status (open, claimed, finalized, auditing, challengeable, settled, disputed, expired, failed)",
		"hyphad job list --status open", cobra.NoArgs,
		func(cmd *cobra.Command, qc types.QueryClient, _ []string) (proto.Message, error) {
			page, err := client.ReadPageRequest(cmd.Flags())
			if err != nil {
				return nil, err
			}
			s, _ := cmd.Flags().GetString(flagStatus)
			st, err := ParseStatus(s)
			if err != nil {
				return nil, err
			}
			return qc.Jobs(cmd.Context(), &types.QueryJobsRequest{Status: st, Pagination: page})
		})
	cmd.Flags().String(flagStatus, "", "only jobs in this status")
	flags.AddPaginationFlagsToCmd(cmd, "jobs")
	return cmd
}

// ParseStatus maps "open", "settled", ... (or "" for all) to a JobStatus.
func ParseStatus(s string) (types.JobStatus, error) {
	if s == "" {
		return types.JobUnspecified, nil
	}
	if v, ok := types.JobStatus_value["JOB_STATUS_"+upper(s)]; ok && v != 0 {
		return types.JobStatus(v), nil
	}
	return 0, fmt.Errorf("unknown status %q (open, claimed, finalized, auditing, challengeable, settled, disputed, expired, failed)", s)
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func qCommitments() *cobra.Command {
	cmd := queryCmd("commitments [job-id]", "A job's posted checkpoint commitments, in order",
		"hyphad q jobs commitments 3f…a1", cobra.ExactArgs(1),
		func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			page, err := client.ReadPageRequest(cmd.Flags())
			if err != nil {
				return nil, err
			}
			return qc.Commitments(cmd.Context(), &types.QueryCommitmentsRequest{JobId: args[0], Pagination: page})
		})
	flags.AddPaginationFlagsToCmd(cmd, "commitments")
	return cmd
}

func qAuditor() *cobra.Command {
	return queryCmd("auditor [address]", "A bonded auditor", "hyphad q jobs auditor hypha1…", cobra.ExactArgs(1),
		func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			return qc.Auditor(cmd.Context(), &types.QueryAuditorRequest{Address: args[0]})
		})
}

func qAuditors() *cobra.Command {
	cmd := queryCmd("auditors", "All bonded and unbonding auditors", "hyphad q jobs auditors", cobra.NoArgs,
		func(cmd *cobra.Command, qc types.QueryClient, _ []string) (proto.Message, error) {
			page, err := client.ReadPageRequest(cmd.Flags())
			if err != nil {
				return nil, err
			}
			return qc.Auditors(cmd.Context(), &types.QueryAuditorsRequest{Pagination: page})
		})
	flags.AddPaginationFlagsToCmd(cmd, "auditors")
	return cmd
}
