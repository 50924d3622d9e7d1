package keeper

import (
	"context"
	"errors"
	"strconv"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	sdkmath "cosmossdk.io/math"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/market/types"
)

// GetProvider loads a provider or fails with ErrProviderNotFound.
func (k Keeper) GetProvider(ctx context.Context, owner string) (types.Provider, error) {
	p, err := k.Providers.Get(ctx, owner)
	if errors.Is(err, collections.ErrNotFound) {
		return p, errorsmod.Wrapf(types.ErrProviderNotFound, "%s", owner)
	}
	return p, err
}

func (k Keeper) createProvider(ctx context.Context, m *types.MsgCreateProvider) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if has, err := k.Providers.Has(ctx, m.Owner); err != nil {
		return err
	} else if has {
		return errorsmod.Wrapf(types.ErrProviderExists, "%s", m.Owner)
	}
	if m.Bond.Denom != params.Denom {
		return errorsmod.Wrapf(types.ErrInvalidDenom, "bond must be in %s", params.Denom)
	}
	if m.Bond.Amount.LT(params.MinProviderBond.Amount) {
		return errorsmod.Wrapf(types.ErrBondTooLow, "bond %s < min_provider_bond %s", m.Bond, params.MinProviderBond)
	}
	if err := k.collect(ctx, m.Owner, types.BondAccountName, m.Bond); err != nil {
		return err
	}
	p := types.Provider{
		Owner: m.Owner, HostUri: m.HostUri, TlsFingerprint: m.TlsFingerprint,
		Attributes: m.Attributes, Inventory: m.Inventory, Bond: m.Bond,
		Status: types.ProviderActive, CreatedHeight: height(ctx),
	}
	if err := k.Providers.Set(ctx, m.Owner, p); err != nil {
		return err
	}
	emit(ctx, types.EventProviderCreated, types.AttrProvider, m.Owner, types.AttrBond, m.Bond.String())
	return nil
}

func (k Keeper) updateProvider(ctx context.Context, m *types.MsgUpdateProvider) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	p, err := k.GetProvider(ctx, m.Owner)
	if err != nil {
		return err
	}
	if p.Status != types.ProviderActive {
		return errorsmod.Wrap(types.ErrProviderNotActive, "provider is unbonding")
	}
	if _, ok := m.Inventory.Sub(p.Allocated); !ok {
		return errorsmod.Wrap(types.ErrInventoryInUse, "new inventory does not cover resources held by active leases")
	}
	if !m.AddBond.IsNil() && m.AddBond.Amount.IsPositive() {
		if m.AddBond.Denom != params.Denom {
			return errorsmod.Wrapf(types.ErrInvalidDenom, "bond must be in %s", params.Denom)
		}
		if err := k.collect(ctx, m.Owner, types.BondAccountName, m.AddBond); err != nil {
			return err
		}
		p.Bond = p.Bond.Add(m.AddBond)
	}
	p.HostUri, p.TlsFingerprint, p.Attributes, p.Inventory = m.HostUri, m.TlsFingerprint, m.Attributes, m.Inventory
	if err := k.Providers.Set(ctx, m.Owner, p); err != nil {
		return err
	}
	emit(ctx, types.EventProviderUpdated, types.AttrProvider, m.Owner, types.AttrBond, p.Bond.String())
	return nil
}

func (k Keeper) deleteProvider(ctx context.Context, owner string) (int64, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	p, err := k.GetProvider(ctx, owner)
	if err != nil {
		return 0, err
	}
	if p.Status != types.ProviderActive {
		return 0, errorsmod.Wrap(types.ErrProviderNotActive, "provider is already unbonding")
	}
	if p.ActiveLeases > 0 {
		return 0, errorsmod.Wrapf(types.ErrProviderHasLeases, "%d active leases", p.ActiveLeases)
	}
	// Close the provider's open bids (refunding deposits).
	var orderIDs []uint64
	if err := k.Bids.Indexes.Provider.Keys.Walk(ctx, collections.NewPrefixedPairRange[string, uint64](owner),
		func(key collections.Pair[string, uint64]) (bool, error) {
			orderIDs = append(orderIDs, key.K2())
			return false, nil
		}); err != nil {
		return 0, err
	}
	for _, id := range orderIDs {
		if err := k.closeBid(ctx, id, owner, "provider_deleted"); err != nil {
			return 0, err
		}
	}
	// Drop auditor signatures (the deleting provider pays for it in gas).
	if err := k.Signatures.Clear(ctx, collections.NewPrefixedPairRange[string, string](owner)); err != nil {
		return 0, err
	}
	h := height(ctx)
	p.Status = types.ProviderUnbonding
	p.UnbondingHeight = h + params.UnbondingPeriod
	if err := k.Providers.Set(ctx, owner, p); err != nil {
		return 0, err
	}
	if err := k.UnbondingQueue.Set(ctx, collections.Join(p.UnbondingHeight, owner)); err != nil {
		return 0, err
	}
	emit(ctx, types.EventProviderUnbonding, types.AttrProvider, owner,
		types.AttrUnbondingHeight, strconv.FormatInt(p.UnbondingHeight, 10), types.AttrBond, p.Bond.String())
	return p.UnbondingHeight, nil
}

// completeUnbonding returns a deleted provider's bond and removes it.
func (k Keeper) completeUnbonding(ctx context.Context, owner string) error {
	p, err := k.GetProvider(ctx, owner)
	if err != nil {
		return err
	}
	if err := k.pay(ctx, types.BondAccountName, owner, p.Bond); err != nil {
		return err
	}
	if err := k.Providers.Remove(ctx, owner); err != nil {
		return err
	}
	emit(ctx, types.EventProviderRemoved, types.AttrProvider, owner, types.AttrBond, p.Bond.String())
	return nil
}

func (k Keeper) signAttributes(ctx context.Context, m *types.MsgSignProviderAttributes) error {
	p, err := k.GetProvider(ctx, m.Provider)
	if err != nil {
		return err
	}
	if p.Status != types.ProviderActive {
		return errorsmod.Wrap(types.ErrProviderNotActive, "provider is unbonding")
	}
	sig := types.AuditorSignature{Provider: m.Provider, Auditor: m.Auditor, Attributes: m.Attributes, Height: height(ctx)}
	if err := k.Signatures.Set(ctx, collections.Join(m.Provider, m.Auditor), sig); err != nil {
		return err
	}
	emit(ctx, types.EventAttributesSigned, types.AttrProvider, m.Provider, types.AttrAuditor, m.Auditor)
	return nil
}

// slash takes floor(bond * fault_slash_fraction) from the provider's bond and
// pays it to the tenant. It updates p in place; the caller stores it.
func (k Keeper) slash(ctx context.Context, p *types.Provider, frac sdkmath.LegacyDec, tenant string, orderID uint64) error {
	amt := FractionOf(p.Bond.Amount, frac)
	if !amt.IsPositive() {
		return nil
	}
	coin := sdk.NewCoin(p.Bond.Denom, amt)
	if err := k.pay(ctx, types.BondAccountName, tenant, coin); err != nil {
		return err
	}
	p.Bond = p.Bond.Sub(coin)
	emit(ctx, types.EventProviderSlashed, types.AttrProvider, p.Owner, types.AttrOwner, tenant,
		types.AttrOrderID, strconv.FormatUint(orderID, 10), types.AttrAmount, coin.String(),
		types.AttrBondLeft, p.Bond.String())
	return nil
}

// Fit checks whether provider p could serve an order with this spec right now,
// returning the resources it would allocate. The checks, in order: active,
// bond at least min_provider_bond, placement attributes, required auditor
// signatures (each must vouch for every placement attribute), free inventory.
func (k Keeper) Fit(ctx context.Context, params types.Params, p types.Provider, spec types.ResourceSpec,
	placement []types.Attribute, auditors []string,
) (types.Inventory, error) {
	if p.Status != types.ProviderActive {
		return types.Inventory{}, errorsmod.Wrapf(types.ErrProviderNotActive, "%s is unbonding", p.Owner)
	}
	if p.Bond.Amount.LT(params.MinProviderBond.Amount) {
		return types.Inventory{}, errorsmod.Wrapf(types.ErrBondTooLow, "bond %s < %s", p.Bond, params.MinProviderBond)
	}
	if !types.HasAttributes(p.Attributes, placement) {
		return types.Inventory{}, errorsmod.Wrap(types.ErrAttributesMismatch, "provider lacks a placement attribute")
	}
	err := types.CheckAuditors(auditors, placement, func(a string) (types.AuditorSignature, bool, error) {
		sig, err := k.Signatures.Get(ctx, collections.Join(p.Owner, a))
		if errors.Is(err, collections.ErrNotFound) {
			return sig, false, nil
		}
		return sig, err == nil, err
	})
	if err != nil {
		return types.Inventory{}, err
	}
	free, ok := p.Inventory.Sub(p.Allocated)
	if !ok {
		return types.Inventory{}, errorsmod.Wrap(types.ErrInventoryMismatch, "provider is over-allocated")
	}
	alloc, ok := spec.Allocate(free)
	if !ok {
		return types.Inventory{}, errorsmod.Wrap(types.ErrInventoryMismatch, "free inventory cannot serve the order")
	}
	return alloc, nil
}
