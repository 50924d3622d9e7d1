package types

import "fmt"

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
			return fmt.Errorf("%w: subnet %d appears twice", ErrInvalidGenesis, s.Netuid)
		}
		if s.Netuid == 0 || s.Netuid >= g.Emission.NextNetuid {
			return fmt.Errorf("%w: subnet %d outside 1..next_netuid-1", ErrInvalidGenesis, s.Netuid)
		}
		if err := validAddress("owner", s.Owner); err != nil {
			return fmt.Errorf("%w: subnet %d: %v", ErrInvalidGenesis, s.Netuid, err)
		}
		if err := s.Hyperparams.Validate(g.Params.Bounds); err != nil {
			return fmt.Errorf("%w: subnet %d: %v", ErrInvalidGenesis, s.Netuid, err)
		}
		seen[s.Netuid] = s.N
	}
	for _, n := range g.Neurons {
		count, ok := seen[n.Netuid]
		if !ok || n.Uid >= count {
			return fmt.Errorf("%w: neuron %d/%d has no subnet slot", ErrInvalidGenesis, n.Netuid, n.Uid)
		}
		if err := validAddress("hotkey", n.Hotkey); err != nil {
			return fmt.Errorf("%w: neuron %d/%d: %v", ErrInvalidGenesis, n.Netuid, n.Uid, err)
		}
	}
	for _, st := range g.Stakes {
		if _, ok := seen[st.Netuid]; !ok || st.Amount == 0 {
			return fmt.Errorf("%w: stake on subnet %d", ErrInvalidGenesis, st.Netuid)
		}
	}
	return nil
}
