// Package report assembles the closed-loop numbers from the store: the plan
// (the reverse funnel of the goal), the pace of a period against it, the
// jeopardy check and the monthly scorecard. The arithmetic lives in the
// pure packages plan, pace, jeopardy and scorecard; this package reads what
// they need from sqldb, so the command line, the API and the worker all
// compute the same numbers the same way.
package report

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/plan"
	"github.com/tandemhq/tandem/sqldb"
)

// Request is what a plan (and so a pace, a check or a scorecard) is asked
// for: a period and the what-ifs. The zero Request plans the goal period
// containing now from the agreement alone.
type Request struct {
	// Period is a month (2027-01), a quarter (2027-Q1) or a year (2027) in
	// the agreement's time zone; "" for the goal period containing now.
	Period string
	// Goal and Share override the agreement's revenue goal for the period
	// and its share from marketing (0..1) when not nil.
	Goal, Share *float64
	// Sets override funnel rates by name: average_deal_size, close_rate or
	// a pair like mql_to_sal.
	Sets []Set
	// Known plans what is known (plan.ComputeKnown): a rate left to
	// history with none leaves its stage and those before it unknown
	// instead of failing the plan. The API and the reports plan so; the
	// command line fails with the what-if that plans meanwhile.
	Known bool
}

// Set is one what-if on a funnel rate.
type Set struct {
	Name  string
	Value float64
}

// Planned is a plan with the agreement it was made from.
type Planned struct {
	Plan      plan.Plan
	Agreement *agreement.Agreement
	// Version is the agreement version in force, nil when none is and the
	// default agreement was used.
	Version *int
}

// Agreement returns the agreement in force at now and its version, or the
// default agreement and a nil version when none is (or db is nil: a
// database that does not exist holds no agreement).
func Agreement(ctx context.Context, db *sqldb.DB, now time.Time) (*agreement.Agreement, *int, error) {
	if db == nil {
		a, err := sqldb.DefaultAgreement()
		return a, nil, err
	}
	a, v, err := db.AgreementAt(ctx, now)
	if err != nil || v == nil {
		return a, nil, err
	}
	return a, &v.Version, nil
}

// Period reads the period named in r (the goal period containing now when
// r.Period is "") in the agreement's time zone. A name that does not parse
// is an EINVALID error naming "period".
func Period(a *agreement.Agreement, name string, now time.Time) (calendar.Period, error) {
	loc := a.BusinessHours.Location
	if name == "" {
		name = goalPeriodName(a.Goal.Period, now.In(loc))
	}
	return calendar.ParsePeriod(name, loc)
}

func goalPeriodName(kind agreement.Period, t time.Time) string {
	switch kind {
	case agreement.Month:
		return fmt.Sprintf("%04d-%02d", t.Year(), int(t.Month()))
	case agreement.Quarter:
		return fmt.Sprintf("%04d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
	}
	return fmt.Sprintf("%04d", t.Year())
}

// PeriodMonths is the number of months in a goal period.
func PeriodMonths(p agreement.Period) int {
	switch p {
	case agreement.Month:
		return 1
	case agreement.Quarter:
		return 3
	}
	return 12
}

// Plan works the goal of the requested period back along the path (see
// package plan): the agreement's goal scaled to the period's months, its
// share from marketing and its funnel rates, with the rates it leaves to
// history measured over the 12 months before the period, and r's what-ifs
// on top. db may be nil (no database: the default agreement and no
// history). Bad input is an EINVALID error naming "period", "goal.revenue",
// "goal.marketing_share" or the rate a what-if sets.
func Plan(ctx context.Context, db *sqldb.DB, now time.Time, r Request) (Planned, error) {
	a, version, err := Agreement(ctx, db, now)
	if err != nil {
		return Planned{}, err
	}
	p, err := planFor(ctx, db, a, now, r)
	return Planned{Plan: p, Agreement: a, Version: version}, err
}

// planFor plans r's period under the agreement.
func planFor(ctx context.Context, db *sqldb.DB, a *agreement.Agreement, now time.Time, r Request) (plan.Plan, error) {
	g, rates, err := goalAndRates(ctx, db, a, now, r)
	if err != nil {
		return plan.Plan{}, err
	}
	return compute(a, g, rates, r.Known)
}

// goalAndRates reads the goal of r's period (the agreement's, scaled to
// the period, or r's what-ifs) and the rates the plan divides by: the
// agreement's, those it leaves to history measured over the 12 months
// before the period, and r's what-ifs on top.
func goalAndRates(ctx context.Context, db *sqldb.DB, a *agreement.Agreement, now time.Time, r Request) (plan.Goal, plan.Rates, error) {
	per, err := Period(a, r.Period, now)
	if err != nil {
		return plan.Goal{}, plan.Rates{}, err
	}
	g := plan.Goal{Revenue: a.Goal.Revenue * float64(per.Months) / float64(PeriodMonths(a.Goal.Period)),
		MarketingShare: a.Goal.MarketingShare, Period: per}
	if r.Goal != nil {
		g.Revenue, g.RevenueSource = *r.Goal, plan.SourceOverride
	}
	if r.Share != nil {
		g.MarketingShare, g.ShareSource = *r.Share, plan.SourceOverride
	}
	if err := g.Validate(); err != nil {
		return g, plan.Rates{}, err
	}
	stages := a.PathStages()
	rates := plan.NewRates(a.Funnel, stages, nil)
	// The ledger is read only when the agreement leaves a rate to it.
	if db != nil && fromHistory(rates) {
		cohorts, err := db.History(ctx, sqldb.HistoryQuery{From: per.From.AddDate(0, -12, 0), To: per.From, Stages: stages})
		if err != nil {
			return g, rates, err
		}
		if len(cohorts) == 1 {
			rates = plan.NewRates(a.Funnel, stages, cohorts[0].History())
		}
	}
	for _, s := range r.Sets {
		if err := rates.Set(s.Name, s.Value); err != nil {
			return g, rates, err
		}
	}
	return g, rates, nil
}

// compute works the goal back with the rates (see [Request.Known]).
func compute(a *agreement.Agreement, g plan.Goal, rates plan.Rates, known bool) (plan.Plan, error) {
	if known {
		return plan.ComputeKnown(g, a.MarketingMission, rates, a.PathStages())
	}
	return plan.Compute(g, a.MarketingMission, rates, a.PathStages())
}

// fromHistory reports whether any of the rates is left to history.
func fromHistory(rs plan.Rates) bool {
	if rs.AverageDealSize.Source == plan.SourceHistory || rs.CloseRate.Source == plan.SourceHistory {
		return true
	}
	for _, r := range rs.Conversion {
		if r.Source == plan.SourceHistory {
			return true
		}
	}
	return false
}

// ParseShare reads a share or a rate written as 0.6 or 60%.
func ParseShare(s string) (float64, error) {
	if pct, ok := strings.CutSuffix(strings.TrimSpace(s), "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		return v / 100, err
	}
	return strconv.ParseFloat(strings.TrimSpace(s), 64)
}

// ParseSet reads a what-if written NAME=VALUE: a rate as 0.25 or 25%, the
// average deal size as an amount. It reports false when s is not of that
// form.
func ParseSet(s string) (Set, bool) {
	name, value, ok := strings.Cut(s, "=")
	v, err := ParseShare(value)
	if name == plan.AverageDealSize {
		v, err = strconv.ParseFloat(value, 64)
	}
	return Set{Name: name, Value: v}, ok && err == nil
}
