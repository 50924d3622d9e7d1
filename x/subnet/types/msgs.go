package types

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/url"
	"unicode/utf8"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

const (
	// MaxNameLength bounds a subnet name.
	MaxNameLength = 64
	// MaxAxonLength bounds an axon endpoint.
	MaxAxonLength = 256
	// MaxSaltLength bounds a weights salt.
	MaxSaltLength = 64
	// weightsHashDomain separates weight commitments from any other SHA-256 use.
	weightsHashDomain = "hypha/subnet/weights/v1"
)

var (
	_ sdk.Msg = (*MsgCreateSubnet)(nil)
	_ sdk.Msg = (*MsgSetHyperparams)(nil)
	_ sdk.Msg = (*MsgRegister)(nil)
	_ sdk.Msg = (*MsgAddStake)(nil)
	_ sdk.Msg = (*MsgRemoveStake)(nil)
	_ sdk.Msg = (*MsgCommitWeights)(nil)
	_ sdk.Msg = (*MsgRevealWeights)(nil)
	_ sdk.Msg = (*MsgSetWeights)(nil)
	_ sdk.Msg = (*MsgUpdateParams)(nil)
)

func validAddress(field, addr string) error {
	if _, err := sdk.AccAddressFromBech32(addr); err != nil {
		return fmt.Errorf("%w: %s %q: %v", ErrInvalidAddress, field, addr, err)
	}
	return nil
}

// ValidateBasic checks the message without reading state.
func (m *MsgCreateSubnet) ValidateBasic() error {
	if err := validAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.Name == "" || len(m.Name) > MaxNameLength || !utf8.ValidString(m.Name) {
		return fmt.Errorf("%w: want 1..%d bytes of UTF-8", ErrInvalidName, MaxNameLength)
	}
	if m.MaxLock == 0 {
		return fmt.Errorf("%w: max_lock must be positive", ErrInvalidAmount)
	}
	return nil
}

// ValidateBasic checks the message without reading state.
func (m *MsgSetHyperparams) ValidateBasic() error {
	return validAddress("owner", m.Owner)
}

// ValidateBasic checks the message without reading state.
func (m *MsgRegister) ValidateBasic() error {
	if err := validAddress("hotkey", m.Hotkey); err != nil {
		return err
	}
	if err := ValidateAxon(m.Axon); err != nil {
		return err
	}
	if m.MaxBurn == 0 {
		return fmt.Errorf("%w: max_burn must be positive", ErrInvalidAmount)
	}
	return nil
}

// ValidateAxon checks an axon endpoint: empty, or an absolute http(s) URL.
func ValidateAxon(axon string) error {
	if axon == "" {
		return nil
	}
	if len(axon) > MaxAxonLength {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidAxon, MaxAxonLength)
	}
	u, err := url.Parse(axon)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: %q is not an http(s) URL with a host", ErrInvalidAxon, axon)
	}
	return nil
}

func validateStake(staker, hotkey string, amount uint64) error {
	if err := validAddress("staker", staker); err != nil {
		return err
	}
	if err := validAddress("hotkey", hotkey); err != nil {
		return err
	}
	if amount == 0 {
		return fmt.Errorf("%w: amount must be positive", ErrInvalidAmount)
	}
	return nil
}

// ValidateBasic checks the message without reading state.
func (m *MsgAddStake) ValidateBasic() error { return validateStake(m.Staker, m.Hotkey, m.Amount) }

// ValidateBasic checks the message without reading state.
func (m *MsgRemoveStake) ValidateBasic() error { return validateStake(m.Staker, m.Hotkey, m.Amount) }

// ValidateBasic checks the message without reading state.
func (m *MsgCommitWeights) ValidateBasic() error {
	if err := validAddress("hotkey", m.Hotkey); err != nil {
		return err
	}
	if len(m.Hash) != sha256.Size {
		return fmt.Errorf("%w: %d bytes, want %d", ErrInvalidHash, len(m.Hash), sha256.Size)
	}
	return nil
}

// ValidateBasic checks the message without reading state.
func (m *MsgRevealWeights) ValidateBasic() error {
	if err := validAddress("hotkey", m.Hotkey); err != nil {
		return err
	}
	if len(m.Salt) == 0 || len(m.Salt) > MaxSaltLength {
		return fmt.Errorf("%w: salt must be 1..%d bytes", ErrInvalidWeights, MaxSaltLength)
	}
	return ValidateWeights(m.Uids, m.Values)
}

// ValidateBasic checks the message without reading state.
func (m *MsgSetWeights) ValidateBasic() error {
	if err := validAddress("hotkey", m.Hotkey); err != nil {
		return err
	}
	return ValidateWeights(m.Uids, m.Values)
}

// ValidateBasic checks the message without reading state.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := validAddress("authority", m.Authority); err != nil {
		return err
	}
	return m.Params.Validate()
}

// ValidateWeights checks a weight row: as many values as uids, uids strictly
// increasing and below MaxUIDs, at most MaxUIDs entries.
func ValidateWeights(uids, values []uint32) error {
	if len(uids) != len(values) {
		return fmt.Errorf("%w: %d uids but %d values", ErrInvalidWeights, len(uids), len(values))
	}
	if len(uids) > MaxUIDs {
		return fmt.Errorf("%w: %d entries, at most %d", ErrInvalidWeights, len(uids), MaxUIDs)
	}
	for i, uid := range uids {
		if uid >= MaxUIDs {
			return fmt.Errorf("%w: uid %d out of range", ErrInvalidWeights, uid)
		}
		if i > 0 && uid <= uids[i-1] {
			return fmt.Errorf("%w: uids must be strictly increasing (%d after %d)", ErrInvalidWeights, uid, uids[i-1])
		}
	}
	return nil
}

// WeightsHash is the commitment MsgCommitWeights carries:
// SHA-256("hypha/subnet/weights/v1" || netuid || hotkey || count || uids || values || salt),
// with netuid, count, every uid and every value as 4-byte big-endian integers and
// hotkey as its raw address bytes.
func WeightsHash(netuid uint32, hotkey sdk.AccAddress, uids, values []uint32, salt []byte) []byte {
	h := sha256.New()
	var b [4]byte
	put := func(v uint32) {
		binary.BigEndian.PutUint32(b[:], v)
		h.Write(b[:])
	}
	h.Write([]byte(weightsHashDomain))
	put(netuid)
	h.Write(hotkey)
	put(uint32(len(uids)))
	for _, u := range uids {
		put(u)
	}
	for _, v := range values {
		put(v)
	}
	h.Write(salt)
	return h.Sum(nil)
}
