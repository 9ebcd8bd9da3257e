package http

import (
	"fmt"
	"html/template"
	"net/http"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/scorecard"
)

// scorecardView is what the scorecard page shows.
type scorecardView struct {
	Picker picker
	SC     scorecard.Scorecard
	// The print view's charts, drawn by the same code.
	FunnelChart, RejectionChart template.HTML
}

// scorecardPage answers /scorecard?period=: the scorecard in the app's
// layout, with links to the printable page, CSV and JSON. A closed
// period's is read frozen (see report.Scorecard).
func (s *Server) scorecardPage(w http.ResponseWriter, r *http.Request) error {
	per, pk, _, err := s.pickPeriod(r.Context(), r, thisMonth)
	if err != nil {
		return err
	}
	sc, err := report.ReadScorecard(r.Context(), s.DB, s.DB.Now(), per.Name)
	if err != nil {
		return err
	}
	v := scorecardView{Picker: pk, SC: sc}
	if v.FunnelChart, err = sc.FunnelChart(); err != nil {
		return err
	}
	if v.RejectionChart, err = sc.RejectionChart(); err != nil {
		return err
	}
	p := newPage(r, "Scorecard "+sc.Period)
	p.Data = v
	return s.render(w, http.StatusOK, "scorecard", p)
}

// scorecardPrint answers the scorecard's own self-contained page, made to
// be printed, mailed or archived. It carries its style and charts inline,
// so its policy allows inline style and no script at all.
func (s *Server) scorecardPrint(w http.ResponseWriter, r *http.Request) error {
	sc, err := report.ReadScorecard(r.Context(), s.DB, s.DB.Now(), r.URL.Query().Get("period"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Security-Policy", scorecardCSP)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return sc.WriteHTML(w)
}

// scorecardCSP is the policy of the scorecard's self-contained page, the
// pages' and the API's alike: its style and charts are inline, and it has
// no script.
const scorecardCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// scorecardExport answers the scorecard as CSV or JSON (format=csv|json),
// for the signed-in browser; the API has the same with a token.
func (s *Server) scorecardExport(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" {
		return tandem.Invalid(tandem.FieldError{Field: "format", Message: fmt.Sprintf("%q is not a format: want csv or json", format)})
	}
	sc, err := report.ReadScorecard(r.Context(), s.DB, s.DB.Now(), r.URL.Query().Get("period"))
	if err != nil {
		return err
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"scorecard-%s.csv\"", sc.Period))
		return sc.WriteCSV(w)
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"scorecard-%s.json\"", sc.Period))
	return writeJSON(w, http.StatusOK, sc)
}
