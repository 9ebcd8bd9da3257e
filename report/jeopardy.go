package report

import (
	"context"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/dealreport"
	"github.com/tandemhq/tandem/jeopardy"
	"github.com/tandemhq/tandem/plan"
	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqldb"
)

// Checked is the outcome of a jeopardy check.
type Checked struct {
	Period string `json:"period"`
	// Found are the alerts the numbers give now; Raised those of them not
	// raised before for their period and cause, which were just sent.
	Found  []jeopardy.Alert `json:"found"`
	Raised []jeopardy.Alert `json:"raised"`
}

// CheckSeed is the Monte Carlo seed a check paces with, so that the
// probability an alert quotes is the one tandem pace shows by default.
const CheckSeed = 1

// Check checks the requested period for jeopardy (see package jeopardy)
// and raises, through the outbox, each alert not raised before for its
// period and cause: the projection of won revenue against the period's
// revenue goal, qualified leads against marketing's commitment (the
// agreement's monthly count × the period's months), the acceptance rate of
// the period's hand-offs against the funnel's rate from the hand-off stage,
// the close rate (deals won of those closed in the period) against the
// funnel's, and the average won deal against the funnel's average deal
// size, each judged with the agreement's tolerance.
func Check(ctx context.Context, db *sqldb.DB, now time.Time, r Request) (Checked, error) {
	r.Known = true
	paced, err := Pace(ctx, db, now, r, CheckSeed)
	if err != nil {
		return Checked{}, err
	}
	if paced.Version == nil {
		return Checked{}, tandem.Errorf(tandem.ECONFLICT, "no signed agreement is in force: jeopardy is judged against the goal and the tolerance both heads signed")
	}
	in, err := jeopardyInput(ctx, db, now, paced)
	if err != nil {
		return Checked{}, err
	}
	out := Checked{Period: in.Period, Found: jeopardy.Check(in), Raised: []jeopardy.Alert{}}
	if out.Found == nil {
		out.Found = []jeopardy.Alert{}
	}
	if len(out.Found) > 0 {
		if out.Raised, err = db.RaiseAlerts(ctx, out.Found); err != nil {
			return out, err
		}
	}
	return out, nil
}

// jeopardyInput measures what a check reads.
func jeopardyInput(ctx context.Context, db *sqldb.DB, now time.Time, paced Paced) (jeopardy.Input, error) {
	a, p, pc := paced.Agreement, paced.Plan, paced.Pace
	per := p.Goal.Period
	in := jeopardy.Input{Period: per.Name, DaysElapsed: pc.DaysElapsed, DaysTotal: pc.DaysTotal,
		Tolerance: a.Funnel.Tolerance, MinSamples: plan.MinSamples, Probability: pc.Probability, Target: pc.Target}
	if in.Tolerance == 0 {
		in.Tolerance = agreement.DefaultTolerance
	}
	in.Revenue = jeopardy.Projection{Goal: pc.Target.Goal, Actual: float64(pc.RevenueActualCents) / 100,
		Projected: float64(pc.RevenueProjectedCents) / 100}
	pol, err := sla.New(a, 0)
	if err != nil {
		return in, err
	}
	if pol != nil {
		for _, s := range pc.Stages {
			if s.Stage == pol.HandoffStage {
				in.QualifiedLeads = jeopardy.Projection{Goal: float64(a.Marketing.QualifiedLeadsPerMonth * per.Months),
					Actual: float64(s.Actual), Projected: float64(s.Projected)}
			}
		}
	}
	rate := func(name string) float64 {
		for _, s := range p.Stages {
			if s.RateName == name {
				return s.Rate.Value
			}
		}
		return 0
	}
	if db == nil {
		return in, nil
	}
	end := earlier(now, per.To)
	o, err := db.Outcomes(ctx, per.From, end)
	if err != nil {
		return in, err
	}
	// The observed close rate is the win rate of the deals closed so far.
	won, samples, _, _ := dealreport.WinRate(o.WonDeals, o.LostDeals)
	in.CloseRate = jeopardy.Observed{Expected: rate(plan.CloseRate), Actual: won, Samples: samples}
	in.DealSize = jeopardy.Observed{Expected: rate(plan.AverageDealSize), Samples: o.WonDeals}
	if o.WonDeals > 0 {
		in.DealSize.Actual = float64(o.WonCents) / 100 / float64(o.WonDeals)
	}
	if pol != nil {
		sr, err := SLA(ctx, db, sqldb.SLAQuery{Period: per.Name})
		switch {
		case err == nil:
			m := sr.Marketing
			in.AcceptanceRate = jeopardy.Observed{Expected: rate(pol.HandoffStage + "_to_" + pol.AcceptStage),
				Actual: m.AcceptanceRate, Samples: m.Decided}
		case tandem.ErrorCode(err) != tandem.ECONFLICT:
			return in, err
		}
	}
	return in, nil
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Daily is the worker's daily round: it checks the goal period containing
// now for jeopardy (when a signed agreement is in force), and freezes the
// scorecards of the month before now's and of the quarter and the year it
// falls in, once they have ended, if they are not frozen yet (see
// [Scorecard]). It returns the check.
func Daily(ctx context.Context, db *sqldb.DB, now time.Time) (Checked, error) {
	a, version, err := Agreement(ctx, db, now)
	if err != nil || version == nil {
		return Checked{}, err
	}
	loc := a.BusinessHours.Location
	month := calendar.MonthOf(now, loc)
	last := month.From.AddDate(0, 0, -1)
	for _, kind := range []agreement.Period{agreement.Month, agreement.Quarter, agreement.Year} {
		if _, err := Scorecard(ctx, db, now, goalPeriodName(kind, last)); err != nil {
			return Checked{}, err
		}
	}
	return Check(ctx, db, now, Request{})
}
