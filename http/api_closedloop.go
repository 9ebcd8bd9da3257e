package http

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/plan"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
)

// planRequest reads a plan's query: period, goal, share (0.6 or 60%) and
// any number of set=NAME=VALUE what-ifs. Each bad value is a field error
// naming its parameter.
func planRequest(q url.Values) (report.Request, error) {
	r := report.Request{Period: q.Get("period"), Known: true}
	var fs []tandem.FieldError
	if v := q.Get("goal"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			fs = append(fs, tandem.FieldError{Field: "goal", Message: fmt.Sprintf("%q is not an amount: write it like 1200000", v)})
		}
		r.Goal = &f
	}
	if v := q.Get("share"); v != "" {
		f, err := report.ParseShare(v)
		if err != nil {
			fs = append(fs, tandem.FieldError{Field: "share", Message: fmt.Sprintf("%q is not a share: write it like 0.6 or 60%%", v)})
		}
		r.Share = &f
	}
	for _, s := range q["set"] {
		set, ok := report.ParseSet(s)
		if !ok {
			fs = append(fs, tandem.FieldError{Field: "set", Message: fmt.Sprintf("%q: want NAME=VALUE, like close_rate=0.25 or average_deal_size=15000", s)})
			continue
		}
		r.Sets = append(r.Sets, set)
	}
	if len(fs) > 0 {
		return r, tandem.Invalid(fs...)
	}
	return r, nil
}

func (s *Server) getPlan(w http.ResponseWriter, r *http.Request) error {
	req, err := planRequest(r.URL.Query())
	if err != nil {
		return err
	}
	p, err := report.Plan(r.Context(), s.DB, s.DB.Now(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, struct {
		AgreementVersion *int `json:"agreement_version"`
		plan.Plan
	}{p.Version, p.Plan})
}

func (s *Server) getPace(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	req, err := planRequest(q)
	if err != nil {
		return err
	}
	seed := uint64(report.DefaultSeed)
	if v := q.Get("seed"); v != "" {
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return tandem.Invalid(tandem.FieldError{Field: "seed", Message: fmt.Sprintf("%q is not a seed: want a whole number", v)})
		}
	}
	p, err := report.Pace(r.Context(), s.DB, s.DB.Now(), req, seed)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p.Pace)
}

// getScorecard answers with the scorecard as JSON, or as CSV or the HTML
// page when format says so.
func (s *Server) getScorecard(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "csv" && format != "html" {
		return tandem.Invalid(tandem.FieldError{Field: "format", Message: fmt.Sprintf("%q is not a format: want json, csv or html", format)})
	}
	sc, err := report.ReadScorecard(r.Context(), s.DB, s.DB.Now(), q.Get("period"))
	if err != nil {
		return err
	}
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"scorecard-%s.csv\"", sc.Period))
		return sc.WriteCSV(w)
	case "html":
		w.Header().Set("Content-Security-Policy", scorecardCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		return sc.WriteHTML(w)
	}
	return writeJSON(w, http.StatusOK, sc)
}

func (s *Server) getAlerts(w http.ResponseWriter, r *http.Request) error {
	var f sqldb.AlertFilter
	if p := r.URL.Query().Get("period"); p != "" {
		per, err := calendar.ParsePeriod(p, time.UTC) // for its name: any zone gives the same
		if err != nil {
			return err
		}
		f.Periods = []string{per.Name}
	}
	alerts, err := s.DB.Alerts(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"alerts": alerts})
}

// postCheck runs the jeopardy check on demand. Email and chat messages of
// new alerts wait in the outbox for the serve that has the channels.
func (s *Server) postCheck(w http.ResponseWriter, r *http.Request) error {
	c, err := report.Check(r.Context(), s.DB, s.DB.Now(), report.Request{Period: r.URL.Query().Get("period")})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}
