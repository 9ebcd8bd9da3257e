package http

import (
	"net/http"
	"time"

	"github.com/tandemhq/tandem/jeopardy"
	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
)

// funnelView is what the executive funnel shows.
type funnelView struct {
	Picker picker
	KPI    scorecard.KPI
	// Revenue is won revenue against the goal (the scorecard's); the
	// pace gives the run rate and the probability.
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
	Elapsed       time.Duration
}

// funnelPage answers /funnel: the unified KPI, revenue against the goal
// with its pace and the probability of reaching it, the conversion
// waterfall and the period's jeopardy alerts. It shows the goal period
// (the agreement's goal.period containing now) unless asked for another.
func (s *Server) funnelPage(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	ctx := r.Context()
	per, pk, _, err := s.pickPeriod(ctx, r, goalPeriod)
	if err != nil {
		return err
	}
	now := s.DB.Now()
	paced, err := report.Pace(ctx, s.DB, now, report.Request{Period: per.Name, Known: true}, paceSeed)
	if err != nil {
		return err
	}
	sc, err := report.Scorecard(ctx, s.DB, now, per.Name)
	if err != nil {
		return err
	}
	alerts, err := s.DB.Alerts(ctx, sqldb.AlertFilter{Periods: report.Related(per)})
	if err != nil {
		return err
	}
	pc := paced.Pace
	v := funnelView{Picker: pk, KPI: sc.KPI, Revenue: sc.Revenue, Probability: pc.Probability, Trials: pc.Trials,
		DaysElapsed: pc.DaysElapsed, DaysTotal: pc.DaysTotal, Funnel: sc.Funnel, Stages: pc.Stages, Alerts: alerts, Notes: sc.Notes,
		Projected: float64(pc.RevenueProjectedCents) / 100}
	if pc.DaysTotal > 0 {
		v.ExpectedByNow = sc.Revenue.Goal * float64(pc.DaysElapsed) / float64(pc.DaysTotal)
	}
	v.Chart = waterfallChart(sc.Funnel)
	v.Elapsed = time.Since(start)
	p := newPage(r, "Funnel")
	p.Data = v
	return s.render(w, http.StatusOK, "funnel", p)
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
