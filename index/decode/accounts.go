package decode

import (
	"sort"

	"cosmossdk.io/core/address"

	"github.com/hypha-network/hypha/index/schema"
)

// accounts collects the distinct account addresses a block touches.
type accounts struct {
	codec address.Codec
	seen  map[string]bool
}

func newAccounts(c address.Codec) *accounts { return &accounts{codec: c, seen: map[string]bool{}} }

// add records s if it is an account address of this chain. Bech32 strings
// are short and lowercase, so most attribute values (amounts, ids) are
// rejected before the decode.
func (a *accounts) add(s string) {
	if a.codec == nil || len(s) < 20 || len(s) > 90 || a.seen[s] || !plausibleBech32(s) {
		return
	}
	if _, err := a.codec.StringToBytes(s); err == nil {
		a.seen[s] = true
	}
}

func plausibleBech32(s string) bool {
	sep := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '1':
			sep = true
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return sep
}

// rows returns one accounts row per address, sorted (map order is random).
func (a *accounts) rows(height int64) []Row {
	addrs := make([]string, 0, len(a.seen))
	for s := range a.seen {
		addrs = append(addrs, s)
	}
	sort.Strings(addrs)
	rows := make([]Row, len(addrs))
	for i, s := range addrs {
		rows[i] = Row{schema.Accounts, []any{s, height}}
	}
	return rows
}
