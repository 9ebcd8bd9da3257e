package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The clocks of an [AtRisk] item.
const (
	ClockFirstTouch = "first_touch" // the hand-off is not touched yet
	ClockAccept     = "accept"      // the hand-off is not accepted or rejected yet
	ClockTask       = "task"        // a cadence step is not done yet
)

// AtRisk is one open clock of a running hand-off: a first touch or a
// decision not made yet, or a cadence step not done, with its due time.
type AtRisk struct {
	LeadID  int64  `json:"lead_id"`
	Lead    string `json:"lead"` // the lead's name, else its company, else its email
	OwnerID int64  `json:"owner_id,omitempty"`
	Owner   string `json:"owner,omitempty"` // the rep's email; "" while unrouted
	Clock   string `json:"clock"`
	// Step and Channel name a task's cadence step.
	Step    int       `json:"step,omitempty"`
	Channel string    `json:"channel,omitempty"`
	Due     time.Time `json:"due"`
}

// AtRiskQuery asks for the open clocks due in [From, To).
type AtRiskQuery struct {
	From, To time.Time
	// Owners limits the clocks to those of the reps with these ids; nil
	// means everyone's, unrouted hand-offs included.
	Owners []int64
	Limit  int // 0: 200
}

// AtRisk returns the open clocks due in [q.From, q.To), soonest first, at
// most q.Limit: the hand-offs neither touched nor decided yet and the open
// cadence tasks. The SLA board shows those due within the next business
// hour as about to breach. Each part reads an index of open rows only
// (handoffs_open_owner, tasks_open_owner), so the cost follows the open
// work, not the ledger.
func (db *DB) AtRisk(ctx context.Context, q AtRiskQuery) (items []AtRisk, err error) {
	defer wrap(&err, "clocks at risk")
	if q.Limit <= 0 {
		q.Limit = 200
	}
	if q.Owners != nil && len(q.Owners) == 0 {
		return nil, nil
	}
	err = db.view(ctx, func(tx *Tx) error {
		args := []any{tx.t(q.From), tx.t(q.To)}
		owner := func(col string) string {
			if q.Owners == nil {
				return ""
			}
			marks := make([]string, len(q.Owners))
			for i, id := range q.Owners {
				args = append(args, id)
				marks[i] = "$" + strconv.Itoa(len(args))
			}
			return " AND " + col + " IN (" + strings.Join(marks, ", ") + ")"
		}
		ho, to := owner("h.owner_id"), owner("t.owner_id")
		args = append(args, q.Limit)
		limit := "$" + strconv.Itoa(len(args))
		// Each part is limited too, so that no part sorts more rows than
		// the answer can hold.
		query := `SELECT * FROM (
			SELECT * FROM (SELECT h.lead_id, h.owner_id, 'first_touch' AS clock, 0 AS step, '' AS channel, h.first_touch_due AS due
				FROM handoffs h WHERE h.ended_at IS NULL AND h.first_touch_at IS NULL
				AND h.first_touch_due >= $1 AND h.first_touch_due < $2` + ho + ` ORDER BY h.first_touch_due LIMIT ` + limit + `) a
			UNION ALL
			SELECT * FROM (SELECT h.lead_id, h.owner_id, 'accept', 0, '', h.accept_due
				FROM handoffs h WHERE h.ended_at IS NULL AND h.decided_at IS NULL
				AND h.accept_due >= $1 AND h.accept_due < $2` + ho + ` ORDER BY h.accept_due LIMIT ` + limit + `) b
			UNION ALL
			SELECT * FROM (SELECT t.lead_id, t.owner_id, 'task', t.step, t.channel, t.due_at
				FROM tasks t WHERE t.state = 'open' AND t.due_at >= $1 AND t.due_at < $2` + to + `
				ORDER BY t.due_at LIMIT ` + limit + `) c
			) r ORDER BY due, lead_id, clock LIMIT ` + limit
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var it AtRisk
			var owner sql.NullInt64
			if err := rows.Scan(&it.LeadID, &owner, &it.Clock, &it.Step, &it.Channel, scanTime{&it.Due}); err != nil {
				return err
			}
			it.OwnerID = owner.Int64
			items = append(items, it)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		return tx.nameAtRisk(ctx, items)
	})
	return items, err
}

// nameAtRisk fills in the leads' names and the owners' emails.
func (tx *Tx) nameAtRisk(ctx context.Context, items []AtRisk) error {
	if len(items) == 0 {
		return nil
	}
	leads := map[int64]string{}
	var args []any
	var marks []string
	for _, it := range items {
		if _, ok := leads[it.LeadID]; !ok {
			leads[it.LeadID] = ""
			args = append(args, it.LeadID)
			marks = append(marks, "$"+strconv.Itoa(len(args)))
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, first_name, last_name, company, email FROM leads WHERE id IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("leads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var first, last, company, email string
		if err := rows.Scan(&id, &first, &last, &company, &email); err != nil {
			return fmt.Errorf("leads: %w", err)
		}
		name := strings.TrimSpace(first + " " + last)
		for _, s := range []string{company, email} {
			if name == "" {
				name = s
			}
		}
		if name == "" {
			name = "lead " + strconv.FormatInt(id, 10)
		}
		leads[id] = name
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("leads: %w", err)
	}
	for i := range items {
		items[i].Lead = leads[items[i].LeadID]
		if items[i].OwnerID != 0 {
			u, err := tx.cachedUser(ctx, items[i].OwnerID)
			if err != nil {
				return err
			}
			items[i].Owner = u.Email
		}
	}
	return nil
}
