package http

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/report"
)

// getDealReport answers GET /api/v1/deals/report?period=P&by=DIM&by=DIM2:
// the deals report (docs/deals.md, "Deals report"). Its figures are
// aggregates, so every role that reads reports reads it whole, a rep
// included, as the campaign report and the scorecard are read.
func (s *Server) getDealReport(w http.ResponseWriter, r *http.Request) error {
	var period string
	var by []string
	var errs []tandem.FieldError
	q := r.URL.Query()
	for _, name := range slices.Sorted(maps.Keys(q)) {
		vs := q[name]
		switch name {
		case "period":
			if len(vs) > 1 {
				errs = append(errs, tandem.FieldError{Field: name, Message: "given more than once: a report covers one period"})
			}
			period = vs[0]
		case "by":
			// by=owner&by=month, or by=owner,month.
			for _, v := range vs {
				by = append(by, strings.Split(v, ",")...)
			}
		default:
			errs = append(errs, tandem.FieldError{Field: name, Message: "not a parameter of the deals report (period, by)"})
		}
	}
	if len(errs) > 0 {
		return tandem.Invalid(errs...)
	}
	rep, err := report.Deals(r.Context(), s.DB, s.DB.Now(), period, by)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}
