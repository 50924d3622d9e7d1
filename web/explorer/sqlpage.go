package explorer

import (
	"net/http"
	"strings"

	"github.com/hypha-network/hypha/index/sqlq"
)

// maxQueryBytes bounds the SQL text the page accepts.
const maxQueryBytes = 8 << 10

type sqlData struct {
	Query   string
	Result  *sqlq.Result
	Error   string
	Cut     bool
	MaxRows int
	Timeout string
}

// sqlPage runs one read-only query with the index's limits (sqlq): writes
// are refused, a long query is stopped, a large result is cut, each with a
// message that says so. The query comes by GET so a result can be linked.
func (s *Server) sqlPage(r *http.Request) (string, any, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := sqlData{Query: q, MaxRows: s.opts.SQL.MaxRows, Timeout: s.opts.SQL.Timeout.String()}
	if q == "" {
		d.Query = "SELECT height, num_txs, time FROM blocks ORDER BY height DESC LIMIT 10"
		return "SQL", d, nil
	}
	if len(q) > maxQueryBytes {
		d.Error = "the query is longer than 8 KiB: shorten it"
		return "SQL", d, nil
	}
	res, err := s.sqlDB.Query(r.Context(), q, s.opts.SQL)
	if err != nil {
		d.Error = err.Error()
		return "SQL", d, nil
	}
	d.Result, d.Cut = res, res.Cut
	return "SQL", d, nil
}
