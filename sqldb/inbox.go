package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/outbox"
)

// The inbox (docs/web.md, "Inbox"): a person's in-app notifications
// (channel inbox), which [Tx.publish] writes for every event that tells
// them, read and marked read here. A notification is read once: marking it
// again changes nothing.

// InboxItem is one notification of a person's inbox, with what it is
// about: the event type it delivers (escalation.sent, alert.raised…), and
// the lead or jeopardy alert it links to.
type InboxItem struct {
	Notification
	// Type is the outbox event type the notification delivers; "" for one
	// written before events were.
	Type string `json:"type,omitempty"`
	// AlertID is the jeopardy alert of an alert.raised notification; 0
	// otherwise.
	AlertID int64 `json:"alert_id,omitempty"`
	// AlertPeriod is that alert's period (2026-11, 2026-Q4).
	AlertPeriod string `json:"alert_period,omitempty"`
	// ActionItem and MeetingPeriod are the action item of an
	// action_item.created notification and its meeting's period; 0 and ""
	// otherwise.
	ActionItem    int64  `json:"action_item,omitempty"`
	MeetingPeriod string `json:"meeting_period,omitempty"`
}

// InboxFilter pages through an inbox, newest first.
type InboxFilter struct {
	// Before is the cursor: only notifications with an id below it; 0 for
	// the newest.
	Before int64
	// Unread keeps the notifications not read yet.
	Unread bool
	// Limit caps the page; 0 means 50, at most 500.
	Limit int
}

// MaxInboxPage bounds InboxFilter.Limit.
const MaxInboxPage = 500

// InboxPage is one page of an inbox.
type InboxPage struct {
	Items []InboxItem `json:"items"`
	// Unread counts the person's unread notifications, all pages.
	Unread int `json:"unread"`
	// Next is the cursor of the next page (InboxFilter.Before); 0 at the end.
	Next int64 `json:"-"`
}

// Inbox returns a page of the user's inbox, newest first, with the count
// of their unread notifications. EINVALID naming limit for a bad limit.
func (db *DB) Inbox(ctx context.Context, userID int64, f InboxFilter) (p InboxPage, err error) {
	defer wrap(&err, "inbox of user %d", userID)
	limit := f.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > MaxInboxPage:
		return p, tandem.Invalid(tandem.FieldError{Field: "limit", Message: fmt.Sprintf("must be a whole number between 1 and %d", MaxInboxPage)})
	}
	before := f.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	cond := "n.user_id = $1 AND n.channel = 'inbox' AND n.id < $2"
	if f.Unread {
		cond += " AND n.read_at IS NULL"
	}
	p.Items = []InboxItem{}
	err = db.view(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND channel = 'inbox' AND read_at IS NULL`,
			userID).Scan(&p.Unread); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT n.id, n.user_id, n.lead_id, n.event_id, n.channel, n.address, n.subject, n.body, n.state,
			n.attempts, n.last_error, n.created_at, n.sent_at, n.read_at, e.type, e.data
			FROM notifications n LEFT JOIN outbox_events e ON e.id = n.event_id
			WHERE `+cond+` ORDER BY n.id DESC LIMIT $3`, userID, before, limit+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var it InboxItem
			var user, lead, event sql.NullInt64
			var typ sql.NullString
			var data string
			if err := rows.Scan(&it.ID, &user, &lead, &event, &it.Channel, &it.Address, &it.Subject, &it.Body, &it.State, &it.Attempts,
				&it.LastError, scanTime{&it.CreatedAt}, scanTime{&it.SentAt}, scanTime{&it.ReadAt}, &typ, scanJSON{&data}); err != nil {
				return err
			}
			it.UserID, it.LeadID, it.EventID, it.Type = user.Int64, lead.Int64, event.Int64, typ.String
			switch it.Type {
			case outbox.AlertRaised:
				var a outbox.Alert
				if json.Unmarshal([]byte(data), &a) == nil {
					it.AlertID, it.AlertPeriod = a.Alert, a.Period
				}
			case outbox.ActionItemAdded:
				var a outbox.ActionItem
				if json.Unmarshal([]byte(data), &a) == nil {
					it.ActionItem, it.MeetingPeriod = a.Item, a.Period
				}
			}
			p.Items = append(p.Items, it)
		}
		return rows.Err()
	})
	if len(p.Items) > limit {
		p.Items = p.Items[:limit]
		p.Next = p.Items[limit-1].ID
	}
	return p, err
}

// UnreadCount returns how many of the user's inbox notifications are not
// read yet: the count in every page's header.
func (db *DB) UnreadCount(ctx context.Context, userID int64) (n int, err error) {
	defer wrap(&err, "unread count of user %d", userID)
	err = db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND channel = 'inbox' AND read_at IS NULL`,
			userID).Scan(&n)
	})
	return n, err
}

// MarkRead marks one of the user's inbox notifications read, now, and
// returns it. ENOTFOUND for a notification that is not in the user's
// inbox (another's, or none), which this tells apart from nothing. One
// read already keeps its first read time.
func (db *DB) MarkRead(ctx context.Context, userID, id int64) (n Notification, err error) {
	defer wrap(&err, "mark notification %d read", id)
	err = db.transact(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $3 WHERE id = $1 AND user_id = $2 AND channel = 'inbox' AND read_at IS NULL`,
			id, userID, tx.t(tx.Now)); err != nil {
			return err
		}
		n, err = scanNotification(tx.QueryRowContext(ctx, `SELECT `+notificationColumns+` FROM notifications
			WHERE id = $1 AND user_id = $2 AND channel = 'inbox'`, id, userID))
		if err == sql.ErrNoRows {
			return tandem.Errorf(tandem.ENOTFOUND, "notification %d is not in your inbox", id)
		}
		return err
	})
	return n, err
}

// MarkAllRead marks every unread notification of the user's inbox with an
// id up to upTo (0: all of them) read, now, and returns how many it
// marked. upTo keeps a notification that arrived after the person looked
// unread.
func (db *DB) MarkAllRead(ctx context.Context, userID, upTo int64) (marked int, err error) {
	defer wrap(&err, "mark the inbox of user %d read", userID)
	if upTo <= 0 {
		upTo = 1<<63 - 1
	}
	err = db.transact(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $3
			WHERE user_id = $1 AND channel = 'inbox' AND read_at IS NULL AND id <= $2`, userID, upTo, tx.t(tx.Now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		marked = int(n)
		return err
	})
	return marked, err
}
