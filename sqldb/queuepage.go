package sqldb

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem/agreement"
)

// QueueRow is one task of a rep's queue with its hand-off's clocks, as the
// queue page shows them.
type QueueRow struct {
	QueueItem
	FirstTouchDue time.Time
	FirstTouchAt  time.Time
	AcceptDue     time.Time
	DecidedAt     time.Time
	Touches       int
}

// QueuePage returns the open tasks of the given owners, most urgent first
// (as [DB.Queue]), at most limit of them, with each hand-off's clocks, and
// how many open tasks the owners have in all.
func (db *DB) QueuePage(ctx context.Context, owners []int64, limit int) (rows []QueueRow, total int, err error) {
	defer wrap(&err, "queue page")
	if len(owners) == 0 {
		return nil, 0, nil
	}
	if limit <= 0 {
		limit = 100
	}
	args := []any{}
	marks := make([]string, len(owners))
	for i, id := range owners {
		args = append(args, id)
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	in := strings.Join(marks, ", ")
	cols := strings.ReplaceAll(`t.`+taskColumns, ", ", ", t.")
	// The most urgent tasks are picked first and only they are joined with
	// their leads and hand-offs: a rep may have thousands.
	err = db.view(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tasks WHERE state = 'open' AND owner_id IN (`+in+`)`, args...).
			Scan(&total); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		rs, err := tx.QueryContext(ctx, `SELECT `+cols+`, l.first_name, l.last_name, l.company, l.email, l.phone, l.stage, h.hot, h.note,
				h.first_touch_due, h.first_touch_at, h.accept_due, h.decided_at, h.touches, l.title, l.country, l.segment
			FROM (SELECT `+taskColumns+` FROM tasks WHERE state = 'open' AND owner_id IN (`+in+`)
				ORDER BY due_at, id LIMIT $`+strconv.Itoa(len(args)+1)+`) t
			JOIN leads l ON l.id = t.lead_id JOIN handoffs h ON h.id = t.handoff_id
			ORDER BY t.due_at, t.id`, append(args, limit)...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var r QueueRow
			t, err := scanTask(scanMore{rs, []any{&r.Lead.FirstName, &r.Lead.LastName, &r.Lead.Company, &r.Lead.Email,
				&r.Lead.Phone, &r.Lead.Stage, &r.Hot, &r.Note, scanTime{&r.FirstTouchDue}, scanTime{&r.FirstTouchAt},
				scanTime{&r.AcceptDue}, scanTime{&r.DecidedAt}, &r.Touches, &r.Lead.Title, &r.Lead.Country, &r.Lead.Segment}})
			if err != nil {
				return err
			}
			r.Task, r.Lead.ID = t, t.LeadID
			rows = append(rows, r)
		}
		return rs.Err()
	})
	return rows, total, err
}

// AgreementNow returns the agreement in force now, or the default
// agreement while none is: what forms offer (reject reasons) and the time
// zone pages show times in.
func (db *DB) AgreementNow(ctx context.Context) (a *agreement.Agreement, err error) {
	defer wrap(&err, "agreement now")
	err = db.view(ctx, func(tx *Tx) error {
		a, err = tx.agreementNow(ctx)
		return err
	})
	return a, err
}
