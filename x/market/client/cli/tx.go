// Package cli holds the hand-written `hyphad tx market` and `hyphad q market` commands.
package cli

import (
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/internal/cliutil"
	"github.com/hypha-network/hypha/x/market/types"
)

// GetTxCmd returns the market transaction commands.
func GetTxCmd() *cobra.Command {
	return cliutil.Group(types.ModuleName, "Compute marketplace transactions",
		cmdCreateProvider(), cmdUpdateProvider(), cmdDeleteProvider(), cmdSignAttributes(),
		cmdCreateOrder(), cmdCloseOrder(), cmdDeposit(),
		cmdBid(), cmdCloseBid(),
		cmdAcceptBid(), cmdWithdraw(), cmdCloseLease(), cmdHeartbeat(),
	)
}

// txCmd builds a command that signs one message built by build from --from.
func txCmd(use, short, example string, args cobra.PositionalArgs,
	build func(cmd *cobra.Command, from string, args []string) (sdk.Msg, error),
) *cobra.Command {
	return cliutil.TxCmd(use, short, example, args,
		func(cmd *cobra.Command, clientCtx client.Context, args []string) (sdk.Msg, error) {
			return build(cmd, clientCtx.GetFromAddress().String(), args)
		})
}

func cmdCreateProvider() *cobra.Command {
	cmd := txCmd("create-provider", "Register as a compute provider and lock a bond",
		`hyphad tx market create-provider --from provider1 --bond 1000000000uhyp \
  --host-uri https://gpu1.example.com:8443 --tls-fingerprint $(printf x | sha256sum | cut -c1-64) \
  --attributes region=eu-west,tier=datacenter --cpu 64000 --memory 256Gi \
  --disk class=nvme,size=2Ti --gpu vendor=nvidia,model=a100,vram=80Gi,interface=sxm,count=8`,
		cobra.NoArgs, func(cmd *cobra.Command, from string, _ []string) (sdk.Msg, error) {
			host, tls, attrs, inv, err := readInventoryFlags(cmd)
			if err != nil {
				return nil, err
			}
			b, _ := cmd.Flags().GetString(flagBond)
			bond, err := sdk.ParseCoinNormalized(b)
			if err != nil {
				return nil, err
			}
			return &types.MsgCreateProvider{Owner: from, HostUri: host, TlsFingerprint: tls, Attributes: attrs,
				Inventory: inv, Bond: bond}, nil
		})
	addInventoryFlags(cmd)
	cmd.Flags().String(flagBond, "", "bond to lock, at least the min_provider_bond param")
	return cmd
}

func cmdUpdateProvider() *cobra.Command {
	cmd := txCmd("update-provider", "Replace the provider's host, fingerprint, attributes and inventory; optionally add bond",
		`hyphad tx market update-provider --from provider1 --host-uri https://gpu1.example.com:8443 \
  --tls-fingerprint <sha256> --cpu 128000 --memory 512Gi --add-bond 500000000uhyp`,
		cobra.NoArgs, func(cmd *cobra.Command, from string, _ []string) (sdk.Msg, error) {
			host, tls, attrs, inv, err := readInventoryFlags(cmd)
			if err != nil {
				return nil, err
			}
			msg := &types.MsgUpdateProvider{Owner: from, HostUri: host, TlsFingerprint: tls, Attributes: attrs, Inventory: inv}
			if b, _ := cmd.Flags().GetString(flagAddBond); b != "" {
				if msg.AddBond, err = sdk.ParseCoinNormalized(b); err != nil {
					return nil, err
				}
			} else {
				msg.AddBond = sdk.Coin{Amount: zeroInt()}
			}
			return msg, nil
		})
	addInventoryFlags(cmd)
	cmd.Flags().String(flagAddBond, "", "bond to add")
	return cmd
}

func cmdDeleteProvider() *cobra.Command {
	return txCmd("delete-provider", "Deregister (no active lease allowed); the bond returns after the unbonding period",
		"hyphad tx market delete-provider --from provider1", cobra.NoArgs,
		func(_ *cobra.Command, from string, _ []string) (sdk.Msg, error) {
			return &types.MsgDeleteProvider{Owner: from}, nil
		})
}

func cmdSignAttributes() *cobra.Command {
	cmd := txCmd("sign-attributes [provider]", "As an auditor, vouch for attributes of a provider",
		"hyphad tx market sign-attributes hypha1... --attributes region=eu-west,tier=datacenter --from carol",
		cobra.ExactArgs(1), func(cmd *cobra.Command, from string, args []string) (sdk.Msg, error) {
			a, _ := cmd.Flags().GetString(flagAttributes)
			attrs, err := ParseAttributes(a)
			if err != nil {
				return nil, err
			}
			return &types.MsgSignProviderAttributes{Auditor: from, Provider: args[0], Attributes: attrs}, nil
		})
	cmd.Flags().String(flagAttributes, "", "attributes key=value,...")
	return cmd
}

func cmdCreateOrder() *cobra.Command {
	cmd := txCmd("create-order", "Open an order with an escrow deposit; the auction closes on chain after the bid window",
		`hyphad tx market create-order --from alice --cpu 4000 --memory 16Gi --gpu-count 1 --gpu-model a100 \
  --placement region=eu-west --max-price 100uhyp --deposit 5000000uhyp --bid-window 10`,
		cobra.NoArgs, func(cmd *cobra.Command, from string, _ []string) (sdk.Msg, error) {
			spec, placement, auditors, err := readSpecFlags(cmd)
			if err != nil {
				return nil, err
			}
			mp, _ := cmd.Flags().GetString(flagMaxPrice)
			maxPrice, err := sdk.ParseCoinNormalized(mp)
			if err != nil {
				return nil, err
			}
			d, _ := cmd.Flags().GetString(flagDeposit)
			deposit, err := sdk.ParseCoinNormalized(d)
			if err != nil {
				return nil, err
			}
			window, _ := cmd.Flags().GetInt64(flagBidWindow)
			return &types.MsgCreateOrder{Owner: from, Resources: spec, Placement: placement, RequiredAuditors: auditors,
				MaxPricePerBlock: maxPrice, Deposit: deposit, BidWindow: window}, nil
		})
	addSpecFlags(cmd)
	cmd.Flags().String(flagMaxPrice, "", "maximum price per block, e.g. 100uhyp")
	cmd.Flags().String(flagDeposit, "", "escrow deposit, e.g. 5000000uhyp")
	cmd.Flags().Int64(flagBidWindow, 0, "bid window in blocks (0: the bid_window_default param)")
	return cmd
}

func cmdCloseOrder() *cobra.Command {
	return txCmd("close-order [order-id]", "Close your order (and its lease) and get the escrow back",
		"hyphad tx market close-order 1 --from alice", cobra.ExactArgs(1),
		func(_ *cobra.Command, from string, args []string) (sdk.Msg, error) {
			id, err := parseID(args[0])
			return &types.MsgCloseOrder{Owner: from, OrderId: id}, err
		})
}

func cmdDeposit() *cobra.Command {
	return txCmd("deposit [order-id] [amount]", "Top up an order's escrow (anyone may)",
		"hyphad tx market deposit 1 1000000uhyp --from alice", cobra.ExactArgs(2),
		func(_ *cobra.Command, from string, args []string) (sdk.Msg, error) {
			id, err := parseID(args[0])
			if err != nil {
				return nil, err
			}
			amt, err := sdk.ParseCoinNormalized(args[1])
			return &types.MsgDepositEscrow{Depositor: from, OrderId: id, Amount: amt}, err
		})
}

func cmdBid() *cobra.Command {
	return txCmd("bid [order-id] [price-per-block]", "Bid on an order, or revise your bid's price",
		"hyphad tx market bid 1 90uhyp --from provider1", cobra.ExactArgs(2),
		func(_ *cobra.Command, from string, args []string) (sdk.Msg, error) {
			id, err := parseID(args[0])
			if err != nil {
				return nil, err
			}
			price, err := sdk.ParseCoinNormalized(args[1])
			return &types.MsgCreateBid{Provider: from, OrderId: id, Price: price}, err
		})
}

func cmdCloseBid() *cobra.Command {
	return txCmd("close-bid [order-id]", "Withdraw your open bid and its deposit",
		"hyphad tx market close-bid 1 --from provider1", cobra.ExactArgs(1),
		func(_ *cobra.Command, from string, args []string) (sdk.Msg, error) {
			id, err := parseID(args[0])
			return &types.MsgCloseBid{Provider: from, OrderId: id}, err
		})
}

func cmdAcceptBid() *cobra.Command {
	return txCmd("accept-bid [order-id] [provider]", "Accept an open bid now, starting the lease (MsgCreateLease)",
		"hyphad tx market accept-bid 1 hypha1... --from alice", cobra.ExactArgs(2),
		func(_ *cobra.Command, from string, args []string) (sdk.Msg, error) {
			id, err := parseID(args[0])
			return &types.MsgCreateLease{Owner: from, OrderId: id, Provider: args[1]}, err
		})
}

func cmdWithdraw() *cobra.Command {
	return txCmd("withdraw [order-id]", "Settle a lease up to this block and receive the payment",
		"hyphad tx market withdraw 1 --from provider1", cobra.ExactArgs(1),
		func(_ *cobra.Command, from string, args []string) (sdk.Msg, error) {
			id, err := parseID(args[0])
			return &types.MsgWithdrawLease{Provider: from, OrderId: id}, err
		})
}

func cmdCloseLease() *cobra.Command {
	cmd := txCmd("close-lease [order-id]", "Close a lease (tenant or provider); settles and refunds the escrow",
		`hyphad tx market close-lease 1 --reason "job done" --from alice`, cobra.ExactArgs(1),
		func(cmd *cobra.Command, from string, args []string) (sdk.Msg, error) {
			id, err := parseID(args[0])
			reason, _ := cmd.Flags().GetString(flagReason)
			return &types.MsgCloseLease{Sender: from, OrderId: id, Reason: reason}, err
		})
	cmd.Flags().String(flagReason, "", "free-text reason recorded on the lease")
	return cmd
}

func cmdHeartbeat() *cobra.Command {
	return txCmd("heartbeat [order-id]", "Send a lease heartbeat (provider)",
		"hyphad tx market heartbeat 1 --from provider1", cobra.ExactArgs(1),
		func(_ *cobra.Command, from string, args []string) (sdk.Msg, error) {
			id, err := parseID(args[0])
			return &types.MsgLeaseHeartbeat{Provider: from, OrderId: id}, err
		})
}
