package http

import (
	"cmp"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tandemhq/tandem/sqldb"
)

// getAudit answers GET /api/v1/audit?subject=&before=&limit=: the audit log
// of users and tokens (who changed which user or token, when, and what),
// newest first, for admins. next_before pages back: give it as before.
func (s *Server) getAudit(w http.ResponseWriter, r *http.Request) error {
	var f sqldb.AuditFilter
	if err := eachParam(r, func(name, v string, bad func(string)) {
		switch name {
		case "subject":
			f.Subject = v
		case "before":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				bad(fmt.Sprintf("%q is not an entry id: give a whole number from 1 (next_before of the previous page)", v))
			}
			f.BeforeID = n
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				bad(fmt.Sprintf("%q is not a limit: give a whole number from 1 to 1000", v))
			}
			f.Limit = n
		default:
			bad("not a parameter of the audit log (subject, before, limit)")
		}
	}); err != nil {
		return err
	}
	es, err := s.DB.Audit(r.Context(), f)
	if err != nil {
		return err
	}
	if es == nil {
		es = []sqldb.AuditEntry{}
	}
	page := struct {
		Items      []sqldb.AuditEntry `json:"items"`
		NextBefore int64              `json:"next_before,omitempty"`
	}{Items: es}
	if len(es) == cmp.Or(f.Limit, 100) {
		page.NextBefore = es[len(es)-1].ID
	}
	return writeJSON(w, http.StatusOK, page)
}
