package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/gogoproto/proto"

	"github.com/hypha-network/hypha/x/internal/cliutil"
	"github.com/hypha-network/hypha/x/market/types"
)

func zeroInt() sdkmath.Int { return sdkmath.ZeroInt() }

// GetQueryCmd returns the market query commands.
func GetQueryCmd() *cobra.Command {
	return cliutil.Group(types.ModuleName, "Compute marketplace queries",
		qParams(), qProvider(), qProviders(), qSignatures(),
		qOrder(), qOrders(), qBid(), qBids(), qLease(), qLeases(), qEscrow(), qFit(),
	)
}

// queryCmd builds a query command that runs fn with a Query client and prints its result.
func queryCmd(use, short, example string, args cobra.PositionalArgs,
	fn func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error),
) *cobra.Command {
	return cliutil.QueryCmd(use, short, example, args, types.NewQueryClient, fn)
}

func qParams() *cobra.Command {
	return queryCmd("params", "Market parameters", "hyphad q market params", cobra.NoArgs,
		func(cmd *cobra.Command, qc types.QueryClient, _ []string) (proto.Message, error) {
			return qc.Params(cmd.Context(), &types.QueryParamsRequest{})
		})
}

func qProvider() *cobra.Command {
	return queryCmd("provider [address]", "A provider, with its reputation score", "hyphad q market provider hypha1...",
		cobra.ExactArgs(1), func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			return qc.Provider(cmd.Context(), &types.QueryProviderRequest{Owner: args[0]})
		})
}

func qProviders() *cobra.Command {
	cmd := queryCmd("providers", "List providers, optionally by attribute or GPU model",
		"hyphad q market providers --attribute region=eu-west --gpu-model a100", cobra.NoArgs,
		func(cmd *cobra.Command, qc types.QueryClient, _ []string) (proto.Message, error) {
			page, err := client.ReadPageRequest(cmd.Flags())
			if err != nil {
				return nil, err
			}
			attr, _ := cmd.Flags().GetString(flagAttribute)
			k, v, _ := strings.Cut(attr, "=")
			gpu, _ := cmd.Flags().GetString(flagGPUModel)
			return qc.Providers(cmd.Context(), &types.QueryProvidersRequest{AttributeKey: k, AttributeValue: v, GpuModel: gpu, Pagination: page})
		})
	cmd.Flags().String(flagAttribute, "", "attribute key or key=value")
	cmd.Flags().String(flagGPUModel, "", "GPU model")
	flags.AddPaginationFlagsToCmd(cmd, "providers")
	return cmd
}

func qSignatures() *cobra.Command {
	return queryCmd("signatures [provider]", "Auditor signatures on a provider's attributes",
		"hyphad q market signatures hypha1...", cobra.ExactArgs(1),
		func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			return qc.AuditorSignatures(cmd.Context(), &types.QueryAuditorSignaturesRequest{Provider: args[0]})
		})
}

func qOrder() *cobra.Command {
	return queryCmd("order [order-id]", "An order", "hyphad q market order 1", cobra.ExactArgs(1),
		func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			id, err := parseID(args[0])
			if err != nil {
				return nil, err
			}
			return qc.Order(cmd.Context(), &types.QueryOrderRequest{OrderId: id})
		})
}

func parseOrderState(s string) (types.OrderState, error) {
	switch strings.ToLower(s) {
	case "":
		return types.OrderStateUnspecified, nil
	case "open":
		return types.OrderOpen, nil
	case "active":
		return types.OrderActive, nil
	case "closed":
		return types.OrderClosed, nil
	}
	return 0, fmt.Errorf("unknown order state %q (open, active, closed)", s)
}

func parseLeaseState(s string) (types.LeaseState, error) {
	switch strings.ToLower(s) {
	case "":
		return types.LeaseStateUnspecified, nil
	case "active":
		return types.LeaseActive, nil
	case "closed":
		return types.LeaseClosed, nil
	}
	return 0, fmt.Errorf("unknown lease state %q (active, closed)", s)
}

func qOrders() *cobra.Command {
	cmd := queryCmd("orders", "List orders, optionally by owner and state",
		"hyphad q market orders --owner hypha1... --state open", cobra.NoArgs,
		func(cmd *cobra.Command, qc types.QueryClient, _ []string) (proto.Message, error) {
			page, err := client.ReadPageRequest(cmd.Flags())
			if err != nil {
				return nil, err
			}
			owner, _ := cmd.Flags().GetString(flagOwner)
			st, _ := cmd.Flags().GetString(flagState)
			state, err := parseOrderState(st)
			if err != nil {
				return nil, err
			}
			return qc.Orders(cmd.Context(), &types.QueryOrdersRequest{Owner: owner, State: state, Pagination: page})
		})
	cmd.Flags().String(flagOwner, "", "owner address")
	cmd.Flags().String(flagState, "", "open, active or closed")
	flags.AddPaginationFlagsToCmd(cmd, "orders")
	return cmd
}

func qBid() *cobra.Command {
	return queryCmd("bid [order-id] [provider]", "A provider's bid on an order", "hyphad q market bid 1 hypha1...",
		cobra.ExactArgs(2), func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			id, err := parseID(args[0])
			if err != nil {
				return nil, err
			}
			return qc.Bid(cmd.Context(), &types.QueryBidRequest{OrderId: id, Provider: args[1]})
		})
}

func qBids() *cobra.Command {
	cmd := queryCmd("bids", "List open bids of an order or of a provider",
		"hyphad q market bids --order 1", cobra.NoArgs,
		func(cmd *cobra.Command, qc types.QueryClient, _ []string) (proto.Message, error) {
			page, err := client.ReadPageRequest(cmd.Flags())
			if err != nil {
				return nil, err
			}
			id, _ := cmd.Flags().GetUint64(flagOrder)
			prov, _ := cmd.Flags().GetString(flagProvider)
			return qc.Bids(cmd.Context(), &types.QueryBidsRequest{OrderId: id, Provider: prov, Pagination: page})
		})
	cmd.Flags().Uint64(flagOrder, 0, "order id")
	cmd.Flags().String(flagProvider, "", "provider address")
	flags.AddPaginationFlagsToCmd(cmd, "bids")
	return cmd
}

func qLease() *cobra.Command {
	return queryCmd("lease [order-id]", "A lease, with what the provider could withdraw at the query height",
		"hyphad q market lease 1", cobra.ExactArgs(1),
		func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			id, err := parseID(args[0])
			if err != nil {
				return nil, err
			}
			return qc.Lease(cmd.Context(), &types.QueryLeaseRequest{OrderId: id})
		})
}

func qLeases() *cobra.Command {
	cmd := queryCmd("leases", "List leases by owner, provider or state",
		"hyphad q market leases --provider hypha1... --state active", cobra.NoArgs,
		func(cmd *cobra.Command, qc types.QueryClient, _ []string) (proto.Message, error) {
			page, err := client.ReadPageRequest(cmd.Flags())
			if err != nil {
				return nil, err
			}
			owner, _ := cmd.Flags().GetString(flagOwner)
			prov, _ := cmd.Flags().GetString(flagProvider)
			st, _ := cmd.Flags().GetString(flagState)
			state, err := parseLeaseState(st)
			if err != nil {
				return nil, err
			}
			return qc.Leases(cmd.Context(), &types.QueryLeasesRequest{Owner: owner, Provider: prov, State: state, Pagination: page})
		})
	cmd.Flags().String(flagOwner, "", "owner address")
	cmd.Flags().String(flagProvider, "", "provider address")
	cmd.Flags().String(flagState, "", "active or closed")
	flags.AddPaginationFlagsToCmd(cmd, "leases")
	return cmd
}

func qEscrow() *cobra.Command {
	return queryCmd("escrow [order-id]", "An order's escrow account", "hyphad q market escrow 1", cobra.ExactArgs(1),
		func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			id, err := parseID(args[0])
			if err != nil {
				return nil, err
			}
			return qc.Escrow(cmd.Context(), &types.QueryEscrowRequest{OrderId: id})
		})
}

func qFit() *cobra.Command {
	cmd := queryCmd("fit [order-id]", "Providers that could serve an order (by id, or by the spec flags) right now",
		"hyphad q market fit 1\nhyphad q market fit --cpu 4000 --memory 16Gi --gpu-count 1 --gpu-model a100",
		cobra.MaximumNArgs(1), func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			page, err := client.ReadPageRequest(cmd.Flags())
			if err != nil {
				return nil, err
			}
			req := &types.QueryOrderFitRequest{Pagination: page}
			if len(args) == 1 {
				if req.OrderId, err = parseID(args[0]); err != nil {
					return nil, err
				}
			} else if req.Resources, req.Placement, req.RequiredAuditors, err = readSpecFlags(cmd); err != nil {
				return nil, err
			}
			return qc.OrderFit(cmd.Context(), req)
		})
	addSpecFlags(cmd)
	flags.AddPaginationFlagsToCmd(cmd, "fit")
	return cmd
}
