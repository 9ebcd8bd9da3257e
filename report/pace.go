package report

import (
	"context"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/plan"
	"github.com/tandemhq/tandem/sqldb"
)

// Paced is a period's pace with the plan it is measured against.
type Paced struct {
	Planned
	Pace pace.Pace
}

// Pace measures the requested period against its plan (see [Plan] and
// package pace): the leads that entered each path stage day by day and the
// deals won, with the Monte Carlo drawn from seed. db may be nil (no
// database: nothing happened yet). A period that has ended is measured
// against the agreement in force at its end, as its scorecard is, when one
// was, so that both state the same target.
func Pace(ctx context.Context, db *sqldb.DB, now time.Time, r Request, seed uint64) (Paced, error) {
	a, version, err := Agreement(ctx, db, now)
	if err != nil {
		return Paced{}, err
	}
	// No agreement in force at the period's end (at now for a running
	// one): the period is described, not judged, as its scorecard is,
	// unless the request states the goal itself (a what-if).
	noAgreement := version == nil
	if per, perr := Period(a, r.Period, now); perr == nil && db != nil && !now.Before(per.To) {
		if ea, ev, err := Agreement(ctx, db, per.To.Add(-time.Microsecond)); err != nil {
			return Paced{}, err
		} else if ev != nil {
			a, version = ea, ev
		} else {
			noAgreement = true
		}
	}
	p, company, err := plans(ctx, db, a, now, r)
	pl := Planned{Plan: p, Agreement: a, Version: version}
	if err != nil {
		return Paced{Planned: pl}, err
	}
	in := pace.Input{Plan: pl.Plan, Company: company, KPI: a.Goal.UnifiedKPI, Stages: pl.Agreement.PathStages(), Now: now,
		Loc: pl.Agreement.BusinessHours.Location, Seed: seed, NoAgreement: noAgreement && r.Goal == nil}
	if db != nil {
		if in.Actuals, err = actuals(ctx, db, pl.Plan, in.Stages, in.Loc); err != nil {
			return Paced{Planned: pl}, err
		}
	}
	out, err := pace.Compute(in)
	return Paced{Planned: pl, Pace: out}, err
}

// plans plans r's period under the agreement twice: marketing's plan (its
// share of the goal) and the company's (the whole goal, share 1), which
// gives the period's target (pace.NewTarget). The pace and the scorecard
// both plan with it, so their targets are the same.
func plans(ctx context.Context, db *sqldb.DB, a *agreement.Agreement, now time.Time, r Request) (marketing, company plan.Plan, err error) {
	g, rates, err := goalAndRates(ctx, db, a, now, r)
	if err != nil {
		return marketing, company, err
	}
	if marketing, err = compute(a, g, rates, r.Known); err != nil {
		return marketing, company, err
	}
	g.MarketingShare, g.ShareSource = 1, plan.SourceOverride
	company, err = compute(a, g, rates, r.Known)
	return marketing, company, err
}

// actuals counts, day by day of the plan's period in loc, the leads that
// entered each path stage and the revenue of the deals won.
func actuals(ctx context.Context, db *sqldb.DB, p plan.Plan, stages []string, loc *time.Location) (pace.Actuals, error) {
	per := p.Goal.Period
	out := pace.Actuals{Entered: map[string][]int64{}}
	day := func(t time.Time) int { return pace.Days(per.From, t, loc) }
	total := day(per.To)
	entered, err := db.StageEntriesByDay(ctx, per.From, per.To, loc, stages)
	if err != nil {
		return out, err
	}
	for stage, byDay := range entered {
		days := make([]int64, total)
		copy(days, byDay) // a day after the period's last whole one is not counted
		out.Entered[stage] = days
	}
	out.WonCents = make([]int64, total)
	err = eachDeal(ctx, db, tandem.DealFilter{Stage: tandem.DealWon, ClosedFrom: per.From, ClosedTo: per.To}, func(d tandem.Deal) {
		if i := day(d.ClosedAt); i >= 0 && i < total {
			out.WonCents[i] += d.AmountCents
		}
	})
	return out, err
}

// eachDeal calls fn with every deal that matches f, page by page.
func eachDeal(ctx context.Context, db *sqldb.DB, f tandem.DealFilter, fn func(tandem.Deal)) error {
	f.Limit = 1000
	for {
		page, err := db.Deals(ctx, f)
		if err != nil {
			return err
		}
		for _, d := range page.Deals {
			fn(d)
		}
		if page.Next == 0 {
			return nil
		}
		f.After = page.Next
	}
}
