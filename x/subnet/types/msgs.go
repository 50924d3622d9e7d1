package types

import (
	"crypto/sha256"
	"encoding/binary"
	"net/url"
	"unicode/utf8"

	errorsmod "cosmossdk.io/errors"
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

// ParseAddress decodes the bech32 account address given for field, or fails
// with ErrInvalidAddress naming the field. ValidateBasic and the Msg service
// both decode through it, so an address is accepted or refused one way.
func ParseAddress(field, addr string) (sdk.AccAddress, error) {
	a, err := sdk.AccAddressFromBech32(addr)
	if err != nil {
		return nil, errorsmod.Wrapf(ErrInvalidAddress, "%s %q: %v; want a bech32 account address", field, addr, err)
	}
	return a, nil
}

func validAddress(field, addr string) error {
	_, err := ParseAddress(field, addr)
	return err
}

// ValidateBasic checks the message without reading state.
func (m *MsgCreateSubnet) ValidateBasic() error {
	if err := validAddress("owner", m.Owner); err != nil {
		return err
	}
	if m.Name == "" || len(m.Name) > MaxNameLength || !utf8.ValidString(m.Name) {
		return errorsmod.Wrapf(ErrInvalidName, "name must be 1..%d bytes of UTF-8", MaxNameLength)
	}
	if m.MaxLock == 0 {
		return errorsmod.Wrap(ErrInvalidAmount, "max_lock must be positive: set it to the most uhyp you accept to burn")
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
		return errorsmod.Wrap(ErrInvalidAmount, "max_burn must be positive: set it to the most uhyp you accept to burn")
	}
	return nil
}

// ValidateAxon checks an axon endpoint: empty, or an absolute http(s) URL.
func ValidateAxon(axon string) error {
	if axon == "" {
		return nil
	}
	if len(axon) > MaxAxonLength {
		return errorsmod.Wrapf(ErrInvalidAxon, "longer than %d bytes", MaxAxonLength)
	}
	u, err := url.Parse(axon)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errorsmod.Wrapf(ErrInvalidAxon, "%q is not an http(s) URL with a host", axon)
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
		return errorsmod.Wrap(ErrInvalidAmount, "amount must be a positive number of uhyp")
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
	return ValidateWeightsHash(m.Hash)
}

// ValidateWeightsHash checks that hash has the size of a WeightsHash commitment.
func ValidateWeightsHash(hash []byte) error {
	if len(hash) != sha256.Size {
		return errorsmod.Wrapf(ErrInvalidHash, "hash is %d bytes, want the %d-byte SHA-256 commitment (see WeightsHash)", len(hash), sha256.Size)
	}
	return nil
}

// ValidateBasic checks the message without reading state.
func (m *MsgRevealWeights) ValidateBasic() error {
	if err := validAddress("hotkey", m.Hotkey); err != nil {
		return err
	}
	if len(m.Salt) == 0 || len(m.Salt) > MaxSaltLength {
		return errorsmod.Wrapf(ErrInvalidWeights, "salt must be 1..%d bytes", MaxSaltLength)
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
		return errorsmod.Wrapf(ErrInvalidWeights, "%d uids but %d values", len(uids), len(values))
	}
	if len(uids) > MaxUIDs {
		return errorsmod.Wrapf(ErrInvalidWeights, "%d entries, at most %d", len(uids), MaxUIDs)
	}
	for i, uid := range uids {
		if uid >= MaxUIDs {
			return errorsmod.Wrapf(ErrInvalidWeights, "uid %d out of range: uids are 0..%d", uid, MaxUIDs-1)
		}
		if i > 0 && uid <= uids[i-1] {
			return errorsmod.Wrapf(ErrInvalidWeights, "uids must be strictly increasing (%d after %d)", uid, uids[i-1])
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
