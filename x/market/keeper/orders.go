package keeper

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strconv"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/market/types"
)

// MaxDepositors bounds the distinct depositors of one escrow account, so that
// refunds (which may run in EndBlock) do bounded work. One slot is the order
// owner's: third parties share the other MaxDepositors-1, so filling them can
// never lock the owner out of topping up its own order.
const MaxDepositors = 16

// GetOrder loads an order or fails with ErrOrderNotFound.
func (k Keeper) GetOrder(ctx context.Context, id uint64) (types.Order, error) {
	o, err := k.Orders.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return o, errorsmod.Wrapf(types.ErrOrderNotFound, "order %d", id)
	}
	return o, err
}

// GetLease loads a lease or fails with ErrLeaseNotFound.
func (k Keeper) GetLease(ctx context.Context, id uint64) (types.Lease, error) {
	l, err := k.Leases.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return l, errorsmod.Wrapf(types.ErrLeaseNotFound, "lease %d", id)
	}
	return l, err
}

func idStr(id uint64) string { return strconv.FormatUint(id, 10) }

func (k Keeper) createOrder(ctx context.Context, m *types.MsgCreateOrder) (types.Order, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.Order{}, err
	}
	if m.Deposit.Denom != params.Denom || m.MaxPricePerBlock.Denom != params.Denom {
		return types.Order{}, errorsmod.Wrapf(types.ErrInvalidDenom, "amounts must be in %s", params.Denom)
	}
	if m.Deposit.Amount.LT(params.MinDeposit.Amount) {
		return types.Order{}, errorsmod.Wrapf(types.ErrDepositTooLow, "deposit %s < min_deposit %s", m.Deposit, params.MinDeposit)
	}
	if m.Deposit.Amount.LT(m.MaxPricePerBlock.Amount) {
		return types.Order{}, errorsmod.Wrapf(types.ErrDepositTooLow,
			"deposit %s does not cover one block at max price %s", m.Deposit, m.MaxPricePerBlock)
	}
	window := m.BidWindow
	if window == 0 {
		window = params.BidWindowDefault
	}
	if window < params.BidWindowMin || window > params.BidWindowMax {
		return types.Order{}, errorsmod.Wrapf(types.ErrInvalidBidWindow, "%d not in [%d, %d]",
			window, params.BidWindowMin, params.BidWindowMax)
	}
	if err := k.collect(ctx, m.Owner, types.ModuleName, m.Deposit); err != nil {
		return types.Order{}, err
	}
	id, err := k.OrderSeq.Next(ctx)
	if err != nil {
		return types.Order{}, err
	}
	h := height(ctx)
	o := types.Order{
		Id: id, Owner: m.Owner, Resources: m.Resources, Placement: m.Placement,
		RequiredAuditors: m.RequiredAuditors, MaxPricePerBlock: m.MaxPricePerBlock,
		BidWindow: window, CreatedHeight: h, AuctionEnd: h + window, ExpiresHeight: h + params.OrderTtl,
		State: types.OrderOpen,
	}
	e := types.EscrowAccount{
		OrderId: id, Owner: m.Owner, Balance: m.Deposit,
		Deposits: []types.Deposit{{Depositor: m.Owner, Amount: m.Deposit.Amount}},
	}
	if err := k.Orders.Set(ctx, id, o); err != nil {
		return o, err
	}
	if err := k.Escrows.Set(ctx, id, e); err != nil {
		return o, err
	}
	if err := k.AuctionQueue.Set(ctx, collections.Join(o.AuctionEnd, id)); err != nil {
		return o, err
	}
	if err := k.ExpiryQueue.Set(ctx, collections.Join(o.ExpiresHeight, id)); err != nil {
		return o, err
	}
	emit(ctx, types.EventOrderCreated, types.AttrOrderID, idStr(id), types.AttrOwner, m.Owner,
		types.AttrPrice, m.MaxPricePerBlock.String(), types.AttrAmount, m.Deposit.String(),
		types.AttrAuctionEnd, strconv.FormatInt(o.AuctionEnd, 10))
	return o, nil
}

// closeOpenOrder closes an order that has no lease: refunds bids and escrow,
// and returns the escrow's refund.
func (k Keeper) closeOpenOrder(ctx context.Context, o types.Order, reason types.CloseReason) (sdk.Coin, error) {
	if err := k.closeAllBids(ctx, &o, "order_closed"); err != nil {
		return sdk.Coin{}, err
	}
	if o.AuctionEnd != 0 {
		if err := k.AuctionQueue.Remove(ctx, collections.Join(o.AuctionEnd, o.Id)); err != nil {
			return sdk.Coin{}, err
		}
	}
	if err := k.ExpiryQueue.Remove(ctx, collections.Join(o.ExpiresHeight, o.Id)); err != nil {
		return sdk.Coin{}, err
	}
	e, err := k.Escrows.Get(ctx, o.Id)
	if err != nil {
		return sdk.Coin{}, err
	}
	refund, err := k.refundEscrow(ctx, &e)
	if err != nil {
		return sdk.Coin{}, err
	}
	if err := k.Escrows.Set(ctx, o.Id, e); err != nil {
		return sdk.Coin{}, err
	}
	o.State, o.CloseReason, o.ClosedHeight, o.AuctionEnd = types.OrderClosed, reason, height(ctx), 0
	if err := k.Orders.Set(ctx, o.Id, o); err != nil {
		return sdk.Coin{}, err
	}
	emit(ctx, types.EventOrderClosed, types.AttrOrderID, idStr(o.Id), types.AttrOwner, o.Owner,
		types.AttrReason, reason.String())
	return refund, nil
}

func (k Keeper) closeOrder(ctx context.Context, m *types.MsgCloseOrder) (CloseOutcome, error) {
	o, err := k.GetOrder(ctx, m.OrderId)
	if err != nil {
		return CloseOutcome{}, err
	}
	if o.Owner != m.Owner {
		return CloseOutcome{}, errorsmod.Wrapf(types.ErrUnauthorized, "only the owner may close order %d", o.Id)
	}
	switch o.State {
	case types.OrderOpen:
		refund, err := k.closeOpenOrder(ctx, o, types.ReasonTenantClosed)
		if err != nil {
			return CloseOutcome{}, err
		}
		none := coin(refund.Denom, zero())
		return CloseOutcome{Provider: none, Pool: none, Refund: refund}, nil
	case types.OrderActive:
		l, err := k.GetLease(ctx, o.Id)
		if err != nil {
			return CloseOutcome{}, err
		}
		return k.closeLease(ctx, l, types.ReasonTenantClosed, "order closed by owner")
	default:
		return CloseOutcome{}, errorsmod.Wrapf(types.ErrOrderNotOpen, "order %d is closed", o.Id)
	}
}

func (k Keeper) depositEscrow(ctx context.Context, m *types.MsgDepositEscrow) (int64, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	o, err := k.GetOrder(ctx, m.OrderId)
	if err != nil {
		return 0, err
	}
	if o.State != types.OrderOpen && o.State != types.OrderActive {
		return 0, errorsmod.Wrapf(types.ErrOrderNotOpen, "order %d is closed", o.Id)
	}
	if m.Amount.Denom != params.Denom {
		return 0, errorsmod.Wrapf(types.ErrInvalidDenom, "deposit must be in %s", params.Denom)
	}
	e, err := k.Escrows.Get(ctx, o.Id)
	if err != nil {
		return 0, err
	}
	// The owner's deposits are always accepted (they merge into its entry);
	// a third party's must reach min_third_party_deposit and find a free slot.
	owner := m.Depositor == o.Owner
	if least := params.MinThirdPartyDeposit; !owner && !least.Amount.IsNil() && m.Amount.Amount.LT(least.Amount) {
		return 0, errorsmod.Wrapf(types.ErrThirdPartyDepositTooLow, "deposit %s < min_third_party_deposit %s (only the owner %s may deposit less)",
			m.Amount, least, o.Owner)
	}
	idx, third := -1, 0
	for i, d := range e.Deposits {
		if d.Depositor == m.Depositor {
			idx = i
		}
		if d.Depositor != o.Owner {
			third++
		}
	}
	if idx < 0 && !owner && third >= MaxDepositors-1 {
		return 0, errorsmod.Wrapf(types.ErrTooManyDepositors, "order %d already has %d third-party depositors", o.Id, third)
	}
	if err := k.collect(ctx, m.Depositor, types.ModuleName, m.Amount); err != nil {
		return 0, err
	}
	var l types.Lease
	if o.State == types.OrderActive {
		// Settle at the old rate first, then extend the run-dry height.
		if l, err = k.GetLease(ctx, o.Id); err != nil {
			return 0, err
		}
		if _, err := k.settle(ctx, &l, &e, height(ctx)); err != nil {
			return 0, err
		}
	}
	e.Balance = e.Balance.Add(m.Amount)
	if idx < 0 {
		e.Deposits = append(e.Deposits, types.Deposit{Depositor: m.Depositor, Amount: m.Amount.Amount})
	} else {
		e.Deposits[idx].Amount = e.Deposits[idx].Amount.Add(m.Amount.Amount)
	}
	if o.State == types.OrderActive {
		if err := k.setRunDry(ctx, &e, RunDryHeight(l.SettledHeight, e.Balance.Amount, l.Price.Amount)); err != nil {
			return 0, err
		}
		if err := k.Leases.Set(ctx, l.OrderId, l); err != nil {
			return 0, err
		}
	}
	if err := k.Escrows.Set(ctx, o.Id, e); err != nil {
		return 0, err
	}
	emit(ctx, types.EventEscrowDeposit, types.AttrOrderID, idStr(o.Id), types.AttrDepositor, m.Depositor,
		types.AttrAmount, m.Amount.String(), types.AttrRunDryHeight, strconv.FormatInt(e.RunDryHeight, 10))
	return e.RunDryHeight, nil
}

// setRunDry moves e's entry in the run-dry queue to h.
func (k Keeper) setRunDry(ctx context.Context, e *types.EscrowAccount, h int64) error {
	if e.RunDryHeight != 0 {
		if err := k.RunDryQueue.Remove(ctx, collections.Join(e.RunDryHeight, e.OrderId)); err != nil {
			return err
		}
	}
	e.RunDryHeight = h
	return k.RunDryQueue.Set(ctx, collections.Join(h, e.OrderId))
}

// ---- bids ----

func (k Keeper) createBid(ctx context.Context, m *types.MsgCreateBid) (revised bool, auctionEnd int64, err error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return false, 0, err
	}
	p, err := k.GetProvider(ctx, m.Provider)
	if err != nil {
		return false, 0, err
	}
	o, err := k.GetOrder(ctx, m.OrderId)
	if err != nil {
		return false, 0, err
	}
	if o.State != types.OrderOpen {
		return false, 0, errorsmod.Wrapf(types.ErrOrderNotOpen, "order %d is %s", o.Id, o.State)
	}
	if o.Owner == m.Provider {
		return false, 0, types.ErrSelfDealing
	}
	if m.Price.Denom != o.MaxPricePerBlock.Denom {
		return false, 0, errorsmod.Wrapf(types.ErrInvalidDenom, "price must be in %s", o.MaxPricePerBlock.Denom)
	}
	if m.Price.Amount.GT(o.MaxPricePerBlock.Amount) {
		return false, 0, errorsmod.Wrapf(types.ErrBidAboveMaxPrice, "%s > %s", m.Price, o.MaxPricePerBlock)
	}
	if _, err := k.Fit(ctx, params, p, o.Resources, o.Placement, o.RequiredAuditors); err != nil {
		return false, 0, err
	}
	h := height(ctx)
	key := collections.Join(o.Id, m.Provider)
	bid, err := k.Bids.Get(ctx, key)
	switch {
	case err == nil: // revise the live bid
		bid.Price, bid.UpdatedHeight, bid.Revisions = m.Price, h, bid.Revisions+1
		if err := k.Bids.Set(ctx, key, bid); err != nil {
			return false, 0, err
		}
		if o.AuctionEnd == 0 { // the last auction found no eligible bid: restart it
			if err := k.restartAuction(ctx, &o, h); err != nil {
				return false, 0, err
			}
		}
		emit(ctx, types.EventBidRevised, types.AttrOrderID, idStr(o.Id), types.AttrProvider, m.Provider,
			types.AttrPrice, m.Price.String())
		return true, o.AuctionEnd, nil
	case !errors.Is(err, collections.ErrNotFound):
		return false, 0, err
	}
	if o.BidCount >= params.MaxBidsPerOrder {
		return false, 0, errorsmod.Wrapf(types.ErrTooManyBids, "order %d has %d bids", o.Id, o.BidCount)
	}
	if err := k.collect(ctx, m.Provider, types.ModuleName, params.BidDeposit); err != nil {
		return false, 0, err
	}
	bid = types.Bid{OrderId: o.Id, Provider: m.Provider, Price: m.Price, Deposit: params.BidDeposit,
		CreatedHeight: h, UpdatedHeight: h}
	if err := k.Bids.Set(ctx, key, bid); err != nil {
		return false, 0, err
	}
	o.BidCount++
	if o.AuctionEnd == 0 {
		// The auction ended without an eligible bid: this bid restarts it.
		if err := k.restartAuction(ctx, &o, h); err != nil {
			return false, 0, err
		}
	} else if err := k.Orders.Set(ctx, o.Id, o); err != nil {
		return false, 0, err
	}
	emit(ctx, types.EventBidPlaced, types.AttrOrderID, idStr(o.Id), types.AttrProvider, m.Provider,
		types.AttrPrice, m.Price.String(), types.AttrAuctionEnd, strconv.FormatInt(o.AuctionEnd, 10))
	return false, o.AuctionEnd, nil
}

// restartAuction schedules a new auction end for o (stored) at
// min(h + bid_window, expiry), so the auction always closes before the order expires.
func (k Keeper) restartAuction(ctx context.Context, o *types.Order, h int64) error {
	o.AuctionEnd = min(h+o.BidWindow, o.ExpiresHeight)
	if err := k.AuctionQueue.Set(ctx, collections.Join(o.AuctionEnd, o.Id)); err != nil {
		return err
	}
	return k.Orders.Set(ctx, o.Id, *o)
}

// closeBid refunds and deletes one bid and decrements the order's bid count.
func (k Keeper) closeBid(ctx context.Context, orderID uint64, provider, reason string) error {
	key := collections.Join(orderID, provider)
	bid, err := k.Bids.Get(ctx, key)
	if errors.Is(err, collections.ErrNotFound) {
		return errorsmod.Wrapf(types.ErrBidNotFound, "order %d provider %s", orderID, provider)
	} else if err != nil {
		return err
	}
	o, err := k.GetOrder(ctx, orderID)
	if err != nil {
		return err
	}
	if err := k.removeBid(ctx, bid, reason); err != nil {
		return err
	}
	if o.BidCount > 0 {
		o.BidCount--
	}
	return k.Orders.Set(ctx, o.Id, o)
}

// removeBid refunds a bid's deposit and deletes it (the order's count is the caller's).
func (k Keeper) removeBid(ctx context.Context, bid types.Bid, reason string) error {
	if err := k.pay(ctx, types.ModuleName, bid.Provider, bid.Deposit); err != nil {
		return err
	}
	if err := k.Bids.Remove(ctx, collections.Join(bid.OrderId, bid.Provider)); err != nil {
		return err
	}
	emit(ctx, types.EventBidClosed, types.AttrOrderID, idStr(bid.OrderId), types.AttrProvider, bid.Provider,
		types.AttrReason, reason)
	return nil
}

// orderBids returns the open bids of an order in key order (at most max_bids_per_order).
func (k Keeper) orderBids(ctx context.Context, orderID uint64) ([]types.Bid, error) {
	it, err := k.Bids.Iterate(ctx, collections.NewPrefixedPairRange[uint64, string](orderID))
	if err != nil {
		return nil, err
	}
	return it.Values()
}

// closeAllBids refunds and deletes every bid of o and zeroes its count (o is updated in place).
func (k Keeper) closeAllBids(ctx context.Context, o *types.Order, reason string) error {
	bids, err := k.orderBids(ctx, o.Id)
	if err != nil {
		return err
	}
	for _, b := range bids {
		if err := k.removeBid(ctx, b, reason); err != nil {
			return err
		}
	}
	o.BidCount = 0
	return nil
}

// ---- auction and leases ----

// tieHash is the final auction tie-break: sha256(order id big-endian || provider).
func tieHash(orderID uint64, provider string) [32]byte {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], orderID)
	return sha256.Sum256(append(buf[:], provider...))
}

// better reports whether bid a (provider reputation ra) beats bid b (rb): lower
// price, then higher reputation, then the smaller tie hash.
func better(a types.Bid, ra int64, b types.Bid, rb int64) bool {
	if !a.Price.Amount.Equal(b.Price.Amount) {
		return a.Price.Amount.LT(b.Price.Amount)
	}
	if ra != rb {
		return ra > rb
	}
	ha, hb := tieHash(a.OrderId, a.Provider), tieHash(b.OrderId, b.Provider)
	for i := range ha {
		if ha[i] != hb[i] {
			return ha[i] < hb[i]
		}
	}
	return false
}

// closeAuction picks the winner among the order's open bids whose providers
// still fit the order and starts the lease. Without an eligible bid the order
// waits for its next bid (auction_end = 0).
func (k Keeper) closeAuction(ctx context.Context, o types.Order) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if err := k.AuctionQueue.Remove(ctx, collections.Join(o.AuctionEnd, o.Id)); err != nil {
		return err
	}
	bids, err := k.orderBids(ctx, o.Id)
	if err != nil {
		return err
	}
	var (
		best      *types.Bid
		bestRep   int64
		bestProv  types.Provider
		bestAlloc types.Inventory
	)
	for i := range bids {
		p, err := k.GetProvider(ctx, bids[i].Provider)
		if err != nil {
			return err
		}
		alloc, err := k.Fit(ctx, params, p, o.Resources, o.Placement, o.RequiredAuditors)
		if err != nil {
			continue // no longer eligible: ignored by this auction
		}
		if rep := p.Reputation(); best == nil || better(bids[i], rep, *best, bestRep) {
			best, bestRep, bestProv, bestAlloc = &bids[i], rep, p, alloc
		}
	}
	if best == nil {
		o.AuctionEnd = 0
		if err := k.Orders.Set(ctx, o.Id, o); err != nil {
			return err
		}
		emit(ctx, types.EventAuctionClosed, types.AttrOrderID, idStr(o.Id), types.AttrBids, strconv.Itoa(len(bids)),
			types.AttrResult, "no_eligible_bid")
		return nil
	}
	emit(ctx, types.EventAuctionClosed, types.AttrOrderID, idStr(o.Id), types.AttrBids, strconv.Itoa(len(bids)),
		types.AttrResult, "matched", types.AttrWinner, best.Provider, types.AttrPrice, best.Price.String())
	o.AuctionEnd = 0 // removed from the queue above
	return k.startLease(ctx, o, *best, bestProv, bestAlloc, params)
}

// createLease: the order owner accepts an open bid before the auction closes.
func (k Keeper) createLease(ctx context.Context, m *types.MsgCreateLease) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	o, err := k.GetOrder(ctx, m.OrderId)
	if err != nil {
		return err
	}
	if o.Owner != m.Owner {
		return errorsmod.Wrapf(types.ErrUnauthorized, "only the owner may accept bids on order %d", o.Id)
	}
	if o.State != types.OrderOpen {
		return errorsmod.Wrapf(types.ErrOrderNotOpen, "order %d is %s", o.Id, o.State)
	}
	bid, err := k.Bids.Get(ctx, collections.Join(o.Id, m.Provider))
	if errors.Is(err, collections.ErrNotFound) {
		return errorsmod.Wrapf(types.ErrBidNotFound, "order %d provider %s", o.Id, m.Provider)
	} else if err != nil {
		return err
	}
	p, err := k.GetProvider(ctx, m.Provider)
	if err != nil {
		return err
	}
	alloc, err := k.Fit(ctx, params, p, o.Resources, o.Placement, o.RequiredAuditors)
	if err != nil {
		return err
	}
	if o.AuctionEnd != 0 {
		if err := k.AuctionQueue.Remove(ctx, collections.Join(o.AuctionEnd, o.Id)); err != nil {
			return err
		}
		o.AuctionEnd = 0
	}
	return k.startLease(ctx, o, bid, p, alloc, params)
}

// startLease turns an open order and its winning bid into a running lease.
func (k Keeper) startLease(ctx context.Context, o types.Order, bid types.Bid, p types.Provider,
	alloc types.Inventory, params types.Params,
) error {
	h := height(ctx)
	e, err := k.Escrows.Get(ctx, o.Id)
	if err != nil {
		return err
	}
	if e.Balance.Amount.LT(bid.Price.Amount) {
		return errorsmod.Wrapf(types.ErrInsufficientEscrow, "escrow %s < price %s", e.Balance, bid.Price)
	}
	if err := k.closeAllBids(ctx, &o, "auction_closed"); err != nil {
		return err
	}
	if err := k.ExpiryQueue.Remove(ctx, collections.Join(o.ExpiresHeight, o.Id)); err != nil {
		return err
	}
	if p.Allocated, err = p.Allocated.AddChecked(alloc); err != nil {
		return err
	}
	p.ActiveLeases++
	if err := k.Providers.Set(ctx, p.Owner, p); err != nil {
		return err
	}
	l := types.Lease{
		OrderId: o.Id, Owner: o.Owner, Provider: p.Owner, Price: bid.Price, TakeRate: params.TakeRate,
		Allocation: alloc, State: types.LeaseActive, StartHeight: h, SettledHeight: h,
		Streamed: sdkmath.ZeroInt(), ProviderPaid: sdkmath.ZeroInt(), PoolPaid: sdkmath.ZeroInt(),
		LastHeartbeat: h, HeartbeatDeadline: h + params.HeartbeatInterval,
	}
	if err := k.Leases.Set(ctx, o.Id, l); err != nil {
		return err
	}
	if err := k.HeartbeatQueue.Set(ctx, collections.Join(l.HeartbeatDeadline, o.Id)); err != nil {
		return err
	}
	if err := k.setRunDry(ctx, &e, RunDryHeight(h, e.Balance.Amount, l.Price.Amount)); err != nil {
		return err
	}
	if err := k.Escrows.Set(ctx, o.Id, e); err != nil {
		return err
	}
	o.State = types.OrderActive
	if err := k.Orders.Set(ctx, o.Id, o); err != nil {
		return err
	}
	emit(ctx, types.EventLeaseCreated, types.AttrOrderID, idStr(o.Id), types.AttrOwner, o.Owner,
		types.AttrProvider, p.Owner, types.AttrPrice, bid.Price.String(),
		types.AttrRunDryHeight, strconv.FormatInt(e.RunDryHeight, 10),
		types.AttrDeadline, strconv.FormatInt(l.HeartbeatDeadline, 10))
	return nil
}

// CloseOutcome is what closing an order or a lease paid out: the final
// settlement's provider and pool parts and the escrow's refund.
type CloseOutcome struct {
	Provider sdk.Coin
	Pool     sdk.Coin
	Refund   sdk.Coin
}

// closeLease settles a lease up to this block, releases the provider's
// resources, refunds the rest of the escrow and closes lease and order.
func (k Keeper) closeLease(ctx context.Context, l types.Lease, reason types.CloseReason, note string) (CloseOutcome, error) {
	h := height(ctx)
	e, err := k.Escrows.Get(ctx, l.OrderId)
	if err != nil {
		return CloseOutcome{}, err
	}
	s, err := k.settle(ctx, &l, &e, h)
	if err != nil {
		return CloseOutcome{}, err
	}
	if e.RunDryHeight != 0 {
		if err := k.RunDryQueue.Remove(ctx, collections.Join(e.RunDryHeight, l.OrderId)); err != nil {
			return CloseOutcome{}, err
		}
	}
	if err := k.HeartbeatQueue.Remove(ctx, collections.Join(l.HeartbeatDeadline, l.OrderId)); err != nil {
		return CloseOutcome{}, err
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return CloseOutcome{}, err
	}
	p, err := k.GetProvider(ctx, l.Provider)
	if err != nil {
		return CloseOutcome{}, err
	}
	if rest, ok := p.Allocated.Sub(l.Allocation); ok {
		p.Allocated = rest
	} else {
		p.Allocated = types.Inventory{}
	}
	if p.ActiveLeases > 0 {
		p.ActiveLeases--
	}
	if reason == types.ReasonProviderFault {
		p.LeasesFaulted++
		if err := k.slash(ctx, &p, params.FaultSlashFraction, l.Owner, l.OrderId); err != nil {
			return CloseOutcome{}, err
		}
	} else {
		p.LeasesCompleted++
	}
	if err := k.Providers.Set(ctx, p.Owner, p); err != nil {
		return CloseOutcome{}, err
	}
	refund, err := k.refundEscrow(ctx, &e)
	if err != nil {
		return CloseOutcome{}, err
	}
	if err := k.Escrows.Set(ctx, l.OrderId, e); err != nil {
		return CloseOutcome{}, err
	}
	l.State, l.CloseReason, l.CloseNote, l.ClosedHeight = types.LeaseClosed, reason, note, h
	if err := k.Leases.Set(ctx, l.OrderId, l); err != nil {
		return CloseOutcome{}, err
	}
	o, err := k.GetOrder(ctx, l.OrderId)
	if err != nil {
		return CloseOutcome{}, err
	}
	o.State, o.CloseReason, o.ClosedHeight = types.OrderClosed, reason, h
	if err := k.Orders.Set(ctx, o.Id, o); err != nil {
		return CloseOutcome{}, err
	}
	emit(ctx, types.EventLeaseClosed, types.AttrOrderID, idStr(l.OrderId), types.AttrOwner, l.Owner,
		types.AttrProvider, l.Provider, types.AttrReason, reason.String(), types.AttrNote, note,
		types.AttrSettledHeight, strconv.FormatInt(l.SettledHeight, 10))
	emit(ctx, types.EventOrderClosed, types.AttrOrderID, idStr(o.Id), types.AttrOwner, o.Owner,
		types.AttrReason, reason.String())
	denom := l.Price.Denom
	return CloseOutcome{Provider: coin(denom, s.Provider), Pool: coin(denom, s.Pool), Refund: refund}, nil
}

func (k Keeper) activeLease(ctx context.Context, id uint64) (types.Lease, error) {
	l, err := k.GetLease(ctx, id)
	if err != nil {
		return l, err
	}
	if l.State != types.LeaseActive {
		return l, errorsmod.Wrapf(types.ErrLeaseNotActive, "lease %d is closed", id)
	}
	return l, nil
}

func (k Keeper) withdrawLease(ctx context.Context, m *types.MsgWithdrawLease) (Settlement, string, error) {
	l, err := k.activeLease(ctx, m.OrderId)
	if err != nil {
		return Settlement{}, "", err
	}
	if l.Provider != m.Provider {
		return Settlement{}, "", errorsmod.Wrapf(types.ErrUnauthorized, "only the provider may withdraw lease %d", l.OrderId)
	}
	e, err := k.Escrows.Get(ctx, l.OrderId)
	if err != nil {
		return Settlement{}, "", err
	}
	s, err := k.settle(ctx, &l, &e, height(ctx))
	if err != nil {
		return s, "", err
	}
	if err := k.Leases.Set(ctx, l.OrderId, l); err != nil {
		return s, "", err
	}
	return s, l.Price.Denom, k.Escrows.Set(ctx, l.OrderId, e)
}

// closeLeaseMsg closes a lease at the request of one of its two parties; the
// recorded reason says which side it was.
func (k Keeper) closeLeaseMsg(ctx context.Context, m *types.MsgCloseLease) (CloseOutcome, error) {
	l, err := k.activeLease(ctx, m.OrderId)
	if err != nil {
		return CloseOutcome{}, err
	}
	switch m.Sender {
	case l.Owner:
		return k.closeLease(ctx, l, types.ReasonTenantClosed, m.Reason)
	case l.Provider:
		return k.closeLease(ctx, l, types.ReasonProviderClosed, m.Reason)
	default:
		return CloseOutcome{}, errorsmod.Wrapf(types.ErrUnauthorized, "only the owner or the provider may close lease %d", l.OrderId)
	}
}

func (k Keeper) heartbeat(ctx context.Context, m *types.MsgLeaseHeartbeat) (int64, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	l, err := k.activeLease(ctx, m.OrderId)
	if err != nil {
		return 0, err
	}
	if l.Provider != m.Provider {
		return 0, errorsmod.Wrapf(types.ErrUnauthorized, "only the provider may heartbeat lease %d", l.OrderId)
	}
	h := height(ctx)
	if err := k.HeartbeatQueue.Remove(ctx, collections.Join(l.HeartbeatDeadline, l.OrderId)); err != nil {
		return 0, err
	}
	l.LastHeartbeat, l.HeartbeatDeadline = h, h+params.HeartbeatInterval
	if err := k.HeartbeatQueue.Set(ctx, collections.Join(l.HeartbeatDeadline, l.OrderId)); err != nil {
		return 0, err
	}
	if err := k.Leases.Set(ctx, l.OrderId, l); err != nil {
		return 0, err
	}
	emit(ctx, types.EventLeaseHeartbeat, types.AttrOrderID, idStr(l.OrderId), types.AttrProvider, l.Provider,
		types.AttrDeadline, strconv.FormatInt(l.HeartbeatDeadline, 10))
	return l.HeartbeatDeadline, nil
}

// coin is a helper for the msg server's responses.
func coin(denom string, amt sdkmath.Int) sdk.Coin { return sdk.NewCoin(denom, amt) }
