package report

import (
	"context"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/dealreport"
	"github.com/tandemhq/tandem/sqldb"
)

// Deals returns the deals report (docs/deals.md, "Deals report") of a
// named period (2026-03, 2026-Q1, 2026; "" for the month containing now),
// read in the time zone of the agreement in force, grouped by the
// dimensions by (at most two; none for the total alone). The store reads
// the deals ([sqldb.DB.EachDealReportRow]); package dealreport computes.
// Errors: EINVALID naming period or by (the latter listing the
// dimensions).
func Deals(ctx context.Context, db *sqldb.DB, now time.Time, period string, by []string) (dealreport.Report, error) {
	a, _, err := Agreement(ctx, db, now)
	if err != nil {
		return dealreport.Report{}, err
	}
	loc := time.UTC
	if a.BusinessHours.Location != nil {
		loc = a.BusinessHours.Location
	}
	var per calendar.Period
	if period == "" {
		per = calendar.MonthOf(now, loc)
	} else {
		per, err = calendar.ParsePeriod(period, loc)
	}
	derr := dealreport.CheckDims(by)
	if err != nil || derr != nil {
		fields := append(tandem.ErrorFields(err), tandem.ErrorFields(derr)...)
		return dealreport.Report{}, tandem.Invalid(fields...)
	}
	b := dealreport.NewBuilder(dealreport.Input{Period: per.Name, From: per.From, To: per.To, Location: loc, By: by,
		OpenStages: a.Pipeline.StageNames()})
	if db != nil {
		// The deals are counted as they are read: a year of a million
		// deals is never held at once.
		err := db.EachDealReportRow(ctx, sqldb.DealReportQuery{From: per.From, To: per.To, By: by}, func(d *dealreport.Deal) error {
			b.Add(d)
			return nil
		})
		if err != nil {
			return dealreport.Report{}, err
		}
	}
	return b.Report(), nil
}
