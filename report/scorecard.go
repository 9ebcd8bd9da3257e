package report

import (
	"context"
	"fmt"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/meeting"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
)

// Scorecard returns the scorecard of the named period ("" for the month
// containing now; see package scorecard). The commitments and the goal are
// those of the agreement in force at the period's end (now, while it runs,
// or for a period before any agreement was signed).
//
// A period that has ended and holds data (a lead created in it, a deal won
// or lost in it) is frozen the first time Scorecard computes it, and every
// later call returns that same scorecard: late data about a closed period
// does not rewrite the report its meeting read. The worker freezes each
// month, quarter and year the day after it ends (see [Daily]). A running
// period's scorecard is computed at most every [RunningMaxAge] and kept;
// its AsOf says when. Scorecard writes: requests of the API and the pages
// read with [ReadScorecard], which does not.
func Scorecard(ctx context.Context, db *sqldb.DB, now time.Time, period string) (scorecard.Scorecard, error) {
	return readScorecard(ctx, db, now, period, true)
}

// ReadScorecard is [Scorecard] for a reader (an HTTP GET): it writes
// nothing. It returns the frozen scorecard of a closed period, or the one
// kept of a running period if younger than [RunningMaxAge], and otherwise
// computes it and keeps nothing; only the worker (and `tandem report
// scorecard`) freeze and keep.
func ReadScorecard(ctx context.Context, db *sqldb.DB, now time.Time, period string) (scorecard.Scorecard, error) {
	db = reader(db)
	return readScorecard(ctx, db, now, period, false)
}

func readScorecard(ctx context.Context, db *sqldb.DB, now time.Time, period string, write bool) (scorecard.Scorecard, error) {
	per, err := scorecardPeriod(ctx, db, now, period)
	if err != nil {
		return scorecard.Scorecard{}, err
	}
	if !now.Before(per.To) {
		if sc, ok, err := db.FrozenScorecard(ctx, per.Name); err != nil || ok {
			return sc, err
		}
		sc, err := computeScorecard(ctx, db, now, per)
		if err != nil || !write || !holdsData(sc) {
			return sc, err
		}
		return db.FreezeScorecard(ctx, sc)
	}
	return keptOr(ctx, db, now, keptScorecard, per.Name, RunningMaxAge, write, func() (scorecard.Scorecard, error) {
		return computeScorecard(ctx, db, now, per)
	})
}

// holdsData reports whether a scorecard counts anything: a lead in its
// funnel, a deal won or lost. An empty period is not frozen, so that data
// imported later about it (leads created back then) still shows.
func holdsData(sc scorecard.Scorecard) bool {
	if sc.Revenue.WonDeals > 0 || sc.Revenue.LostDeals > 0 {
		return true
	}
	for _, st := range sc.Funnel {
		if st.Entered > 0 {
			return true
		}
	}
	return false
}

// Refresh computes the running period's scorecard now and keeps it for
// [Scorecard] (see [RefreshKept]). A period that has ended is computed and
// not kept: [Scorecard] freezes it.
func Refresh(ctx context.Context, db *sqldb.DB, now time.Time, period string) (scorecard.Scorecard, error) {
	per, err := scorecardPeriod(ctx, db, now, period)
	if err != nil {
		return scorecard.Scorecard{}, err
	}
	compute := func() (scorecard.Scorecard, error) { return computeScorecard(ctx, db, now, per) }
	if !now.Before(per.To) {
		return compute()
	}
	return refresh(ctx, db, now, keptScorecard, per.Name, compute)
}

// scorecardPeriod reads the named period ("" for the month containing now)
// in the time zone of the agreement in force now.
func scorecardPeriod(ctx context.Context, db *sqldb.DB, now time.Time, period string) (calendar.Period, error) {
	a, _, err := Agreement(ctx, db, now)
	if err != nil {
		return calendar.Period{}, err
	}
	if period == "" {
		period = goalPeriodName("month", now.In(a.BusinessHours.Location))
	}
	return Period(a, period, now)
}

// computeScorecard computes the period's scorecard from the store.
func computeScorecard(ctx context.Context, db *sqldb.DB, now time.Time, per calendar.Period) (scorecard.Scorecard, error) {
	complete := !now.Before(per.To)
	at := now
	if complete {
		at = per.To.Add(-time.Microsecond)
	}
	a, version, err := Agreement(ctx, db, at)
	// A period with no signed agreement in force at its end (before the
	// first, or with none at all) is described, not judged; its figures
	// are read with the stages and the time zone of the one in force now,
	// as the SLA report reads it.
	noAgreement := err == nil && version == nil
	if noAgreement && at != now {
		a, _, err = Agreement(ctx, db, now)
	}
	if err != nil {
		return scorecard.Scorecard{}, err
	}
	in := scorecard.Input{Period: per, Now: now, Agreement: a, AgreementVersion: version, NoAgreement: noAgreement}
	if noAgreement {
		if in.FirstAgreement, err = firstInForce(ctx, db); err != nil {
			return scorecard.Scorecard{}, err
		}
	}
	// The KPI's target is the whole goal's (the company's plan), as the
	// pace's: see [plans].
	if in.Plan, in.Company, err = plans(ctx, db, a, now, Request{Period: per.Name, Known: true}); err != nil {
		return scorecard.Scorecard{}, err
	}
	stages := a.PathStages()
	cohorts, err := db.History(ctx, sqldb.HistoryQuery{From: per.From, To: per.To, Stages: stages})
	if err != nil {
		return scorecard.Scorecard{}, err
	}
	in.Funnel = scorecard.EmptyCohort(per.Name, stages)
	if len(cohorts) == 1 {
		in.Funnel = cohorts[0]
	}
	if in.BySource, err = db.History(ctx, sqldb.HistoryQuery{From: per.From, To: per.To, Stages: stages, By: "origin"}); err != nil {
		return scorecard.Scorecard{}, err
	}
	if in.MovedOnBySource, err = db.MovedOn(ctx, sqldb.HistoryQuery{From: per.From, To: per.To, Stages: stages, By: "origin"}); err != nil {
		return scorecard.Scorecard{}, err
	}
	in.MovedOn = sumGroups(in.MovedOnBySource)
	sr, err := SLA(ctx, db, sqldb.SLAQuery{Period: per.Name, By: "team"})
	switch {
	case err == nil:
		in.SLA = &sr
	case tandem.ErrorCode(err) != tandem.ECONFLICT:
		return scorecard.Scorecard{}, err
	}
	o, err := db.Outcomes(ctx, per.From, per.To)
	if err != nil {
		return scorecard.Scorecard{}, err
	}
	in.LostDeals, in.Rejections, in.Ratings = o.LostDeals, o.Rejections, ratings(o.Ratings)
	cr, err := CampaignsBetween(ctx, db, per.From, per.To, attribution.UShaped)
	if err != nil {
		return scorecard.Scorecard{}, err
	}
	for _, l := range cr.Campaigns {
		in.Campaigns = append(in.Campaigns, scorecard.Campaign{Campaign: l.Campaign, Spend: float64(l.SpendCents) / 100, Leads: l.Leads,
			MQLs: l.MQLs, Customers: l.Customers, Revenue: float64(l.RevenueCents[cr.Model]) / 100, Model: string(cr.Model), ROI: l.ROI})
	}
	in.Sourcing = &cr.Sourcing
	in.MarketingWon = &cr.Sourcing.MarketingWonCents
	ce, err := ContentEffectBetween(ctx, db, per.From, per.To, attribution.UShaped)
	if err != nil {
		return scorecard.Scorecard{}, err
	}
	in.Content = contentSection(ce)
	if in.Alerts, err = db.Alerts(ctx, sqldb.AlertFilter{Periods: Related(per)}); err != nil {
		return scorecard.Scorecard{}, err
	}
	// The scorecard opens with the previous meeting's action items.
	if prev := meeting.Previous(per, a.BusinessHours.Location); prev.Name != "" {
		in.PreviousPeriod = prev.Name
		if in.ActionItems, err = db.ActionItems(ctx, sqldb.ActionItemFilter{Period: prev.Name}); err != nil {
			return scorecard.Scorecard{}, err
		}
	}
	return scorecard.Compute(in), nil
}

// sumGroups adds up the counts of every group ([sqldb.DB.MovedOn] by
// origin) into those of all leads, nil when there is no group: each lead
// has one origin, so this is MovedOn of all leads, without reading the
// entries again.
func sumGroups(byGroup map[string][]int) []int {
	var sum []int
	for _, counts := range byGroup {
		if sum == nil {
			sum = make([]int, len(counts))
		}
		for i, n := range counts {
			sum[i] += n
		}
	}
	return sum
}

// firstInForce returns when the first signed agreement came into force,
// zero if none has.
func firstInForce(ctx context.Context, db *sqldb.DB) (time.Time, error) {
	vs, err := db.AgreementVersions(ctx)
	if err != nil {
		return time.Time{}, err
	}
	var first time.Time
	for _, v := range vs {
		if !v.InForceFrom.IsZero() && (first.IsZero() || v.InForceFrom.Before(first)) {
			first = v.InForceFrom
		}
	}
	return first, nil
}

// Related names the periods whose alerts concern p: p itself, the months
// of a quarter or a year, and the quarter and year around a month or a
// quarter.
func Related(p calendar.Period) []string {
	names := []string{p.Name}
	from := p.From
	year := fmt.Sprintf("%04d", from.Year())
	quarter := fmt.Sprintf("%04d-Q%d", from.Year(), (int(from.Month())-1)/3+1)
	switch p.Months {
	case 1:
		names = append(names, quarter, year)
	case 3:
		names = append(names, year)
	}
	for m := from; m.Before(p.To) && p.Months > 1; m = m.AddDate(0, 1, 0) {
		names = append(names, fmt.Sprintf("%04d-%02d", m.Year(), int(m.Month())))
		if p.Months == 12 && (int(m.Month())-1)%3 == 0 {
			names = append(names, fmt.Sprintf("%04d-Q%d", m.Year(), (int(m.Month())-1)/3+1))
		}
	}
	return names
}
