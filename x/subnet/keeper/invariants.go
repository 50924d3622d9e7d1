package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/hypha-network/hypha/x/subnet/types"
)

// CheckInvariants verifies the module's accounting: the module account holds
// exactly the stakes plus the pending emission, the per-hotkey sums match the
// stakes, and — when no other module mints or burns uhyp — the supply equals the
// genesis supply plus what x/subnet issued minus what it burned.
func (k Keeper) CheckInvariants(ctx context.Context, checkSupply bool) error {
	var staked, pending uint64
	if err := k.Stakes.Walk(ctx, nil, func(_ stakeKey, amt uint64) (bool, error) {
		staked += amt
		return false, nil
	}); err != nil {
		return err
	}
	var perHotkey uint64
	if err := k.HotkeyStake.Walk(ctx, nil, func(_ collections.Pair[uint32, string], amt uint64) (bool, error) {
		perHotkey += amt
		return false, nil
	}); err != nil {
		return err
	}
	if err := k.Subnets.Walk(ctx, nil, func(_ uint32, s types.Subnet) (bool, error) {
		pending += s.PendingEmission
		return false, nil
	}); err != nil {
		return err
	}
	if perHotkey != staked {
		return fmt.Errorf("per-hotkey stake %d != stakes %d", perHotkey, staked)
	}
	held := k.bank.GetBalance(ctx, k.acct.GetModuleAddress(types.ModuleName), Denom).Amount.Uint64()
	if held != staked+pending {
		return fmt.Errorf("module account holds %d uhyp, stakes %d + pending emission %d = %d", held, staked, pending, staked+pending)
	}
	if !checkSupply {
		return nil
	}
	e, err := k.Emission.Get(ctx)
	if err != nil {
		return err
	}
	base, err := k.GenesisSupply.Get(ctx)
	if err != nil {
		return err
	}
	supply := k.bank.GetSupply(ctx, Denom).Amount.Uint64()
	if supply != base+e.TotalEmitted-e.TotalBurned {
		return fmt.Errorf("supply %d != genesis %d + emitted %d - burned %d", supply, base, e.TotalEmitted, e.TotalBurned)
	}
	return nil
}
