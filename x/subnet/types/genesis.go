package types

import errorsmod "cosmossdk.io/errors"

// DefaultGenesis returns the genesis of a chain with no subnets yet.
func DefaultGenesis() *GenesisState {
	return &GenesisState{
		Params:   DefaultParams(),
		Emission: EmissionState{NextNetuid: 1},
	}
}

// Validate checks the genesis state for consistency.
func (g GenesisState) Validate() error {
	if err := g.Params.Validate(); err != nil {
		return err
	}
	seen := make(map[uint32]uint32, len(g.Subnets))
	for _, s := range g.Subnets {
		if _, dup := seen[s.Netuid]; dup {
			return errorsmod.Wrapf(ErrInvalidGenesis, "subnet %d appears twice", s.Netuid)
		}
		if s.Netuid == 0 || s.Netuid >= g.Emission.NextNetuid {
			return errorsmod.Wrapf(ErrInvalidGenesis, "subnet %d outside 1..next_netuid-1", s.Netuid)
		}
		if err := validAddress("owner", s.Owner); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "subnet %d: %v", s.Netuid, err)
		}
		if err := s.Hyperparams.Validate(g.Params.Bounds); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "subnet %d: %v", s.Netuid, err)
		}
		seen[s.Netuid] = s.N
	}
	for _, n := range g.Neurons {
		count, ok := seen[n.Netuid]
		if !ok || n.Uid >= count {
			return errorsmod.Wrapf(ErrInvalidGenesis, "neuron %d/%d has no subnet slot", n.Netuid, n.Uid)
		}
		if err := validAddress("hotkey", n.Hotkey); err != nil {
			return errorsmod.Wrapf(ErrInvalidGenesis, "neuron %d/%d: %v", n.Netuid, n.Uid, err)
		}
	}
	for _, st := range g.Stakes {
		if _, ok := seen[st.Netuid]; !ok || st.Amount == 0 {
			return errorsmod.Wrapf(ErrInvalidGenesis, "stake on subnet %d", st.Netuid)
		}
	}
	return nil
}
