package http

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/backtest"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/report"
)

// backtestView is what the backtest page of a proposed version shows.
type backtestView struct {
	Version int
	Period  string
	Report  *backtest.Report
	Rows    []backtest.Row
	// Recorded says that the viewer is a head whose signature of the
	// version will record this backtest as seen.
	Recorded bool
}

// agreementBacktest answers /agreement/backtest?version=N&period=P: the
// stored version N replayed over period P (the last complete quarter by
// default; the newest stored version when none is named) beside the
// version in force, in words. A head who opens it has
// it recorded, so that the head's signature says the backtest was seen.
// A bad period or a period with no data shows the page with what went
// wrong and the form to pick another; nothing is recorded then.
func (s *Server) agreementBacktest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	n := 0
	if q := r.URL.Query().Get("version"); q != "" {
		var err error
		if n, err = strconv.Atoi(q); err != nil || n <= 0 {
			return tandem.Invalid(tandem.FieldError{Field: "version", Message: fmt.Sprintf("%q is not an agreement version", q)})
		}
	} else {
		// No version named: the newest one, the proposal heads are asked
		// to sign.
		list, err := s.DB.AgreementVersions(ctx)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			p := newPage(r, "Backtest")
			p.Data, p.Error = &backtestView{}, "No agreement version is stored yet: propose one on the agreement page, then backtest it."
			return s.render(w, http.StatusOK, "agreement_backtest", p)
		}
		n = list[len(list)-1].Version
	}
	stored, err := s.DB.AgreementVersion(ctx, n)
	if err != nil {
		return err
	}
	a, err := agreement.Parse(fmt.Sprintf("agreement version %d", n), []byte(stored.Body))
	if err != nil {
		return fmt.Errorf("agreement version %d no longer parses: %w", n, err)
	}
	now := s.DB.Now()
	v := backtestView{Version: n, Period: r.URL.Query().Get("period")}
	if v.Period == "" {
		v.Period = lastQuarter(now, a.BusinessHours.Location)
	}
	p := newPage(r, fmt.Sprintf("Backtest of agreement version %d", n))
	p.Data = &v
	rep, err := report.Backtest(ctx, s.DB, a, n, v.Period, now)
	switch tandem.ErrorCode(err) {
	case "":
	case tandem.EINVALID, tandem.ENOTFOUND, tandem.ECONFLICT:
		// The page stands, with what the period lacks and its form to
		// pick another; nothing is recorded.
		p.Error = errorText(err)
		return s.render(w, http.StatusOK, "agreement_backtest", p)
	default:
		return err
	}
	v.Report, v.Rows = &rep, rep.Rows()
	if u := viewer(r); slices.Contains(tandem.SignerRoles, u.Role) && stored.InForceFrom.IsZero() {
		if err := s.DB.BacktestSeen(ctx, n, u.Email, v.Period); err != nil {
			return err
		}
		v.Recorded = true
	}
	return s.render(w, http.StatusOK, "agreement_backtest", p)
}

// lastQuarter names the last complete quarter before now in loc: 2026-Q3
// on 7 December 2026.
func lastQuarter(now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t := now.In(loc)
	q := (int(t.Month())-1)/3 + 1
	y := t.Year()
	if q--; q == 0 {
		q, y = 4, y-1
	}
	name := fmt.Sprintf("%d-Q%d", y, q)
	if _, err := calendar.ParsePeriod(name, loc); err != nil {
		return ""
	}
	return name
}
