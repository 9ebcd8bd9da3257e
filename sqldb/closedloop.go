package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/jeopardy"
	"github.com/tandemhq/tandem/scorecard"
)

// AlertRoles are the roles a jeopardy alert tells.
var AlertRoles = []tandem.Role{tandem.RoleSalesHead, tandem.RoleMarketingHead, tandem.RoleExecutive}

// RaiseAlerts records the alerts that were not raised before for their
// period and cause, and tells everyone who holds one of [AlertRoles]
// through the notification outbox (in-app, and email and chat as ch says),
// in the same transaction. It returns the alerts it raised, with their id
// and time; an alert already raised for its period and cause is left as it
// was, so a check may run daily, on demand and on every replica.
func (db *DB) RaiseAlerts(ctx context.Context, alerts []jeopardy.Alert, ch Channels) (raised []jeopardy.Alert, err error) {
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
		return tx.notifyAlerts(ctx, raised, ch)
	})
	return raised, err
}

// notifyAlerts writes the notifications of newly raised alerts.
func (tx *Tx) notifyAlerts(ctx context.Context, alerts []jeopardy.Alert, ch Channels) error {
	if len(alerts) == 0 {
		return nil
	}
	var to []tandem.User
	for _, r := range AlertRoles {
		us, err := tx.cachedRole(ctx, r)
		if err != nil {
			return err
		}
		to = append(to, us...)
	}
	var ns []Notification
	for _, a := range alerts {
		subject := fmt.Sprintf("Jeopardy %s: %s", a.Period, strings.ReplaceAll(string(a.Cause), "_", " "))
		var b strings.Builder
		b.WriteString(upperFirst(a.Summary) + ".\n")
		for _, f := range a.Figures {
			fmt.Fprintf(&b, "\n%s: expected %g, actual %g", f.Name, f.Expected, f.Actual)
			if f.Projected != 0 {
				fmt.Fprintf(&b, ", projected %g", f.Projected)
			}
			fmt.Fprintf(&b, " (drift %+.1f%%)", f.Drift*100)
			if f.Samples > 0 {
				fmt.Fprintf(&b, ", over %d", f.Samples)
			}
		}
		body := b.String()
		add := func(n Notification) {
			n.Subject, n.Body = subject, body
			ns = append(ns, n)
		}
		for _, u := range to {
			add(Notification{UserID: u.ID, Channel: channelInbox})
			if ch.Email {
				add(Notification{UserID: u.ID, Channel: channelEmail, Address: u.Email})
			}
		}
		if ch.Chat {
			add(Notification{Channel: channelChat})
		}
	}
	return tx.addNotifications(ctx, ns)
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
