package sqldb

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// Timer states.
const (
	TimerPending = "pending" // waiting for its due time
	TimerFired   = "fired"   // fired once; never again
	TimerStopped = "stopped" // cancelled before it fell due; never fires
)

// Timer is a durable deadline: a row with a due time that a worker fires
// once the database's clock reaches it (see [DB.FireDue]). SLA clocks,
// cadence steps and outbox retries are all timers of different kinds.
type Timer struct {
	ID        int64
	Kind      string // what firing means, e.g. "first_touch", "cadence_step"
	LeadID    int64  // 0 for a timer that belongs to no lead
	DueAt     time.Time
	State     string          // TimerPending, TimerFired or TimerStopped
	Payload   json.RawMessage // whatever the kind needs to fire; "{}" when empty
	Attempts  int             // how many times firing failed
	LastError string          // why the last attempt failed
	ClaimedBy string          // the worker that fired it or last failed to
	CreatedAt time.Time
	FiredAt   time.Time
	StoppedAt time.Time
}

const timerColumns = `id, kind, lead_id, due_at, state, payload, attempts, last_error, claimed_by, created_at, fired_at, stopped_at`

func scanTimer(s scanner) (Timer, error) {
	var t Timer
	var lead sql.NullInt64
	var payload string
	err := s.Scan(&t.ID, &t.Kind, &lead, scanTime{&t.DueAt}, &t.State, scanJSON{&payload}, &t.Attempts, &t.LastError,
		&t.ClaimedBy, scanTime{&t.CreatedAt}, scanTime{&t.FiredAt}, scanTime{&t.StoppedAt})
	t.LeadID = lead.Int64
	t.Payload = json.RawMessage(payload)
	return t, err
}

// maxTimerBackoff caps how far a failing timer is put off.
const maxTimerBackoff = time.Hour

// TimerBackoff is how long a timer waits after its n-th failed attempt:
// 2^n seconds, at most an hour.
func TimerBackoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n >= 12 { // 2^12 s is past the cap; stop before the shift overflows
		return maxTimerBackoff
	}
	return min(time.Duration(1<<n)*time.Second, maxTimerBackoff)
}

// AddTimer stores a pending timer in the transaction and returns its id.
// Called in a use case's transaction, the clock and the event that starts it
// commit together or not at all. It returns EINVALID for a timer without a
// kind or a due time, or with a payload that is not JSON.
func (tx *Tx) AddTimer(ctx context.Context, t Timer) (id int64, err error) {
	defer wrap(&err, "add timer %q", t.Kind)
	if strings.TrimSpace(t.Kind) == "" {
		return 0, tandem.Errorf(tandem.EINVALID, "a timer needs a kind")
	}
	if t.DueAt.IsZero() {
		return 0, tandem.Errorf(tandem.EINVALID, "timer %q needs a due time", t.Kind)
	}
	payload := "{}"
	if len(t.Payload) > 0 {
		if !json.Valid(t.Payload) {
			return 0, tandem.Errorf(tandem.EINVALID, "timer %q: payload is not JSON", t.Kind)
		}
		payload = string(t.Payload)
	}
	var lead any
	if t.LeadID != 0 {
		lead = t.LeadID
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO timers (kind, lead_id, due_at, state, payload, created_at)
		VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING id`,
		t.Kind, lead, tx.t(t.DueAt.UTC().Truncate(time.Microsecond)), payload, tx.t(tx.Now)).Scan(&id)
	return id, err
}

// addTimers stores pending SLA timers, built by the engine, with
// bulkInsert (see addNotifications for why not one multi-row statement).
func (tx *Tx) addTimers(ctx context.Context, ts []Timer) error {
	if len(ts) == 0 {
		return nil
	}
	rows := make([][]any, len(ts))
	for i, t := range ts {
		rows[i] = []any{t.Kind, nullID(t.LeadID), t.DueAt.UTC().Truncate(time.Microsecond), TimerPending, string(t.Payload), tx.Now}
	}
	if err := tx.db.d.bulkInsert(ctx, tx, "timers", []string{"kind", "lead_id", "due_at", "state", "payload", "created_at"}, rows); err != nil {
		return fmt.Errorf("add timers: %w", err)
	}
	return nil
}

// AddTimer stores a pending timer in a transaction of its own and returns
// its id. Prefer [Tx.AddTimer] in the transaction of the event that starts
// the clock.
func (db *DB) AddTimer(ctx context.Context, t Timer) (id int64, err error) {
	err = db.transact(ctx, func(tx *Tx) error {
		id, err = tx.AddTimer(ctx, t)
		return err
	})
	return id, err
}

// StopTimers stops the lead's pending timers of the given kinds (all kinds
// when none is given), because the lead left the state they guard, and
// returns how many it stopped. A stopped timer never fires. Timers already
// fired stay fired.
func (tx *Tx) StopTimers(ctx context.Context, leadID int64, kinds ...string) (n int, err error) {
	defer wrap(&err, "stop timers of lead %d", leadID)
	q := `UPDATE timers SET state = 'stopped', stopped_at = $1 WHERE lead_id = $2 AND state = 'pending'`
	args := []any{tx.t(tx.Now), leadID}
	if len(kinds) > 0 {
		marks := make([]string, len(kinds))
		for i, k := range kinds {
			args = append(args, k)
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		q += ` AND kind IN (` + strings.Join(marks, ", ") + `)`
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	stopped, err := res.RowsAffected()
	return int(stopped), err
}

// FireDue fires up to limit pending timers whose due time has come on the
// database's clock, oldest first, and returns how many it fired.
//
// Due timers are claimed in batches, each batch in one transaction in
// which every timer is fired and marked fired: fire runs in that
// transaction, so what firing writes (a breach event in the ledger) and the
// timer's new state commit together. A timer is therefore fired exactly
// once, however many workers call FireDue at once, and a worker that dies
// before committing leaves its batch pending for the next one. On
// PostgreSQL the claim is SELECT ... FOR UPDATE SKIP LOCKED, so replicas
// fire different timers side by side without waiting on each other; on
// SQLite the write transaction itself serialises claims.
//
// The SLA's timers ([DB.FireSLA]) fire set-wise: they read their batch's
// rows in a few queries and buffer their writes, written in a few
// statements at the batch's end (firebatch.go), so a batch holds up to 1,000
// of them (BenchmarkBreachStorm). Any other fire function writes at once,
// each timer under a savepoint, in batches of at most 50.
//
// When fire returns an error, what it wrote is undone (its buffered
// writes dropped, or its direct writes rolled back to a savepoint taken
// just before it), the timer's attempts go up and it is put off by
// [TimerBackoff]; the other timers still fire, and a failure does not count
// toward limit. When writing a batch's buffered writes fails, the batch is
// rolled back and fired again one timer at a time, so that the failure is
// pinned on its timer. When ctx is cancelled the transaction in flight is
// abandoned and FireDue returns the context's error. worker names the
// caller in the timer's claimed_by column.
func (db *DB) FireDue(ctx context.Context, worker string, limit int, fire func(ctx context.Context, tx *Tx, t Timer) error) (fired int, err error) {
	defer wrap(&err, "fire due timers")
	setWise, size := true, fireBatch // the first batch tells whether fire buffers
	for fired < limit {
		want := min(limit-fired, size)
		var claimed, n int
		var buffered bool
		err := db.transact(ctx, func(tx *Tx) error {
			claimed, n, buffered = 0, 0, false
			ts, err := tx.claimDue(ctx, want)
			if err != nil {
				return fmt.Errorf("claim: %w", err)
			}
			claimed = len(ts)
			// Firing locks the timers' leads; replicas that take them in
			// the same order cannot deadlock on them.
			slices.SortFunc(ts, func(a, b Timer) int { return cmp.Or(cmp.Compare(a.LeadID, b.LeadID), cmp.Compare(a.ID, b.ID)) })
			tx.fireBuf = nil
			if setWise {
				tx.fireBuf = &fireBuffer{batch: ts}
				defer func() { tx.fireBuf = nil }()
			}
			done := make([]int64, 0, len(ts))
			direct := 0
			for _, t := range ts {
				// A timer that writes at once does so under a savepoint,
				// which undoes a failed fire's writes and keeps the
				// claim, so the failure is recorded under the same lock
				// and the rest of the batch still fires. Past fireBatch
				// of them the rest wait for the next batch.
				savepoint := !tx.bufferedSoFar()
				var mark fireMark
				if tx.fireBuf != nil {
					mark = tx.fireBuf.mark()
				}
				if savepoint {
					if direct == fireBatch {
						break
					}
					direct++
					if _, err := tx.ExecContext(ctx, `SAVEPOINT fire`); err != nil {
						return err
					}
				}
				if ferr := fire(ctx, tx, t); ferr != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					if fe := (flushError{}); errors.As(ferr, &fe) {
						return fe
					}
					if tx.fireBuf != nil {
						tx.fireBuf.undo(mark)
					}
					if savepoint {
						if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT fire`); err != nil {
							return fmt.Errorf("timer %d: %w (after fire failed: %v)", t.ID, err, ferr)
						}
					}
					if err := tx.putOff(ctx, t, worker, ferr); err != nil {
						if !savepoint { // a failed read may have aborted the transaction
							return flushError{err}
						}
						return err
					}
					continue
				}
				done = append(done, t.ID)
			}
			buffered = tx.fireBuf != nil && tx.fireBuf.loaded
			if err := tx.flushFire(ctx); err != nil {
				return flushError{err}
			}
			if len(done) > 0 {
				cond, arg := tx.idsIn("id", 3, done)
				if _, err := tx.ExecContext(ctx, `UPDATE timers SET state = 'fired', fired_at = $1, claimed_by = $2 WHERE `+cond,
					tx.t(tx.Now), worker, arg); err != nil {
					return fmt.Errorf("mark %d timers fired: %w", len(done), err)
				}
			}
			n = len(done)
			return nil
		})
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
				return fired, ctxErr
			}
			if fe := (flushError{}); errors.As(err, &fe) && setWise {
				setWise, size = false, fireBatch // fire the batch again, one timer at a time
				continue
			}
			return fired, err
		}
		fired += n
		if buffered {
			size = setFireBatch
		}
		if claimed < want { // fewer due than asked for: none left
			break
		}
	}
	return fired, nil
}

// claimDue locks up to limit pending timers that are due, oldest first.
func (tx *Tx) claimDue(ctx context.Context, limit int) ([]Timer, error) {
	pg := tx.db.d.name() == "postgres"
	if pg {
		// The claim should walk the pending timers' index in due order
		// and stop after limit. But a storm makes timers due faster than
		// autovacuum analyses the table, and with statistics that see
		// few due the planner reads every due timer (a bitmap scan) and
		// sorts them all, at each claim: 32 ms instead of 1.4 ms with
		// 13,000 due, and more as the storm grows. Without a sort the
		// index's order is the only way. The setting lasts until the
		// claim's rows are read (a claim of none ends the transaction).
		if _, err := tx.ExecContext(ctx, `SELECT set_config('enable_sort', 'off', true)`); err != nil {
			return nil, err
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+timerColumns+` FROM timers
		WHERE state = 'pending' AND due_at <= $1 ORDER BY due_at, id LIMIT $2`+tx.db.d.skipLocked(), tx.t(tx.Now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ts []Timer
	for rows.Next() {
		t, err := scanTimer(rows)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if pg && len(ts) > 0 {
		if _, err := tx.ExecContext(ctx, `SELECT set_config(name, reset_val, true) FROM pg_settings WHERE name = 'enable_sort'`); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// fireBatch is the most timers fired in one transaction one at a time.
// Each fire runs under a savepoint, a subtransaction on PostgreSQL; past 64 of them in one
// transaction PostgreSQL's subtransaction cache overflows and every
// session's snapshots slow down.
const fireBatch = 50

// putOff records a failed attempt and moves the timer's due time forward.
func (tx *Tx) putOff(ctx context.Context, t Timer, worker string, ferr error) error {
	attempts := t.Attempts + 1
	msg := ferr.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	_, err := tx.ExecContext(ctx, `UPDATE timers SET attempts = $1, due_at = $2, last_error = $3, claimed_by = $4 WHERE id = $5`,
		attempts, tx.t(tx.Now.Add(TimerBackoff(attempts))), msg, worker, t.ID)
	if err != nil {
		return fmt.Errorf("put off timer %d: %w", t.ID, err)
	}
	return nil
}

// Timers returns the lead's timers in every state, in the order they were
// added; leadID 0 returns the timers that belong to no lead.
func (db *DB) Timers(ctx context.Context, leadID int64) (ts []Timer, err error) {
	defer wrap(&err, "timers of lead %d", leadID)
	q := `SELECT ` + timerColumns + ` FROM timers WHERE lead_id = $1 ORDER BY id`
	args := []any{leadID}
	if leadID == 0 {
		q, args = `SELECT `+timerColumns+` FROM timers WHERE lead_id IS NULL ORDER BY id`, nil
	}
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanTimer(rows)
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
		return rows.Err()
	})
	return ts, err
}

// NextDue returns the due time of the earliest pending timer, which may be
// in the past, and false when no timer is pending, so that a worker can
// sleep until then.
func (db *DB) NextDue(ctx context.Context) (due time.Time, ok bool, err error) {
	defer wrap(&err, "next due timer")
	err = db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT min(due_at) FROM timers WHERE state = 'pending'`).Scan(scanTime{&due})
	})
	return due, err == nil && !due.IsZero(), err
}

// Fired counts what the timers fired in a transaction did, for the
// metrics: breaches recorded and escalations notified.
type Fired struct {
	Breaches    int
	Escalations int
}

// Fired returns what the timers fired so far in the transaction did; the
// worker reads it before and after firing a timer (package worker).
func (tx *Tx) Fired() Fired { return tx.fired }
