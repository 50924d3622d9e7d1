package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/subnet/schedule"
	"github.com/hypha-network/hypha/x/subnet/types"
	"github.com/hypha-network/hypha/x/subnet/yuma"
)

// EndBlocker issues the block's emission to the subnets, queues the epochs that
// fall due and runs at most max_epochs_per_block queued epochs. Its work is
// bounded by max_subnets plus max_epochs_per_block epochs of at most 256 uids.
func (k Keeper) EndBlocker(ctx context.Context) error {
	p, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if err := k.emit(ctx, p, h); err != nil {
		return fmt.Errorf("subnet emission: %w", err)
	}
	var due []collections.Pair[int64, uint32]
	err = k.EpochQueue.Walk(ctx, nil, func(key collections.Pair[int64, uint32]) (bool, error) {
		due = append(due, key)
		return len(due) >= int(p.MaxEpochsPerBlock), nil
	})
	if err != nil {
		return err
	}
	for _, key := range due {
		if err := k.EpochQueue.Remove(ctx, key); err != nil {
			return err
		}
		if err := k.runEpoch(ctx, p, key.K2(), h); err != nil {
			return fmt.Errorf("subnet %d epoch: %w", key.K2(), err)
		}
	}
	return nil
}

// emit mints the block emission, splits it across subnets by stake (each share
// capped) and queues the subnets whose epoch falls due at h. Rounding and cap
// leftovers are not minted, so the issued total stays exact.
func (k Keeper) emit(ctx context.Context, p types.Params, h int64) error {
	var subnets []types.Subnet
	var stakes []uint64
	err := k.Subnets.Walk(ctx, nil, func(_ uint32, s types.Subnet) (bool, error) {
		subnets = append(subnets, s)
		stakes = append(stakes, s.TotalStake)
		return false, nil
	})
	if err != nil {
		return err
	}
	e, err := k.Emission.Get(ctx)
	if err != nil {
		return err
	}
	total := schedule.BlockEmission(p.BlockEmission, e.TotalEmitted, p.SupplyCap)
	shares, minted, err := schedule.SplitByStake(total, stakes, schedule.Bps(total, p.SubnetEmissionCapBps))
	if err != nil {
		return err
	}
	if minted > 0 {
		if err := k.bank.MintCoins(ctx, types.ModuleName, coins(minted)); err != nil {
			return err
		}
		e.TotalEmitted += minted
		if err := k.Emission.Set(ctx, e); err != nil {
			return err
		}
	}
	for i, s := range subnets {
		changed := shares[i] > 0
		s.PendingEmission += shares[i]
		if schedule.EpochDue(h, s.Netuid, s.Hyperparams.Tempo) {
			if err := k.EpochQueue.Set(ctx, collections.Join(h, s.Netuid)); err != nil {
				return err
			}
		}
		if changed {
			if err := k.Subnets.Set(ctx, s.Netuid, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// runEpoch runs Yuma consensus on subnet netuid, stores its results and pays
// out the emission the subnet accumulated since its last epoch: the owner's cut
// to the owner, the miners' pool by incentive and the validators' pool by
// dividends to the neurons' hotkeys. A pool with no recipient carries over.
func (k Keeper) runEpoch(ctx context.Context, p types.Params, netuid uint32, h int64) error {
	s, err := k.Subnets.Get(ctx, netuid)
	if err != nil {
		return nil // deleted while queued: nothing to do
	}
	hp := s.Hyperparams
	n := int(s.N)
	neurons := make([]types.Neuron, n)
	in := yuma.Input{
		N: n, Stake: make([]uint64, n), Weights: make([][]yuma.Weight, n), Bonds: make([][]yuma.Bond, n),
		LastUpdate: make([]uint64, n), RegisteredAt: make([]uint64, n),
		Block: uint64(h), ActivityCutoff: hp.ActivityCutoff, LastEpochBlock: uint64(s.LastEpochHeight),
	}
	if s.Epochs > 0 {
		in.Permit = make([]bool, n)
	}
	rng := collections.NewPrefixedPairRange[uint32, uint32](netuid)
	seen := 0
	err = k.Neurons.Walk(ctx, rng, func(key uidKey, nr types.Neuron) (bool, error) {
		i := nr.Uid
		seen++
		if int(i) >= n {
			return true, fmt.Errorf("neuron uid %d beyond n = %d", i, n)
		}
		neurons[i] = nr
		in.Stake[i] = nr.Stake
		in.LastUpdate[i] = uint64(nr.LastUpdate)
		in.RegisteredAt[i] = uint64(nr.RegisteredHeight)
		if in.Permit != nil {
			in.Permit[i] = nr.ValidatorPermit
		}
		if nr.Hotkey == s.Owner {
			in.HasOwner, in.OwnerUID = true, i
		}
		if row, err := k.Weights.Get(ctx, key); err == nil {
			for _, w := range row.Weights {
				in.Weights[i] = append(in.Weights[i], yuma.Weight{UID: w.Uid, Value: w.Value})
			}
		}
		if row, err := k.Bonds.Get(ctx, key); err == nil {
			for _, b := range row.Bonds {
				in.Bonds[i] = append(in.Bonds[i], yuma.Bond{UID: b.Uid, Value: yuma.Fixed(b.Value)})
			}
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	if seen != n {
		return fmt.Errorf("subnet has %d neurons stored for n = %d", seen, n)
	}
	out, err := yuma.Epoch(hp.YumaParams(), in)
	if err != nil {
		// Stored state is validated on write, so this means a bug: keep the
		// emission pending rather than halt the chain.
		k.Logger(ctx).Error("yuma epoch failed; emission carried over", "netuid", netuid, "err", err)
		s.LastEpochHeight = h
		return k.Subnets.Set(ctx, netuid, s)
	}
	split, err := yuma.SplitEmission(s.PendingEmission, types.BpsFixed(p.OwnerCutBps), types.BpsFixed(p.MinerCutBps),
		out.Incentive, out.Dividends)
	if err != nil {
		return err
	}
	distributed := split.Owner
	if split.Owner > 0 {
		if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, sdk.MustAccAddressFromBech32(s.Owner), coins(split.Owner)); err != nil {
			return err
		}
	}
	for i := range neurons {
		nr := &neurons[i]
		pay := split.Miner[i] + split.Validator[i]
		nr.ValidatorPermit = out.NextPermit[i]
		nr.Consensus, nr.Incentive = uint64(out.Consensus[i]), uint64(out.Incentive[i])
		nr.Dividends, nr.ValidatorTrust = uint64(out.Dividends[i]), uint64(out.ValidatorTrust[i])
		nr.Emission = pay
		nr.TotalEmission += pay
		if pay > 0 {
			if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, sdk.MustAccAddressFromBech32(nr.Hotkey), coins(pay)); err != nil {
				return err
			}
			distributed += pay
		}
		key := collections.Join(netuid, uint32(i))
		if err := k.Neurons.Set(ctx, key, *nr); err != nil {
			return err
		}
		if len(out.Bonds[i]) == 0 {
			err = k.Bonds.Remove(ctx, key)
		} else {
			row := types.BondRow{Bonds: make([]types.Bond, len(out.Bonds[i]))}
			for j, b := range out.Bonds[i] {
				row.Bonds[j] = types.Bond{Uid: b.UID, Value: uint64(b.Value)}
			}
			err = k.Bonds.Set(ctx, key, row)
		}
		if err != nil {
			return err
		}
	}
	s.PendingEmission = split.Unallocated
	s.TotalEmission += distributed
	s.LastEpochHeight = h
	s.Epochs++
	if err := k.Subnets.Set(ctx, netuid, s); err != nil {
		return err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventEpoch, netuidAttr(netuid),
		sdk.NewAttribute(types.AttributeHeight, fmt.Sprint(h)),
		sdk.NewAttribute(types.AttributeDistributed, u64(distributed)),
		sdk.NewAttribute(types.AttributeOwnerEmission, u64(split.Owner)),
		sdk.NewAttribute(types.AttributeCarried, u64(split.Unallocated))))
	return nil
}
