package sqldb

import (
	"context"
	"database/sql"
	"time"
)

// Gauges are the store's figures a monitoring system watches (package
// metrics; their definitions are in docs/integrations.md, "Metrics"). Each
// is read from an index, so that reading them all stays cheap with a
// million open clocks.
type Gauges struct {
	At time.Time // the store's clock when they were read
	// TimersPending counts the clocks open: timer rows still pending (SLA
	// clocks, cadence steps, escalation steps, routing retries).
	TimersPending int64
	// TimersDue counts the pending timers whose due time has come but that
	// no worker has fired yet: the backlog.
	TimersDue int64
	// Outbox holds, by channel, the notifications not yet delivered.
	Outbox []OutboxDepth
	// Kept holds, by kind, when a kept report of that kind was last
	// computed.
	Kept []KeptAge
}

// OutboxDepth is the outbox's backlog of one channel.
type OutboxDepth struct {
	Channel string
	Pending int64
	Oldest  time.Time // created_at of the oldest pending notification
}

// KeptAge says when the latest kept report of a kind was computed (see
// [DB.Keep]).
type KeptAge struct {
	Kind       string
	ComputedAt time.Time
}

// ReadGauges reads the store's gauges in one read transaction.
func (db *DB) ReadGauges(ctx context.Context) (g Gauges, err error) {
	defer wrap(&err, "read gauges")
	err = db.view(ctx, func(tx *Tx) error {
		g.At = tx.Now
		// Both counts read only the partial index timers_pending_due.
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM timers WHERE state = 'pending'`).Scan(&g.TimersPending); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM timers WHERE state = 'pending' AND due_at <= $1`,
			tx.t(tx.Now)).Scan(&g.TimersDue); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT channel, count(*), min(created_at) FROM notifications
			WHERE state = 'pending' GROUP BY channel ORDER BY channel`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var o OutboxDepth
			if err := rows.Scan(&o.Channel, &o.Pending, scanTime{&o.Oldest}); err != nil {
				rows.Close()
				return err
			}
			g.Outbox = append(g.Outbox, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT kind, max(computed_at) FROM kept_reports WHERE body <> '' GROUP BY kind ORDER BY kind`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k KeptAge
			if err := rows.Scan(&k.Kind, scanTime{&k.ComputedAt}); err != nil {
				return err
			}
			g.Kept = append(g.Kept, k)
		}
		return rows.Err()
	})
	return g, err
}

// PoolStats returns the statistics of the database's connection pools, by
// name: "write" and, on SQLite, "read" (PostgreSQL has one pool).
func (db *DB) PoolStats() map[string]sql.DBStats {
	s := map[string]sql.DBStats{"write": db.write.Stats()}
	if db.read != db.write {
		s["read"] = db.read.Stats()
	}
	return s
}
