package sqldb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/outbox"
	"github.com/tandemhq/tandem/webhook"
)

// Outgoing webhooks (docs/integrations.md). A subscription names a URL and
// the event types it wants; as an event is published, each active
// subscription that takes its type gets a delivery row in the same
// transaction ([Tx.publish]). A worker claims due deliveries with a lease,
// as notifications are claimed, posts them signed with the subscription's
// secret (package notify) and records the answer here.

// Webhook states and delivery states.
const (
	WebhookActive = "active"
	WebhookPaused = "paused"

	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
)

// TestEventType is the type of the event "send a test event" sends; it is
// no outbox event.
const TestEventType = "webhook.test"

// A subscription is paused when its deliveries have failed
// WebhookPauseFailures times in a row over at least WebhookPausePeriod:
// one outage does not pause it, a receiver gone for a day does.
const (
	WebhookPauseFailures = 20
	WebhookPausePeriod   = 24 * time.Hour
)

// Limits on what a subscription holds.
const (
	maxWebhookURL         = 2000
	maxWebhookDescription = 200
)

// WebhookSubscription is one receiver of outgoing webhooks.
type WebhookSubscription struct {
	ID  int64  `json:"id"`
	URL string `json:"url"`
	// Secret signs every delivery ("whsec_..."); it is given when the
	// subscription is created and when one subscription is read.
	Secret      string   `json:"secret,omitempty"`
	EventTypes  []string `json:"event_types"`
	Description string   `json:"description,omitempty"`
	// OwnerID is who is told when the subscription is paused; 0: the admins.
	OwnerID int64  `json:"owner_id,omitempty"`
	State   string `json:"state"` // active or paused
	// Failures counts failed attempts since the last success, the first of
	// them at FailingSince.
	Failures     int       `json:"failures"`
	FailingSince time.Time `json:"failing_since,omitzero"`
	PausedReason string    `json:"paused_reason,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Takes reports whether the subscription wants events of the type.
func (s WebhookSubscription) Takes(typ string) bool {
	return slices.Contains(s.EventTypes, typ) || slices.Contains(s.EventTypes, "*")
}

// WebhookDelivery is one event sent, or to be sent, to one subscription:
// an entry of the subscription's delivery log.
type WebhookDelivery struct {
	ID             int64  `json:"id"`
	SubscriptionID int64  `json:"subscription_id"`
	EventID        int64  `json:"event_id,omitempty"` // 0 for a test event
	Type           string `json:"type"`
	// MsgID is the webhook-id header: the same on every attempt, so a
	// receiver drops a duplicate by it.
	MsgID    string `json:"msg_id"`
	State    string `json:"state"` // pending, delivered or dead
	Attempts int    `json:"attempts"`
	// NextAt is when a pending delivery is tried next.
	NextAt time.Time `json:"next_at,omitzero"`
	// The last attempt's answer: the HTTP status (0: none came), how long
	// it took, and what went wrong.
	ResponseCode int       `json:"response_code,omitempty"`
	LatencyMS    int64     `json:"latency_ms"`
	LastError    string    `json:"last_error,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	AttemptedAt  time.Time `json:"attempted_at,omitzero"`
	DeliveredAt  time.Time `json:"delivered_at,omitzero"`

	// What the sender needs, filled by ClaimWebhookDeliveries: the
	// subscription's URL and secret, and the event (or, for a test event,
	// the body to send).
	URL    string       `json:"-"`
	Secret string       `json:"-"`
	Event  outbox.Event `json:"-"`
	Body   []byte       `json:"-"`
}

const webhookColumns = `id, url, secret, event_types, description, owner_id, state, failures, failing_since, paused_reason, created_at, updated_at`

func scanWebhook(s scanner) (WebhookSubscription, error) {
	var w WebhookSubscription
	var owner sql.NullInt64
	var types string
	err := s.Scan(&w.ID, &w.URL, &w.Secret, &types, &w.Description, &owner, &w.State, &w.Failures, scanTime{&w.FailingSince},
		&w.PausedReason, scanTime{&w.CreatedAt}, scanTime{&w.UpdatedAt})
	w.OwnerID, w.EventTypes = owner.Int64, strings.Fields(types)
	return w, err
}

const deliveryColumns = `id, subscription_id, event_id, type, msg_id, body, state, attempts, next_at, response_code, latency_ms, last_error,
	created_at, attempted_at, delivered_at`

func scanDelivery(s scanner) (WebhookDelivery, error) {
	var d WebhookDelivery
	var event sql.NullInt64
	var body string
	err := s.Scan(&d.ID, &d.SubscriptionID, &event, &d.Type, &d.MsgID, &body, &d.State, &d.Attempts, scanTime{&d.NextAt}, &d.ResponseCode,
		&d.LatencyMS, &d.LastError, scanTime{&d.CreatedAt}, scanTime{&d.AttemptedAt}, scanTime{&d.DeliveredAt})
	d.EventID = event.Int64
	if body != "" {
		d.Body = []byte(body)
	}
	if d.State != DeliveryPending {
		d.NextAt = time.Time{}
	}
	return d, err
}

// newMsgID returns a new webhook-id: random, so that no two deliveries,
// in this installation or another, or after a restore, share one.
func newMsgID() string {
	b := make([]byte, 15)
	rand.Read(b)
	return "msg_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// WebhookInput is what a caller sets on a subscription: all of it to create
// one, the fields given (non-nil) to change one.
type WebhookInput struct {
	URL         *string   `json:"url"`
	EventTypes  *[]string `json:"event_types"`
	Description *string   `json:"description"`
	// State pauses (paused) or resumes (active) the subscription; resuming
	// clears its failures.
	State *string `json:"state"`
}

// check validates the fields given and returns EINVALID naming each bad one.
func (in WebhookInput) check(creating bool) error {
	var errs []tandem.FieldError
	if in.URL == nil && creating {
		errs = append(errs, tandem.FieldError{Field: "url", Message: "required: the http or https URL to post events to"})
	} else if in.URL != nil {
		if msg := checkWebhookURL(*in.URL); msg != "" {
			errs = append(errs, tandem.FieldError{Field: "url", Message: msg})
		}
	}
	if in.EventTypes == nil && creating {
		errs = append(errs, tandem.FieldError{Field: "event_types", Message: `required: the event types to send, or ["*"] for all`})
	} else if in.EventTypes != nil {
		if len(*in.EventTypes) == 0 {
			errs = append(errs, tandem.FieldError{Field: "event_types", Message: `empty: name at least one event type, or "*" for all`})
		}
		for i, t := range *in.EventTypes {
			if t != "*" && !slices.Contains(outbox.Types(), t) {
				errs = append(errs, tandem.FieldError{Field: fmt.Sprintf("event_types[%d]", i),
					Message: fmt.Sprintf("%q is not an event type: give one of %s, or *", t, strings.Join(outbox.Types(), ", "))})
			}
		}
	}
	if in.Description != nil && len(*in.Description) > maxWebhookDescription {
		errs = append(errs, tandem.FieldError{Field: "description", Message: fmt.Sprintf("%d bytes; at most %d", len(*in.Description), maxWebhookDescription)})
	}
	if in.State != nil && *in.State != WebhookActive && *in.State != WebhookPaused {
		errs = append(errs, tandem.FieldError{Field: "state", Message: fmt.Sprintf("%q: give active or paused", *in.State)})
	}
	if len(errs) > 0 {
		return tandem.Invalid(errs...)
	}
	return nil
}

// checkWebhookURL says what is wrong with a subscription's URL, "" if
// nothing.
func checkWebhookURL(raw string) string {
	if len(raw) > maxWebhookURL {
		return fmt.Sprintf("%d bytes; at most %d", len(raw), maxWebhookURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "not a URL"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Sprintf("scheme %q: give an http or https URL", u.Scheme)
	}
	if u.Host == "" {
		return "no host"
	}
	if u.User != nil {
		return "credentials in the URL: the signature authenticates Tandem, leave them out"
	}
	return ""
}

// CreateWebhook adds a subscription, active, with a new secret, owned by
// owner (0: none; the admins are told of a pause). It returns EINVALID
// naming each bad field.
func (db *DB) CreateWebhook(ctx context.Context, in WebhookInput, owner int64) (w WebhookSubscription, err error) {
	defer wrap(&err, "create webhook")
	if err := in.check(true); err != nil {
		return w, err
	}
	desc := ""
	if in.Description != nil {
		desc = *in.Description
	}
	state := WebhookActive
	if in.State != nil {
		state = *in.State
	}
	err = db.transact(ctx, func(tx *Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO webhook_subscriptions (url, secret, event_types, description, owner_id, state, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`, *in.URL, webhook.NewSecret().String(), strings.Join(*in.EventTypes, " "), desc,
			nullID(owner), state, tx.t(tx.Now)).Scan(&id); err != nil {
			return err
		}
		w, err = tx.webhook(ctx, id, false)
		if err != nil {
			return err
		}
		return tx.recordAudit(ctx, AuditWebhookCreate, fmt.Sprintf("webhook:%d", id), settingChanges(nil, webhookAudit(w)))
	})
	return w, err
}

// UpdateWebhook changes the fields in given; it returns ENOTFOUND for no
// such subscription and EINVALID naming each bad field.
func (db *DB) UpdateWebhook(ctx context.Context, id int64, in WebhookInput) (w WebhookSubscription, err error) {
	defer wrap(&err, "update webhook %d", id)
	if err := in.check(false); err != nil {
		return w, err
	}
	err = db.transact(ctx, func(tx *Tx) error {
		w, err = tx.webhook(ctx, id, true)
		if err != nil {
			return err
		}
		before := webhookAudit(w)
		if in.URL != nil {
			w.URL = *in.URL
		}
		if in.EventTypes != nil {
			w.EventTypes = *in.EventTypes
		}
		if in.Description != nil {
			w.Description = *in.Description
		}
		if in.State != nil && *in.State != w.State {
			w.State, w.Failures, w.FailingSince, w.PausedReason = *in.State, 0, time.Time{}, ""
			if w.State == WebhookPaused {
				w.PausedReason = "paused by " + actorOf(ctx)
			}
		}
		var since any
		if !w.FailingSince.IsZero() {
			since = tx.t(w.FailingSince)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_subscriptions SET url = $1, event_types = $2, description = $3, state = $4, failures = $5,
			failing_since = $6, paused_reason = $7, updated_at = $8 WHERE id = $9`, w.URL, strings.Join(w.EventTypes, " "), w.Description, w.State,
			w.Failures, since, w.PausedReason, tx.t(tx.Now), id); err != nil {
			return err
		}
		w, err = tx.webhook(ctx, id, false)
		if err != nil {
			return err
		}
		return tx.recordAudit(ctx, AuditWebhookUpdate, fmt.Sprintf("webhook:%d", id), settingChanges(before, webhookAudit(w)))
	})
	return w, err
}

// DeleteWebhook removes a subscription and its delivery log; ENOTFOUND for
// no such subscription.
func (db *DB) DeleteWebhook(ctx context.Context, id int64) (err error) {
	defer wrap(&err, "delete webhook %d", id)
	return db.transact(ctx, func(tx *Tx) error {
		if _, err := tx.webhook(ctx, id, true); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE subscription_id = $1`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_subscriptions WHERE id = $1`, id); err != nil {
			return err
		}
		return tx.recordAudit(ctx, AuditWebhookDelete, fmt.Sprintf("webhook:%d", id), nil)
	})
}

// webhookAudit is what the audit log shows of a subscription: its URL
// without path or query ([auditURL]), never its secret.
func webhookAudit(w WebhookSubscription) map[string]string {
	return map[string]string{"url": auditURL(w.URL), "event_types": strings.Join(w.EventTypes, " "), "description": w.Description, "state": w.State}
}

// Webhook returns one subscription, with its secret; ENOTFOUND for none.
func (db *DB) Webhook(ctx context.Context, id int64) (w WebhookSubscription, err error) {
	defer wrap(&err, "webhook %d", id)
	err = db.view(ctx, func(tx *Tx) error {
		w, err = tx.webhook(ctx, id, false)
		return err
	})
	return w, err
}

func (tx *Tx) webhook(ctx context.Context, id int64, lock bool) (WebhookSubscription, error) {
	q := `SELECT ` + webhookColumns + ` FROM webhook_subscriptions WHERE id = $1`
	if lock {
		q += tx.db.d.forUpdate()
	}
	w, err := scanWebhook(tx.QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return w, tandem.Errorf(tandem.ENOTFOUND, "no webhook subscription %d", id)
	}
	return w, err
}

// Webhooks returns every subscription, oldest first, without secrets.
func (db *DB) Webhooks(ctx context.Context) (ws []WebhookSubscription, err error) {
	defer wrap(&err, "webhooks")
	err = db.view(ctx, func(tx *Tx) error {
		ws, err = tx.webhooks(ctx, "")
		return err
	})
	for i := range ws {
		ws[i].Secret = ""
	}
	return ws, err
}

func (tx *Tx) webhooks(ctx context.Context, cond string, args ...any) ([]WebhookSubscription, error) {
	q := `SELECT ` + webhookColumns + ` FROM webhook_subscriptions`
	if cond != "" {
		q += ` WHERE ` + cond
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ws []WebhookSubscription
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, rows.Err()
}

// routeWebhooks writes a delivery for each event and each active
// subscription that takes its type, and reports whether it wrote any. The
// events must have their ids.
func (tx *Tx) routeWebhooks(ctx context.Context, evs []outbox.Event, subs []WebhookSubscription) error {
	var rows [][]any
	for _, e := range evs {
		for _, s := range subs {
			if s.Takes(e.Type) {
				rows = append(rows, []any{s.ID, e.ID, e.Type, newMsgID(), DeliveryPending, tx.Now, tx.Now})
			}
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.db.d.bulkInsert(ctx, tx, "webhook_deliveries",
		[]string{"subscription_id", "event_id", "type", "msg_id", "state", "next_at", "created_at"}, rows)
}

// webhookTargets returns the active subscriptions that take any of the
// events' types.
func (tx *Tx) webhookTargets(ctx context.Context, evs []outbox.Event) ([]WebhookSubscription, error) {
	// A batch of timers being fired publishes many times and changes no
	// subscription: it reads them once.
	b := tx.fireBuf
	subs := []WebhookSubscription(nil)
	if b != nil && b.hooksRead {
		subs = b.hooks
	} else {
		var err error
		if subs, err = tx.webhooks(ctx, "state = $1", WebhookActive); err != nil {
			return nil, fmt.Errorf("webhook subscriptions: %w", err)
		}
		if b != nil {
			b.hooks, b.hooksRead = subs, true
		}
	}
	var takers []WebhookSubscription
	for _, s := range subs {
		for _, e := range evs {
			if s.Takes(e.Type) {
				takers = append(takers, s)
				break
			}
		}
	}
	return takers, nil
}

// TestWebhook queues a test event (type webhook.test) for the
// subscription, to go out now even if it is paused; ENOTFOUND for no such
// subscription.
func (db *DB) TestWebhook(ctx context.Context, id int64) (d WebhookDelivery, err error) {
	defer wrap(&err, "test webhook %d", id)
	err = db.transact(ctx, func(tx *Tx) error {
		if _, err := tx.webhook(ctx, id, false); err != nil {
			return err
		}
		body := fmt.Sprintf(`{"type":%q,"version":1,"timestamp":%q,"data":{"subscription":%d,"sent_by":%q}}`,
			TestEventType, tx.Now.Format(time.RFC3339Nano), id, actorOf(ctx))
		var did int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO webhook_deliveries (subscription_id, type, msg_id, body, state, next_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, id, TestEventType, newMsgID(), body, DeliveryPending, tx.t(tx.Now)).Scan(&did); err != nil {
			return err
		}
		d, err = tx.delivery(ctx, did, false)
		return err
	})
	return d, err
}

// RedeliverWebhook sends a delivery again, now, with its webhook-id: a
// dead one gets one more attempt, a delivered one is sent once more.
// ENOTFOUND when the subscription has no such delivery.
func (db *DB) RedeliverWebhook(ctx context.Context, subscription, id int64) (d WebhookDelivery, err error) {
	defer wrap(&err, "redeliver webhook delivery %d", id)
	err = db.transact(ctx, func(tx *Tx) error {
		d, err = tx.delivery(ctx, id, true)
		if err != nil || d.SubscriptionID != subscription {
			return tandem.Errorf(tandem.ENOTFOUND, "webhook subscription %d has no delivery %d", subscription, id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = $1, next_at = $2 WHERE id = $3`, DeliveryPending, tx.t(tx.Now), id); err != nil {
			return err
		}
		d, err = tx.delivery(ctx, id, false)
		return err
	})
	return d, err
}

func (tx *Tx) delivery(ctx context.Context, id int64, lock bool) (WebhookDelivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE id = $1`
	if lock {
		q += tx.db.d.forUpdate()
	}
	d, err := scanDelivery(tx.QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, tandem.Errorf(tandem.ENOTFOUND, "no webhook delivery %d", id)
	}
	return d, err
}

// DeliveryFilter selects a subscription's deliveries.
type DeliveryFilter struct {
	State    string // "": any
	BeforeID int64  // 0: from the newest
	Limit    int    // 0: 100; at most 1000
}

// WebhookDeliveries returns a subscription's delivery log, newest first;
// ENOTFOUND for no such subscription.
func (db *DB) WebhookDeliveries(ctx context.Context, subscription int64, f DeliveryFilter) (ds []WebhookDelivery, err error) {
	defer wrap(&err, "webhook %d deliveries", subscription)
	q, args := `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE subscription_id = $1`, []any{subscription}
	if f.State != "" {
		args = append(args, f.State)
		q += fmt.Sprintf(" AND state = $%d", len(args))
	}
	if f.BeforeID > 0 {
		args = append(args, f.BeforeID)
		q += fmt.Sprintf(" AND id < $%d", len(args))
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	args = append(args, min(f.Limit, 1000))
	q += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	err = db.view(ctx, func(tx *Tx) error {
		if _, err := tx.webhook(ctx, subscription, false); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				return err
			}
			ds = append(ds, d)
		}
		return rows.Err()
	})
	return ds, err
}

// ClaimWebhookDeliveries claims up to limit due deliveries of active
// subscriptions (and test events of any) for worker, by moving their next
// try past the lease, as [DB.ClaimNotifications] does: on PostgreSQL
// replicas skip each other's locked rows, on SQLite the one writer
// serialises claims, so a delivery is claimed by one worker at a time. A
// worker that dies mid-send leaves its claims to be taken again when the
// lease ends: delivery is at least once, with the same webhook-id.
func (db *DB) ClaimWebhookDeliveries(ctx context.Context, worker string, limit int, lease time.Duration) (ds []WebhookDelivery, err error) {
	defer wrap(&err, "claim webhook deliveries")
	err = db.transact(ctx, func(tx *Tx) error {
		ds = ds[:0]
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries
			WHERE state = 'pending' AND next_at <= $1
			AND (type = $2 OR subscription_id IN (SELECT id FROM webhook_subscriptions WHERE state = 'active'))
			ORDER BY next_at, id LIMIT $3`+tx.db.d.skipLocked(), tx.t(tx.Now), TestEventType, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				rows.Close()
				return err
			}
			ds = append(ds, d)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if len(ds) == 0 {
			return nil
		}
		subs := map[int64]WebhookSubscription{}
		var events []int64
		for i, d := range ds {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_at = $1, claimed_by = $2 WHERE id = $3`,
				tx.t(tx.Now.Add(lease)), worker, d.ID); err != nil {
				return err
			}
			s, ok := subs[d.SubscriptionID]
			if !ok {
				if s, err = tx.webhook(ctx, d.SubscriptionID, false); err != nil {
					return err
				}
				subs[s.ID] = s
			}
			ds[i].URL, ds[i].Secret = s.URL, s.Secret
			if d.EventID != 0 {
				events = append(events, d.EventID)
			}
		}
		if len(events) > 0 {
			evs, err := tx.outboxEvents(ctx, events)
			if err != nil {
				return err
			}
			for i := range ds {
				if ds[i].EventID != 0 {
					ds[i].Event = evs[ds[i].EventID]
				}
			}
		}
		return nil
	})
	return ds, err
}

// Attempt is the answer to one attempt of a delivery.
type Attempt struct {
	Code    int           // the HTTP status, 0 when none came
	Latency time.Duration // from sending to the answer or the failure
	Err     error         // nil: delivered (a 2xx)
}

// WebhookAttempted records an attempt of a claimed delivery. A success
// marks it delivered and clears the subscription's failures. A failure puts
// it off by [webhook.Retry] (with jitter), or dead-letters it after its last
// attempt; and when the subscription has now failed
// [WebhookPauseFailures] times in a row over [WebhookPausePeriod], pauses
// it and tells its owner (or, without one, every admin) in the inbox and,
// when the email channel is on, by email.
func (db *DB) WebhookAttempted(ctx context.Context, id int64, a Attempt) (err error) {
	defer wrap(&err, "webhook delivery %d attempted", id)
	msg := ""
	if a.Err != nil {
		msg = a.Err.Error()
		if len(msg) > 1000 {
			msg = msg[:1000]
		}
	}
	jitter := mrand.Float64()
	return db.transact(ctx, func(tx *Tx) error {
		d, err := tx.delivery(ctx, id, true)
		if err != nil {
			return err
		}
		if d.State != DeliveryPending {
			return nil // deleted or already settled by another attempt
		}
		d.Attempts++
		latency := a.Latency.Milliseconds()
		if a.Err == nil {
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = $1, attempts = $2, response_code = $3, latency_ms = $4,
				last_error = '', attempted_at = $5, delivered_at = $5 WHERE id = $6`, DeliveryDelivered, d.Attempts, a.Code, latency, tx.t(tx.Now), id); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE webhook_subscriptions SET failures = 0, failing_since = NULL WHERE id = $1 AND failures <> 0`, d.SubscriptionID)
			return err
		}
		state, next := DeliveryPending, tx.Now
		if wait, ok := webhook.Retry(d.Attempts, jitter); ok {
			next = tx.Now.Add(wait)
		} else {
			state = DeliveryDead
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = $1, attempts = $2, response_code = $3, latency_ms = $4,
			last_error = $5, attempted_at = $6, next_at = $7 WHERE id = $8`, state, d.Attempts, a.Code, latency, msg, tx.t(tx.Now), tx.t(next), id); err != nil {
			return err
		}
		if d.Type == TestEventType {
			return nil // a test does not count against the subscription
		}
		return tx.webhookFailed(ctx, d.SubscriptionID, msg)
	})
}

// webhookFailed counts a failed attempt against a subscription and pauses
// it when it keeps failing.
func (tx *Tx) webhookFailed(ctx context.Context, id int64, cause string) error {
	s, err := tx.webhook(ctx, id, true)
	if err != nil {
		return err
	}
	s.Failures++
	if s.FailingSince.IsZero() {
		s.FailingSince = tx.Now
	}
	pause := s.State == WebhookActive && s.Failures >= WebhookPauseFailures && tx.Now.Sub(s.FailingSince) >= WebhookPausePeriod
	if pause {
		s.State = WebhookPaused
		s.PausedReason = fmt.Sprintf("%d failed attempts in a row since %s; the last: %s", s.Failures, s.FailingSince.Format(time.RFC3339), cause)
		if len(s.PausedReason) > 1000 {
			s.PausedReason = s.PausedReason[:1000]
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_subscriptions SET failures = $1, failing_since = $2, state = $3, paused_reason = $4, updated_at = $5
		WHERE id = $6`, s.Failures, tx.t(s.FailingSince), s.State, s.PausedReason, tx.t(tx.Now), id); err != nil {
		return err
	}
	if !pause {
		return nil
	}
	return tx.tellWebhookPaused(ctx, s)
}

// tellWebhookPaused writes the notice of a paused subscription to its
// owner, or to every admin when it has none: in the inbox, and by email
// when that channel is on.
func (tx *Tx) tellWebhookPaused(ctx context.Context, s WebhookSubscription) error {
	var to []tandem.User
	if s.OwnerID != 0 {
		u, err := tx.userByID(ctx, s.OwnerID, false)
		if err != nil {
			return err
		}
		to = append(to, u)
	} else {
		us, err := tx.users(ctx, "role = $1", tandem.RoleAdmin)
		if err != nil {
			return err
		}
		to = us
	}
	email := slices.ContainsFunc(tx.db.channels, func(c outbox.Channel) bool { return c.Name == "email" })
	subject := fmt.Sprintf("Webhook %d paused: %s keeps failing", s.ID, hostOf(s.URL))
	body := fmt.Sprintf("Tandem paused the webhook subscription %d (%s) after %d failed deliveries in a row since %s.\n\n%s\n\n"+
		"Its pending deliveries wait. Fix the receiver, send a test event, then resume it on the settings page or with\n"+
		"PATCH /api/v1/webhooks/%d {\"state\": \"active\"}.", s.ID, hostOf(s.URL), s.Failures, s.FailingSince.Format(time.RFC3339), s.PausedReason, s.ID)
	var ns []Notification
	for _, u := range to {
		ns = append(ns, Notification{UserID: u.ID, Channel: ChannelInbox, Subject: subject, Body: body})
		if email && u.Email != "" {
			ns = append(ns, Notification{UserID: u.ID, Channel: "email", Address: u.Email, Subject: subject, Body: body})
		}
	}
	return tx.addNotifications(ctx, ns)
}

// hostOf returns a URL's host: what messages show of a webhook's URL,
// whose path may be a secret.
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "the receiver"
}

// NextWebhookDelivery returns when the earliest pending delivery that a
// claim would take is due, and false when there is none.
func (db *DB) NextWebhookDelivery(ctx context.Context) (due time.Time, ok bool, err error) {
	defer wrap(&err, "next webhook delivery")
	err = db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT min(next_at) FROM webhook_deliveries WHERE state = 'pending'
			AND (type = $1 OR subscription_id IN (SELECT id FROM webhook_subscriptions WHERE state = 'active'))`, TestEventType).Scan(scanTime{&due})
	})
	return due, err == nil && !due.IsZero(), err
}

// Installation returns the installation's id: random, made once when the
// database was created (migration 00022), so that Message-IDs of two
// installations never collide.
func (db *DB) Installation(ctx context.Context) (id string, err error) {
	defer wrap(&err, "installation id")
	err = db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT installation_id FROM installation WHERE id = 1`).Scan(&id)
	})
	return id, err
}
