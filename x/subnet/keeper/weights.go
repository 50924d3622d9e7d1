package keeper

import (
	"bytes"
	"context"
	"errors"
	"strconv"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/subnet/schedule"
	"github.com/hypha-network/hypha/x/subnet/types"
)

// CommitWeights records hotkey's commitment hash to a weight row on subnet
// netuid (see types.WeightsHash) and returns the commit with the window in
// which it must be revealed. A newer commit replaces a pending one.
func (k Keeper) CommitWeights(ctx context.Context, hotkey sdk.AccAddress, netuid uint32, hash []byte) (types.WeightCommit, error) {
	if err := types.ValidateWeightsHash(hash); err != nil {
		return types.WeightCommit{}, err
	}
	s, n, h, err := k.weightSetter(ctx, netuid, hotkey)
	if err != nil {
		return types.WeightCommit{}, err
	}
	if !s.Hyperparams.CommitReveal {
		return types.WeightCommit{}, errorsmod.Wrapf(types.ErrCommitRevealOff, "subnet %d", s.Netuid)
	}
	start, end := schedule.RevealWindow(h, s.Netuid, s.Hyperparams.Tempo, s.Hyperparams.CommitRevealPeriod)
	c := types.WeightCommit{Hash: hash, CommitHeight: h, RevealStart: start, RevealEnd: end}
	if err := k.Commits.Set(ctx, collections.Join(s.Netuid, n.Uid), c); err != nil {
		return types.WeightCommit{}, err
	}
	emitEvent(ctx, types.EventWeightsCommitted, netuidAttr(s.Netuid),
		sdk.NewAttribute(types.AttributeHotkey, n.Hotkey), sdk.NewAttribute(types.AttributeUID, u64(uint64(n.Uid))),
		sdk.NewAttribute(types.AttributeRevealStart, strconv.FormatInt(start, 10)),
		sdk.NewAttribute(types.AttributeRevealEnd, strconv.FormatInt(end, 10)))
	return c, nil
}

// RevealWeights sets hotkey's weights on subnet netuid to the row (uids,
// values) its pending commit hashed with salt, inside the commit's window.
func (k Keeper) RevealWeights(ctx context.Context, hotkey sdk.AccAddress, netuid uint32, uids, values []uint32, salt []byte) error {
	s, n, h, err := k.weightSetter(ctx, netuid, hotkey)
	if err != nil {
		return err
	}
	if !s.Hyperparams.CommitReveal {
		return errorsmod.Wrapf(types.ErrCommitRevealOff, "subnet %d", s.Netuid)
	}
	key := collections.Join(s.Netuid, n.Uid)
	c, err := k.Commits.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return errorsmod.Wrapf(types.ErrNoCommit, "%s has no pending commit on subnet %d; commit-weights first", n.Hotkey, s.Netuid)
	} else if err != nil {
		return err
	}
	if h < c.RevealStart || h > c.RevealEnd {
		return errorsmod.Wrapf(types.ErrRevealWindow, "height %d, the commit's window is [%d, %d]; reveal inside it (a missed window needs a new commit)",
			h, c.RevealStart, c.RevealEnd)
	}
	if want := types.WeightsHash(s.Netuid, hotkey, uids, values, salt); !bytes.Equal(want, c.Hash) {
		return errorsmod.Wrap(types.ErrHashMismatch, "reveal the same uids, weights and salt that were committed")
	}
	if err := k.setWeights(ctx, s, n, h, uids, values); err != nil {
		return err
	}
	return k.Commits.Remove(ctx, key)
}

// SetWeights sets hotkey's weights on subnet netuid directly, for subnets with
// commit-reveal off.
func (k Keeper) SetWeights(ctx context.Context, hotkey sdk.AccAddress, netuid uint32, uids, values []uint32) error {
	s, n, h, err := k.weightSetter(ctx, netuid, hotkey)
	if err != nil {
		return err
	}
	if s.Hyperparams.CommitReveal {
		return errorsmod.Wrapf(types.ErrCommitRevealEnabled, "subnet %d", s.Netuid)
	}
	return k.setWeights(ctx, s, n, h, uids, values)
}

// weightSetter loads the subnet and the hotkey's neuron and enforces the weights rate limit.
func (k Keeper) weightSetter(ctx context.Context, netuid uint32, hotkey sdk.AccAddress) (types.Subnet, types.Neuron, int64, error) {
	s, err := k.getSubnet(ctx, netuid)
	if err != nil {
		return s, types.Neuron{}, 0, err
	}
	n, err := k.neuronOf(ctx, netuid, hotkey.String())
	if err != nil {
		return s, n, 0, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if n.LastUpdate > n.RegisteredHeight && uint64(h-n.LastUpdate) < s.Hyperparams.WeightsRateLimit {
		return s, n, h, errorsmod.Wrapf(types.ErrRateLimited, "last set at height %d, rate limit %d blocks; retry at height %d",
			n.LastUpdate, s.Hyperparams.WeightsRateLimit, n.LastUpdate+int64(s.Hyperparams.WeightsRateLimit))
	}
	return s, n, h, nil
}

// setWeights stores n's weight row (zero weights dropped: omitted and zero are
// the same) and marks n active at height h.
func (k Keeper) setWeights(ctx context.Context, s types.Subnet, n types.Neuron, h int64, uids, values []uint32) error {
	if err := types.ValidateWeights(uids, values); err != nil {
		return err
	}
	row := types.WeightRow{Weights: make([]types.Weight, 0, len(uids))}
	for i, uid := range uids {
		if uid >= s.N {
			return errorsmod.Wrapf(types.ErrInvalidWeights, "uid %d does not exist: subnet %d has uids 0..%d", uid, s.Netuid, int64(s.N)-1)
		}
		if values[i] != 0 {
			row.Weights = append(row.Weights, types.Weight{Uid: uid, Value: values[i]})
		}
	}
	key := collections.Join(s.Netuid, n.Uid)
	if err := k.Weights.Set(ctx, key, row); err != nil {
		return err
	}
	n.LastUpdate = h
	if err := k.Neurons.Set(ctx, key, n); err != nil {
		return err
	}
	emitEvent(ctx, types.EventWeightsSet, netuidAttr(s.Netuid),
		sdk.NewAttribute(types.AttributeHotkey, n.Hotkey), sdk.NewAttribute(types.AttributeUID, u64(uint64(n.Uid))))
	return nil
}
