package keeper_test

import (
	"strings"
	"testing"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/hypha-network/hypha/x/subnet/types"
)

// Every failed subnet message reaches clients with its registered codespace and
// code, read the way baseapp reads them (errorsmod.ABCIInfo), and with a log
// that says more than the bare registered description.
func TestErrorsCarryCodespaceAndCode(t *testing.T) {
	f := newFixture(t)
	netuid := f.createSubnet(t, 0, testHyperparams())
	f.register(t, netuid, 1)
	f.register(t, netuid, 2)
	// A commit from uid 1 whose window lies one tempo ahead.
	hash := types.WeightsHash(netuid, f.Accounts[1], []uint32{1}, []uint32{1}, []byte("salt"))
	if err := f.Deliver(func(ctx sdk.Context) error {
		_, err := f.msg.CommitWeights(ctx, &types.MsgCommitWeights{Hotkey: f.addr(1), Netuid: netuid, Hash: hash})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// A subnet without commit-reveal, rate-limited, and one that is full.
	plain := testHyperparams()
	plain.CommitReveal = false
	plain.WeightsRateLimit = 100
	open := f.createSubnet(t, 0, plain)
	f.register(t, open, 1)
	f.register(t, open, 2)
	// Weights set after the registration block start the rate limit.
	f.advance(t, f.Ctx.BlockHeight()+1)
	if err := f.Deliver(func(ctx sdk.Context) error {
		_, err := f.msg.SetWeights(ctx, &types.MsgSetWeights{Hotkey: f.addr(1), Netuid: open, Uids: []uint32{0}, Values: []uint32{1}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	small := testHyperparams()
	small.MaxUids, small.MaxValidators = 1, 1
	full := f.createSubnet(t, 0, small)
	f.register(t, full, 1)

	reveal := func(salt string) sdk.Msg {
		return &types.MsgRevealWeights{Hotkey: f.addr(1), Netuid: netuid, Uids: []uint32{1}, Values: []uint32{1}, Salt: []byte(salt)}
	}
	cases := []struct {
		name string
		msg  sdk.Msg
		want *errorsmod.Error
	}{
		{"unknown subnet", &types.MsgRegister{Hotkey: f.addr(3), Netuid: 99, MaxBurn: 1 << 40}, types.ErrSubnetNotFound},
		{"burn above max", &types.MsgRegister{Hotkey: f.addr(3), Netuid: netuid, MaxBurn: 1}, types.ErrBurnTooHigh},
		{"lock above max", &types.MsgCreateSubnet{Owner: f.addr(1), Name: "x", MaxLock: 1}, types.ErrLockTooHigh},
		{"already registered", &types.MsgRegister{Hotkey: f.addr(1), Netuid: netuid, MaxBurn: 1 << 40}, types.ErrAlreadyRegistered},
		{"subnet full", &types.MsgRegister{Hotkey: f.addr(3), Netuid: full, MaxBurn: 1 << 40}, types.ErrSubnetFull},
		{"not owner", &types.MsgSetHyperparams{Owner: f.addr(1), Netuid: netuid, Hyperparams: *testHyperparams()}, types.ErrNotOwner},
		{"max_uids below n", &types.MsgSetHyperparams{Owner: f.addr(0), Netuid: netuid, Hyperparams: *small}, types.ErrInvalidHyperparams},
		{"reveal outside window", reveal("salt"), types.ErrRevealWindow},
		{"reveal without commit", &types.MsgRevealWeights{Hotkey: f.addr(2), Netuid: netuid, Uids: []uint32{1}, Values: []uint32{1}, Salt: []byte{1}}, types.ErrNoCommit},
		{"commit on a plain subnet", &types.MsgCommitWeights{Hotkey: f.addr(2), Netuid: open, Hash: hash}, types.ErrCommitRevealOff},
		{"set-weights with commit-reveal", &types.MsgSetWeights{Hotkey: f.addr(1), Netuid: netuid, Uids: []uint32{0}, Values: []uint32{1}}, types.ErrCommitRevealEnabled},
		{"rate limited", &types.MsgSetWeights{Hotkey: f.addr(1), Netuid: open, Uids: []uint32{0}, Values: []uint32{1}}, types.ErrRateLimited},
		{"short hash", &types.MsgCommitWeights{Hotkey: f.addr(1), Netuid: netuid, Hash: []byte{1}}, types.ErrInvalidHash},
		{"not registered", &types.MsgAddStake{Staker: f.addr(4), Netuid: netuid, Hotkey: f.addr(6), Amount: 5}, types.ErrNotRegistered},
		{"insufficient stake", &types.MsgRemoveStake{Staker: f.addr(4), Netuid: netuid, Hotkey: f.addr(1), Amount: 5}, types.ErrInsufficientStake},
		{"bad address", &types.MsgAddStake{Staker: "hypha1nope", Netuid: netuid, Hotkey: f.addr(1), Amount: 5}, types.ErrInvalidAddress},
		{"zero amount", &types.MsgAddStake{Staker: f.addr(4), Netuid: netuid, Hotkey: f.addr(1)}, types.ErrInvalidAmount},
		{"bad authority", &types.MsgUpdateParams{Authority: f.addr(1), Params: types.DefaultParams()}, types.ErrInvalidAuthority},
		// A bank failure keeps the bank's own registered code.
		{"stake more than balance", &types.MsgAddStake{Staker: f.addr(4), Netuid: netuid, Hotkey: f.addr(1), Amount: 2 * balance}, sdkerrors.ErrInsufficientFunds},
	}
	before := f.state(t)
	for _, tc := range cases {
		err := f.Deliver(func(ctx sdk.Context) error {
			_, err := f.k.RouteMsg(ctx, tc.msg)
			return err
		})
		checkABCI(t, tc.name, err, tc.want)
	}
	if after := f.state(t); after != before {
		t.Fatal("failed messages changed state")
	}

	// The hash-mismatch reveal needs the commit's window open.
	c, err := f.k.Commits.Get(f.Ctx, collections.Join(netuid, uint32(0)))
	if err != nil {
		t.Fatal(err)
	}
	f.advance(t, c.RevealStart)
	err = f.Deliver(func(ctx sdk.Context) error {
		_, err := f.k.RouteMsg(ctx, reveal("wrong"))
		return err
	})
	checkABCI(t, "reveal hash mismatch", err, types.ErrHashMismatch)
}

func checkABCI(t *testing.T, name string, err error, want *errorsmod.Error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: succeeded, want %s/%d", name, want.Codespace(), want.ABCICode())
		return
	}
	space, code, log := errorsmod.ABCIInfo(err, false)
	if space != want.Codespace() || code != want.ABCICode() {
		t.Errorf("%s: codespace %q code %d (%v), want %q %d", name, space, code, err, want.Codespace(), want.ABCICode())
	}
	if want.Codespace() == types.ModuleName && (space != "subnet" || !strings.Contains(log, want.Error()) || log == want.Error()) {
		t.Errorf("%s: log %q should wrap %q with what was wrong", name, log, want.Error())
	}
}
