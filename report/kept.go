package report

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqldb"
)

// The pages read reports that take seconds to compute at a million leads
// (a running period's scorecard, its pace, its SLA report) from those the
// store keeps (see [sqldb.Kept]): the worker recomputes the current
// periods' every [RefreshEvery], one replica at a time, and a page that
// finds none young enough computes and keeps it. What-if requests of the
// API are computed each time.
const (
	// RunningMaxAge is how old a running period's kept report may be for
	// a page to read it rather than compute it again.
	RunningMaxAge = 5 * time.Minute
	// ClosedMaxAge is the same for a period that has ended, whose numbers
	// change only with late data. (A closed period's scorecard is frozen
	// instead: see [Scorecard].)
	ClosedMaxAge = 24 * time.Hour
	// RefreshEvery is how often the worker recomputes the current
	// periods' reports (see [RefreshKept]): often enough that a page finds
	// one younger than RunningMaxAge.
	RefreshEvery = 4 * time.Minute
	// refreshLease is how long a replica may take to refresh one report
	// before another may take it over.
	refreshLease = 2 * time.Minute
)

// reader is the store the reports the pages read are computed with: the
// PostgreSQL standby when Tandem runs with --db-read (see
// [sqldb.DB.Standby]), whose writes still go to the primary. These are its
// read paths, and the only ones: [RefreshKept], [ReadScorecard],
// [ReadScorecards], [ReadPace], [ReadSLA], [ReadSLAWeeks] and
// [ReadCampaignPage].
func reader(db *sqldb.DB) *sqldb.DB { return db.Standby() }

// Kinds of kept reports.
const (
	keptScorecard = "scorecard"
	keptPace      = "pace"
	keptSLA       = "sla:" // + the SLA report's By
)

// keptOr returns the report of kind kept for period if it is younger than
// maxAge at now, and otherwise computes it with compute, and keeps it if
// write says so.
func keptOr[T any](ctx context.Context, db *sqldb.DB, now time.Time, kind, period string, maxAge time.Duration, write bool, compute func() (T, error)) (T, error) {
	var v T
	k, ok, err := db.Kept(ctx, kind, period)
	if err != nil {
		return v, err
	}
	if ok && !k.ComputedAt.After(now) && now.Sub(k.ComputedAt) < maxAge {
		if err := json.Unmarshal(k.Body, &v); err == nil {
			return v, nil
		} // else a body kept by another version of Tandem: compute it again
	}
	if !write {
		return compute()
	}
	return refresh(ctx, db, now, kind, period, compute)
}

// refresh computes the report of kind for period with compute and keeps it.
func refresh[T any](ctx context.Context, db *sqldb.DB, now time.Time, kind, period string, compute func() (T, error)) (T, error) {
	v, err := compute()
	if err != nil {
		return v, err
	}
	body, err := json.Marshal(v)
	if err != nil {
		return v, err
	}
	return v, db.Keep(ctx, sqldb.Kept{Kind: kind, Period: period, ComputedAt: now, Body: body})
}

// maxAge is how old a kept report of per may be at now.
func maxAge(per calendar.Period, now time.Time) time.Duration {
	if now.Before(per.To) {
		return RunningMaxAge
	}
	return ClosedMaxAge
}

// DefaultSeed seeds the pace's Monte Carlo when a request names no seed:
// the API's default, the pages' and the kept pace's, so that they agree.
const DefaultSeed = 1

// KeptPace returns the pace of the named period as [Pace] computes it for
// the plain request (no what-ifs, Known, DefaultSeed), as kept: see the
// constants above. Its AsOf says when it was computed.
func KeptPace(ctx context.Context, db *sqldb.DB, now time.Time, period string) (pace.Pace, error) {
	return paceReport(ctx, db, now, period, true)
}

// ReadPace is [KeptPace] for a reader (an HTTP GET): it keeps nothing.
func ReadPace(ctx context.Context, db *sqldb.DB, now time.Time, period string) (pace.Pace, error) {
	db = reader(db)
	return paceReport(ctx, db, now, period, false)
}

func paceReport(ctx context.Context, db *sqldb.DB, now time.Time, period string, write bool) (pace.Pace, error) {
	per, err := scorecardPeriod(ctx, db, now, period)
	if err != nil {
		return pace.Pace{}, err
	}
	return keptOr(ctx, db, now, keptPace, per.Name, maxAge(per, now), write, paceOf(ctx, db, now, per.Name))
}

// paceOf computes the plain pace of the period, for keeping.
func paceOf(ctx context.Context, db *sqldb.DB, now time.Time, period string) func() (pace.Pace, error) {
	return func() (pace.Pace, error) {
		p, err := Pace(ctx, db, now, Request{Period: period, Known: true}, DefaultSeed)
		return p.Pace, err
	}
}

// KeptSLA returns the SLA report of the period grouped by by (see
// [SLA]), as kept. Its AsOf says when it was computed.
func KeptSLA(ctx context.Context, db *sqldb.DB, now time.Time, q sqldb.SLAQuery) (sla.Report, error) {
	return keptSLAReport(ctx, db, now, q, true)
}

// ReadSLA is [KeptSLA] for a reader (an HTTP GET): it keeps nothing.
func ReadSLA(ctx context.Context, db *sqldb.DB, now time.Time, q sqldb.SLAQuery) (sla.Report, error) {
	db = reader(db)
	return keptSLAReport(ctx, db, now, q, false)
}

func keptSLAReport(ctx context.Context, db *sqldb.DB, now time.Time, q sqldb.SLAQuery, write bool) (sla.Report, error) {
	per, err := scorecardPeriod(ctx, db, now, q.Period)
	if err != nil {
		return sla.Report{}, err
	}
	if q.By == "" {
		q.By = "rep"
	}
	q.Period = per.Name
	return keptOr(ctx, db, now, keptSLA+q.By, per.Name, maxAge(per, now), write, slaOf(ctx, db, q))
}

// slaOf computes the SLA report, for keeping.
func slaOf(ctx context.Context, db *sqldb.DB, q sqldb.SLAQuery) func() (sla.Report, error) {
	return func() (sla.Report, error) { return SLA(ctx, db, q) }
}

// RefreshKept recomputes the reports the pages read for the current
// periods (the month and the goal period containing now): the scorecard,
// the pace and the SLA report by rep; and last month's pace and SLA report
// by rep, which the pages also offer (its scorecard is frozen by the daily
// round); the campaign report (u_shaped) of this month and last; the
// scorecards of the trends' ended months, frozen; and the SLA report by rep
// of each of the SLA board's weeks. A
// current period's report is refreshed only when it is older than half of
// RefreshEvery, last month's when older than half of
// ClosedMaxAge, and only by the replica that takes its lease, so replicas
// that all call it every RefreshEvery compute each report once. It goes on
// past a report that fails and returns the errors joined.
func RefreshKept(ctx context.Context, db *sqldb.DB, now time.Time) error {
	db = reader(db)
	a, _, err := Agreement(ctx, db, now)
	if err != nil {
		return err
	}
	local := now.In(a.BusinessHours.Location)
	month := goalPeriodName("month", local)
	last := goalPeriodName("month", time.Date(local.Year(), local.Month()-1, 1, 12, 0, 0, 0, local.Location()))
	periods := []string{month}
	if g := goalPeriodName(a.Goal.Period, local); g != month {
		periods = append(periods, g)
	}
	var errs []error
	do := func(kind, period string, every time.Duration, compute func() error) {
		took, err := db.LeaseRefresh(ctx, kind, period, now.Add(-every/2), refreshLease)
		if err == nil && took {
			err = compute()
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	pace := func(p string, every time.Duration) {
		do(keptPace, p, every, func() error { _, err := refresh(ctx, db, now, keptPace, p, paceOf(ctx, db, now, p)); return err })
	}
	slaByRep := func(p string, every time.Duration) {
		q := sqldb.SLAQuery{Period: p, By: "rep"}
		do(keptSLA+q.By, p, every, func() error { _, err := refresh(ctx, db, now, keptSLA+q.By, p, slaOf(ctx, db, q)); return err })
	}
	for _, p := range periods {
		do(keptScorecard, p, RefreshEvery, func() error { _, err := Refresh(ctx, db, now, p); return err })
		pace(p, RefreshEvery)
	}
	slaByRep(month, RefreshEvery)
	pace(last, ClosedMaxAge)
	slaByRep(last, ClosedMaxAge)
	campaigns := func(p string, every time.Duration) {
		kind := keptCampaigns + string(attribution.UShaped)
		do(kind, p, every, func() error {
			_, err := refresh(ctx, db, now, kind, p, func() (attribution.Report, error) {
				return Campaigns(ctx, db, now, p, string(attribution.UShaped))
			})
			return err
		})
	}
	campaigns(month, RefreshEvery)
	campaigns(last, ClosedMaxAge)
	// The trends' ended months, frozen once (an empty one is computed
	// again each day, cheaply, until it holds data).
	trend := Months(now, a.BusinessHours.Location, TrendMonths)
	for _, p := range trend[:len(trend)-1] {
		do(keptScorecard, p, ClosedMaxAge, func() error { _, err := Scorecard(ctx, db, now, p); return err })
	}
	// The SLA board's weeks: the running one as often as the month, the
	// closed ones as last month's.
	for _, w := range Weeks(now, a.BusinessHours.Location, TrendWeeks) {
		every := ClosedMaxAge
		if now.Before(w.To) {
			every = RefreshEvery
		}
		do(keptSLAWeek, w.Name, every, func() error {
			_, err := refresh(ctx, db, now, keptSLAWeek, w.Name, slaWeekOf(ctx, db, w, a.BusinessHours.Location))
			return err
		})
	}
	return errors.Join(errs...)
}
