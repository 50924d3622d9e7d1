// Package cli holds the `hyphad tx subnet` and `hyphad q subnet` commands.
package cli

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"

	"github.com/cosmos/cosmos-sdk/client"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/internal/cliutil"
	"github.com/hypha-network/hypha/x/subnet/types"
)

const (
	flagMaxLock = "max-lock"
	flagMaxBurn = "max-burn"
	flagAxon    = "axon"
	flagUIDs    = "uids"
	flagWeights = "weights"
	flagSalt    = "salt"
)

// GetTxCmd returns the subnet transaction commands.
func GetTxCmd() *cobra.Command {
	return cliutil.Group(types.ModuleName, "Subnet transactions",
		cmdCreateSubnet(), cmdSetHyperparams(), cmdRegister(), cmdStake(true), cmdStake(false),
		cmdCommitWeights(), cmdRevealWeights(), cmdSetWeights())
}

// GetQueryCmd returns the subnet query commands.
func GetQueryCmd() *cobra.Command {
	return cliutil.Group(types.ModuleName, "Subnet queries",
		qParams(), qSubnets(), qSubnet(), qMetagraph(), qNeuron(), qRevealWindow(), qStakes(), qEmission())
}

func parseNetuid(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("netuid %q: want a subnet number: %w", s, err)
	}
	return uint32(v), nil
}

func parseAmount(s string) (uint64, error) {
	s = strings.TrimSuffix(s, "uhyp")
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("amount %q: want a positive number of uhyp", s)
	}
	return v, nil
}

// hyperparamFlags are the hyperparameters settable from the command line; the
// others keep their current (or default) values.
var hyperparamFlags = []struct {
	name, usage string
	set         func(*types.Hyperparams, string) error
}{
	{"tempo", "blocks between epochs", func(h *types.Hyperparams, v string) error { return setU64(&h.Tempo, v) }},
	{"immunity-period", "blocks a new uid cannot be replaced", func(h *types.Hyperparams, v string) error { return setU64(&h.ImmunityPeriod, v) }},
	{"max-uids", "most uids (<= 256)", func(h *types.Hyperparams, v string) error { return setU32(&h.MaxUids, v) }},
	{"max-validators", "validator permits", func(h *types.Hyperparams, v string) error { return setU32(&h.MaxValidators, v) }},
	{"weights-rate-limit", "blocks between weight settings", func(h *types.Hyperparams, v string) error { return setU64(&h.WeightsRateLimit, v) }},
	{"commit-reveal", "true: commit then reveal weights; false: set-weights", func(h *types.Hyperparams, v string) (err error) {
		h.CommitReveal, err = strconv.ParseBool(v)
		return err
	}},
	{"commit-reveal-period", "tempos between commit and reveal", func(h *types.Hyperparams, v string) error { return setU64(&h.CommitRevealPeriod, v) }},
	{"activity-cutoff", "blocks without weights before a uid is inactive", func(h *types.Hyperparams, v string) error { return setU64(&h.ActivityCutoff, v) }},
	{"kappa", "consensus majority as u16 (32767 = 0.5)", func(h *types.Hyperparams, v string) error { return setU32(&h.Kappa, v) }},
	{"min-burn", "least registration price (uhyp)", func(h *types.Hyperparams, v string) error { return setU64(&h.MinBurn, v) }},
	{"max-burn-price", "highest registration price (uhyp)", func(h *types.Hyperparams, v string) error { return setU64(&h.MaxBurn, v) }},
	{"yuma-version", "yuma3 or yuma2", func(h *types.Hyperparams, v string) error { h.YumaVersion = v; return nil }},
	{"liquid-alpha", "adaptive bond EMA rate", func(h *types.Hyperparams, v string) (err error) {
		h.LiquidAlpha, err = strconv.ParseBool(v)
		return err
	}},
}

func setU64(dst *uint64, v string) (err error) {
	*dst, err = strconv.ParseUint(v, 10, 64)
	return err
}

func setU32(dst *uint32, v string) error {
	x, err := strconv.ParseUint(v, 10, 32)
	*dst = uint32(x)
	return err
}

func addHyperparamFlags(cmd *cobra.Command) {
	for _, f := range hyperparamFlags {
		cmd.Flags().String(f.name, "", f.usage)
	}
}

// applyHyperparamFlags overrides h with the flags given; it reports whether any was.
func applyHyperparamFlags(cmd *cobra.Command, h *types.Hyperparams) (bool, error) {
	changed := false
	for _, f := range hyperparamFlags {
		if !cmd.Flags().Changed(f.name) {
			continue
		}
		v, _ := cmd.Flags().GetString(f.name)
		if err := f.set(h, v); err != nil {
			return false, fmt.Errorf("--%s %q: %w", f.name, v, err)
		}
		changed = true
	}
	return changed, nil
}

func cmdCreateSubnet() *cobra.Command {
	cmd := cliutil.TxCmd("create-subnet [name]", "Create a subnet, burning the current lock cost",
		"hyphad tx subnet create-subnet digits --max-lock 200000000 --tempo 20 --from alice",
		cobra.ExactArgs(1), func(cmd *cobra.Command, clientCtx client.Context, args []string) (sdk.Msg, error) {
			maxLock, _ := cmd.Flags().GetUint64(flagMaxLock)
			msg := &types.MsgCreateSubnet{Owner: clientCtx.GetFromAddress().String(), Name: args[0], MaxLock: maxLock}
			res, err := types.NewQueryClient(clientCtx).Params(cmd.Context(), &types.QueryParamsRequest{})
			if err != nil {
				return nil, fmt.Errorf("read default hyperparameters: %w", err)
			}
			hp := res.Params.DefaultHyperparams
			if changed, err := applyHyperparamFlags(cmd, &hp); err != nil {
				return nil, err
			} else if changed {
				msg.Hyperparams = &hp
			}
			return msg, nil
		})
	cmd.Flags().Uint64(flagMaxLock, 0, "refuse if the lock cost exceeds this (uhyp); see `hyphad q subnet emission`")
	addHyperparamFlags(cmd)
	return cmd
}

func cmdSetHyperparams() *cobra.Command {
	cmd := cliutil.TxCmd("set-hyperparams [netuid]", "Change a subnet's hyperparameters (owner only)",
		"hyphad tx subnet set-hyperparams 1 --tempo 50 --commit-reveal=false --from alice",
		cobra.ExactArgs(1), func(cmd *cobra.Command, clientCtx client.Context, args []string) (sdk.Msg, error) {
			netuid, err := parseNetuid(args[0])
			if err != nil {
				return nil, err
			}
			res, err := types.NewQueryClient(clientCtx).Subnet(cmd.Context(), &types.QuerySubnetRequest{Netuid: netuid})
			if err != nil {
				return nil, err
			}
			hp := res.Subnet.Hyperparams
			if _, err := applyHyperparamFlags(cmd, &hp); err != nil {
				return nil, err
			}
			return &types.MsgSetHyperparams{Owner: clientCtx.GetFromAddress().String(), Netuid: netuid, Hyperparams: hp}, nil
		})
	addHyperparamFlags(cmd)
	return cmd
}

func cmdRegister() *cobra.Command {
	cmd := cliutil.TxCmd("register [netuid]", "Register the --from key as a neuron (hotkey) on a subnet",
		"hyphad tx subnet register 1 --axon http://127.0.0.1:8091 --max-burn 5000000 --from bob",
		cobra.ExactArgs(1), func(cmd *cobra.Command, clientCtx client.Context, args []string) (sdk.Msg, error) {
			netuid, err := parseNetuid(args[0])
			if err != nil {
				return nil, err
			}
			axon, _ := cmd.Flags().GetString(flagAxon)
			maxBurn, _ := cmd.Flags().GetUint64(flagMaxBurn)
			return &types.MsgRegister{Hotkey: clientCtx.GetFromAddress().String(), Netuid: netuid, Axon: axon, MaxBurn: maxBurn}, nil
		})
	cmd.Flags().String(flagAxon, "", "endpoint where the neuron serves (http(s) URL)")
	cmd.Flags().Uint64(flagMaxBurn, 0, "refuse if the registration price exceeds this (uhyp); see `hyphad q subnet subnet`")
	return cmd
}

func cmdStake(add bool) *cobra.Command {
	use, short := "add-stake [netuid] [hotkey] [amount]", "Lock uhyp on a registered hotkey"
	if !add {
		use, short = "remove-stake [netuid] [hotkey] [amount]", "Unlock staked uhyp"
	}
	return cliutil.TxCmd(use, short, "hyphad tx subnet "+strings.Fields(use)[0]+" 1 hypha1... 1000000000uhyp --from carol",
		cobra.ExactArgs(3), func(cmd *cobra.Command, clientCtx client.Context, args []string) (sdk.Msg, error) {
			netuid, err := parseNetuid(args[0])
			if err != nil {
				return nil, err
			}
			if _, err := sdk.AccAddressFromBech32(args[1]); err != nil {
				return nil, fmt.Errorf("hotkey %q: %w", args[1], err)
			}
			amount, err := parseAmount(args[2])
			if err != nil {
				return nil, err
			}
			staker := clientCtx.GetFromAddress().String()
			if add {
				return &types.MsgAddStake{Staker: staker, Netuid: netuid, Hotkey: args[1], Amount: amount}, nil
			}
			return &types.MsgRemoveStake{Staker: staker, Netuid: netuid, Hotkey: args[1], Amount: amount}, nil
		})
}

// readWeights parses --uids and --weights (comma-separated) and, if withSalt, --salt (hex).
func readWeights(cmd *cobra.Command, withSalt bool) (uids, values []uint32, salt []byte, err error) {
	parse := func(flag string) ([]uint32, error) {
		s, _ := cmd.Flags().GetString(flag)
		var out []uint32
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			v, err := strconv.ParseUint(f, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("--%s: %q is not a number: %w", flag, f, err)
			}
			out = append(out, uint32(v))
		}
		return out, nil
	}
	if uids, err = parse(flagUIDs); err != nil {
		return
	}
	if values, err = parse(flagWeights); err != nil {
		return
	}
	if err = types.ValidateWeights(uids, values); err != nil {
		return
	}
	if withSalt {
		s, _ := cmd.Flags().GetString(flagSalt)
		if salt, err = hex.DecodeString(s); err != nil || len(salt) == 0 {
			err = fmt.Errorf("--salt %q: want non-empty hex", s)
		}
	}
	return
}

func addWeightFlags(cmd *cobra.Command, withSalt bool) {
	cmd.Flags().String(flagUIDs, "", "comma-separated uids, increasing")
	cmd.Flags().String(flagWeights, "", "comma-separated weights (any scale), one per uid")
	if withSalt {
		cmd.Flags().String(flagSalt, "", "hex salt; keep it to reveal")
	}
}

func cmdCommitWeights() *cobra.Command {
	cmd := cliutil.TxCmd("commit-weights [netuid]", "Commit to weights by their hash; reveal them in the reveal window",
		"hyphad tx subnet commit-weights 1 --uids 1,2,3 --weights 1,2,4 --salt 0a1b2c --from bob",
		cobra.ExactArgs(1), func(cmd *cobra.Command, clientCtx client.Context, args []string) (sdk.Msg, error) {
			netuid, err := parseNetuid(args[0])
			if err != nil {
				return nil, err
			}
			uids, values, salt, err := readWeights(cmd, true)
			if err != nil {
				return nil, err
			}
			from := clientCtx.GetFromAddress()
			return &types.MsgCommitWeights{Hotkey: from.String(), Netuid: netuid,
				Hash: types.WeightsHash(netuid, from, uids, values, salt)}, nil
		})
	addWeightFlags(cmd, true)
	return cmd
}

func cmdRevealWeights() *cobra.Command {
	cmd := cliutil.TxCmd("reveal-weights [netuid]", "Reveal committed weights",
		"hyphad tx subnet reveal-weights 1 --uids 1,2,3 --weights 1,2,4 --salt 0a1b2c --from bob",
		cobra.ExactArgs(1), func(cmd *cobra.Command, clientCtx client.Context, args []string) (sdk.Msg, error) {
			netuid, err := parseNetuid(args[0])
			if err != nil {
				return nil, err
			}
			uids, values, salt, err := readWeights(cmd, true)
			if err != nil {
				return nil, err
			}
			return &types.MsgRevealWeights{Hotkey: clientCtx.GetFromAddress().String(), Netuid: netuid,
				Uids: uids, Values: values, Salt: salt}, nil
		})
	addWeightFlags(cmd, true)
	return cmd
}

func cmdSetWeights() *cobra.Command {
	cmd := cliutil.TxCmd("set-weights [netuid]", "Set weights directly (subnets with commit-reveal off)",
		"hyphad tx subnet set-weights 1 --uids 1,2,3 --weights 1,2,4 --from bob",
		cobra.ExactArgs(1), func(cmd *cobra.Command, clientCtx client.Context, args []string) (sdk.Msg, error) {
			netuid, err := parseNetuid(args[0])
			if err != nil {
				return nil, err
			}
			uids, values, _, err := readWeights(cmd, false)
			if err != nil {
				return nil, err
			}
			return &types.MsgSetWeights{Hotkey: clientCtx.GetFromAddress().String(), Netuid: netuid, Uids: uids, Values: values}, nil
		})
	addWeightFlags(cmd, false)
	return cmd
}

func query(use, short, example string, args cobra.PositionalArgs,
	fn func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error),
) *cobra.Command {
	return cliutil.QueryCmd(use, short, example, args, types.NewQueryClient, fn)
}

func qParams() *cobra.Command {
	return query("params", "Subnet module parameters", "hyphad q subnet params", cobra.NoArgs,
		func(cmd *cobra.Command, qc types.QueryClient, _ []string) (proto.Message, error) {
			return qc.Params(cmd.Context(), &types.QueryParamsRequest{})
		})
}

func qSubnets() *cobra.Command {
	return query("subnets", "All subnets", "hyphad q subnet subnets", cobra.NoArgs,
		func(cmd *cobra.Command, qc types.QueryClient, _ []string) (proto.Message, error) {
			return qc.Subnets(cmd.Context(), &types.QuerySubnetsRequest{})
		})
}

func qSubnet() *cobra.Command {
	return query("subnet [netuid]", "A subnet with its next epoch and registration price", "hyphad q subnet subnet 1",
		cobra.ExactArgs(1), func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			netuid, err := parseNetuid(args[0])
			if err != nil {
				return nil, err
			}
			return qc.Subnet(cmd.Context(), &types.QuerySubnetRequest{Netuid: netuid})
		})
}

func qMetagraph() *cobra.Command {
	return query("metagraph [netuid]", "Every uid of a subnet with its stake, permit and last epoch's results",
		"hyphad q subnet metagraph 1", cobra.ExactArgs(1),
		func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			netuid, err := parseNetuid(args[0])
			if err != nil {
				return nil, err
			}
			return qc.Metagraph(cmd.Context(), &types.QueryMetagraphRequest{Netuid: netuid})
		})
}

func qNeuron() *cobra.Command {
	return query("neuron [netuid] [hotkey]", "A neuron with its weights and bonds", "hyphad q subnet neuron 1 hypha1...",
		cobra.ExactArgs(2), func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			netuid, err := parseNetuid(args[0])
			if err != nil {
				return nil, err
			}
			return qc.Neuron(cmd.Context(), &types.QueryNeuronRequest{Netuid: netuid, Hotkey: args[1]})
		})
}

func qRevealWindow() *cobra.Command {
	return query("reveal-window [netuid] [hotkey]", "When weights committed now can be revealed, and a hotkey's pending commit",
		"hyphad q subnet reveal-window 1 hypha1...", cobra.RangeArgs(1, 2),
		func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			netuid, err := parseNetuid(args[0])
			if err != nil {
				return nil, err
			}
			req := &types.QueryRevealWindowRequest{Netuid: netuid}
			if len(args) == 2 {
				req.Hotkey = args[1]
			}
			return qc.RevealWindow(cmd.Context(), req)
		})
}

func qStakes() *cobra.Command {
	return query("stakes [staker]", "A staker's stakes", "hyphad q subnet stakes hypha1...", cobra.ExactArgs(1),
		func(cmd *cobra.Command, qc types.QueryClient, args []string) (proto.Message, error) {
			return qc.Stakes(cmd.Context(), &types.QueryStakesRequest{Staker: args[0]})
		})
}

func qEmission() *cobra.Command {
	return query("emission", "Issuance so far, the current block emission and subnet lock cost", "hyphad q subnet emission",
		cobra.NoArgs, func(cmd *cobra.Command, qc types.QueryClient, _ []string) (proto.Message, error) {
			return qc.Emission(cmd.Context(), &types.QueryEmissionRequest{})
		})
}
