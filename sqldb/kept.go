package sqldb

import (
	"context"
	"database/sql"
	"time"
)

// Kept is a report computed from the store and kept, so that a page reads
// the one computed a few minutes ago instead of computing it again on
// every request: a running period's scorecard, its pace, its SLA report.
// The store keeps the latest of each kind and period and knows nothing of
// what the body holds; package report computes it, encodes it and says how
// old it may be.
type Kept struct {
	Kind       string // scorecard, pace, sla
	Period     string
	ComputedAt time.Time
	Body       []byte
}

// Kept returns the report kept for kind and period, if one is.
func (db *DB) Kept(ctx context.Context, kind, period string) (k Kept, ok bool, err error) {
	defer wrap(&err, "kept %s %s", kind, period)
	k = Kept{Kind: kind, Period: period}
	err = db.view(ctx, func(tx *Tx) error {
		var body string
		err := tx.QueryRowContext(ctx, `SELECT computed_at, body FROM kept_reports WHERE kind = $1 AND period = $2 AND body <> ''`,
			kind, period).Scan(scanTime{&k.ComputedAt}, &body)
		if err == sql.ErrNoRows {
			return nil
		} else if err != nil {
			return err
		}
		ok, k.Body = true, []byte(body)
		return nil
	})
	return k, ok, err
}

// Keep keeps k as the latest report of its kind and period, unless one
// computed later is kept already, and ends any lease on it (see
// [DB.LeaseRefresh]).
func (db *DB) Keep(ctx context.Context, k Kept) (err error) {
	defer wrap(&err, "keep %s %s", k.Kind, k.Period)
	return db.transact(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO kept_reports (kind, period, computed_at, body) VALUES ($1, $2, $3, $4)
			ON CONFLICT (kind, period) DO UPDATE SET computed_at = excluded.computed_at, body = excluded.body, lease_until = NULL
			WHERE kept_reports.computed_at <= excluded.computed_at OR kept_reports.body = ''`,
			k.Kind, k.Period, tx.t(k.ComputedAt), string(k.Body))
		return err
	})
}

// LeaseRefresh takes, for lease, the refresh of the report of kind and
// period, and reports whether this caller took it: only when the report
// kept is older than staleBefore (or none is) and nobody else holds an
// unexpired lease. Replicas of tandem serve that refresh the same reports
// on the same schedule so compute each once. [DB.Keep] ends the lease; a
// lease whose holder died expires.
func (db *DB) LeaseRefresh(ctx context.Context, kind, period string, staleBefore time.Time, lease time.Duration) (took bool, err error) {
	defer wrap(&err, "lease the refresh of %s %s", kind, period)
	err = db.transact(ctx, func(tx *Tx) error {
		// A placeholder row with no body holds the lease of a report
		// never kept yet; readers skip it.
		if _, err := tx.ExecContext(ctx, `INSERT INTO kept_reports (kind, period, computed_at, body) VALUES ($1, $2, $3, '')
			ON CONFLICT (kind, period) DO NOTHING`, kind, period, tx.t(time.Unix(0, 0))); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE kept_reports SET lease_until = $1
			WHERE kind = $2 AND period = $3 AND (computed_at < $4 OR body = '') AND (lease_until IS NULL OR lease_until <= $5)`,
			tx.t(tx.Now.Add(lease)), kind, period, tx.t(staleBefore), tx.t(tx.Now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		took = n == 1
		return err
	})
	return took, err
}
