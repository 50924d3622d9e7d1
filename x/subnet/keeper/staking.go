package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/subnet/types"
)

// AddStake locks amount uhyp of staker's on hotkey, which must hold a uid on
// subnet netuid.
func (k Keeper) AddStake(ctx context.Context, staker, hotkey sdk.AccAddress, netuid uint32, amount sdkmath.Int) error {
	amt, err := uhypAmount("amount", amount)
	if err != nil {
		return err
	}
	s, err := k.getSubnet(ctx, netuid)
	if err != nil {
		return err
	}
	n, err := k.neuronOf(ctx, netuid, hotkey.String())
	if err != nil {
		return err
	}
	if err := k.bank.SendCoinsFromAccountToModule(ctx, staker, types.ModuleName, coins(amt)); err != nil {
		return errorsmod.Wrapf(err, "lock %d uhyp of stake from %s", amt, staker)
	}
	if err := k.changeStake(ctx, &s, &n, hotkey.String(), staker.String(), amt, true); err != nil {
		return err
	}
	k.emitStakeEvent(ctx, types.EventStakeAdded, netuid, hotkey, staker, amt)
	return nil
}

// RemoveStake returns amount uhyp of staker's stake on hotkey in subnet netuid.
// It works also after the hotkey lost its uid: stake always stays withdrawable.
func (k Keeper) RemoveStake(ctx context.Context, staker, hotkey sdk.AccAddress, netuid uint32, amount sdkmath.Int) error {
	amt, err := uhypAmount("amount", amount)
	if err != nil {
		return err
	}
	s, err := k.getSubnet(ctx, netuid)
	if err != nil {
		return err
	}
	var np *types.Neuron
	if n, err := k.neuronOf(ctx, netuid, hotkey.String()); err == nil {
		np = &n
	} else if !errors.Is(err, types.ErrNotRegistered) {
		return err
	}
	if err := k.changeStake(ctx, &s, np, hotkey.String(), staker.String(), amt, false); err != nil {
		return err
	}
	if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, staker, coins(amt)); err != nil {
		return errorsmod.Wrapf(err, "return %d uhyp of stake to %s", amt, staker)
	}
	k.emitStakeEvent(ctx, types.EventStakeRemoved, netuid, hotkey, staker, amt)
	return nil
}

func (k Keeper) emitStakeEvent(ctx context.Context, typ string, netuid uint32, hotkey, staker sdk.AccAddress, amount uint64) {
	emitEvent(ctx, typ, netuidAttr(netuid),
		sdk.NewAttribute(types.AttributeHotkey, hotkey.String()), sdk.NewAttribute(types.AttributeStaker, staker.String()),
		sdk.NewAttribute(types.AttributeAmount, u64(amount)))
}

// hotkeyStake returns the stake on hotkey in netuid (0 when there is none).
func (k Keeper) hotkeyStake(ctx context.Context, netuid uint32, hotkey string) (uint64, error) {
	v, err := k.HotkeyStake.Get(ctx, collections.Join(netuid, hotkey))
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return v, err
}

// changeStake adds (or removes) amount of staker's stake on hotkey, keeping the
// per-hotkey sum, the registered neuron (if n is not nil) and the subnet total in step.
func (k Keeper) changeStake(ctx context.Context, s *types.Subnet, n *types.Neuron, hotkey, staker string, amount uint64, add bool) error {
	key := collections.Join3(s.Netuid, hotkey, staker)
	cur, err := k.Stakes.Get(ctx, key)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	total, err := k.hotkeyStake(ctx, s.Netuid, hotkey)
	if err != nil {
		return err
	}
	if add {
		if cur+amount < cur || s.TotalStake+amount < s.TotalStake {
			return errorsmod.Wrapf(types.ErrSupplyOverflow,
				"adding %d uhyp would overflow the stake of %s on subnet %d; stake less", amount, hotkey, s.Netuid)
		}
		cur, total = cur+amount, total+amount
		if n != nil {
			n.Stake += amount
			s.TotalStake += amount
		}
	} else {
		if cur < amount {
			return errorsmod.Wrapf(types.ErrInsufficientStake,
				"%s has %d uhyp staked on %s in subnet %d, %d requested; see `hyphad q subnet stakes %s`",
				staker, cur, hotkey, s.Netuid, amount, staker)
		}
		cur, total = cur-amount, total-amount
		if n != nil {
			n.Stake -= amount
			s.TotalStake -= amount
		}
	}
	idx := collections.Join3(staker, s.Netuid, hotkey)
	if cur == 0 {
		if err := k.Stakes.Remove(ctx, key); err != nil {
			return err
		}
		if err := k.StakesByStaker.Remove(ctx, idx); err != nil {
			return err
		}
	} else {
		if err := k.Stakes.Set(ctx, key, cur); err != nil {
			return err
		}
		if err := k.StakesByStaker.Set(ctx, idx); err != nil {
			return err
		}
	}
	hk := collections.Join(s.Netuid, hotkey)
	if total == 0 {
		err = k.HotkeyStake.Remove(ctx, hk)
	} else {
		err = k.HotkeyStake.Set(ctx, hk, total)
	}
	if err != nil {
		return err
	}
	if n != nil {
		if err := k.Neurons.Set(ctx, collections.Join(n.Netuid, n.Uid), *n); err != nil {
			return err
		}
	}
	return k.Subnets.Set(ctx, s.Netuid, *s)
}
