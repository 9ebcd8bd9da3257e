package report

import (
	"context"
	"time"

	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqldb"
)

// TrendWeeks is how many weeks the SLA board's trend shows, and
// TrendMonths how many months the pacing and funnel pages' trends show,
// the current one last.
const (
	TrendWeeks  = 8
	TrendMonths = 6
)

// keptSLAWeek is the kind of a kept SLA report of one week by rep; its
// period is the week's Monday (2026-11-02).
const keptSLAWeek = "sla-week:rep"

// Weeks returns the n weeks (Monday 00:00 to the next Monday, in loc) up
// to the one containing now, oldest first.
func Weeks(now time.Time, loc *time.Location, n int) []calendar.Period {
	local := now.In(loc)
	back := (int(local.Weekday()) + 6) % 7 // days since Monday
	monday := time.Date(local.Year(), local.Month(), local.Day()-back, 0, 0, 0, 0, loc)
	out := make([]calendar.Period, n)
	for i := range n {
		from := monday.AddDate(0, 0, -7*(n-1-i))
		out[i] = calendar.Period{Name: from.Format("2006-01-02"), From: from, To: from.AddDate(0, 0, 7)}
	}
	return out
}

// ReadSLAWeeks returns the SLA report by rep of each of the last
// [TrendWeeks] weeks in the agreement's time zone, oldest first: each over
// the hand-offs started in its week, as kept (the worker keeps them: see
// [RefreshKept]), else computed. ECONFLICT when no signed agreement is in
// force, as [SLA].
func ReadSLAWeeks(ctx context.Context, db *sqldb.DB, now time.Time) ([]sla.Report, error) {
	db = reader(db)
	a, _, err := Agreement(ctx, db, now)
	if err != nil {
		return nil, err
	}
	var out []sla.Report
	for _, w := range Weeks(now, a.BusinessHours.Location, TrendWeeks) {
		r, err := keptOr(ctx, db, now, keptSLAWeek, w.Name, maxAge(w, now), false, slaWeekOf(ctx, db, w, a.BusinessHours.Location))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// slaWeekOf computes the SLA report by rep of the week w, for keeping:
// marketing is held by the version in force at the end of the week's last
// month (the weeks show sales' compliance, which each hand-off measures
// against its own version).
func slaWeekOf(ctx context.Context, db *sqldb.DB, w calendar.Period, loc *time.Location) func() (sla.Report, error) {
	return func() (sla.Report, error) {
		month := calendar.MonthOf(w.To.Add(-time.Microsecond), loc).Name
		r, err := SLA(ctx, db, sqldb.SLAQuery{Period: month, By: "rep", From: w.From, To: w.To})
		r.Period.Name = w.Name
		return r, err
	}
}

// Months returns the n calendar months (in loc) up to the one containing
// at, oldest first, by name (2026-11).
func Months(at time.Time, loc *time.Location, n int) []string {
	local := at.In(loc)
	out := make([]string, n)
	for i := range n {
		out[i] = time.Date(local.Year(), local.Month()-time.Month(n-1-i), 1, 12, 0, 0, 0, loc).Format("2006-01")
	}
	return out
}

// ReadScorecards returns the scorecards of the named periods for the
// pacing and funnel pages' trends, in order: a running period's as
// [ReadScorecard] reads it (kept), an ended one's only if frozen; an ended
// period not frozen yet (the worker freezes the trend's months: see
// [RefreshKept]; a period without data is never frozen) is left out, its
// ok false, for computing it would take seconds per month at a million
// leads.
func ReadScorecards(ctx context.Context, db *sqldb.DB, now time.Time, periods []string) (scs []scorecard.Scorecard, ok []bool, err error) {
	db = reader(db)
	for _, p := range periods {
		per, err := scorecardPeriod(ctx, db, now, p)
		if err != nil {
			return nil, nil, err
		}
		var sc scorecard.Scorecard
		found := true
		if now.Before(per.To) {
			sc, err = ReadScorecard(ctx, db, now, per.Name)
		} else {
			sc, found, err = db.FrozenScorecard(ctx, per.Name)
		}
		if err != nil {
			return nil, nil, err
		}
		if !found {
			sc = scorecard.Scorecard{Period: per.Name, From: per.From, To: per.To}
		}
		scs, ok = append(scs, sc), append(ok, found)
	}
	return scs, ok, nil
}
