package explorer

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// search sends q to the page it names: a block height, a transaction hash,
// an address, or "order N", "lease N", "subnet N". Unknown input renders an
// error page that lists the forms.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	target, err := s.resolve(r, strings.TrimSpace(r.URL.Query().Get("q")))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (s *Server) resolve(_ *http.Request, q string) (string, error) {
	hint := "search for a block height, a transaction hash, an address (hypha1…), or order N, lease N, subnet N"
	if q == "" {
		return "", fmt.Errorf("%w: empty search: %s", ErrBadInput, hint)
	}
	if f := strings.Fields(strings.ToLower(q)); len(f) == 2 {
		if n, err := strconv.ParseUint(f[1], 10, 63); err == nil {
			switch f[0] {
			case "order", "auction":
				return "/order/" + f[1], nil
			case "lease":
				return "/lease/" + f[1], nil
			case "subnet", "netuid":
				return "/subnet/" + f[1], nil
			case "block", "height":
				return "/block/" + strconv.FormatUint(n, 10), nil
			}
		}
	}
	if n, err := strconv.ParseUint(q, 10, 63); err == nil {
		return "/block/" + strconv.FormatUint(n, 10), nil
	}
	if up := strings.ToUpper(q); len(up) == 64 && isHex(up) {
		return "/tx/" + up, nil
	}
	if isAddress(q) {
		return "/account/" + url.PathEscape(q), nil
	}
	return "", fmt.Errorf("%w: nothing matches %q: %s", ErrNotFound, q, hint)
}
