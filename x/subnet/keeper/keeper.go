// Package keeper implements the subnet module's state machine: subnets, neuron
// registration, stake, commit-reveal weights, per-block emission and the Yuma
// consensus epochs that distribute it.
package keeper

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/store"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/log"
	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/codec"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/subnet/types"
)

// Denom is the denomination the module issues, stakes and burns.
const Denom = "uhyp"

type (
	uidKey   = collections.Pair[uint32, uint32]
	stakeKey = collections.Triple[uint32, string, string] // (netuid, hotkey, staker)
)

// Keeper owns the subnet module's state.
type Keeper struct {
	cdc       codec.BinaryCodec
	authority string
	bank      types.BankKeeper
	acct      types.AccountKeeper

	Schema        collections.Schema
	Params        collections.Item[types.Params]
	Emission      collections.Item[types.EmissionState]
	GenesisSupply collections.Item[uint64]
	Subnets       collections.Map[uint32, types.Subnet]
	Neurons       collections.Map[uidKey, types.Neuron]
	UIDByHotkey   collections.Map[collections.Pair[uint32, string], uint32]
	Weights       collections.Map[uidKey, types.WeightRow]
	Bonds         collections.Map[uidKey, types.BondRow]
	Commits       collections.Map[uidKey, types.WeightCommit]
	// Stakes holds each staker's stake on a hotkey in a subnet; HotkeyStake their
	// sum per hotkey, and StakesByStaker indexes them for queries.
	Stakes         collections.Map[stakeKey, uint64]
	HotkeyStake    collections.Map[collections.Pair[uint32, string], uint64]
	StakesByStaker collections.KeySet[collections.Triple[string, uint32, string]]
	// EpochQueue holds (height due, netuid) of epochs waiting to run; EndBlock
	// runs at most max_epochs_per_block of them, oldest first.
	EpochQueue collections.KeySet[collections.Pair[int64, uint32]]
}

// NewKeeper returns the subnet keeper; authority may change params (x/gov's account).
func NewKeeper(cdc codec.BinaryCodec, storeService store.KVStoreService, authority string,
	acct types.AccountKeeper, bank types.BankKeeper,
) Keeper {
	if _, err := sdk.AccAddressFromBech32(authority); err != nil {
		panic(fmt.Errorf("subnet: invalid authority %q: %w", authority, err))
	}
	if acct.GetModuleAddress(types.ModuleName) == nil {
		panic("subnet: module account subnet must be registered")
	}
	sb := collections.NewSchemaBuilder(storeService)
	uid := collections.PairKeyCodec(collections.Uint32Key, collections.Uint32Key)
	k := Keeper{
		cdc: cdc, authority: authority, bank: bank, acct: acct,
		Params:        collections.NewItem(sb, types.ParamsKey, "params", codec.CollValue[types.Params](cdc)),
		Emission:      collections.NewItem(sb, types.EmissionKey, "emission", codec.CollValue[types.EmissionState](cdc)),
		GenesisSupply: collections.NewItem(sb, types.GenesisSupplyKey, "genesis_supply", collections.Uint64Value),
		Subnets: collections.NewMap(sb, types.SubnetsKey, "subnets", collections.Uint32Key,
			codec.CollValue[types.Subnet](cdc)),
		Neurons: collections.NewMap(sb, types.NeuronsKey, "neurons", uid, codec.CollValue[types.Neuron](cdc)),
		UIDByHotkey: collections.NewMap(sb, types.UIDByHotkeyKey, "uid_by_hotkey",
			collections.PairKeyCodec(collections.Uint32Key, collections.StringKey), collections.Uint32Value),
		Weights: collections.NewMap(sb, types.WeightsKey, "weights", uid, codec.CollValue[types.WeightRow](cdc)),
		Bonds:   collections.NewMap(sb, types.BondsKey, "bonds", uid, codec.CollValue[types.BondRow](cdc)),
		Commits: collections.NewMap(sb, types.CommitsKey, "commits", uid, codec.CollValue[types.WeightCommit](cdc)),
		Stakes: collections.NewMap(sb, types.StakesKey, "stakes",
			collections.TripleKeyCodec(collections.Uint32Key, collections.StringKey, collections.StringKey), collections.Uint64Value),
		HotkeyStake: collections.NewMap(sb, types.HotkeyStakeKey, "hotkey_stake",
			collections.PairKeyCodec(collections.Uint32Key, collections.StringKey), collections.Uint64Value),
		StakesByStaker: collections.NewKeySet(sb, types.StakesByStaker, "stakes_by_staker",
			collections.TripleKeyCodec(collections.StringKey, collections.Uint32Key, collections.StringKey)),
		EpochQueue: collections.NewKeySet(sb, types.EpochQueueKey, "epoch_queue",
			collections.PairKeyCodec(collections.Int64Key, collections.Uint32Key)),
	}
	schema, err := sb.Build()
	if err != nil {
		panic(fmt.Errorf("subnet: build schema: %w", err))
	}
	k.Schema = schema
	return k
}

// Authority returns the address allowed to change params.
func (k Keeper) Authority() string { return k.authority }

// Logger returns the module's logger.
func (k Keeper) Logger(ctx context.Context) log.Logger {
	return sdk.UnwrapSDKContext(ctx).Logger().With("module", "x/"+types.ModuleName)
}

// netuidAttr is the netuid attribute every subnet event carries.
func netuidAttr(netuid uint32) sdk.Attribute {
	return sdk.NewAttribute(types.AttributeNetuid, strconv.FormatUint(uint64(netuid), 10))
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

// emitEvent emits one subnet event on ctx's event manager.
func emitEvent(ctx context.Context, typ string, attrs ...sdk.Attribute) {
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(typ, attrs...))
}

func coins(amount uint64) sdk.Coins {
	return sdk.NewCoins(sdk.NewCoin(Denom, sdkmath.NewIntFromUint64(amount)))
}

// burnFrom moves amount from addr to the module account and burns it.
func (k Keeper) burnFrom(ctx context.Context, addr sdk.AccAddress, amount uint64) error {
	if amount == 0 {
		return nil
	}
	if err := k.bank.SendCoinsFromAccountToModule(ctx, addr, types.ModuleName, coins(amount)); err != nil {
		return err
	}
	if err := k.bank.BurnCoins(ctx, types.ModuleName, coins(amount)); err != nil {
		return err
	}
	return k.updateEmission(ctx, func(e *types.EmissionState) { e.TotalBurned += amount })
}

func (k Keeper) updateEmission(ctx context.Context, fn func(*types.EmissionState)) error {
	e, err := k.Emission.Get(ctx)
	if err != nil {
		return err
	}
	fn(&e)
	return k.Emission.Set(ctx, e)
}

// getSubnet returns subnet netuid, ErrSubnetNotFound if there is none, or the
// store's error: only a missing entry means "not found".
func (k Keeper) getSubnet(ctx context.Context, netuid uint32) (types.Subnet, error) {
	s, err := k.Subnets.Get(ctx, netuid)
	if errors.Is(err, collections.ErrNotFound) {
		return s, errorsmod.Wrapf(types.ErrSubnetNotFound, "subnet %d does not exist; list subnets with `hyphad q subnet subnets`", netuid)
	}
	return s, err
}

// neuronOf returns the neuron hotkey holds in netuid, ErrNotRegistered if it
// holds none, or the store's error.
func (k Keeper) neuronOf(ctx context.Context, netuid uint32, hotkey string) (types.Neuron, error) {
	uid, err := k.UIDByHotkey.Get(ctx, collections.Join(netuid, hotkey))
	if errors.Is(err, collections.ErrNotFound) {
		return types.Neuron{}, errorsmod.Wrapf(types.ErrNotRegistered,
			"%s has no uid on subnet %d; register it first with `hyphad tx subnet register %d`", hotkey, netuid, netuid)
	}
	if err != nil {
		return types.Neuron{}, err
	}
	// The index names a uid, so a missing neuron is corrupt state, not a user mistake.
	return k.Neurons.Get(ctx, collections.Join(netuid, uid))
}

// uhypAmount converts a positive uhyp amount to the uint64 the module stores.
func uhypAmount(field string, amount sdkmath.Int) (uint64, error) {
	if amount.IsNil() || !amount.IsPositive() {
		return 0, errorsmod.Wrapf(types.ErrInvalidAmount, "%s must be a positive number of uhyp", field)
	}
	if !amount.IsUint64() {
		return 0, errorsmod.Wrapf(types.ErrSupplyOverflow, "%s %s uhyp does not fit in 64 bits", field, amount)
	}
	return amount.Uint64(), nil
}

// withinLimit reports whether cost is at most limit, a caller's positive
// ceiling (max_lock, max_burn), failing with ErrInvalidAmount otherwise.
func withinLimit(field string, cost uint64, limit sdkmath.Int) (bool, error) {
	if limit.IsNil() || !limit.IsPositive() {
		return false, errorsmod.Wrapf(types.ErrInvalidAmount, "%s must be positive: set it to the most uhyp you accept to burn", field)
	}
	return sdkmath.NewIntFromUint64(cost).LTE(limit), nil
}
