package http

import (
	"net/http"
	"time"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/jeopardy"
	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
)

// funnelView is what the executive funnel shows. Every projection and
// the probability are of one target, the period's (pace.Target, the
// pace's, which is the scorecard's KPI target): the page says what it is.
type funnelView struct {
	Picker picker
	KPI    scorecard.KPI
	// Target is what the projection and the probability are of, with its
	// measure so far, the target's pace by now and the run rate's
	// projection.
	Target          pace.Target
	TargetActual    float64
	TargetByNow     float64 // the target × days elapsed ÷ days
	TargetProjected float64
	// Revenue is won revenue against the goal the target comes from (the
	// scorecard's); Projected the run rate's revenue.
	Revenue       scorecard.Revenue
	ExpectedByNow float64 // the goal × days elapsed ÷ days
	Projected     float64 // won so far carried at its run rate to the period's end
	Probability   float64
	Trials        int
	DaysElapsed   int
	DaysTotal     int
	Funnel        []scorecard.Stage
	Stages        []pace.Stage
	Alerts        []jeopardy.Alert
	Chart         chartData
	Notes         []string
	AsOf          time.Time // when the pace was computed
	Status        string    // the scorecard's
	// WonLink and LostLink list the deals won and lost in the period.
	WonLink, LostLink string
	Trend             monthTrend
}

// funnelPage answers /funnel: the period's target (the unified KPI of
// the whole goal) with its pace, projection and the probability of
// reaching it, revenue against the goal, the conversion waterfall and the
// period's jeopardy alerts. It shows the goal period (the agreement's
// goal.period containing now) unless asked for another.
func (s *Server) funnelPage(w http.ResponseWriter, r *http.Request) error {
	per, pk, a, pc, sc, err := s.pacedPeriod(r, goalPeriod)
	if err != nil {
		return err
	}
	months, err := s.trendMonths(r.Context(), per, a)
	if err != nil {
		return err
	}
	alerts, err := s.DB.Alerts(r.Context(), sqldb.AlertFilter{Periods: report.Related(per)})
	if err != nil {
		return err
	}
	p := newPage(r, "Funnel")
	v := newFunnelView(pk, pc, sc, alerts)
	v.WonLink, v.LostLink = wonDealsLink(per.From, per.To), dealsLink("lost", per.From, per.To)
	v.Trend = funnelTrend(months)
	p.Data = v
	return s.render(w, http.StatusOK, "funnel", p)
}

// newFunnelView lays the pace and the scorecard of one period out for the
// page. The target, its projection and the probability all come from the
// pace; the KPI and the revenue from the scorecard, whose target is the
// same (both are pace.NewTarget of the company's plan).
func newFunnelView(pk picker, pc pace.Pace, sc scorecard.Scorecard, alerts []jeopardy.Alert) funnelView {
	v := funnelView{Picker: pk, KPI: sc.KPI, Target: pc.Target, TargetActual: pc.TargetActual, TargetProjected: pc.TargetProjected,
		Revenue: sc.Revenue, Probability: pc.Probability, Trials: pc.Trials,
		DaysElapsed: pc.DaysElapsed, DaysTotal: pc.DaysTotal, Funnel: sc.Funnel, Stages: pc.Stages, Alerts: alerts, Notes: sc.Notes,
		Projected: float64(pc.RevenueProjectedCents) / 100, AsOf: pc.AsOf, Status: sc.Status}
	if sc.Status == scorecard.StatusNoAgreement {
		// Described, not judged: no target to pace against.
		v.Target, v.Revenue.Goal = pace.Target{}, 0
	}
	if pc.DaysTotal > 0 {
		v.ExpectedByNow = v.Revenue.Goal * float64(pc.DaysElapsed) / float64(pc.DaysTotal)
		v.TargetByNow = v.Target.Value * float64(pc.DaysElapsed) / float64(pc.DaysTotal)
	}
	v.Chart = waterfallChart(sc.Funnel)
	return v
}

// pacedPeriod opens the pacing and funnel pages: the period asked for (def
// when none), the agreement in force, and the period's pace and scorecard
// as kept (see report.KeptPace).
func (s *Server) pacedPeriod(r *http.Request, def func(*agreement.Agreement, time.Time) string) (calendar.Period, picker, *agreement.Agreement, pace.Pace, scorecard.Scorecard, error) {
	ctx := r.Context()
	per, pk, a, err := s.pickPeriod(ctx, r, def)
	if err != nil {
		return per, pk, a, pace.Pace{}, scorecard.Scorecard{}, err
	}
	now := s.DB.Now()
	pc, err := report.ReadPace(ctx, s.DB, now, per.Name)
	if err != nil {
		return per, pk, a, pc, scorecard.Scorecard{}, err
	}
	sc, err := report.ReadScorecard(ctx, s.DB, now, per.Name)
	return per, pk, a, pc, sc, err
}

// waterfallChart is the funnel as bars: entered against planned per stage.
func waterfallChart(stages []scorecard.Stage) chartData {
	c := chartData{ID: "waterfall", Kind: "bar", Title: "Leads entering each stage, against the plan"}
	entered := chartSeries{Name: "Entered"}
	planned := chartSeries{Name: "Planned", Dashed: true}
	for _, st := range stages {
		c.Labels = append(c.Labels, st.Stage)
		e, p := float64(st.Entered), float64(st.Planned)
		entered.Values = append(entered.Values, &e)
		planned.Values = append(planned.Values, &p)
	}
	c.Series = []chartSeries{entered, planned}
	return c
}
