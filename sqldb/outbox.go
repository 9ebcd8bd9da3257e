package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/outbox"
)

// ChannelInbox is the in-app channel: its notifications are written for
// every event that tells people ([outbox.NoticeOf]) and delivered as they
// are written. The other channels are those [Options] names.
const ChannelInbox = "inbox"

// Notification is one message of the outbox: in-app (inbox), or one that
// a channel (email, chat...) sends.
type Notification struct {
	ID      int64 `json:"id"`
	UserID  int64 `json:"user_id,omitempty"` // 0 for a chat message
	LeadID  int64 `json:"lead_id,omitempty"`
	EventID int64 `json:"event_id,omitempty"` // the outbox event it delivers; 0 for one written before events were
	// Event is that event, as ClaimNotifications returns it to the sender.
	Event     outbox.Event `json:"-"`
	Channel   string       `json:"channel"`
	Address   string       `json:"address,omitempty"`
	Subject   string       `json:"subject"`
	Body      string       `json:"body"`
	State     string       `json:"state"` // pending, sent or dead
	Attempts  int          `json:"attempts"`
	LastError string       `json:"last_error,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	SentAt    time.Time    `json:"sent_at,omitzero"`
	ReadAt    time.Time    `json:"read_at,omitzero"`
}

const notificationColumns = `id, user_id, lead_id, event_id, channel, address, subject, body, state, attempts, last_error, created_at, sent_at, read_at`

func scanNotification(s scanner) (Notification, error) {
	var n Notification
	var user, lead, event sql.NullInt64
	err := s.Scan(&n.ID, &user, &lead, &event, &n.Channel, &n.Address, &n.Subject, &n.Body, &n.State, &n.Attempts, &n.LastError,
		scanTime{&n.CreatedAt}, scanTime{&n.SentAt}, scanTime{&n.ReadAt})
	n.UserID, n.LeadID, n.EventID = user.Int64, lead.Int64, event.Int64
	return n, err
}

// outboxEventColumns are the columns of outbox_events, id first.
var outboxEventColumns = []string{"id", "type", "version", "lead_id", "ledger_id", "data", "occurred_at", "created_at"}

// publish writes events to the outbox, with their notifications: an
// in-app one to each person an event tells, and each channel's deliveries
// ([outbox.Channel.Route]); and a delivery to each webhook subscription
// that takes the event's type (webhooks.go). It is the one way into the outbox, called in
// the transaction of the change the events report. It sets the events' ids
// when a notification needs them.
func (tx *Tx) publish(ctx context.Context, evs []outbox.Event) error {
	if len(evs) == 0 {
		return nil
	}
	type routed struct {
		event int // index in evs
		n     Notification
	}
	var ns []routed
	for i := range evs {
		e := &evs[i]
		if e.Version == 0 {
			e.Version = outbox.Version
		}
		e.CreatedAt = tx.Now
		notice, ok := outbox.NoticeOf(*e)
		if ok {
			for _, r := range notice.To {
				ns = append(ns, routed{i, Notification{UserID: r.UserID, Channel: ChannelInbox, Subject: notice.Subject, Body: notice.Body}})
			}
		}
		for _, ch := range tx.db.channels {
			if !ch.Takes(e.Type) {
				continue
			}
			for _, d := range ch.Route(*e, notice) {
				ns = append(ns, routed{i, Notification{UserID: d.UserID, Channel: ch.Name, Address: d.Address, Subject: d.Subject, Body: d.Body}})
			}
		}
	}
	hooks, err := tx.webhookTargets(ctx, evs)
	if err != nil {
		return err
	}
	cols := outboxEventColumns
	if len(ns) > 0 || len(hooks) > 0 { // the notifications and webhook deliveries name their events
		ids, err := tx.db.d.reserveIDs(ctx, tx, "outbox_events", len(evs))
		if err != nil {
			return err
		}
		for i := range evs {
			evs[i].ID = ids[i]
		}
	} else {
		cols = cols[1:]
	}
	rows := make([][]any, len(evs))
	for i, e := range evs {
		rows[i] = []any{e.ID, e.Type, e.Version, nullID(e.LeadID), nullID(e.LedgerID), string(e.Data), e.OccurredAt, tx.Now}
		if len(ns) == 0 && len(hooks) == 0 {
			rows[i] = rows[i][1:]
		}
	}
	if err := tx.db.d.bulkInsert(ctx, tx, "outbox_events", cols, rows); err != nil {
		return err
	}
	notes := make([]Notification, len(ns))
	for i, r := range ns {
		e := evs[r.event]
		notes[i] = r.n
		notes[i].EventID, notes[i].LeadID = e.ID, e.LeadID
	}
	if err := tx.routeWebhooks(ctx, evs, hooks); err != nil {
		return err
	}
	return tx.addNotifications(ctx, notes)
}

// addNotifications writes notifications (user, lead, event, channel,
// address, subject, body) in the transaction of the event that causes
// them, with bulkInsert: one multi-row statement with a "$N" for each of
// its values costs the SQLite driver time quadratic in their number (it
// looks each name up in a list), which a burst of escalations pays
// thousands of times over. In-app (inbox) ones are delivered as they are
// written.
func (tx *Tx) addNotifications(ctx context.Context, ns []Notification) error {
	if len(ns) == 0 {
		return nil
	}
	rows := make([][]any, len(ns))
	for i, n := range ns {
		state, sent := "pending", any(nil)
		if n.Channel == ChannelInbox {
			state, sent = "sent", tx.Now
		}
		rows[i] = []any{nullID(n.UserID), nullID(n.LeadID), nullID(n.EventID), n.Channel, n.Address, n.Subject, n.Body, state, tx.Now, tx.Now, sent}
	}
	if err := tx.db.d.bulkInsert(ctx, tx, "notifications", []string{"user_id", "lead_id", "event_id", "channel", "address", "subject", "body",
		"state", "next_at", "created_at", "sent_at"}, rows); err != nil {
		return fmt.Errorf("add notifications: %w", err)
	}
	return nil
}

// ClaimNotifications claims up to limit channel notifications (email, chat...) that
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
		return tx.attachEvents(ctx, ns)
	})
	return ns, err
}

// attachEvents reads the outbox events notifications deliver into them.
func (tx *Tx) attachEvents(ctx context.Context, ns []Notification) error {
	var ids []int64
	for _, n := range ns {
		if n.EventID != 0 {
			ids = append(ids, n.EventID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	evs, err := tx.outboxEvents(ctx, ids)
	if err != nil {
		return err
	}
	for i := range ns {
		ns[i].Event = evs[ns[i].EventID]
	}
	return nil
}

// ledgerData fills in the data of the events that report ledger events
// and were written without it (see appendEvents): the ledger's record.
func (tx *Tx) ledgerData(ctx context.Context, evs []outbox.Event) error {
	var b strings.Builder
	var args []any
	for _, e := range evs {
		if len(e.Data) == 0 && e.LedgerID != 0 {
			if len(args) > 0 {
				b.WriteString(", ")
			}
			args = append(args, e.LedgerID)
			fmt.Fprintf(&b, "$%d", len(args))
		}
	}
	if len(args) == 0 {
		return nil
	}
	ledger, err := tx.events(ctx, `id IN (`+b.String()+`)`, args...)
	if err != nil {
		return fmt.Errorf("the ledger events of outbox events: %w", err)
	}
	byID := make(map[int64]tandem.Event, len(ledger))
	for _, le := range ledger {
		byID[le.ID] = le
	}
	for i, e := range evs {
		if len(e.Data) != 0 || e.LedgerID == 0 {
			continue
		}
		if full, ok := outbox.FromLedger(byID[e.LedgerID]); ok {
			evs[i].Data = full.Data
		}
	}
	return nil
}

const outboxEventSelect = `SELECT id, type, version, lead_id, ledger_id, data, occurred_at, created_at FROM outbox_events`

func scanOutboxEvent(s scanner) (outbox.Event, error) {
	var e outbox.Event
	var lead, ledger sql.NullInt64
	var data string
	err := s.Scan(&e.ID, &e.Type, &e.Version, &lead, &ledger, &data, scanTime{&e.OccurredAt}, scanTime{&e.CreatedAt})
	e.LeadID, e.LedgerID, e.Data = lead.Int64, ledger.Int64, []byte(data)
	return e, err
}

// outboxEvents reads the outbox events with the ids.
func (tx *Tx) outboxEvents(ctx context.Context, ids []int64) (map[int64]outbox.Event, error) {
	var b strings.Builder
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", i+1)
		args[i] = id
	}
	rows, err := tx.QueryContext(ctx, outboxEventSelect+` WHERE id IN (`+b.String()+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox events: %w", err)
	}
	defer rows.Close()
	var list []outbox.Event
	for rows.Next() {
		e, err := scanOutboxEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("outbox events: %w", err)
		}
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if err := tx.ledgerData(ctx, list); err != nil {
		return nil, err
	}
	evs := make(map[int64]outbox.Event, len(list))
	for _, e := range list {
		evs[e.ID] = e
	}
	return evs, nil
}

// OutboxFilter selects outbox events.
type OutboxFilter struct {
	LeadID  int64  // 0: any lead
	Type    string // "": any type
	AfterID int64  // only events with a greater id
	Limit   int    // 0: 100; at most 1000
}

// OutboxEvents returns outbox events in id order (see docs/events.md).
func (db *DB) OutboxEvents(ctx context.Context, f OutboxFilter) (evs []outbox.Event, err error) {
	defer wrap(&err, "outbox events")
	q, args := outboxEventSelect+` WHERE id > $1`, []any{f.AfterID}
	if f.LeadID != 0 {
		args = append(args, f.LeadID)
		q += fmt.Sprintf(" AND lead_id = $%d", len(args))
	}
	if f.Type != "" {
		args = append(args, f.Type)
		q += fmt.Sprintf(" AND type = $%d", len(args))
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, 1000)
	args = append(args, f.Limit)
	q += fmt.Sprintf(" ORDER BY id LIMIT $%d", len(args))
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanOutboxEvent(rows)
			if err != nil {
				return err
			}
			evs = append(evs, e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		return tx.ledgerData(ctx, evs)
	})
	return evs, err
}

// NotificationSent records that a claimed notification went out.
func (db *DB) NotificationSent(ctx context.Context, id int64) (err error) {
	defer wrap(&err, "notification %d sent", id)
	return db.transact(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET state = 'sent', sent_at = $1 WHERE id = $2 AND state = 'pending'`, tx.t(tx.Now), id)
		return err
	})
}

// MaxNotificationAttempts is how many times an email or chat notification
// is tried before it is dead-lettered: with [TimerBackoff] between tries,
// about ten hours.
const MaxNotificationAttempts = 20

// NotificationFailed records a failed send and puts the notification off by
// [TimerBackoff] of its attempts; after [MaxNotificationAttempts] it is
// dead (dead-lettered): kept, shown on the settings page, never tried again.
func (db *DB) NotificationFailed(ctx context.Context, id int64, cause error) (err error) {
	defer wrap(&err, "notification %d failed", id)
	return db.notificationFailed(ctx, id, cause, false)
}

// NotificationDead records a send refused for good (an SMTP 5xx): the
// notification is dead at once, with the refusal as its last error.
func (db *DB) NotificationDead(ctx context.Context, id int64, cause error) (err error) {
	defer wrap(&err, "notification %d dead", id)
	return db.notificationFailed(ctx, id, cause, true)
}

func (db *DB) notificationFailed(ctx context.Context, id int64, cause error, permanent bool) error {
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
		state := "pending"
		if permanent || attempts >= MaxNotificationAttempts {
			state = "dead"
		}
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET attempts = $1, last_error = $2, next_at = $3, state = $4 WHERE id = $5 AND state = 'pending'`,
			attempts, msg, tx.t(tx.Now.Add(TimerBackoff(attempts))), state, id)
		return err
	})
}

// DeadNotifications returns the dead-lettered notifications, newest first,
// at most limit (0: 100).
func (db *DB) DeadNotifications(ctx context.Context, limit int) (ns []Notification, err error) {
	defer wrap(&err, "dead notifications")
	if limit <= 0 {
		limit = 100
	}
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+notificationColumns+` FROM notifications WHERE state = 'dead' ORDER BY id DESC LIMIT $1`, limit)
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

// publishInForce publishes agreement.in_force for a version its last
// signature put in force.
func (tx *Tx) publishInForce(ctx context.Context, v tandem.AgreementVersion) error {
	d := outbox.InForce{Version: v.Version, SignedBy: []string{}, InForceAt: v.InForceFrom}
	for _, s := range v.Signatures {
		d.SignedBy = append(d.SignedBy, s.Email)
	}
	e, err := outbox.New(outbox.AgreementInForce, 0, v.InForceFrom, d)
	if err != nil {
		return err
	}
	return tx.publish(ctx, []outbox.Event{e})
}
