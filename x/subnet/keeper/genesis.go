package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/hypha-network/hypha/x/subnet/types"
)

// InitGenesis loads the module state. A chain starting without subnet state
// records the current uhyp supply as the base of the supply invariant.
func (k Keeper) InitGenesis(ctx context.Context, g types.GenesisState) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, g.Params); err != nil {
		return err
	}
	if err := k.Emission.Set(ctx, g.Emission); err != nil {
		return err
	}
	supply := g.GenesisSupply
	if supply == 0 {
		supply = k.bank.GetSupply(ctx, Denom).Amount.Uint64()
	}
	if err := k.GenesisSupply.Set(ctx, supply); err != nil {
		return err
	}
	for _, s := range g.Subnets {
		if err := k.Subnets.Set(ctx, s.Netuid, s); err != nil {
			return err
		}
	}
	for _, n := range g.Neurons {
		if err := k.Neurons.Set(ctx, collections.Join(n.Netuid, n.Uid), n); err != nil {
			return err
		}
		if err := k.UIDByHotkey.Set(ctx, collections.Join(n.Netuid, n.Hotkey), n.Uid); err != nil {
			return err
		}
	}
	for _, w := range g.Weights {
		if err := k.Weights.Set(ctx, collections.Join(w.Netuid, w.Uid), w.Row); err != nil {
			return err
		}
	}
	for _, b := range g.Bonds {
		if err := k.Bonds.Set(ctx, collections.Join(b.Netuid, b.Uid), b.Row); err != nil {
			return err
		}
	}
	for _, c := range g.Commits {
		if err := k.Commits.Set(ctx, collections.Join(c.Netuid, c.Uid), c.Commit); err != nil {
			return err
		}
	}
	for _, st := range g.Stakes {
		if err := k.Stakes.Set(ctx, collections.Join3(st.Netuid, st.Hotkey, st.Staker), st.Amount); err != nil {
			return err
		}
		if err := k.StakesByStaker.Set(ctx, collections.Join3(st.Staker, st.Netuid, st.Hotkey)); err != nil {
			return err
		}
		hk := collections.Join(st.Netuid, st.Hotkey)
		sum, err := k.hotkeyStake(ctx, st.Netuid, st.Hotkey)
		if err != nil {
			return err
		}
		if err := k.HotkeyStake.Set(ctx, hk, sum+st.Amount); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis returns the whole module state.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	g := &types.GenesisState{}
	var err error
	if g.Params, err = k.Params.Get(ctx); err != nil {
		return nil, err
	}
	if g.Emission, err = k.Emission.Get(ctx); err != nil {
		return nil, err
	}
	if g.GenesisSupply, err = k.GenesisSupply.Get(ctx); err != nil {
		return nil, err
	}
	walks := []func() error{
		func() error {
			return k.Subnets.Walk(ctx, nil, func(_ uint32, s types.Subnet) (bool, error) {
				g.Subnets = append(g.Subnets, s)
				return false, nil
			})
		},
		func() error {
			return k.Neurons.Walk(ctx, nil, func(_ uidKey, n types.Neuron) (bool, error) {
				g.Neurons = append(g.Neurons, n)
				return false, nil
			})
		},
		func() error {
			return k.Weights.Walk(ctx, nil, func(key uidKey, r types.WeightRow) (bool, error) {
				g.Weights = append(g.Weights, types.GenesisWeights{Netuid: key.K1(), Uid: key.K2(), Row: r})
				return false, nil
			})
		},
		func() error {
			return k.Bonds.Walk(ctx, nil, func(key uidKey, r types.BondRow) (bool, error) {
				g.Bonds = append(g.Bonds, types.GenesisBonds{Netuid: key.K1(), Uid: key.K2(), Row: r})
				return false, nil
			})
		},
		func() error {
			return k.Commits.Walk(ctx, nil, func(key uidKey, c types.WeightCommit) (bool, error) {
				g.Commits = append(g.Commits, types.GenesisCommit{Netuid: key.K1(), Uid: key.K2(), Commit: c})
				return false, nil
			})
		},
		func() error {
			return k.Stakes.Walk(ctx, nil, func(key stakeKey, amt uint64) (bool, error) {
				g.Stakes = append(g.Stakes, types.Stake{Netuid: key.K1(), Hotkey: key.K2(), Staker: key.K3(), Amount: amt})
				return false, nil
			})
		},
	}
	for _, w := range walks {
		if err := w(); err != nil {
			return nil, fmt.Errorf("export subnet genesis: %w", err)
		}
	}
	return g, nil
}
