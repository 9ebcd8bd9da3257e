package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
)

// DailyHour is the hour of the day, in the agreement's time zone, at which
// the daily round runs (before the working day starts).
const DailyHour = 6

// Daily runs the daily round (see [report.Daily]): the jeopardy check and
// the freezing of the scorecards of closed periods; then it deletes the
// sessions past their age ([sqldb.DB.DeleteExpiredSessions]). It runs at
// start, then every day at DailyHour in the agreement's time zone. Every replica may run
// it: an alert is raised once per cause and period, a scorecard frozen once.
type Daily struct {
	DB     *sqldb.DB
	Clock  tandem.Clock
	Logger *slog.Logger // nil discards logs
}

// RunOnce runs the round now.
func (d *Daily) RunOnce(ctx context.Context) (report.Checked, error) {
	return report.Daily(ctx, d.DB, d.Clock.Now())
}

// Run runs the round at start and then daily, and refreshes the reports
// the pages read every report.RefreshEvery (see [report.RefreshKept]),
// until ctx is cancelled; an error is logged and the round retried in an
// hour.
func (d *Daily) Run(ctx context.Context) error {
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var next time.Time // of the daily round
	for {
		if !d.Clock.Now().Before(next) {
			c, err := d.RunOnce(ctx)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				log.Error("daily round", "err", err)
				next = d.Clock.Now().Add(time.Hour)
			} else {
				if len(c.Raised) > 0 {
					log.Info("jeopardy alerts raised", "period", c.Period, "n", len(c.Raised))
				}
				next = d.Clock.Now().Add(d.untilNext(ctx))
			}
			if n, err := d.DB.DeleteExpiredSessions(ctx); err != nil && ctx.Err() == nil {
				log.Error("delete expired sessions", "err", err)
			} else if n > 0 {
				log.Info("expired sessions deleted", "n", n)
			}
		}
		if err := report.RefreshKept(ctx, d.DB, d.Clock.Now()); err != nil && ctx.Err() == nil {
			log.Error("refresh the reports the pages read", "err", err)
		}
		if !wait(ctx, min(report.RefreshEvery, max(next.Sub(d.Clock.Now()), time.Second))) {
			return nil
		}
	}
}

// untilNext is the time to the next DailyHour in the agreement's time zone.
func (d *Daily) untilNext(ctx context.Context) time.Duration {
	now := d.Clock.Now()
	loc := time.UTC
	if a, _, err := report.Agreement(ctx, d.DB, now); err == nil {
		loc = a.BusinessHours.Location
	}
	t := now.In(loc)
	next := time.Date(t.Year(), t.Month(), t.Day(), DailyHour, 0, 0, 0, loc)
	if !next.After(t) {
		next = time.Date(t.Year(), t.Month(), t.Day()+1, DailyHour, 0, 0, 0, loc)
	}
	return next.Sub(now)
}
