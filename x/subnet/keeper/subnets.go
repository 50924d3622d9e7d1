package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/subnet/schedule"
	"github.com/hypha-network/hypha/x/subnet/types"
)

// LockCost returns the uhyp burned by a subnet created at the context's height.
func (k Keeper) LockCost(ctx context.Context) (uint64, error) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	e, err := k.Emission.Get(ctx)
	if err != nil {
		return 0, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	return schedule.Decayed(e.LockCost, p.SubnetLockMin, uint64(h-e.LockHeight), p.SubnetLockDecayBlocks), nil
}

// CreateSubnet burns the current lock cost from owner, provided it is at most
// maxLock uhyp, and creates a subnet named name with hyperparameters hp (the
// params' defaults when hp is nil). It returns the new subnet.
func (k Keeper) CreateSubnet(ctx context.Context, owner sdk.AccAddress, name string, maxLock sdkmath.Int,
	hp *types.Hyperparams,
) (types.Subnet, error) {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return types.Subnet{}, err
	}
	settings := p.DefaultHyperparams
	if hp != nil {
		settings = *hp
	}
	if err := settings.Validate(p.Bounds); err != nil {
		return types.Subnet{}, err
	}
	count := 0
	if err := k.Subnets.Walk(ctx, nil, func(uint32, types.Subnet) (bool, error) {
		count++
		return false, nil
	}); err != nil {
		return types.Subnet{}, err
	}
	if count >= int(p.MaxSubnets) {
		return types.Subnet{}, errorsmod.Wrapf(types.ErrTooManySubnets,
			"%d subnets exist, max_subnets is %d; only governance can raise it", count, p.MaxSubnets)
	}
	cost, err := k.LockCost(ctx)
	if err != nil {
		return types.Subnet{}, err
	}
	if ok, err := withinLimit("max_lock", cost, maxLock); err != nil {
		return types.Subnet{}, err
	} else if !ok {
		return types.Subnet{}, errorsmod.Wrapf(types.ErrLockTooHigh,
			"lock cost is %d uhyp, max_lock %s; raise --max-lock or wait for the cost to decay", cost, maxLock)
	}
	if err := k.burnFrom(ctx, owner, cost); err != nil {
		return types.Subnet{}, errorsmod.Wrapf(err, "burn the %d uhyp subnet lock from %s", cost, owner)
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	e, err := k.Emission.Get(ctx)
	if err != nil {
		return types.Subnet{}, err
	}
	netuid := e.NextNetuid
	e.NextNetuid++
	// The lock cost doubles at each creation, then decays back to the minimum.
	e.LockCost = schedule.Raise(cost, 10_000, ^uint64(0))
	e.LockHeight = h
	if err := k.Emission.Set(ctx, e); err != nil {
		return types.Subnet{}, err
	}
	s := types.Subnet{
		Netuid: netuid, Owner: owner.String(), Name: name, Hyperparams: settings,
		CreatedHeight: h, LockBurned: cost, Burn: settings.MinBurn, BurnHeight: h, LastEpochHeight: h,
	}
	if err := k.Subnets.Set(ctx, netuid, s); err != nil {
		return types.Subnet{}, err
	}
	emitEvent(ctx, types.EventSubnetCreated, netuidAttr(netuid),
		sdk.NewAttribute(types.AttributeOwner, s.Owner), sdk.NewAttribute(types.AttributeBurned, u64(cost)))
	return s, nil
}

// SetHyperparams replaces subnet netuid's hyperparameters with hp on behalf of
// owner, who must own the subnet. The registration price is clamped into the
// new burn bounds.
func (k Keeper) SetHyperparams(ctx context.Context, owner sdk.AccAddress, netuid uint32, hp types.Hyperparams) error {
	s, err := k.getSubnet(ctx, netuid)
	if err != nil {
		return err
	}
	if s.Owner != owner.String() {
		return errorsmod.Wrapf(types.ErrNotOwner, "subnet %d is owned by %s, not %s; sign with the owner's key", netuid, s.Owner, owner)
	}
	p, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if err := hp.Validate(p.Bounds); err != nil {
		return err
	}
	if hp.MaxUids < s.N {
		return errorsmod.Wrapf(types.ErrInvalidHyperparams, "max_uids %d is below the %d uids in use; keep it at %d or more",
			hp.MaxUids, s.N, s.N)
	}
	s.Hyperparams = hp
	if s.Burn < s.Hyperparams.MinBurn {
		s.Burn = s.Hyperparams.MinBurn
	}
	if s.Burn > s.Hyperparams.MaxBurn {
		s.Burn = s.Hyperparams.MaxBurn
	}
	if err := k.Subnets.Set(ctx, s.Netuid, s); err != nil {
		return err
	}
	emitEvent(ctx, types.EventHyperparamsSet, netuidAttr(s.Netuid))
	return nil
}
