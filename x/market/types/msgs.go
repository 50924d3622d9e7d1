package types

import (
	errorsmod "cosmossdk.io/errors"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

var (
	_ sdk.Msg = &MsgCreateProvider{}
	_ sdk.Msg = &MsgUpdateProvider{}
	_ sdk.Msg = &MsgDeleteProvider{}
	_ sdk.Msg = &MsgSignProviderAttributes{}
	_ sdk.Msg = &MsgCreateOrder{}
	_ sdk.Msg = &MsgCloseOrder{}
	_ sdk.Msg = &MsgDepositEscrow{}
	_ sdk.Msg = &MsgCreateBid{}
	_ sdk.Msg = &MsgCloseBid{}
	_ sdk.Msg = &MsgCreateLease{}
	_ sdk.Msg = &MsgWithdrawLease{}
	_ sdk.Msg = &MsgCloseLease{}
	_ sdk.Msg = &MsgLeaseHeartbeat{}
	_ sdk.Msg = &MsgUpdateParams{}
)

// ValidateAddress checks a bech32 account address of this chain.
func ValidateAddress(field, addr string) error {
	if _, err := sdk.AccAddressFromBech32(addr); err != nil {
		return errorsmod.Wrapf(ErrInvalidAddress, "%s %q: %v", field, addr, err)
	}
	return nil
}

// validCoin checks a coin's denom syntax and that its amount is positive
// (or, with allowZero, not negative).
func validCoin(field string, c sdk.Coin, allowZero bool) error {
	if c.Amount.IsNil() {
		return errorsmod.Wrapf(ErrInvalidAmount, "%s is missing", field)
	}
	if err := sdk.ValidateDenom(c.Denom); err != nil {
		if allowZero && c.Denom == "" && c.Amount.IsZero() {
			return nil
		}
		return errorsmod.Wrapf(ErrInvalidDenom, "%s: %v", field, err)
	}
	if c.Amount.IsNegative() || (!allowZero && c.Amount.IsZero()) {
		return errorsmod.Wrapf(ErrInvalidAmount, "%s must be positive, got %s", field, c)
	}
	return nil
}

func validOrderID(id uint64) error {
	if id == 0 {
		return errorsmod.Wrap(ErrInvalidOrder, "order id must be positive")
	}
	return nil
}

func validateProviderFields(hostURI, fingerprint string, attrs []Attribute, inv Inventory) error {
	if err := ValidateHostURI(hostURI); err != nil {
		return err
	}
	if err := ValidateTLSFingerprint(fingerprint); err != nil {
		return err
	}
	if err := ValidateAttributes(attrs); err != nil {
		return err
	}
	return inv.Validate()
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgCreateProvider) ValidateBasic() error {
	if err := ValidateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := validateProviderFields(m.HostUri, m.TlsFingerprint, m.Attributes, m.Inventory); err != nil {
		return err
	}
	return validCoin("bond", m.Bond, false)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgUpdateProvider) ValidateBasic() error {
	if err := ValidateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := validateProviderFields(m.HostUri, m.TlsFingerprint, m.Attributes, m.Inventory); err != nil {
		return err
	}
	return validCoin("add_bond", m.AddBond, true)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgDeleteProvider) ValidateBasic() error { return ValidateAddress("owner", m.Owner) }

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgSignProviderAttributes) ValidateBasic() error {
	if err := ValidateAddress("auditor", m.Auditor); err != nil {
		return err
	}
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	if len(m.Attributes) == 0 {
		return errorsmod.Wrap(ErrInvalidAttributes, "sign at least one attribute")
	}
	return ValidateAttributes(m.Attributes)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgCreateOrder) ValidateBasic() error {
	if err := ValidateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := m.Resources.Validate(); err != nil {
		return err
	}
	if err := ValidateAttributes(m.Placement); err != nil {
		return err
	}
	if err := ValidateAuditors(m.RequiredAuditors); err != nil {
		return err
	}
	if err := validCoin("max_price_per_block", m.MaxPricePerBlock, false); err != nil {
		return err
	}
	if err := validCoin("deposit", m.Deposit, false); err != nil {
		return err
	}
	if m.Deposit.Denom != m.MaxPricePerBlock.Denom {
		return errorsmod.Wrap(ErrInvalidDenom, "deposit and max price must share a denomination")
	}
	if m.BidWindow < 0 {
		return errorsmod.Wrap(ErrInvalidBidWindow, "bid window must not be negative")
	}
	return nil
}

// ValidateAuditors checks a bounded list of distinct auditor addresses.
func ValidateAuditors(auditors []string) error {
	if len(auditors) > MaxRequiredAuditors {
		return errorsmod.Wrapf(ErrInvalidOrder, "at most %d required auditors", MaxRequiredAuditors)
	}
	for i, a := range auditors {
		if err := ValidateAddress("required auditor", a); err != nil {
			return err
		}
		for _, o := range auditors[:i] {
			if o == a {
				return errorsmod.Wrapf(ErrInvalidOrder, "duplicate auditor %s", a)
			}
		}
	}
	return nil
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgCloseOrder) ValidateBasic() error {
	if err := ValidateAddress("owner", m.Owner); err != nil {
		return err
	}
	return validOrderID(m.OrderId)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgDepositEscrow) ValidateBasic() error {
	if err := ValidateAddress("depositor", m.Depositor); err != nil {
		return err
	}
	if err := validOrderID(m.OrderId); err != nil {
		return err
	}
	return validCoin("amount", m.Amount, false)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgCreateBid) ValidateBasic() error {
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	if err := validOrderID(m.OrderId); err != nil {
		return err
	}
	return validCoin("price", m.Price, false)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgCloseBid) ValidateBasic() error {
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	return validOrderID(m.OrderId)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgCreateLease) ValidateBasic() error {
	if err := ValidateAddress("owner", m.Owner); err != nil {
		return err
	}
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	return validOrderID(m.OrderId)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgWithdrawLease) ValidateBasic() error {
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	return validOrderID(m.OrderId)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgCloseLease) ValidateBasic() error {
	if err := ValidateAddress("sender", m.Sender); err != nil {
		return err
	}
	if len(m.Reason) > MaxCloseNoteLen {
		return errorsmod.Wrapf(ErrInvalidRequest, "reason longer than %d bytes", MaxCloseNoteLen)
	}
	return validOrderID(m.OrderId)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgLeaseHeartbeat) ValidateBasic() error {
	if err := ValidateAddress("provider", m.Provider); err != nil {
		return err
	}
	return validOrderID(m.OrderId)
}

// ValidateBasic implements sdk.HasValidateBasic.
func (m *MsgUpdateParams) ValidateBasic() error {
	if err := ValidateAddress("authority", m.Authority); err != nil {
		return errorsmod.Wrap(ErrInvalidAuthority, err.Error())
	}
	return m.Params.Validate()
}
