package keeper_test

import (
	"context"
	"errors"
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/core/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hypha-network/hypha/x/subnet/keeper"
	"github.com/hypha-network/hypha/x/subnet/types"
	"github.com/hypha-network/hypha/x/subnet/yuma"
)

// Queries answer with gRPC status codes: InvalidArgument for a malformed
// request and NotFound for an absent subnet or neuron.
func TestQueryStatusCodes(t *testing.T) {
	f := newFixture(t)
	netuid := f.createSubnet(t, 0, testHyperparams())
	f.register(t, netuid, 1)
	ctx := f.Ctx
	cases := []struct {
		name string
		err  error
		want codes.Code
	}{
		{"subnet: nil request", second(f.q.Subnet(ctx, nil)), codes.InvalidArgument},
		{"neuron: no hotkey", second(f.q.Neuron(ctx, &types.QueryNeuronRequest{Netuid: netuid})), codes.InvalidArgument},
		{"neuron: bad hotkey", second(f.q.Neuron(ctx, &types.QueryNeuronRequest{Netuid: netuid, Hotkey: "hypha1nope"})), codes.InvalidArgument},
		{"reveal window: bad hotkey", second(f.q.RevealWindow(ctx, &types.QueryRevealWindowRequest{Netuid: netuid, Hotkey: "x"})), codes.InvalidArgument},
		{"stakes: no staker", second(f.q.Stakes(ctx, &types.QueryStakesRequest{})), codes.InvalidArgument},
		{"stakes: bad staker", second(f.q.Stakes(ctx, &types.QueryStakesRequest{Staker: "x"})), codes.InvalidArgument},
		{"subnet: unknown", second(f.q.Subnet(ctx, &types.QuerySubnetRequest{Netuid: 99})), codes.NotFound},
		{"metagraph: unknown", second(f.q.Metagraph(ctx, &types.QueryMetagraphRequest{Netuid: 99})), codes.NotFound},
		{"reveal window: unknown", second(f.q.RevealWindow(ctx, &types.QueryRevealWindowRequest{Netuid: 99})), codes.NotFound},
		{"neuron: unknown subnet", second(f.q.Neuron(ctx, &types.QueryNeuronRequest{Netuid: 99, Hotkey: f.addr(1)})), codes.NotFound},
		{"neuron: unregistered", second(f.q.Neuron(ctx, &types.QueryNeuronRequest{Netuid: netuid, Hotkey: f.addr(2)})), codes.NotFound},
		{"reveal window: unregistered", second(f.q.RevealWindow(ctx, &types.QueryRevealWindowRequest{Netuid: netuid, Hotkey: f.addr(2)})), codes.NotFound},
		{"neuron: found", second(f.q.Neuron(ctx, &types.QueryNeuronRequest{Netuid: netuid, Hotkey: f.addr(1)})), codes.OK},
	}
	for _, tc := range cases {
		if got := status.Code(tc.err); got != tc.want {
			t.Errorf("%s: %v (%v), want %v", tc.name, got, tc.err, tc.want)
		}
	}
}

// A store that fails to read is Internal, never NotFound: "could not read" must
// not look like "does not exist".
func TestQueryStoreErrorIsInternal(t *testing.T) {
	f := newFixture(t)
	k := keeper.NewKeeper(f.App.AppCodec(), brokenStore{}, f.App.SubnetKeeper.Authority(), f.App.AccountKeeper, f.App.BankKeeper)
	q := keeper.NewQueryServerImpl(k)
	ctx := f.Ctx
	hotkey := f.addr(1)
	for name, err := range map[string]error{
		"params":        second(q.Params(ctx, &types.QueryParamsRequest{})),
		"subnets":       second(q.Subnets(ctx, &types.QuerySubnetsRequest{})),
		"subnet":        second(q.Subnet(ctx, &types.QuerySubnetRequest{Netuid: 1})),
		"metagraph":     second(q.Metagraph(ctx, &types.QueryMetagraphRequest{Netuid: 1})),
		"neuron":        second(q.Neuron(ctx, &types.QueryNeuronRequest{Netuid: 1, Hotkey: hotkey})),
		"reveal window": second(q.RevealWindow(ctx, &types.QueryRevealWindowRequest{Netuid: 1, Hotkey: hotkey})),
		"stakes":        second(q.Stakes(ctx, &types.QueryStakesRequest{Staker: hotkey})),
		"emission":      second(q.Emission(ctx, &types.QueryEmissionRequest{})),
	} {
		if got := status.Code(err); got != codes.Internal {
			t.Errorf("%s: %v (%v), want Internal", name, got, err)
		}
	}
}

// The metagraph carries each fixed-point value as its raw Q2.62 integer next to
// the decimal string, and the two agree.
func TestMetagraphCarriesFixedPoint(t *testing.T) {
	f := newFixture(t)
	netuid := f.createSubnet(t, 0, testHyperparams())
	uid := f.register(t, netuid, 1)
	n, err := f.k.Neurons.Get(f.Ctx, collections.Join(netuid, uid))
	if err != nil {
		t.Fatal(err)
	}
	n.Consensus, n.Incentive, n.Dividends, n.ValidatorTrust = uint64(yuma.One), uint64(yuma.Half), uint64(yuma.One)/4, 1
	if err := f.k.Neurons.Set(f.Ctx, collections.Join(netuid, uid), n); err != nil {
		t.Fatal(err)
	}
	mg, err := f.q.Metagraph(f.Ctx, &types.QueryMetagraphRequest{Netuid: netuid})
	if err != nil {
		t.Fatal(err)
	}
	got := mg.Neurons[0]
	if got.ConsensusFixed != 1<<62 || got.IncentiveFixed != 1<<61 || got.DividendsFixed != 1<<60 || got.ValidatorTrustFixed != 1 {
		t.Fatalf("fixed fields %d %d %d %d", got.ConsensusFixed, got.IncentiveFixed, got.DividendsFixed, got.ValidatorTrustFixed)
	}
	if got.Consensus != "1.000000000" || got.Incentive != "0.500000000" || got.Dividends != "0.250000000" || got.ValidatorTrust != "0.000000000" {
		t.Fatalf("decimal fields %s %s %s %s", got.Consensus, got.Incentive, got.Dividends, got.ValidatorTrust)
	}
}

func second[T any](_ T, err error) error { return err }

// brokenStore is a KV store whose every operation fails, as a corrupt or
// unreadable database would.
type brokenStore struct{}

var errDisk = errors.New("disk read failed")

func (brokenStore) OpenKVStore(context.Context) store.KVStore           { return brokenStore{} }
func (brokenStore) Get([]byte) ([]byte, error)                          { return nil, errDisk }
func (brokenStore) Has([]byte) (bool, error)                            { return false, errDisk }
func (brokenStore) Set(_, _ []byte) error                               { return errDisk }
func (brokenStore) Delete([]byte) error                                 { return errDisk }
func (brokenStore) Iterator(_, _ []byte) (store.Iterator, error)        { return nil, errDisk }
func (brokenStore) ReverseIterator(_, _ []byte) (store.Iterator, error) { return nil, errDisk }
