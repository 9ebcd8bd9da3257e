package http

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/report"
)

// The management pages: the SLA board, marketing pacing, the executive
// funnel, the scorecard and the agreement (page_boards.go, page_slaboard.go,
// page_pacing.go, page_funnel.go, page_scorecard.go, page_agreement.go). Each reads
// the same services the API and the command line read, for a period the
// viewer picks.

// sectionRoles returns the roles of the section at path.
func sectionRoles(path string) []tandem.Role {
	for _, sec := range sections {
		if sec.Path == path {
			return sec.roles
		}
	}
	panic("no section " + path)
}

// picker is a page's period picker: the period shown and a few to jump to.
type picker struct {
	Action  string // the page's path
	Period  string
	Choices []string // recent months, this quarter and year
}

// pickPeriod reads ?period= (def when empty) in the agreement's time zone.
// A period that does not parse is EINVALID naming "period": the page
// answers 422 saying why.
func (s *Server) pickPeriod(ctx context.Context, r *http.Request, def func(*agreement.Agreement, time.Time) string) (calendar.Period, picker, *agreement.Agreement, error) {
	now := s.DB.Now()
	a, _, err := report.Agreement(ctx, s.DB, now)
	if err != nil {
		return calendar.Period{}, picker{}, nil, err
	}
	pk := picker{Action: r.URL.Path, Period: r.URL.Query().Get("period")}
	if pk.Period == "" {
		pk.Period = def(a, now)
	}
	per, err := report.Period(a, pk.Period, now)
	if err != nil {
		return per, pk, a, err
	}
	pk.Period = per.Name
	loc := a.BusinessHours.Location
	t := now.In(loc)
	for i := range 6 {
		m := time.Date(t.Year(), t.Month()-time.Month(i), 1, 12, 0, 0, 0, loc)
		pk.Choices = append(pk.Choices, m.Format("2006-01"))
	}
	pk.Choices = append(pk.Choices, fmt.Sprintf("%04d-Q%d", t.Year(), (int(t.Month())-1)/3+1), fmt.Sprintf("%04d", t.Year()))
	if !slices.Contains(pk.Choices, pk.Period) {
		pk.Choices = append([]string{pk.Period}, pk.Choices...)
	}
	return per, pk, a, nil
}

// thisMonth is the month containing now in the agreement's time zone.
func thisMonth(a *agreement.Agreement, now time.Time) string {
	return now.In(a.BusinessHours.Location).Format("2006-01")
}

// goalPeriod is the agreement's goal period containing now.
func goalPeriod(a *agreement.Agreement, now time.Time) string {
	p, err := report.Period(a, "", now)
	if err != nil {
		return thisMonth(a, now)
	}
	return p.Name
}

// handoffStage is the stage whose entry hands a lead to sales
// (agreement.HandoffStage); for an agreement that hands nothing to sales,
// the pages name its second path stage, the one a hand-off would start at.
func handoffStage(a *agreement.Agreement) string {
	if hs, _ := a.HandoffStage(); hs != "" {
		return hs
	}
	if stages := a.PathStages(); len(stages) > 1 {
		return stages[1]
	}
	return ""
}
