package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/hypha-network/hypha/x/subnet/types"
)

// UpdateParams replaces the module params on behalf of authority, which must
// be the keeper's authority (x/gov's account).
func (k Keeper) UpdateParams(ctx context.Context, authority sdk.AccAddress, p types.Params) error {
	if authority.String() != k.authority {
		return errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s; params change only through a governance proposal",
			k.authority, authority)
	}
	if err := p.Validate(); err != nil {
		return err
	}
	return k.Params.Set(ctx, p)
}
