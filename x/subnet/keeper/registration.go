package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/subnet/schedule"
	"github.com/hypha-network/hypha/x/subnet/types"
)

// Registration is the outcome of a successful registration.
type Registration struct {
	// UID is the uid the hotkey took.
	UID uint32
	// Burned is the registration price paid, in uhyp.
	Burned uint64
	// Replaced is the hotkey that lost the uid, empty if the uid was free.
	Replaced string
}

// RegistrationPrice returns the uhyp burned by a registration on s at height.
func RegistrationPrice(s types.Subnet, height int64) uint64 {
	hp := s.Hyperparams
	return schedule.Decayed(s.Burn, hp.MinBurn, uint64(height-s.BurnHeight), hp.BurnDecayBlocks)
}

// Register burns subnet netuid's registration price from hotkey, provided it
// is at most maxBurn uhyp, and gives hotkey a uid advertising axon. On a full
// subnet it replaces the non-immune neuron with the lowest emission.
func (k Keeper) Register(ctx context.Context, hotkey sdk.AccAddress, netuid uint32, axon string, maxBurn sdkmath.Int) (Registration, error) {
	s, err := k.getSubnet(ctx, netuid)
	if err != nil {
		return Registration{}, err
	}
	key := hotkey.String()
	if has, err := k.UIDByHotkey.Has(ctx, collections.Join(s.Netuid, key)); err != nil {
		return Registration{}, err
	} else if has {
		return Registration{}, errorsmod.Wrapf(types.ErrAlreadyRegistered,
			"%s already holds a uid on subnet %d; see `hyphad q subnet neuron %d %s`", key, s.Netuid, s.Netuid, key)
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	price := RegistrationPrice(s, h)
	if ok, err := withinLimit("max_burn", price, maxBurn); err != nil {
		return Registration{}, err
	} else if !ok {
		return Registration{}, errorsmod.Wrapf(types.ErrBurnTooHigh,
			"price is %d uhyp, max_burn %s; raise --max-burn or wait for the price to decay", price, maxBurn)
	}

	uid, replaced, err := k.freeUID(ctx, s, h)
	if err != nil {
		return Registration{}, err
	}
	if err := k.burnFrom(ctx, hotkey, price); err != nil {
		return Registration{}, errorsmod.Wrapf(err, "burn the %d uhyp registration price from %s", price, key)
	}
	if replaced != nil {
		if err := k.removeNeuron(ctx, &s, *replaced); err != nil {
			return Registration{}, err
		}
	} else {
		s.N++
	}
	stake, err := k.hotkeyStake(ctx, s.Netuid, key)
	if err != nil {
		return Registration{}, err
	}
	n := types.Neuron{
		Netuid: s.Netuid, Uid: uid, Hotkey: key, Axon: axon,
		RegisteredHeight: h, LastUpdate: h, Stake: stake,
	}
	if err := k.Neurons.Set(ctx, collections.Join(s.Netuid, uid), n); err != nil {
		return Registration{}, err
	}
	if err := k.UIDByHotkey.Set(ctx, collections.Join(s.Netuid, key), uid); err != nil {
		return Registration{}, err
	}
	s.TotalStake += stake
	s.Burn = schedule.Raise(price, s.Hyperparams.BurnIncreaseBps, s.Hyperparams.MaxBurn)
	s.BurnHeight = h
	if err := k.Subnets.Set(ctx, s.Netuid, s); err != nil {
		return Registration{}, err
	}
	res := Registration{UID: uid, Burned: price}
	attrs := []sdk.Attribute{netuidAttr(s.Netuid), sdk.NewAttribute(types.AttributeHotkey, key),
		sdk.NewAttribute(types.AttributeUID, u64(uint64(uid))), sdk.NewAttribute(types.AttributeBurned, u64(price))}
	if replaced != nil {
		res.Replaced = replaced.Hotkey
		attrs = append(attrs, sdk.NewAttribute(types.AttributeReplaced, replaced.Hotkey))
	}
	emitEvent(ctx, types.EventNeuronRegistered, attrs...)
	return res, nil
}

// freeUID picks the uid a new registration takes: the next unused one, or, when
// the subnet is full, the non-immune neuron with the lowest emission at the last
// epoch (ties: registered earlier, then lower uid). It changes nothing.
func (k Keeper) freeUID(ctx context.Context, s types.Subnet, height int64) (uint32, *types.Neuron, error) {
	if s.N < s.Hyperparams.MaxUids {
		return s.N, nil, nil
	}
	var victim *types.Neuron
	rng := collections.NewPrefixedPairRange[uint32, uint32](s.Netuid)
	err := k.Neurons.Walk(ctx, rng, func(_ uidKey, n types.Neuron) (bool, error) {
		if uint64(height-n.RegisteredHeight) < s.Hyperparams.ImmunityPeriod {
			return false, nil
		}
		if victim == nil || n.Emission < victim.Emission ||
			(n.Emission == victim.Emission && n.RegisteredHeight < victim.RegisteredHeight) {
			v := n
			victim = &v
		}
		return false, nil
	})
	if err != nil {
		return 0, nil, err
	}
	if victim == nil {
		return 0, nil, errorsmod.Wrapf(types.ErrSubnetFull,
			"all %d uids of subnet %d registered within the last %d blocks (immunity period); retry when one leaves immunity",
			s.N, s.Netuid, s.Hyperparams.ImmunityPeriod)
	}
	return victim.Uid, victim, nil
}

// removeNeuron deregisters n: its weights, bonds and commit go; the stake on its
// hotkey stays with the stakers (withdrawable) but no longer counts for the subnet.
func (k Keeper) removeNeuron(ctx context.Context, s *types.Subnet, n types.Neuron) error {
	key := collections.Join(n.Netuid, n.Uid)
	for _, rm := range []func() error{
		func() error { return k.UIDByHotkey.Remove(ctx, collections.Join(n.Netuid, n.Hotkey)) },
		func() error { return k.Weights.Remove(ctx, key) },
		func() error { return k.Bonds.Remove(ctx, key) },
		func() error { return k.Commits.Remove(ctx, key) },
	} {
		if err := rm(); err != nil {
			return err
		}
	}
	s.TotalStake -= n.Stake
	emitEvent(ctx, types.EventNeuronReplaced, netuidAttr(n.Netuid),
		sdk.NewAttribute(types.AttributeUID, u64(uint64(n.Uid))), sdk.NewAttribute(types.AttributeHotkey, n.Hotkey))
	return nil
}
