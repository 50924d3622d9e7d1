package types

import (
	"fmt"
	"strconv"

	errorsmod "cosmossdk.io/errors"
)

// DefaultGenesis is an empty market with default params.
func DefaultGenesis() *GenesisState {
	return &GenesisState{Params: DefaultParams(), NextOrderId: 1}
}

// Validate checks the genesis for internal consistency: valid params, unique
// keys, references between orders, bids, leases, escrows and providers.
func (g GenesisState) Validate() error {
	if err := g.Params.Validate(); err != nil {
		return err
	}
	if g.NextOrderId == 0 {
		return errorsmod.Wrap(ErrInvalidGenesis, "next_order_id must be positive")
	}
	providers := make(map[string]bool, len(g.Providers))
	for _, p := range g.Providers {
		if err := ValidateAddress("provider", p.Owner); err != nil {
			return errorsmod.Wrap(ErrInvalidGenesis, err.Error())
		}
		if providers[p.Owner] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "duplicate provider %s", p.Owner)
		}
		providers[p.Owner] = true
		if p.Bond.Amount.IsNil() || p.Bond.IsNegative() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "provider %s bond", p.Owner)
		}
		if _, ok := p.Inventory.Sub(p.Allocated); !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "provider %s allocates more than its inventory", p.Owner)
		}
	}
	for _, s := range g.AuditorSignatures {
		if !providers[s.Provider] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "signature for unknown provider %s", s.Provider)
		}
	}
	orders := make(map[uint64]Order, len(g.Orders))
	for _, o := range g.Orders {
		if o.Id == 0 || o.Id >= g.NextOrderId {
			return errorsmod.Wrapf(ErrInvalidGenesis, "order id %d outside [1, next_order_id)", o.Id)
		}
		if _, dup := orders[o.Id]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "duplicate order %d", o.Id)
		}
		orders[o.Id] = o
	}
	escrows := make(map[uint64]bool, len(g.Escrows))
	for _, e := range g.Escrows {
		if _, ok := orders[e.OrderId]; !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "escrow of unknown order %d", e.OrderId)
		}
		if escrows[e.OrderId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "duplicate escrow %d", e.OrderId)
		}
		escrows[e.OrderId] = true
		if e.Balance.Amount.IsNil() || e.Balance.IsNegative() {
			return errorsmod.Wrapf(ErrInvalidGenesis, "escrow %d balance", e.OrderId)
		}
	}
	for _, o := range g.Orders {
		if !escrows[o.Id] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "order %d has no escrow", o.Id)
		}
	}
	bids := make(map[string]bool, len(g.Bids))
	for _, b := range g.Bids {
		o, ok := orders[b.OrderId]
		if !ok || o.State != OrderOpen {
			return errorsmod.Wrapf(ErrInvalidGenesis, "bid on unknown or not open order %d", b.OrderId)
		}
		if !providers[b.Provider] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "bid from unknown provider %s", b.Provider)
		}
		k := fmt.Sprintf("%d/%s", b.OrderId, b.Provider)
		if bids[k] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "duplicate bid %d/%s", b.OrderId, b.Provider)
		}
		bids[k] = true
	}
	leases := make(map[uint64]bool, len(g.Leases))
	for _, l := range g.Leases {
		if _, ok := orders[l.OrderId]; !ok {
			return errorsmod.Wrapf(ErrInvalidGenesis, "lease of unknown order %d", l.OrderId)
		}
		if leases[l.OrderId] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "duplicate lease %d", l.OrderId)
		}
		leases[l.OrderId] = true
		if l.State == LeaseActive && !providers[l.Provider] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "active lease %d of unknown provider", l.OrderId)
		}
	}
	parked := make(map[string]bool, len(g.Parked))
	for _, p := range g.Parked {
		if err := p.Validate(); err != nil {
			return errorsmod.Wrap(ErrInvalidGenesis, err.Error())
		}
		k := p.Kind + "/" + p.Id
		if parked[k] {
			return errorsmod.Wrapf(ErrInvalidGenesis, "duplicate parked item %s", k)
		}
		parked[k] = true
	}
	return nil
}

// Validate checks a parked item's kind and id.
func (p ParkedItem) Validate() error {
	switch p.Kind {
	case ItemRunDry, ItemHeartbeat, ItemAuction, ItemExpiry:
		if _, err := strconv.ParseUint(p.Id, 10, 64); err != nil {
			return fmt.Errorf("parked %s item: id %q is not an order id", p.Kind, p.Id)
		}
	case ItemUnbonding:
		if err := ValidateAddress("parked unbonding provider", p.Id); err != nil {
			return err
		}
	default:
		return fmt.Errorf("parked item of unknown kind %q", p.Kind)
	}
	if p.Attempts == 0 {
		return fmt.Errorf("parked %s item %s: attempts must be positive", p.Kind, p.Id)
	}
	return nil
}
