package report

import (
	"context"
	"time"

	"github.com/tandemhq/tandem/schedule"
	"github.com/tandemhq/tandem/sqldb"
)

// ScheduleRow is a schedule in force with its next send (in the
// agreement's calendar) and its latest send, as `tandem schedule list` and
// the settings page show it.
type ScheduleRow struct {
	schedule.Schedule
	Next     time.Time `json:"next"`
	LastSent *LastSend `json:"last_sent,omitempty"`
}

// LastSend is what a schedule's latest send came to.
type LastSend struct {
	Occurrence string    `json:"occurrence"`
	State      string    `json:"state"` // pending or sent
	SentAt     time.Time `json:"sent_at,omitzero"`
	Recipients int       `json:"recipients"`
	Attempts   int       `json:"attempts"`
	LastError  string    `json:"last_error,omitempty"`
}

// Schedules lists the schedules in force with their next and latest sends.
func Schedules(ctx context.Context, db *sqldb.DB, now time.Time) ([]ScheduleRow, error) {
	ss, err := db.Schedules(ctx)
	if err != nil {
		return nil, err
	}
	last, err := db.LastSends(ctx)
	if err != nil {
		return nil, err
	}
	a, _, err := Agreement(ctx, db, now)
	if err != nil {
		return nil, err
	}
	cal, err := a.BusinessHours.Calendar()
	if err != nil {
		return nil, err
	}
	rows := make([]ScheduleRow, len(ss))
	for i, s := range ss {
		next, err := schedule.Next(s.Kind, cal, now)
		if err != nil {
			return nil, err
		}
		rows[i] = ScheduleRow{Schedule: s, Next: next.Due.UTC()}
		if l, ok := last[s.ID]; ok {
			rows[i].LastSent = &LastSend{Occurrence: l.Occurrence, State: l.State, SentAt: l.SentAt, Recipients: l.Recipients,
				Attempts: l.Attempts, LastError: l.LastError}
		}
	}
	return rows, nil
}
