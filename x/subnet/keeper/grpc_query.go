package keeper

import (
	"context"
	"errors"
	"math/big"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	"github.com/cosmos/cosmos-sdk/types/query"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hypha-network/hypha/x/subnet/schedule"
	"github.com/hypha-network/hypha/x/subnet/types"
	"github.com/hypha-network/hypha/x/subnet/yuma"
)

type queryServer struct{ k Keeper }

// NewQueryServerImpl returns the subnet module's Query service. Its errors are
// gRPC statuses: InvalidArgument for a malformed request, NotFound for an
// absent subnet or neuron, Internal for anything else (a store failure), so a
// client can tell "does not exist" from "could not read".
func NewQueryServerImpl(k Keeper) types.QueryServer { return queryServer{k: k} }

var _ types.QueryServer = queryServer{}

// queryStatus converts a keeper error into the gRPC status a query returns.
func queryStatus(err error) error {
	switch {
	case err == nil:
		return nil
	case errorsmod.IsOf(err, types.ErrSubnetNotFound, types.ErrNotRegistered):
		return status.Error(codes.NotFound, err.Error())
	case errorsmod.IsOf(err, types.ErrInvalidRequest, types.ErrInvalidAddress, sdkerrors.ErrInvalidRequest):
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

// invalidRequest is the status of a request that lacks what the query needs.
func invalidRequest(what string) error {
	return status.Error(codes.InvalidArgument, errorsmod.Wrap(types.ErrInvalidRequest, what).Error())
}

// optional returns err unless it only says the entry is absent.
func optional(err error) error {
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	return err
}

func (q queryServer) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, queryStatus(err)
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

func (q queryServer) Subnets(ctx context.Context, req *types.QuerySubnetsRequest) (*types.QuerySubnetsResponse, error) {
	if req == nil {
		req = &types.QuerySubnetsRequest{}
	}
	subnets, page, err := query.CollectionPaginate(ctx, q.k.Subnets, req.Pagination,
		func(_ uint32, s types.Subnet) (types.Subnet, error) { return s, nil })
	if err != nil {
		return nil, queryStatus(err)
	}
	return &types.QuerySubnetsResponse{Subnets: subnets, Pagination: page}, nil
}

func (q queryServer) Subnet(ctx context.Context, req *types.QuerySubnetRequest) (*types.QuerySubnetResponse, error) {
	if req == nil {
		return nil, invalidRequest("empty request")
	}
	s, err := q.k.getSubnet(ctx, req.Netuid)
	if err != nil {
		return nil, queryStatus(err)
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

// neuronInfo is n as the metagraph shows it: each fixed-point value both as its
// raw Q2.62 integer and as a decimal for display.
func neuronInfo(n types.Neuron) types.NeuronInfo {
	return types.NeuronInfo{
		Uid: n.Uid, Hotkey: n.Hotkey, Axon: n.Axon, Stake: n.Stake, ValidatorPermit: n.ValidatorPermit,
		Consensus: FixedString(n.Consensus), Incentive: FixedString(n.Incentive),
		Dividends: FixedString(n.Dividends), ValidatorTrust: FixedString(n.ValidatorTrust),
		ConsensusFixed: n.Consensus, IncentiveFixed: n.Incentive,
		DividendsFixed: n.Dividends, ValidatorTrustFixed: n.ValidatorTrust,
		Emission: n.Emission, TotalEmission: n.TotalEmission,
		RegisteredHeight: n.RegisteredHeight, LastUpdate: n.LastUpdate,
	}
}

func (q queryServer) Metagraph(ctx context.Context, req *types.QueryMetagraphRequest) (*types.QueryMetagraphResponse, error) {
	if req == nil {
		return nil, invalidRequest("empty request")
	}
	s, err := q.k.getSubnet(ctx, req.Netuid)
	if err != nil {
		return nil, queryStatus(err)
	}
	res := &types.QueryMetagraphResponse{Netuid: s.Netuid, Height: sdk.UnwrapSDKContext(ctx).BlockHeight(), LastEpochHeight: s.LastEpochHeight}
	err = q.k.Neurons.Walk(ctx, collections.NewPrefixedPairRange[uint32, uint32](s.Netuid), func(_ uidKey, n types.Neuron) (bool, error) {
		res.Neurons = append(res.Neurons, neuronInfo(n))
		return false, nil
	})
	if err != nil {
		return nil, queryStatus(err)
	}
	return res, nil
}

// hotkeyOf checks a request's hotkey and returns it in canonical form, the one
// the store is keyed by.
func hotkeyOf(hotkey string) (string, error) {
	if hotkey == "" {
		return "", invalidRequest("hotkey is required")
	}
	a, err := types.ParseAddress("hotkey", hotkey)
	if err != nil {
		return "", queryStatus(err)
	}
	return a.String(), nil
}

func (q queryServer) Neuron(ctx context.Context, req *types.QueryNeuronRequest) (*types.QueryNeuronResponse, error) {
	if req == nil {
		return nil, invalidRequest("empty request")
	}
	hotkey, err := hotkeyOf(req.Hotkey)
	if err != nil {
		return nil, err
	}
	if _, err := q.k.getSubnet(ctx, req.Netuid); err != nil {
		return nil, queryStatus(err)
	}
	n, err := q.k.neuronOf(ctx, req.Netuid, hotkey)
	if err != nil {
		return nil, queryStatus(err)
	}
	res := &types.QueryNeuronResponse{Neuron: n}
	key := collections.Join(n.Netuid, n.Uid)
	if res.Weights, err = q.k.Weights.Get(ctx, key); optional(err) != nil {
		return nil, queryStatus(err)
	}
	if res.Bonds, err = q.k.Bonds.Get(ctx, key); optional(err) != nil {
		return nil, queryStatus(err)
	}
	return res, nil
}

func (q queryServer) RevealWindow(ctx context.Context, req *types.QueryRevealWindowRequest) (*types.QueryRevealWindowResponse, error) {
	if req == nil {
		return nil, invalidRequest("empty request")
	}
	s, err := q.k.getSubnet(ctx, req.Netuid)
	if err != nil {
		return nil, queryStatus(err)
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	// A commit sent now lands in the next block.
	start, end := schedule.RevealWindow(h+1, s.Netuid, s.Hyperparams.Tempo, s.Hyperparams.CommitRevealPeriod)
	res := &types.QueryRevealWindowResponse{Height: h, RevealStartIfCommittedNow: start, RevealEndIfCommittedNow: end}
	if req.Hotkey == "" {
		return res, nil
	}
	hotkey, err := hotkeyOf(req.Hotkey)
	if err != nil {
		return nil, err
	}
	n, err := q.k.neuronOf(ctx, req.Netuid, hotkey)
	if err != nil {
		return nil, queryStatus(err)
	}
	c, err := q.k.Commits.Get(ctx, collections.Join(n.Netuid, n.Uid))
	switch {
	case err == nil:
		res.Pending = &c
	case optional(err) != nil:
		return nil, queryStatus(err)
	}
	return res, nil
}

func (q queryServer) Stakes(ctx context.Context, req *types.QueryStakesRequest) (*types.QueryStakesResponse, error) {
	if req == nil || req.Staker == "" {
		return nil, invalidRequest("staker is required")
	}
	staker, err := types.ParseAddress("staker", req.Staker)
	if err != nil {
		return nil, queryStatus(err)
	}
	res := &types.QueryStakesResponse{}
	rng := collections.NewPrefixedTripleRange[string, uint32, string](staker.String())
	err = q.k.StakesByStaker.Walk(ctx, rng, func(key collections.Triple[string, uint32, string]) (bool, error) {
		amt, err := q.k.Stakes.Get(ctx, collections.Join3(key.K2(), key.K3(), key.K1()))
		if err != nil {
			return true, err
		}
		res.Stakes = append(res.Stakes, types.Stake{Netuid: key.K2(), Hotkey: key.K3(), Staker: key.K1(), Amount: amt})
		return false, nil
	})
	if err != nil {
		return nil, queryStatus(err)
	}
	return res, nil
}

func (q queryServer) Emission(ctx context.Context, _ *types.QueryEmissionRequest) (*types.QueryEmissionResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, queryStatus(err)
	}
	e, err := q.k.Emission.Get(ctx)
	if err != nil {
		return nil, queryStatus(err)
	}
	lock, err := q.k.LockCost(ctx)
	if err != nil {
		return nil, queryStatus(err)
	}
	return &types.QueryEmissionResponse{
		State:          e,
		BlockEmission:  schedule.BlockEmission(p.BlockEmission, e.TotalEmitted, p.SupplyCap),
		SubnetLockCost: lock,
	}, nil
}
