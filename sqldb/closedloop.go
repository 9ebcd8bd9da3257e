package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/jeopardy"
	"github.com/tandemhq/tandem/outbox"
	"github.com/tandemhq/tandem/scorecard"
)

// AlertRoles are the roles a jeopardy alert tells.
var AlertRoles = []tandem.Role{tandem.RoleSalesHead, tandem.RoleMarketingHead, tandem.RoleExecutive}

// RaiseAlerts records the alerts that were not raised before for their
// period and cause, and tells everyone who holds one of [AlertRoles]
// through the outbox (an alert.raised event, told in-app and on each channel),
// in the same transaction. It returns the alerts it raised, with their id
// and time; an alert already raised for its period and cause is left as it
// was, so a check may run daily, on demand and on every replica.
func (db *DB) RaiseAlerts(ctx context.Context, alerts []jeopardy.Alert) (raised []jeopardy.Alert, err error) {
	defer wrap(&err, "raise alerts")
	err = db.transact(ctx, func(tx *Tx) error {
		raised = raised[:0]
		for _, a := range alerts {
			figures, err := json.Marshal(a.Figures)
			if err != nil {
				return err
			}
			var id int64
			err = tx.QueryRowContext(ctx, `INSERT INTO alerts (period, cause, summary, figures, raised_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (period, cause) DO NOTHING RETURNING id`, a.Period, string(a.Cause), a.Summary, string(figures), tx.t(tx.Now)).Scan(&id)
			if err == sql.ErrNoRows {
				continue
			} else if err != nil {
				return err
			}
			a.ID, a.RaisedAt = id, tx.Now
			raised = append(raised, a)
		}
		return tx.notifyAlerts(ctx, raised)
	})
	return raised, err
}

// notifyAlerts publishes newly raised alerts: an alert.raised event each,
// naming everyone who holds one of [AlertRoles], whom the outbox then
// tells in-app and on each channel.
func (tx *Tx) notifyAlerts(ctx context.Context, alerts []jeopardy.Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	to := []outbox.Recipient{}
	for _, r := range AlertRoles {
		us, err := tx.cachedRole(ctx, r)
		if err != nil {
			return err
		}
		for _, u := range us {
			to = append(to, outbox.Recipient{UserID: u.ID, Email: u.Email})
		}
	}
	evs := make([]outbox.Event, 0, len(alerts))
	for _, a := range alerts {
		d := outbox.Alert{Alert: a.ID, Period: a.Period, Cause: string(a.Cause), Summary: a.Summary, Figures: []outbox.AlertFigure{}, To: to}
		for _, f := range a.Figures {
			d.Figures = append(d.Figures, outbox.AlertFigure{Name: f.Name, Expected: f.Expected, Actual: f.Actual, Projected: f.Projected,
				Drift: f.Drift, Samples: f.Samples})
		}
		e, err := outbox.New(outbox.AlertRaised, 0, a.RaisedAt, d)
		if err != nil {
			return err
		}
		evs = append(evs, e)
	}
	return tx.publish(ctx, evs)
}

// AlertFilter selects alerts; the zero filter selects all.
type AlertFilter struct {
	// Periods selects the alerts of these periods, like 2026-11 or
	// 2026-Q4; nil for every period.
	Periods []string
}

// Alerts returns the alerts raised, newest first.
func (db *DB) Alerts(ctx context.Context, f AlertFilter) (alerts []jeopardy.Alert, err error) {
	defer wrap(&err, "alerts")
	alerts = []jeopardy.Alert{}
	err = db.view(ctx, func(tx *Tx) error {
		q, args := `SELECT id, period, cause, summary, figures, raised_at FROM alerts`, []any{}
		for i, p := range f.Periods {
			args = append(args, p)
			if i == 0 {
				q += ` WHERE period IN ($1`
			} else {
				q += fmt.Sprintf(", $%d", i+1)
			}
		}
		if len(f.Periods) > 0 {
			q += ")"
		}
		rows, err := tx.QueryContext(ctx, q+` ORDER BY raised_at DESC, id DESC`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a jeopardy.Alert
			var cause, figures string
			if err := rows.Scan(&a.ID, &a.Period, &cause, &a.Summary, &figures, scanTime{&a.RaisedAt}); err != nil {
				return err
			}
			a.Cause = jeopardy.Cause(cause)
			if err := json.Unmarshal([]byte(figures), &a.Figures); err != nil {
				return fmt.Errorf("alert %d: figures: %w", a.ID, err)
			}
			alerts = append(alerts, a)
		}
		return rows.Err()
	})
	return alerts, err
}

// FrozenScorecard returns the scorecard frozen for the period, if any.
func (db *DB) FrozenScorecard(ctx context.Context, period string) (sc scorecard.Scorecard, ok bool, err error) {
	defer wrap(&err, "frozen scorecard %s", period)
	err = db.view(ctx, func(tx *Tx) error {
		sc, ok, err = tx.frozenScorecard(ctx, period)
		return err
	})
	return sc, ok, err
}

func (tx *Tx) frozenScorecard(ctx context.Context, period string) (scorecard.Scorecard, bool, error) {
	var sc scorecard.Scorecard
	var body string
	var at time.Time
	err := tx.QueryRowContext(ctx, `SELECT body, frozen_at FROM scorecards WHERE period = $1`, period).Scan(&body, scanTime{&at})
	if err == sql.ErrNoRows {
		return sc, false, nil
	} else if err != nil {
		return sc, false, err
	}
	if err := json.Unmarshal([]byte(body), &sc); err != nil {
		return sc, false, fmt.Errorf("scorecard %s: %w", period, err)
	}
	sc.FrozenAt = at
	return sc, true, nil
}

// FreezeScorecard keeps a closed period's scorecard, unless one is kept
// already, and returns the one kept (with FrozenAt): the first computed
// after the period ended wins, so every later reading is the same.
func (db *DB) FreezeScorecard(ctx context.Context, sc scorecard.Scorecard) (kept scorecard.Scorecard, err error) {
	defer wrap(&err, "freeze scorecard %s", sc.Period)
	if !sc.Complete {
		return sc, tandem.Errorf(tandem.ECONFLICT, "the period %s has not ended: only a closed period's scorecard is frozen", sc.Period)
	}
	sc.FrozenAt = time.Time{}
	body, err := json.Marshal(sc)
	if err != nil {
		return sc, err
	}
	err = db.transact(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO scorecards (period, frozen_at, body) VALUES ($1, $2, $3) ON CONFLICT (period) DO NOTHING`,
			sc.Period, tx.t(tx.Now), string(body)); err != nil {
			return err
		}
		var ok bool
		kept, ok, err = tx.frozenScorecard(ctx, sc.Period)
		if err == nil && !ok {
			err = fmt.Errorf("the scorecard of %s was not kept", sc.Period)
		}
		return err
	})
	return kept, err
}

// Outcomes are what sales decided and closed in a window, for the
// scorecard and the jeopardy check.
type Outcomes struct {
	// Rejections counts the hand-offs rejected in the window, by reason.
	Rejections map[string]int
	// WonDeals and LostDeals count the deals closed in the window;
	// WonCents is the revenue won.
	WonDeals, LostDeals int
	WonCents            int64
	// Ratings are the reviews written in the window, by the campaign of
	// their lead ("" for none), in campaign order.
	Ratings []RatingSum
}

// RatingSum is the reviews written about one campaign's leads: how many
// and the sum of their ratings (package report averages them).
type RatingSum struct {
	Campaign string
	Ratings  int
	Sum      int64
}

// Outcomes measures the window [from, to): three grouped queries over the
// hand-offs decided, the deals closed and the reviews written in it.
func (db *DB) Outcomes(ctx context.Context, from, to time.Time) (o Outcomes, err error) {
	defer wrap(&err, "outcomes")
	o.Rejections = map[string]int{}
	o.Ratings = []RatingSum{}
	err = db.view(ctx, func(tx *Tx) error {
		lo, hi := tx.t(from), tx.t(to)
		rows, err := tx.QueryContext(ctx, `SELECT reject_reason, count(*) FROM handoffs
			WHERE decision = $1 AND decided_at >= $2 AND decided_at < $3 GROUP BY reject_reason`, tandem.DecisionRejected, lo, hi)
		if err != nil {
			return err
		}
		for rows.Next() {
			var code string
			var n int
			if err := rows.Scan(&code, &n); err != nil {
				rows.Close()
				return err
			}
			o.Rejections[code] += n
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT
				coalesce(sum(CASE WHEN stage = 'won' THEN 1 ELSE 0 END), 0),
				coalesce(sum(CASE WHEN stage = 'lost' THEN 1 ELSE 0 END), 0),
				coalesce(sum(CASE WHEN stage = 'won' THEN amount_cents ELSE 0 END), 0)
			FROM deals WHERE closed_at >= $1 AND closed_at < $2`, lo, hi).Scan(&o.WonDeals, &o.LostDeals, &o.WonCents); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT l.campaign, count(*), sum(r.rating) FROM reviews r JOIN leads l ON l.id = r.lead_id
			WHERE r.created_at >= $1 AND r.created_at < $2 GROUP BY l.campaign ORDER BY l.campaign`, lo, hi)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r RatingSum
			if err := rows.Scan(&r.Campaign, &r.Ratings, &r.Sum); err != nil {
				return err
			}
			o.Ratings = append(o.Ratings, r)
		}
		return rows.Err()
	})
	return o, err
}
