package sqldb

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/backtest"
	"github.com/tandemhq/tandem/calendar"
)

// BacktestLedger reads, in one read transaction, what a backtest of a period
// replays (see [backtest.Ledger]) and the version in force at the period's
// end (now, while it runs), whose side the proposal is set beside: the
// sales reps; the hand-offs started in the period with their leads, their
// touches and whether a stage rule or a person handed each over; the leads
// created in the period that were never handed off; and the hand-offs
// carried into the period, open when it started.
//
// EINVALID names a bad period; ECONFLICT when no signed agreement is in
// force; ENOTFOUND when the period holds no hand-off and no new lead: a
// backtest of it would compare nothing.
//
// It reads a fixed handful of queries whatever the size of the period.
func (db *DB) BacktestLedger(ctx context.Context, period string) (l backtest.Ledger, inForce backtest.Version, err error) {
	defer wrap(&err, "backtest ledger %q", period)
	if period == "" {
		return l, inForce, tandem.Invalid(tandem.FieldError{Field: "period", Message: "is required: a month (2026-11), a quarter (2026-Q3) or a year (2026)"})
	}
	if _, err := calendar.ParsePeriod(period, time.UTC); err != nil {
		return l, inForce, err
	}
	err = db.view(ctx, func(tx *Tx) error {
		p, per, err := tx.reportPolicy(ctx, period)
		if err != nil {
			return err
		}
		inForce = backtest.Version{Number: p.Version, Agreement: p.Agreement}
		l = backtest.Ledger{Period: per, Now: tx.Now, Reps: []backtest.Rep{}}
		from, to := tx.t(per.From), tx.t(per.To)

		rows, err := tx.QueryContext(ctx, `SELECT id, COALESCE(email, ''), team, weight FROM users WHERE role = 'sales_rep' ORDER BY id`)
		if err != nil {
			return fmt.Errorf("reps: %w", err)
		}
		for rows.Next() {
			var r backtest.Rep
			if err := rows.Scan(&r.ID, &r.Email, &r.Team, &r.Weight); err != nil {
				rows.Close()
				return fmt.Errorf("reps: %w", err)
			}
			l.Reps = append(l.Reps, r)
		}
		if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("reps: %w", err)
		}

		rows, err = tx.QueryContext(ctx, `SELECT `+handoffColumns+` FROM handoffs
			WHERE started_at >= $1 AND started_at < $2 ORDER BY lead_id, started_at, id`, from, to)
		if err != nil {
			return fmt.Errorf("hand-offs: %w", err)
		}
		for rows.Next() {
			h, err := scanHandoff(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("hand-offs: %w", err)
			}
			l.Handoffs = append(l.Handoffs, backtest.Handoff{Handoff: h.Handoff})
		}
		if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("hand-offs: %w", err)
		}

		// The leads of those hand-offs, and the new leads never handed off
		// (two queries, so that each reads its own index).
		leads := map[int64]tandem.Lead{}
		for _, q := range []string{
			`SELECT ` + leadColumns + ` FROM leads WHERE id IN (SELECT lead_id FROM handoffs WHERE started_at >= $1 AND started_at < $2)`,
			`SELECT ` + leadColumns + ` FROM leads WHERE created_at >= $1 AND created_at < $2
				AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.lead_id = leads.id)`,
		} {
			rows, err := tx.QueryContext(ctx, q, from, to)
			if err != nil {
				return fmt.Errorf("leads: %w", err)
			}
			for rows.Next() {
				ld, err := scanLead(rows)
				if err != nil {
					rows.Close()
					return fmt.Errorf("leads: %w", err)
				}
				leads[ld.ID] = ld
			}
			if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
				return fmt.Errorf("leads: %w", err)
			}
		}
		inPeriod := map[int64]bool{}
		for i := range l.Handoffs {
			h := &l.Handoffs[i]
			h.Lead = leads[h.LeadID]
			inPeriod[h.LeadID] = true
		}
		for id, ld := range leads {
			if !inPeriod[id] {
				l.Candidates = append(l.Candidates, ld)
			}
		}
		slices.SortFunc(l.Candidates, func(a, b tandem.Lead) int { return cmp.Compare(a.ID, b.ID) })

		if err := tx.backtestEvents(ctx, &l, p.HandoffStage, from, to); err != nil {
			return err
		}

		rows, err = tx.QueryContext(ctx, `SELECT owner_id, ended_at FROM handoffs
			WHERE started_at < $1 AND (ended_at IS NULL OR ended_at > $1) AND owner_id IS NOT NULL ORDER BY id`, from)
		if err != nil {
			return fmt.Errorf("carried hand-offs: %w", err)
		}
		for rows.Next() {
			var c backtest.Carried
			if err := rows.Scan(&c.OwnerID, scanTime{&c.EndedAt}); err != nil {
				rows.Close()
				return fmt.Errorf("carried hand-offs: %w", err)
			}
			l.Carried = append(l.Carried, c)
		}
		return cmp.Or(rows.Err(), rows.Close())
	})
	if err == nil && len(l.Handoffs) == 0 && len(l.Candidates) == 0 {
		err = tandem.Errorf(tandem.ENOTFOUND, "the period %s holds no hand-off and no new lead: there is nothing to replay", l.Period.Name)
	}
	return l, inForce, err
}

// backtestEvents reads the touches and stage changes of the leads of the
// period's hand-offs and gives each hand-off its touches (those logged
// between its start and its end) and how its lead entered the hand-off
// stage: by a rule, or by a person (the last entry at or before the start).
// A rule moves a lead only by a stage change (tandem.Lifecycle.Advance); a
// lead created straight into the stage was put there by its source.
func (tx *Tx) backtestEvents(ctx context.Context, l *backtest.Ledger, handoffStage string, from, to any) error {
	byLead := map[int64][]int{} // hand-off indexes per lead, in start order (the query's order)
	for i, h := range l.Handoffs {
		byLead[h.LeadID] = append(byLead[h.LeadID], i)
	}
	rows, err := tx.QueryContext(ctx, `SELECT e.lead_id, e.type, e.occurred_at, e.data FROM events e
		WHERE e.lead_id IN (SELECT lead_id FROM handoffs WHERE started_at >= $1 AND started_at < $2)
		AND e.type IN ('stage_changed', 'touched') ORDER BY e.lead_id, e.occurred_at, e.id`, from, to)
	if err != nil {
		return fmt.Errorf("touches and stage changes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var leadID int64
		var typ, data string
		var at time.Time
		if err := rows.Scan(&leadID, &typ, scanTime{&at}, &data); err != nil {
			return fmt.Errorf("touches and stage changes: %w", err)
		}
		// Only the few keys read here, into fields rather than maps: a
		// quarter holds hundreds of thousands of touches.
		var d struct {
			To     struct{ Stage string } `json:"to"`
			Rule   string                 `json:"rule"`
			Detail struct{ Channel, Outcome string }
		}
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return fmt.Errorf("event of lead %d: %w", leadID, err)
		}
		idx := byLead[leadID]
		if typ == tandem.EventTouched {
			// The hand-off running at the touch: the last one started by then.
			for k := len(idx) - 1; k >= 0; k-- {
				h := &l.Handoffs[idx[k]]
				if !at.Before(h.StartedAt) {
					if h.EndedAt.IsZero() || !at.After(h.EndedAt) {
						h.Touches = append(h.Touches, tandem.Touch{Channel: d.Detail.Channel, Outcome: d.Detail.Outcome, At: at})
					}
					break
				}
			}
			continue
		}
		if d.To.Stage != handoffStage {
			continue
		}
		// An entry into the hand-off stage belongs to the first hand-off
		// started at or after it; a later entry before that start wins.
		for _, k := range idx {
			h := &l.Handoffs[k]
			if !at.After(h.StartedAt) {
				h.ByRule = d.Rule != "" && !h.Hot
				break
			}
		}
	}
	return rows.Err()
}
