package keeper

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/hypha-network/hypha/x/subnet/schedule"
	"github.com/hypha-network/hypha/x/subnet/types"
	"github.com/hypha-network/hypha/x/subnet/yuma"
)

type queryServer struct{ Keeper }

// NewQueryServerImpl returns the subnet module's Query service.
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k} }

var _ types.QueryServer = queryServer{}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Subnets(ctx context.Context, req *types.QuerySubnetsRequest) (*types.QuerySubnetsResponse, error) {
	if req == nil {
		req = &types.QuerySubnetsRequest{}
	}
	subnets, page, err := query.CollectionPaginate(ctx, q.Keeper.Subnets, req.Pagination,
		func(_ uint32, s types.Subnet) (types.Subnet, error) { return s, nil })
	if err != nil {
		return nil, err
	}
	return &types.QuerySubnetsResponse{Subnets: subnets, Pagination: page}, nil
}

func (q queryServer) Subnet(ctx context.Context, req *types.QuerySubnetRequest) (*types.QuerySubnetResponse, error) {
	if req == nil {
		return nil, types.ErrInvalidRequest
	}
	s, err := q.getSubnet(ctx, req.Netuid)
	if err != nil {
		return nil, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	return &types.QuerySubnetResponse{
		Subnet: s, Height: h,
		NextEpochHeight:   schedule.NextEpoch(h, s.Netuid, s.Hyperparams.Tempo),
		RegistrationPrice: RegistrationPrice(s, h+1),
	}, nil
}

// FixedString renders a Q2.62 value as a decimal with 9 places (rounded down).
func FixedString(v uint64) string {
	r := new(big.Rat).SetFrac(new(big.Int).SetUint64(v), new(big.Int).SetUint64(uint64(yuma.One)))
	return r.FloatString(9)
}

func (q queryServer) Metagraph(ctx context.Context, req *types.QueryMetagraphRequest) (*types.QueryMetagraphResponse, error) {
	if req == nil {
		return nil, types.ErrInvalidRequest
	}
	s, err := q.getSubnet(ctx, req.Netuid)
	if err != nil {
		return nil, err
	}
	res := &types.QueryMetagraphResponse{Netuid: s.Netuid, Height: sdk.UnwrapSDKContext(ctx).BlockHeight(), LastEpochHeight: s.LastEpochHeight}
	err = q.Neurons.Walk(ctx, collections.NewPrefixedPairRange[uint32, uint32](s.Netuid), func(_ uidKey, n types.Neuron) (bool, error) {
		res.Neurons = append(res.Neurons, types.NeuronInfo{
			Uid: n.Uid, Hotkey: n.Hotkey, Axon: n.Axon, Stake: n.Stake, ValidatorPermit: n.ValidatorPermit,
			Consensus: FixedString(n.Consensus), Incentive: FixedString(n.Incentive),
			Dividends: FixedString(n.Dividends), ValidatorTrust: FixedString(n.ValidatorTrust),
			ConsensusFixed: n.Consensus, IncentiveFixed: n.Incentive,
			DividendsFixed: n.Dividends, ValidatorTrustFixed: n.ValidatorTrust,
			Emission: n.Emission, TotalEmission: n.TotalEmission,
			RegisteredHeight: n.RegisteredHeight, LastUpdate: n.LastUpdate,
		})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (q queryServer) Neuron(ctx context.Context, req *types.QueryNeuronRequest) (*types.QueryNeuronResponse, error) {
	if req == nil {
		return nil, types.ErrInvalidRequest
	}
	n, err := q.neuronOf(ctx, req.Netuid, req.Hotkey)
	if err != nil {
		return nil, err
	}
	res := &types.QueryNeuronResponse{Neuron: n}
	key := collections.Join(n.Netuid, n.Uid)
	if res.Weights, err = q.Weights.Get(ctx, key); err != nil && !errors.Is(err, collections.ErrNotFound) {
		return nil, err
	}
	if res.Bonds, err = q.Bonds.Get(ctx, key); err != nil && !errors.Is(err, collections.ErrNotFound) {
		return nil, err
	}
	return res, nil
}

func (q queryServer) RevealWindow(ctx context.Context, req *types.QueryRevealWindowRequest) (*types.QueryRevealWindowResponse, error) {
	if req == nil {
		return nil, types.ErrInvalidRequest
	}
	s, err := q.getSubnet(ctx, req.Netuid)
	if err != nil {
		return nil, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	// A commit sent now lands in the next block.
	start, end := schedule.RevealWindow(h+1, s.Netuid, s.Hyperparams.Tempo, s.Hyperparams.CommitRevealPeriod)
	res := &types.QueryRevealWindowResponse{Height: h, RevealStartIfCommittedNow: start, RevealEndIfCommittedNow: end}
	if req.Hotkey != "" {
		n, err := q.neuronOf(ctx, req.Netuid, req.Hotkey)
		if err != nil {
			return nil, err
		}
		if c, err := q.Commits.Get(ctx, collections.Join(n.Netuid, n.Uid)); err == nil {
			res.Pending = &c
		}
	}
	return res, nil
}

func (q queryServer) Stakes(ctx context.Context, req *types.QueryStakesRequest) (*types.QueryStakesResponse, error) {
	if req == nil || req.Staker == "" {
		return nil, fmt.Errorf("%w: staker is required", types.ErrInvalidRequest)
	}
	res := &types.QueryStakesResponse{}
	rng := collections.NewPrefixedTripleRange[string, uint32, string](req.Staker)
	err := q.StakesByStaker.Walk(ctx, rng, func(key collections.Triple[string, uint32, string]) (bool, error) {
		amt, err := q.Keeper.Stakes.Get(ctx, collections.Join3(key.K2(), key.K3(), key.K1()))
		if err != nil {
			return true, err
		}
		res.Stakes = append(res.Stakes, types.Stake{Netuid: key.K2(), Hotkey: key.K3(), Staker: key.K1(), Amount: amt})
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (q queryServer) Emission(ctx context.Context, _ *types.QueryEmissionRequest) (*types.QueryEmissionResponse, error) {
	p, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	e, err := q.Keeper.Emission.Get(ctx)
	if err != nil {
		return nil, err
	}
	lock, err := q.LockCost(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryEmissionResponse{
		State:          e,
		BlockEmission:  schedule.BlockEmission(p.BlockEmission, e.TotalEmitted, p.SupplyCap),
		SubnetLockCost: lock,
	}, nil
}
