package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Notification channels.
const (
	channelInbox = "inbox"
	channelEmail = "email"
	channelChat  = "chat"
)

// Notification is one message of the outbox: in-app (inbox), email or chat.
type Notification struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id,omitempty"` // 0 for a chat message
	LeadID    int64     `json:"lead_id,omitempty"`
	Channel   string    `json:"channel"`
	Address   string    `json:"address,omitempty"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	State     string    `json:"state"` // pending or sent
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	SentAt    time.Time `json:"sent_at,omitzero"`
	ReadAt    time.Time `json:"read_at,omitzero"`
}

const notificationColumns = `id, user_id, lead_id, channel, address, subject, body, state, attempts, last_error, created_at, sent_at, read_at`

func scanNotification(s scanner) (Notification, error) {
	var n Notification
	var user, lead sql.NullInt64
	err := s.Scan(&n.ID, &user, &lead, &n.Channel, &n.Address, &n.Subject, &n.Body, &n.State, &n.Attempts, &n.LastError,
		scanTime{&n.CreatedAt}, scanTime{&n.SentAt}, scanTime{&n.ReadAt})
	n.UserID, n.LeadID = user.Int64, lead.Int64
	return n, err
}

// addNotifications writes notifications (user, lead, channel, address,
// subject, body) in the transaction of the event that causes them, in one
// statement. In-app (inbox) ones are delivered as they are written.
func (tx *Tx) addNotifications(ctx context.Context, ns []Notification) error {
	if len(ns) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO notifications (user_id, lead_id, channel, address, subject, body, state, next_at, created_at, sent_at) VALUES `)
	args := make([]any, 0, 10*len(ns))
	for i, n := range ns {
		state, sent := "pending", any(nil)
		if n.Channel == channelInbox {
			state, sent = "sent", tx.t(tx.Now)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		k := len(args)
		fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5, k+6, k+7, k+8, k+9, k+10)
		args = append(args, nullID(n.UserID), nullID(n.LeadID), n.Channel, n.Address, n.Subject, n.Body, state, tx.t(tx.Now), tx.t(tx.Now), sent)
	}
	if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("add notifications: %w", err)
	}
	return nil
}

// ClaimNotifications claims up to limit email and chat notifications that
// are due to be sent, for worker, by moving their next try lease into the
// future: a sender that dies mid-send leaves them to be claimed again once
// the lease ends. On PostgreSQL replicas skip each other's locked rows.
func (db *DB) ClaimNotifications(ctx context.Context, worker string, limit int, lease time.Duration) (ns []Notification, err error) {
	defer wrap(&err, "claim notifications")
	err = db.transact(ctx, func(tx *Tx) error {
		ns = ns[:0]
		rows, err := tx.QueryContext(ctx, `SELECT `+notificationColumns+` FROM notifications
			WHERE state = 'pending' AND next_at <= $1 ORDER BY next_at, id LIMIT $2`+tx.db.d.skipLocked(), tx.t(tx.Now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			n, err := scanNotification(rows)
			if err != nil {
				rows.Close()
				return err
			}
			ns = append(ns, n)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, n := range ns {
			if _, err := tx.ExecContext(ctx, `UPDATE notifications SET next_at = $1, claimed_by = $2 WHERE id = $3`,
				tx.t(tx.Now.Add(lease)), worker, n.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return ns, err
}

// NotificationSent records that a claimed notification went out.
func (db *DB) NotificationSent(ctx context.Context, id int64) (err error) {
	defer wrap(&err, "notification %d sent", id)
	return db.transact(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET state = 'sent', sent_at = $1 WHERE id = $2 AND state = 'pending'`, tx.t(tx.Now), id)
		return err
	})
}

// NotificationFailed records a failed send and puts the notification off by
// [TimerBackoff] of its attempts.
func (db *DB) NotificationFailed(ctx context.Context, id int64, cause error) (err error) {
	defer wrap(&err, "notification %d failed", id)
	msg := cause.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	return db.transact(ctx, func(tx *Tx) error {
		var attempts int
		if err := tx.QueryRowContext(ctx, `SELECT attempts FROM notifications WHERE id = $1`+tx.db.d.forUpdate(), id).Scan(&attempts); err != nil {
			return err
		}
		attempts++
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET attempts = $1, last_error = $2, next_at = $3 WHERE id = $4 AND state = 'pending'`,
			attempts, msg, tx.t(tx.Now.Add(TimerBackoff(attempts))), id)
		return err
	})
}

// NextNotification returns when the earliest pending email or chat
// notification is due to be tried, and false when none is pending.
func (db *DB) NextNotification(ctx context.Context) (due time.Time, ok bool, err error) {
	defer wrap(&err, "next notification")
	err = db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT min(next_at) FROM notifications WHERE state = 'pending'`).Scan(scanTime{&due})
	})
	return due, err == nil && !due.IsZero(), err
}

// NotificationFilter selects notifications.
type NotificationFilter struct {
	UserID  int64  // 0: any user
	Channel string // "": any channel
	LeadID  int64  // 0: any lead
	Limit   int    // 0: 100
}

// Notifications returns notifications, newest first.
func (db *DB) Notifications(ctx context.Context, f NotificationFilter) (ns []Notification, err error) {
	defer wrap(&err, "notifications")
	q := `SELECT ` + notificationColumns + ` FROM notifications WHERE 1 = 1`
	var args []any
	if f.UserID != 0 {
		args = append(args, f.UserID)
		q += fmt.Sprintf(" AND user_id = $%d", len(args))
	}
	if f.Channel != "" {
		args = append(args, f.Channel)
		q += fmt.Sprintf(" AND channel = $%d", len(args))
	}
	if f.LeadID != 0 {
		args = append(args, f.LeadID)
		q += fmt.Sprintf(" AND lead_id = $%d", len(args))
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			n, err := scanNotification(rows)
			if err != nil {
				return err
			}
			ns = append(ns, n)
		}
		return rows.Err()
	})
	return ns, err
}
