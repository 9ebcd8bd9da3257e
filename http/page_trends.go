package http

import (
	"context"
	"time"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/scorecard"
)

// monthPoint is one month of the pacing and funnel pages' trends, read
// from its scorecard (frozen once the month has ended).
type monthPoint struct {
	Period string
	// Qualified counts the leads that entered the hand-off stage;
	// Commitment is marketing's commitment for the month (0 without a
	// signed agreement).
	Qualified  int
	Commitment float64
	Acceptance *scorecard.Commitment // nil when the month measured none
	Rating     *scorecard.Commitment
	// Revenue is won revenue against the goal; KPI the unified KPI.
	Revenue scorecard.Revenue
	KPI     scorecard.KPI
	// WonLink lists the deals won in the month.
	WonLink string
	Status  string
	// Pending says the month has ended and its scorecard is not frozen
	// yet: its figures are not shown.
	Pending bool
}

// monthTrend is the last report.TrendMonths months up to the shown
// period's last month (or this month, while it runs), oldest first.
type monthTrend struct {
	Months []monthPoint
	Chart  chartData
}

// trendMonths reads the scorecards of the months the trend of per shows.
func (s *Server) trendMonths(ctx context.Context, per calendar.Period, a *agreement.Agreement) ([]monthPoint, error) {
	now := s.DB.Now()
	end := per.To.Add(-time.Microsecond)
	if now.Before(end) {
		end = now
	}
	scs, ok, err := report.ReadScorecards(ctx, s.DB, now, report.Months(end, a.BusinessHours.Location, report.TrendMonths))
	if err != nil {
		return nil, err
	}
	hs := handoffStage(a)
	var out []monthPoint
	for i, sc := range scs {
		p := monthPoint{Period: sc.Period, Revenue: sc.Revenue, KPI: sc.KPI, Status: sc.Status, WonLink: wonDealsLink(sc.From, sc.To), Pending: !ok[i]}
		if p.Pending {
			out = append(out, p)
			continue
		}
		for _, st := range sc.Funnel {
			if st.Stage == hs {
				p.Qualified = st.Entered
			}
		}
		for i, c := range sc.Commitments {
			switch c.Name {
			case "qualified_leads":
				p.Commitment = c.Target
			case "acceptance_rate":
				p.Acceptance = &sc.Commitments[i]
			case "average_rating":
				p.Rating = &sc.Commitments[i]
			}
		}
		out = append(out, p)
	}
	return out, nil
}

// pacingTrend charts qualified leads month by month against marketing's
// commitment.
func pacingTrend(ms []monthPoint) monthTrend {
	t := monthTrend{Months: ms, Chart: chartData{ID: "pacing-months", Kind: "bar", Title: "Qualified leads by month, against the commitment"}}
	actual := chartSeries{Name: "Qualified leads"}
	committed := chartSeries{Name: "Commitment", Dashed: true}
	for _, m := range ms {
		t.Chart.Labels = append(t.Chart.Labels, m.Period)
		if m.Pending {
			actual.Values, committed.Values = append(actual.Values, nil), append(committed.Values, nil)
			continue
		}
		q, c := float64(m.Qualified), m.Commitment
		actual.Values = append(actual.Values, &q)
		committed.Values = append(committed.Values, &c)
	}
	t.Chart.Series = []chartSeries{actual, committed}
	return t
}

// funnelTrend charts won revenue month by month against the goal.
func funnelTrend(ms []monthPoint) monthTrend {
	t := monthTrend{Months: ms, Chart: chartData{ID: "funnel-months", Kind: "bar", Title: "Won revenue by month, against the goal"}}
	won := chartSeries{Name: "Won"}
	goal := chartSeries{Name: "Goal", Dashed: true}
	for _, m := range ms {
		t.Chart.Labels = append(t.Chart.Labels, m.Period)
		if m.Pending {
			won.Values, goal.Values = append(won.Values, nil), append(goal.Values, nil)
			continue
		}
		w, g := m.Revenue.Won, m.Revenue.Goal
		won.Values = append(won.Values, &w)
		goal.Values = append(goal.Values, &g)
	}
	t.Chart.Series = []chartSeries{won, goal}
	return t
}
