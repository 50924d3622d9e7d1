package chainclient_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	sdkmath "cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"

	"github.com/hypha-network/hypha/agent/chainclient"
	"github.com/hypha-network/hypha/client/broadcast"
	"github.com/hypha-network/hypha/testutil/e2e"
	markettypes "github.com/hypha-network/hypha/x/market/types"
)

func client(t *testing.T, d *e2e.Devnet, key string) *chainclient.Client {
	t.Helper()
	c, err := chainclient.New(chainclient.Config{Home: d.Home, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReady(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

func send(from *chainclient.Client, to string, amount int64) sdk.Msg {
	return banktypes.NewMsgSend(from.AccAddress(), sdk.MustAccAddressFromBech32(to),
		sdk.NewCoins(sdk.NewCoin("uhyp", sdkmath.NewInt(amount))))
}

// TestBroadcastOnDevnet drives the client against a real node: typed
// responses, typed errors at each stage, pipelined transactions sharing a
// block, and recovery from a sequence used behind the client's back.
func TestBroadcastOnDevnet(t *testing.T) {
	d := e2e.StartDevnet(t)
	ctx := context.Background()
	alice := client(t, d, "alice")
	bob := d.Address(t, "bob")

	// A typed response: the order id the chain assigned.
	spec := markettypes.ResourceSpec{CpuMillis: 500, MemoryBytes: 256 << 20}
	res, err := alice.Broadcast(ctx, &markettypes.MsgCreateOrder{
		Owner: alice.Address(), Resources: spec, MaxPricePerBlock: sdk.NewCoin("uhyp", sdkmath.NewInt(100)),
		Deposit: sdk.NewCoin("uhyp", sdkmath.NewInt(5_000_000)),
	})
	if err != nil {
		t.Fatalf("create order: %v", err)
	}
	created, err := broadcast.Response[*markettypes.MsgCreateOrderResponse](res, 0)
	if err != nil || created.OrderId == 0 {
		t.Fatalf("order response %v, %v", created, err)
	}
	if o, err := alice.Order(ctx, created.OrderId); err != nil || o.Owner != alice.Address() {
		t.Fatalf("order %d on chain: %+v, %v", created.OrderId, o, err)
	}

	// A message the chain refuses comes back typed, with nothing sent.
	_, err = alice.Broadcast(ctx, &markettypes.MsgCloseOrder{Owner: alice.Address(), OrderId: 999_999})
	var te *broadcast.TxError
	if !errors.As(err, &te) || !errors.Is(err, markettypes.ErrOrderNotFound) || te.Codespace != markettypes.ModuleName {
		t.Fatalf("closing a missing order: %v (%#v), want market ErrOrderNotFound", err, te)
	}
	t.Logf("refused: %v", err)
	if strings.Contains(err.Error(), "rpc error") || strings.Contains(err.Error(), ".go:") {
		t.Fatalf("error repeats transport noise: %v", err)
	}

	// Queries: NotFound is typed.
	if _, err := alice.Order(ctx, 999_999); !chainclient.IsNotFound(err) {
		t.Fatalf("missing order query: %v, want not found", err)
	}

	// Twenty transactions submitted back to back share one or two blocks:
	// the sequence is tracked locally, nobody waits for a block to sign.
	var wg sync.WaitGroup
	heights := make([]int64, 20)
	errs := make([]error, 20)
	for i := range heights {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := alice.Broadcast(ctx, send(alice, bob, 1))
			if err == nil {
				heights[i] = r.Height
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	blocks := map[int64]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		blocks[heights[i]] = true
	}
	t.Logf("20 pipelined sends landed in %d block(s)", len(blocks))
	if len(blocks) > 2 {
		t.Fatalf("20 pipelined sends took %d blocks: %v", len(blocks), heights)
	}

	// The CLI spends alice's next sequence: the client recovers by re-reading
	// the account, once.
	d.Tx(t, "bank", "send", "alice", bob, "1uhyp")
	if _, err := alice.Broadcast(ctx, send(alice, bob, 1)); err != nil {
		t.Fatalf("after a sequence used elsewhere: %v", err)
	}

	// A key with no account on chain is refused before signing, saying why;
	// an unknown key is refused when the client is made.
	d.CLI(t, "keys", "add", "fresh", "--keyring-backend", "test")
	fresh := client(t, d, "fresh")
	if _, err := fresh.Broadcast(ctx, send(fresh, bob, 1)); !errors.Is(err, chainclient.ErrNoAccount) {
		t.Fatalf("unfunded key: %v, want ErrNoAccount", err)
	}
	if _, err := chainclient.New(chainclient.Config{Home: d.Home, Key: "nobody"}); !errors.Is(err, chainclient.ErrKeyNotFound) ||
		!strings.Contains(err.Error(), "hyphad keys list") {
		t.Fatalf("unknown key: %v", err)
	}

	// Several messages in one transaction, one response each.
	res, err = alice.Broadcast(ctx, send(alice, bob, 2), send(alice, bob, 3))
	if err != nil || len(res.Responses) != 2 {
		t.Fatalf("two sends in one tx: %v, %v", res, err)
	}

	// Out of funds: refused in simulation with the bank's code.
	_, err = alice.Broadcast(ctx, send(alice, bob, 1<<62))
	if !errors.Is(err, sdkerrors.ErrInsufficientFunds) {
		t.Fatalf("overspend: %v, want insufficient funds", err)
	}
}
