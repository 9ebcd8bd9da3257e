package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/schedule"
)

// AddSchedule validates s ([schedule.Schedule.Validate]) and stores it as
// made by the actor of ctx ([WithActor]); it returns s with its id, or
// EINVALID naming the bad field.
func (db *DB) AddSchedule(ctx context.Context, s schedule.Schedule) (_ schedule.Schedule, err error) {
	defer wrap(&err, "add schedule %q", s.Kind)
	if err := s.Validate(); err != nil {
		return s, err
	}
	roles, _ := json.Marshal(orEmpty(s.Roles))
	addrs, _ := json.Marshal(orEmpty(s.Addresses))
	err = db.transact(ctx, func(tx *Tx) error {
		by := actorOf(ctx)
		s.CreatedBy, s.CreatedAt = by, tx.Now
		if err := tx.QueryRowContext(ctx, `INSERT INTO schedules (kind, roles, addresses, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			s.Kind, string(roles), string(addrs), by, tx.t(tx.Now)).Scan(&s.ID); err != nil {
			return err
		}
		rs := make([]string, len(s.Roles))
		for i, r := range s.Roles {
			rs[i] = string(r)
		}
		return tx.recordAudit(ctx, AuditScheduleAdd, fmt.Sprintf("schedule:%d", s.ID), settingChanges(nil,
			map[string]string{"kind": s.Kind, "roles": strings.Join(rs, " "), "addresses": strings.Join(s.Addresses, " ")}))
	})
	return s, err
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// Schedules returns the schedules in force (not removed), oldest first.
func (db *DB) Schedules(ctx context.Context) (ss []schedule.Schedule, err error) {
	defer wrap(&err, "schedules")
	err = db.view(ctx, func(tx *Tx) error {
		ss, err = tx.schedules(ctx, `removed_at IS NULL`)
		return err
	})
	return ss, err
}

func (tx *Tx) schedules(ctx context.Context, cond string, args ...any) ([]schedule.Schedule, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, kind, roles, addresses, created_by, created_at FROM schedules WHERE `+cond+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ss []schedule.Schedule
	for rows.Next() {
		var s schedule.Schedule
		var roles, addrs string
		if err := rows.Scan(&s.ID, &s.Kind, &roles, &addrs, &s.CreatedBy, scanTime{&s.CreatedAt}); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(roles), &s.Roles); err != nil {
			return nil, fmt.Errorf("schedule %d roles: %w", s.ID, err)
		}
		if err := json.Unmarshal([]byte(addrs), &s.Addresses); err != nil {
			return nil, fmt.Errorf("schedule %d addresses: %w", s.ID, err)
		}
		ss = append(ss, s)
	}
	return ss, rows.Err()
}

// RemoveSchedule stops the schedule with the id; its sends stay on record.
// It returns ENOTFOUND for a schedule that does not exist or was removed.
func (db *DB) RemoveSchedule(ctx context.Context, id int64) (err error) {
	defer wrap(&err, "remove schedule %d", id)
	return db.transact(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE schedules SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL`, tx.t(tx.Now), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "no schedule %d (see tandem schedule list)", id)
		}
		return tx.recordAudit(ctx, AuditScheduleRemove, fmt.Sprintf("schedule:%d", id), nil)
	})
}

// ScheduleSend is one occurrence of a schedule to send (see
// [DB.OpenSend]).
type ScheduleSend struct {
	ID         int64
	Schedule   schedule.Schedule
	Occurrence string // the occurrence's key (schedule.Occurrence.Key)
	Period     string // the report's period
	DueAt      time.Time
	State      string // pending or sent
	Attempts   int
	LastError  string
	Recipients int // how many it was sent to, once sent
	SentAt     time.Time
}

// OpenSend records that the occurrence o of the schedule is due to be
// sent, unless it is recorded already, and reports whether this call
// recorded it. The row's key (schedule, occurrence) is unique, so replicas
// that find the same occurrence due at once record it once; the send is
// then claimed by one of them ([DB.ClaimSends]).
func (db *DB) OpenSend(ctx context.Context, scheduleID int64, o schedule.Occurrence) (opened bool, err error) {
	defer wrap(&err, "open send of schedule %d for %s", scheduleID, o.Key)
	err = db.transact(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO schedule_sends (schedule_id, occurrence, period, due_at, state, next_at, created_at)
			VALUES ($1, $2, $3, $4, 'pending', $5, $5) ON CONFLICT (schedule_id, occurrence) DO NOTHING`,
			scheduleID, o.Key, o.Period, tx.t(o.Due), tx.t(tx.Now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		opened = n == 1
		return err
	})
	return opened, err
}

const sendColumns = `s.id, s.occurrence, s.period, s.due_at, s.state, s.attempts, s.last_error, s.recipients, s.sent_at,
	c.id, c.kind, c.roles, c.addresses, c.created_by, c.created_at`

func scanSend(sc scanner) (ScheduleSend, error) {
	var s ScheduleSend
	var roles, addrs string
	err := sc.Scan(&s.ID, &s.Occurrence, &s.Period, scanTime{&s.DueAt}, &s.State, &s.Attempts, &s.LastError, &s.Recipients,
		scanTime{&s.SentAt}, &s.Schedule.ID, &s.Schedule.Kind, &roles, &addrs, &s.Schedule.CreatedBy, scanTime{&s.Schedule.CreatedAt})
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(roles), &s.Schedule.Roles); err != nil {
		return s, err
	}
	return s, json.Unmarshal([]byte(addrs), &s.Schedule.Addresses)
}

// ClaimSends claims up to limit pending sends whose time has come, for
// worker, for lease: another claim skips them until the lease ends, so
// that a sender that dies mid-send leaves the send to another. Sends of a
// removed schedule are not claimed.
func (db *DB) ClaimSends(ctx context.Context, worker string, limit int, lease time.Duration) (ss []ScheduleSend, err error) {
	defer wrap(&err, "claim schedule sends")
	err = db.transact(ctx, func(tx *Tx) error {
		ss = ss[:0]
		lock := ""
		if db.d.name() == "postgres" {
			lock = ` FOR UPDATE OF s SKIP LOCKED`
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+sendColumns+` FROM schedule_sends s JOIN schedules c ON c.id = s.schedule_id
			WHERE s.state = 'pending' AND s.next_at <= $1 AND c.removed_at IS NULL ORDER BY s.next_at, s.id LIMIT $2`+lock, tx.t(tx.Now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			s, err := scanSend(rows)
			if err != nil {
				rows.Close()
				return err
			}
			ss = append(ss, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, s := range ss {
			if _, err := tx.ExecContext(ctx, `UPDATE schedule_sends SET next_at = $1, claimed_by = $2 WHERE id = $3`,
				tx.t(tx.Now.Add(lease)), worker, s.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return ss, err
}

// SendDone records the send as sent to n recipients.
func (db *DB) SendDone(ctx context.Context, id int64, n int) (err error) {
	defer wrap(&err, "schedule send %d done", id)
	return db.transact(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE schedule_sends SET state = 'sent', sent_at = $1, recipients = $2 WHERE id = $3 AND state = 'pending'`,
			tx.t(tx.Now), n, id)
		return err
	})
}

// SendFailed records a failed attempt and puts the send off by
// [TimerBackoff].
func (db *DB) SendFailed(ctx context.Context, id int64, cause error) (err error) {
	defer wrap(&err, "schedule send %d failed", id)
	msg := cause.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	return db.transact(ctx, func(tx *Tx) error {
		var attempts int
		if err := tx.QueryRowContext(ctx, `SELECT attempts FROM schedule_sends WHERE id = $1`, id).Scan(&attempts); err != nil {
			return err
		}
		attempts++
		_, err := tx.ExecContext(ctx, `UPDATE schedule_sends SET attempts = $1, last_error = $2, next_at = $3 WHERE id = $4 AND state = 'pending'`,
			attempts, msg, tx.t(tx.Now.Add(TimerBackoff(attempts))), id)
		return err
	})
}

// LastSends returns, for each schedule in force, its latest send, by
// schedule id.
func (db *DB) LastSends(ctx context.Context) (last map[int64]ScheduleSend, err error) {
	defer wrap(&err, "last schedule sends")
	last = map[int64]ScheduleSend{}
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+sendColumns+` FROM schedule_sends s JOIN schedules c ON c.id = s.schedule_id
			WHERE c.removed_at IS NULL AND s.id = (SELECT max(id) FROM schedule_sends WHERE schedule_id = c.id)`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			s, err := scanSend(rows)
			if err != nil {
				return err
			}
			last[s.Schedule.ID] = s
		}
		return rows.Err()
	})
	return last, err
}

// Recipients returns the email addresses a schedule sends to: those of
// the users of its roles (who have one), then its own addresses, each
// once, in that order.
func (db *DB) Recipients(ctx context.Context, s schedule.Schedule) (to []string, err error) {
	defer wrap(&err, "recipients of schedule %d", s.ID)
	err = db.view(ctx, func(tx *Tx) error {
		for _, r := range s.Roles {
			us, err := tx.users(ctx, `role = $1 AND email IS NOT NULL AND email <> ''`, string(r))
			if err != nil {
				return err
			}
			for _, u := range us {
				to = append(to, u.Email)
			}
		}
		return nil
	})
	for _, a := range s.Addresses {
		to = append(to, a)
	}
	seen := map[string]bool{}
	to = slices.DeleteFunc(to, func(a string) bool {
		dup := seen[a]
		seen[a] = true
		return dup
	})
	return to, err
}
