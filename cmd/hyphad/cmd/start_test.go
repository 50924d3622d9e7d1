package cmd

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckMinGasPrices(t *testing.T) {
	for _, tc := range []struct {
		prices string
		allow  bool
		ok     bool
	}{
		{"", false, false},
		{"0uhyp", false, false},
		{"0uhyp,0.000stake", false, false},
		{"0.025uhyp", false, true},
		{"0uhyp,0.01stake", false, true},
		{"", true, true},
		{"0uhyp", true, true},
	} {
		err := CheckMinGasPrices(tc.prices, tc.allow)
		if tc.ok != (err == nil) {
			t.Errorf("%q allow=%v: %v", tc.prices, tc.allow, err)
			continue
		}
		if err != nil && (!errors.Is(err, ErrZeroGasPrices) || !strings.Contains(err.Error(), "minimum-gas-prices") ||
			!strings.Contains(err.Error(), "--allow-zero-gas-prices")) {
			t.Errorf("%q: error %q must name minimum-gas-prices and --allow-zero-gas-prices", tc.prices, err)
		}
	}
	if err := CheckMinGasPrices("lots", false); err == nil || !strings.Contains(err.Error(), "minimum-gas-prices") {
		t.Errorf("malformed prices: %v", err)
	}
}
