package keeper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/subnet/schedule"
	"github.com/hypha-network/hypha/x/subnet/types"
)

type msgServer struct{ Keeper }

// NewMsgServerImpl returns the subnet module's Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

var _ types.MsgServer = msgServer{}

func netuidAttr(netuid uint32) sdk.Attribute {
	return sdk.NewAttribute(types.AttributeNetuid, strconv.FormatUint(uint64(netuid), 10))
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

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

// RegistrationPrice returns the uhyp burned by a registration on s at height.
func RegistrationPrice(s types.Subnet, height int64) uint64 {
	hp := s.Hyperparams
	return schedule.Decayed(s.Burn, hp.MinBurn, uint64(height-s.BurnHeight), hp.BurnDecayBlocks)
}

func (m msgServer) CreateSubnet(ctx context.Context, msg *types.MsgCreateSubnet) (*types.MsgCreateSubnetResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	p, err := m.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	hp := p.DefaultHyperparams
	if msg.Hyperparams != nil {
		hp = *msg.Hyperparams
	}
	if err := hp.Validate(p.Bounds); err != nil {
		return nil, err
	}
	count := 0
	if err := m.Subnets.Walk(ctx, nil, func(uint32, types.Subnet) (bool, error) {
		count++
		return false, nil
	}); err != nil {
		return nil, err
	}
	if count >= int(p.MaxSubnets) {
		return nil, fmt.Errorf("%w: %d subnets", types.ErrTooManySubnets, count)
	}
	cost, err := m.LockCost(ctx)
	if err != nil {
		return nil, err
	}
	if cost > msg.MaxLock {
		return nil, fmt.Errorf("%w: cost %d uhyp, max_lock %d", types.ErrLockTooHigh, cost, msg.MaxLock)
	}
	owner := sdk.MustAccAddressFromBech32(msg.Owner)
	if err := m.burnFrom(ctx, owner, cost); err != nil {
		return nil, fmt.Errorf("burn subnet lock: %w", err)
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	e, err := m.Emission.Get(ctx)
	if err != nil {
		return nil, err
	}
	netuid := e.NextNetuid
	e.NextNetuid++
	// The lock cost doubles at each creation, then decays back to the minimum.
	e.LockCost = schedule.Raise(cost, 10_000, ^uint64(0))
	e.LockHeight = h
	if err := m.Emission.Set(ctx, e); err != nil {
		return nil, err
	}
	s := types.Subnet{
		Netuid: netuid, Owner: msg.Owner, Name: msg.Name, Hyperparams: hp,
		CreatedHeight: h, LockBurned: cost, Burn: hp.MinBurn, BurnHeight: h, LastEpochHeight: h,
	}
	if err := m.Subnets.Set(ctx, netuid, s); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventSubnetCreated,
		netuidAttr(netuid), sdk.NewAttribute(types.AttributeOwner, msg.Owner),
		sdk.NewAttribute(types.AttributeBurned, u64(cost))))
	return &types.MsgCreateSubnetResponse{Netuid: netuid, LockBurned: cost}, nil
}

func (m msgServer) SetHyperparams(ctx context.Context, msg *types.MsgSetHyperparams) (*types.MsgSetHyperparamsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	s, err := m.getSubnet(ctx, msg.Netuid)
	if err != nil {
		return nil, err
	}
	if s.Owner != msg.Owner {
		return nil, fmt.Errorf("%w: subnet %d is owned by %s", types.ErrNotOwner, msg.Netuid, s.Owner)
	}
	p, err := m.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	if err := msg.Hyperparams.Validate(p.Bounds); err != nil {
		return nil, err
	}
	if msg.Hyperparams.MaxUids < s.N {
		return nil, fmt.Errorf("%w: max_uids %d below the %d uids in use", types.ErrInvalidHyperparams, msg.Hyperparams.MaxUids, s.N)
	}
	s.Hyperparams = msg.Hyperparams
	if s.Burn < s.Hyperparams.MinBurn {
		s.Burn = s.Hyperparams.MinBurn
	}
	if s.Burn > s.Hyperparams.MaxBurn {
		s.Burn = s.Hyperparams.MaxBurn
	}
	if err := m.Subnets.Set(ctx, s.Netuid, s); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventHyperparamsSet, netuidAttr(s.Netuid)))
	return &types.MsgSetHyperparamsResponse{}, nil
}

func (m msgServer) Register(ctx context.Context, msg *types.MsgRegister) (*types.MsgRegisterResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	s, err := m.getSubnet(ctx, msg.Netuid)
	if err != nil {
		return nil, err
	}
	if has, err := m.UIDByHotkey.Has(ctx, collections.Join(s.Netuid, msg.Hotkey)); err != nil {
		return nil, err
	} else if has {
		return nil, fmt.Errorf("%w: %s", types.ErrAlreadyRegistered, msg.Hotkey)
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	price := RegistrationPrice(s, h)
	if price > msg.MaxBurn {
		return nil, fmt.Errorf("%w: price %d uhyp, max_burn %d", types.ErrBurnTooHigh, price, msg.MaxBurn)
	}

	uid, replaced, err := m.freeUID(ctx, s, h)
	if err != nil {
		return nil, err
	}
	if err := m.burnFrom(ctx, sdk.MustAccAddressFromBech32(msg.Hotkey), price); err != nil {
		return nil, fmt.Errorf("burn registration price: %w", err)
	}
	if replaced != nil {
		if err := m.removeNeuron(ctx, &s, *replaced); err != nil {
			return nil, err
		}
	} else {
		s.N++
	}
	stake, err := m.hotkeyStake(ctx, s.Netuid, msg.Hotkey)
	if err != nil {
		return nil, err
	}
	n := types.Neuron{
		Netuid: s.Netuid, Uid: uid, Hotkey: msg.Hotkey, Axon: msg.Axon,
		RegisteredHeight: h, LastUpdate: h, Stake: stake,
	}
	if err := m.Neurons.Set(ctx, collections.Join(s.Netuid, uid), n); err != nil {
		return nil, err
	}
	if err := m.UIDByHotkey.Set(ctx, collections.Join(s.Netuid, msg.Hotkey), uid); err != nil {
		return nil, err
	}
	s.TotalStake += stake
	s.Burn = schedule.Raise(price, s.Hyperparams.BurnIncreaseBps, s.Hyperparams.MaxBurn)
	s.BurnHeight = h
	if err := m.Subnets.Set(ctx, s.Netuid, s); err != nil {
		return nil, err
	}
	res := &types.MsgRegisterResponse{Uid: uid, Burned: price}
	attrs := []sdk.Attribute{netuidAttr(s.Netuid), sdk.NewAttribute(types.AttributeHotkey, msg.Hotkey),
		sdk.NewAttribute(types.AttributeUID, u64(uint64(uid))), sdk.NewAttribute(types.AttributeBurned, u64(price))}
	if replaced != nil {
		res.Replaced = replaced.Hotkey
		attrs = append(attrs, sdk.NewAttribute(types.AttributeReplaced, replaced.Hotkey))
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventNeuronRegistered, attrs...))
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
		return 0, nil, fmt.Errorf("%w: %d uids, immunity period %d blocks", types.ErrSubnetFull, s.N, s.Hyperparams.ImmunityPeriod)
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
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventNeuronReplaced,
		netuidAttr(n.Netuid), sdk.NewAttribute(types.AttributeUID, u64(uint64(n.Uid))),
		sdk.NewAttribute(types.AttributeHotkey, n.Hotkey)))
	return nil
}

func (k Keeper) hotkeyStake(ctx context.Context, netuid uint32, hotkey string) (uint64, error) {
	v, err := k.HotkeyStake.Get(ctx, collections.Join(netuid, hotkey))
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return v, err
}

func (m msgServer) AddStake(ctx context.Context, msg *types.MsgAddStake) (*types.MsgAddStakeResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	s, err := m.getSubnet(ctx, msg.Netuid)
	if err != nil {
		return nil, err
	}
	n, err := m.neuronOf(ctx, msg.Netuid, msg.Hotkey)
	if err != nil {
		return nil, err
	}
	if err := m.bank.SendCoinsFromAccountToModule(ctx, sdk.MustAccAddressFromBech32(msg.Staker), types.ModuleName, coins(msg.Amount)); err != nil {
		return nil, fmt.Errorf("lock stake: %w", err)
	}
	if err := m.changeStake(ctx, &s, &n, msg.Hotkey, msg.Staker, msg.Amount, true); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventStakeAdded, netuidAttr(msg.Netuid),
		sdk.NewAttribute(types.AttributeHotkey, msg.Hotkey), sdk.NewAttribute(types.AttributeStaker, msg.Staker),
		sdk.NewAttribute(types.AttributeAmount, u64(msg.Amount))))
	return &types.MsgAddStakeResponse{}, nil
}

func (m msgServer) RemoveStake(ctx context.Context, msg *types.MsgRemoveStake) (*types.MsgRemoveStakeResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	s, err := m.getSubnet(ctx, msg.Netuid)
	if err != nil {
		return nil, err
	}
	var np *types.Neuron
	if n, err := m.neuronOf(ctx, msg.Netuid, msg.Hotkey); err == nil {
		np = &n
	} else if !errors.Is(err, types.ErrNotRegistered) {
		return nil, err
	}
	if err := m.changeStake(ctx, &s, np, msg.Hotkey, msg.Staker, msg.Amount, false); err != nil {
		return nil, err
	}
	if err := m.bank.SendCoinsFromModuleToAccount(ctx, types.ModuleName, sdk.MustAccAddressFromBech32(msg.Staker), coins(msg.Amount)); err != nil {
		return nil, fmt.Errorf("return stake: %w", err)
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventStakeRemoved, netuidAttr(msg.Netuid),
		sdk.NewAttribute(types.AttributeHotkey, msg.Hotkey), sdk.NewAttribute(types.AttributeStaker, msg.Staker),
		sdk.NewAttribute(types.AttributeAmount, u64(msg.Amount))))
	return &types.MsgRemoveStakeResponse{}, nil
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
			return types.ErrSupplyOverflow
		}
		cur, total = cur+amount, total+amount
		if n != nil {
			n.Stake += amount
			s.TotalStake += amount
		}
	} else {
		if cur < amount {
			return fmt.Errorf("%w: %d staked, %d requested", types.ErrInsufficientStake, cur, amount)
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

func (m msgServer) CommitWeights(ctx context.Context, msg *types.MsgCommitWeights) (*types.MsgCommitWeightsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	s, n, h, err := m.weightSetter(ctx, msg.Netuid, msg.Hotkey)
	if err != nil {
		return nil, err
	}
	if !s.Hyperparams.CommitReveal {
		return nil, types.ErrCommitRevealOff
	}
	start, end := schedule.RevealWindow(h, s.Netuid, s.Hyperparams.Tempo, s.Hyperparams.CommitRevealPeriod)
	c := types.WeightCommit{Hash: msg.Hash, CommitHeight: h, RevealStart: start, RevealEnd: end}
	if err := m.Commits.Set(ctx, collections.Join(s.Netuid, n.Uid), c); err != nil {
		return nil, err
	}
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventWeightsCommitted, netuidAttr(s.Netuid),
		sdk.NewAttribute(types.AttributeHotkey, msg.Hotkey), sdk.NewAttribute(types.AttributeUID, u64(uint64(n.Uid))),
		sdk.NewAttribute(types.AttributeRevealStart, strconv.FormatInt(start, 10)),
		sdk.NewAttribute(types.AttributeRevealEnd, strconv.FormatInt(end, 10))))
	return &types.MsgCommitWeightsResponse{RevealStart: start, RevealEnd: end}, nil
}

func (m msgServer) RevealWeights(ctx context.Context, msg *types.MsgRevealWeights) (*types.MsgRevealWeightsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	s, n, h, err := m.weightSetter(ctx, msg.Netuid, msg.Hotkey)
	if err != nil {
		return nil, err
	}
	if !s.Hyperparams.CommitReveal {
		return nil, types.ErrCommitRevealOff
	}
	key := collections.Join(s.Netuid, n.Uid)
	c, err := m.Commits.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("%w: %s on subnet %d", types.ErrNoCommit, msg.Hotkey, s.Netuid)
	}
	if h < c.RevealStart || h > c.RevealEnd {
		return nil, fmt.Errorf("%w: height %d, window [%d, %d]", types.ErrRevealWindow, h, c.RevealStart, c.RevealEnd)
	}
	want := types.WeightsHash(s.Netuid, sdk.MustAccAddressFromBech32(msg.Hotkey), msg.Uids, msg.Values, msg.Salt)
	if !bytes.Equal(want, c.Hash) {
		return nil, types.ErrHashMismatch
	}
	if err := m.setWeights(ctx, s, n, h, msg.Uids, msg.Values); err != nil {
		return nil, err
	}
	if err := m.Commits.Remove(ctx, key); err != nil {
		return nil, err
	}
	return &types.MsgRevealWeightsResponse{}, nil
}

func (m msgServer) SetWeights(ctx context.Context, msg *types.MsgSetWeights) (*types.MsgSetWeightsResponse, error) {
	if err := msg.ValidateBasic(); err != nil {
		return nil, err
	}
	s, n, h, err := m.weightSetter(ctx, msg.Netuid, msg.Hotkey)
	if err != nil {
		return nil, err
	}
	if s.Hyperparams.CommitReveal {
		return nil, types.ErrCommitRevealEnabled
	}
	if err := m.setWeights(ctx, s, n, h, msg.Uids, msg.Values); err != nil {
		return nil, err
	}
	return &types.MsgSetWeightsResponse{}, nil
}

// weightSetter loads the subnet and the hotkey's neuron and enforces the weights rate limit.
func (k Keeper) weightSetter(ctx context.Context, netuid uint32, hotkey string) (types.Subnet, types.Neuron, int64, error) {
	s, err := k.getSubnet(ctx, netuid)
	if err != nil {
		return s, types.Neuron{}, 0, err
	}
	n, err := k.neuronOf(ctx, netuid, hotkey)
	if err != nil {
		return s, n, 0, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if n.LastUpdate > n.RegisteredHeight && uint64(h-n.LastUpdate) < s.Hyperparams.WeightsRateLimit {
		return s, n, h, fmt.Errorf("%w: last set at %d, rate limit %d blocks", types.ErrRateLimited, n.LastUpdate, s.Hyperparams.WeightsRateLimit)
	}
	return s, n, h, nil
}

// setWeights stores n's weight row (zero weights dropped: omitted and zero are
// the same) and marks n active at height h.
func (k Keeper) setWeights(ctx context.Context, s types.Subnet, n types.Neuron, h int64, uids, values []uint32) error {
	row := types.WeightRow{Weights: make([]types.Weight, 0, len(uids))}
	for i, uid := range uids {
		if uid >= s.N {
			return fmt.Errorf("%w: uid %d, subnet has %d", types.ErrInvalidWeights, uid, s.N)
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
	sdk.UnwrapSDKContext(ctx).EventManager().EmitEvent(sdk.NewEvent(types.EventWeightsSet, netuidAttr(s.Netuid),
		sdk.NewAttribute(types.AttributeHotkey, n.Hotkey), sdk.NewAttribute(types.AttributeUID, u64(uint64(n.Uid)))))
	return nil
}

func (m msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if msg.Authority != m.authority {
		return nil, fmt.Errorf("%w: expected %s, got %s", types.ErrInvalidAuthority, m.authority, msg.Authority)
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, err
	}
	if err := m.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
