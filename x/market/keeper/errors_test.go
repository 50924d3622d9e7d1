package keeper_test

import (
	"context"
	"testing"

	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/hypha-network/hypha/x/market/types"
)

// Every bad message fails with its registered error and changes no state
// (market store and balances are compared byte for byte).
func TestBadMessagesFailCleanly(t *testing.T) {
	f := newFixture(t)
	f.createProvider("provider1")
	f.createProvider("provider2", types.Attribute{Key: "region", Value: "us-east"})
	open := f.createOrder("alice", 100, 5_000_000)
	f.bid("provider1", open, 90)
	active := f.createOrder("bob", 100, 5_000_000)
	f.bid("provider1", active, 90)
	_, err := f.msg.CreateLease(f.ctx, &types.MsgCreateLease{Owner: addr("bob"), OrderId: active, Provider: addr("provider1")})
	noErr(t, err)
	big := orderMsg("carol", 100, 5_000_000)
	big.Resources.Gpu.Count = 9 // more than any provider has
	bigID := f.createOrder("carol", 100, 5_000_000)
	{
		o := f.order(bigID)
		o.Resources.Gpu.Count = 9
		noErr(t, f.k.Orders.Set(f.ctx, bigID, o))
	}
	audited := orderMsg("carol", 100, 5_000_000)
	audited.RequiredAuditors = []string{addr("auditor")}
	auditedID := must[*types.MsgCreateOrderResponse](t)(f.msg.CreateOrder(f.ctx, audited)).OrderId

	inv := gpuInventory()
	goodProvider := func(owner string) *types.MsgCreateProvider {
		return &types.MsgCreateProvider{Owner: addr(owner), HostUri: "https://x.example.com", TlsFingerprint: fingerprint(),
			Inventory: inv, Bond: uhyp(types.DefaultMinProviderBond.Int64())}
	}
	withOrder := func(mut func(m *types.MsgCreateOrder)) *types.MsgCreateOrder {
		m := orderMsg("carol", 100, 5_000_000)
		mut(m)
		return m
	}
	negative := sdk.Coin{Denom: denom, Amount: sdkmath.NewInt(-5)}

	cases := []struct {
		name string
		run  func(ctx context.Context) error
		want *errorsmod.Error
	}{
		{"provider bad address", func(ctx context.Context) error {
			m := goodProvider("provider3")
			m.Owner = "nope"
			_, err := f.msg.CreateProvider(ctx, m)
			return err
		}, types.ErrInvalidAddress},
		{"provider bond too low", func(ctx context.Context) error {
			m := goodProvider("provider3")
			m.Bond = uhyp(1)
			_, err := f.msg.CreateProvider(ctx, m)
			return err
		}, types.ErrBondTooLow},
		{"provider zero bond", func(ctx context.Context) error {
			m := goodProvider("provider3")
			m.Bond = uhyp(0)
			_, err := f.msg.CreateProvider(ctx, m)
			return err
		}, types.ErrInvalidAmount},
		{"provider wrong denom", func(ctx context.Context) error {
			m := goodProvider("provider3")
			m.Bond = sdk.NewCoin("uatom", types.DefaultMinProviderBond)
			_, err := f.msg.CreateProvider(ctx, m)
			return err
		}, types.ErrInvalidDenom},
		{"provider exists", func(ctx context.Context) error {
			_, err := f.msg.CreateProvider(ctx, goodProvider("provider1"))
			return err
		}, types.ErrProviderExists},
		{"provider bad fingerprint", func(ctx context.Context) error {
			m := goodProvider("provider3")
			m.TlsFingerprint = "ABC"
			_, err := f.msg.CreateProvider(ctx, m)
			return err
		}, types.ErrInvalidProvider},
		{"provider bad uri", func(ctx context.Context) error {
			m := goodProvider("provider3")
			m.HostUri = "not a uri"
			_, err := f.msg.CreateProvider(ctx, m)
			return err
		}, types.ErrInvalidProvider},
		{"provider zero gpu count", func(ctx context.Context) error {
			m := goodProvider("provider3")
			m.Inventory.Gpus = []types.GPUCapacity{{Vendor: "nvidia", Model: "h100"}}
			_, err := f.msg.CreateProvider(ctx, m)
			return err
		}, types.ErrInvalidResources},
		{"update unknown provider", func(ctx context.Context) error {
			_, err := f.msg.UpdateProvider(ctx, &types.MsgUpdateProvider{Owner: addr("carol"), HostUri: "https://x.y",
				TlsFingerprint: fingerprint(), AddBond: uhyp(0)})
			return err
		}, types.ErrProviderNotFound},
		{"update shrinks below allocation", func(ctx context.Context) error {
			_, err := f.msg.UpdateProvider(ctx, &types.MsgUpdateProvider{Owner: addr("provider1"), HostUri: "https://x.y",
				TlsFingerprint: fingerprint(), AddBond: uhyp(0), Inventory: types.Inventory{CpuMillis: 1, MemoryBytes: 1}})
			return err
		}, types.ErrInventoryInUse},
		{"delete provider with lease", func(ctx context.Context) error {
			_, err := f.msg.DeleteProvider(ctx, &types.MsgDeleteProvider{Owner: addr("provider1")})
			return err
		}, types.ErrProviderHasLeases},
		{"sign unknown provider", func(ctx context.Context) error {
			_, err := f.msg.SignProviderAttributes(ctx, &types.MsgSignProviderAttributes{Auditor: addr("auditor"),
				Provider: addr("carol"), Attributes: []types.Attribute{{Key: "a", Value: "b"}}})
			return err
		}, types.ErrProviderNotFound},
		{"order zero deposit", func(ctx context.Context) error {
			_, err := f.msg.CreateOrder(ctx, withOrder(func(m *types.MsgCreateOrder) { m.Deposit = uhyp(0) }))
			return err
		}, types.ErrInvalidAmount},
		{"order negative price", func(ctx context.Context) error {
			_, err := f.msg.CreateOrder(ctx, withOrder(func(m *types.MsgCreateOrder) { m.MaxPricePerBlock = negative }))
			return err
		}, types.ErrInvalidAmount},
		{"order deposit below min", func(ctx context.Context) error {
			_, err := f.msg.CreateOrder(ctx, withOrder(func(m *types.MsgCreateOrder) { m.Deposit = uhyp(4_999_999) }))
			return err
		}, types.ErrDepositTooLow},
		{"order deposit below one block", func(ctx context.Context) error {
			_, err := f.msg.CreateOrder(ctx, withOrder(func(m *types.MsgCreateOrder) { m.MaxPricePerBlock = uhyp(6_000_000) }))
			return err
		}, types.ErrDepositTooLow},
		{"order bid window too long", func(ctx context.Context) error {
			_, err := f.msg.CreateOrder(ctx, withOrder(func(m *types.MsgCreateOrder) { m.BidWindow = 1_000_000 }))
			return err
		}, types.ErrInvalidBidWindow},
		{"order no cpu", func(ctx context.Context) error {
			_, err := f.msg.CreateOrder(ctx, withOrder(func(m *types.MsgCreateOrder) { m.Resources.CpuMillis = 0 }))
			return err
		}, types.ErrInvalidResources},
		{"order duplicate placement key", func(ctx context.Context) error {
			_, err := f.msg.CreateOrder(ctx, withOrder(func(m *types.MsgCreateOrder) {
				m.Placement = []types.Attribute{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}}
			}))
			return err
		}, types.ErrInvalidAttributes},
		{"order insufficient funds", func(ctx context.Context) error {
			_, err := f.msg.CreateOrder(ctx, withOrder(func(m *types.MsgCreateOrder) { m.Owner = poor.String() }))
			return err
		}, sdkerrors.ErrInsufficientFunds}, // the real bank's error
		{"close unknown order", func(ctx context.Context) error {
			_, err := f.msg.CloseOrder(ctx, &types.MsgCloseOrder{Owner: addr("alice"), OrderId: 999})
			return err
		}, types.ErrOrderNotFound},
		{"close order not owner", func(ctx context.Context) error {
			_, err := f.msg.CloseOrder(ctx, &types.MsgCloseOrder{Owner: addr("bob"), OrderId: open})
			return err
		}, types.ErrUnauthorized},
		{"deposit unknown order", func(ctx context.Context) error {
			_, err := f.msg.DepositEscrow(ctx, &types.MsgDepositEscrow{Depositor: addr("bob"), OrderId: 999, Amount: uhyp(5)})
			return err
		}, types.ErrOrderNotFound},
		{"deposit zero", func(ctx context.Context) error {
			_, err := f.msg.DepositEscrow(ctx, &types.MsgDepositEscrow{Depositor: addr("bob"), OrderId: open, Amount: uhyp(0)})
			return err
		}, types.ErrInvalidAmount},
		{"bid unknown order", func(ctx context.Context) error { return bidErr(f, addr("provider2"), 999, 50) }, types.ErrOrderNotFound},
		{"bid above max price", func(ctx context.Context) error {
			_, err := f.msg.CreateBid(ctx, &types.MsgCreateBid{Provider: addr("provider1"), OrderId: open, Price: uhyp(101)})
			return err
		}, types.ErrBidAboveMaxPrice},
		{"bid zero price", func(ctx context.Context) error {
			_, err := f.msg.CreateBid(ctx, &types.MsgCreateBid{Provider: addr("provider1"), OrderId: open, Price: uhyp(0)})
			return err
		}, types.ErrInvalidAmount},
		{"bid not a provider", func(ctx context.Context) error {
			_, err := f.msg.CreateBid(ctx, &types.MsgCreateBid{Provider: addr("carol"), OrderId: open, Price: uhyp(50)})
			return err
		}, types.ErrProviderNotFound},
		{"bid attributes mismatch", func(ctx context.Context) error {
			_, err := f.msg.CreateBid(ctx, &types.MsgCreateBid{Provider: addr("provider2"), OrderId: open, Price: uhyp(50)})
			return err
		}, types.ErrAttributesMismatch},
		{"bid inventory does not fit", func(ctx context.Context) error {
			_, err := f.msg.CreateBid(ctx, &types.MsgCreateBid{Provider: addr("provider1"), OrderId: bigID, Price: uhyp(50)})
			return err
		}, types.ErrInventoryMismatch},
		{"bid auditor missing", func(ctx context.Context) error {
			_, err := f.msg.CreateBid(ctx, &types.MsgCreateBid{Provider: addr("provider1"), OrderId: auditedID, Price: uhyp(50)})
			return err
		}, types.ErrAuditorMissing},
		{"bid on active order", func(ctx context.Context) error {
			_, err := f.msg.CreateBid(ctx, &types.MsgCreateBid{Provider: addr("provider1"), OrderId: active, Price: uhyp(50)})
			return err
		}, types.ErrOrderNotOpen},
		{"close unknown bid", func(ctx context.Context) error {
			_, err := f.msg.CloseBid(ctx, &types.MsgCloseBid{Provider: addr("provider2"), OrderId: open})
			return err
		}, types.ErrBidNotFound},
		{"accept bid not owner", func(ctx context.Context) error {
			_, err := f.msg.CreateLease(ctx, &types.MsgCreateLease{Owner: addr("bob"), OrderId: open, Provider: addr("provider1")})
			return err
		}, types.ErrUnauthorized},
		{"accept missing bid", func(ctx context.Context) error {
			_, err := f.msg.CreateLease(ctx, &types.MsgCreateLease{Owner: addr("alice"), OrderId: open, Provider: addr("provider2")})
			return err
		}, types.ErrBidNotFound},
		{"withdraw not provider", func(ctx context.Context) error {
			_, err := f.msg.WithdrawLease(ctx, &types.MsgWithdrawLease{Provider: addr("provider2"), OrderId: active})
			return err
		}, types.ErrUnauthorized},
		{"withdraw unknown lease", func(ctx context.Context) error {
			_, err := f.msg.WithdrawLease(ctx, &types.MsgWithdrawLease{Provider: addr("provider1"), OrderId: open})
			return err
		}, types.ErrLeaseNotFound},
		{"close lease stranger", func(ctx context.Context) error {
			_, err := f.msg.CloseLease(ctx, &types.MsgCloseLease{Sender: addr("carol"), OrderId: active})
			return err
		}, types.ErrUnauthorized},
		{"heartbeat not provider", func(ctx context.Context) error {
			_, err := f.msg.LeaseHeartbeat(ctx, &types.MsgLeaseHeartbeat{Provider: addr("provider2"), OrderId: active})
			return err
		}, types.ErrUnauthorized},
		{"update params wrong authority", func(ctx context.Context) error {
			_, err := f.msg.UpdateParams(ctx, &types.MsgUpdateParams{Authority: addr("alice"), Params: types.DefaultParams()})
			return err
		}, types.ErrInvalidAuthority},
		{"update params invalid", func(ctx context.Context) error {
			p := types.DefaultParams()
			p.TakeRate = sdkmath.LegacyOneDec()
			_, err := f.msg.UpdateParams(ctx, &types.MsgUpdateParams{Authority: authtypes.NewModuleAddress("gov").String(), Params: p})
			return err
		}, types.ErrInvalidParams},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.state()
			err := tc.run(f.ctx)
			if err == nil {
				t.Fatal("expected an error")
			}
			if tc.want != nil && !tc.want.Is(err) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if f.state() != before {
				t.Fatal("failed message changed state")
			}
		})
	}
	// Closed lease: every lease message fails with ErrLeaseNotActive.
	_, err = f.msg.CloseLease(f.ctx, &types.MsgCloseLease{Sender: addr("provider1"), OrderId: active})
	noErr(t, err)
	before := f.state()
	if _, err := f.msg.LeaseHeartbeat(f.ctx, &types.MsgLeaseHeartbeat{Provider: addr("provider1"), OrderId: active}); !types.ErrLeaseNotActive.Is(err) {
		t.Fatalf("heartbeat on closed lease: %v", err)
	}
	if _, err := f.msg.DepositEscrow(f.ctx, &types.MsgDepositEscrow{Depositor: addr("bob"), OrderId: active, Amount: uhyp(5)}); !types.ErrOrderNotOpen.Is(err) {
		t.Fatalf("deposit on closed order: %v", err)
	}
	if f.state() != before {
		t.Fatal("state changed")
	}
	if l := f.lease(active); l.CloseReason != types.ReasonProviderClosed {
		t.Fatalf("reason %s", l.CloseReason)
	}
}

// The auditor flow: a signature covering the placement lets the provider bid.
func TestAuditorSignatureEnablesBid(t *testing.T) {
	f := newFixture(t)
	f.createProvider("provider1")
	m := orderMsg("alice", 100, 5_000_000)
	m.RequiredAuditors = []string{addr("auditor")}
	id := must[*types.MsgCreateOrderResponse](t)(f.msg.CreateOrder(f.ctx, m)).OrderId
	if err := bidErr(f, addr("provider1"), id, 50); !types.ErrAuditorMissing.Is(err) {
		t.Fatal(err)
	}
	_, err := f.msg.SignProviderAttributes(f.ctx, &types.MsgSignProviderAttributes{Auditor: addr("auditor"),
		Provider: addr("provider1"), Attributes: []types.Attribute{{Key: "tier", Value: "x"}}})
	noErr(t, err)
	if err := bidErr(f, addr("provider1"), id, 50); !types.ErrAuditorMissing.Is(err) {
		t.Fatal("signature without the placement attribute must not count")
	}
	_, err = f.msg.SignProviderAttributes(f.ctx, &types.MsgSignProviderAttributes{Auditor: addr("auditor"),
		Provider: addr("provider1"), Attributes: []types.Attribute{{Key: "region", Value: "eu-west"}}})
	noErr(t, err)
	noErr(t, bidErr(f, addr("provider1"), id, 50))
}
