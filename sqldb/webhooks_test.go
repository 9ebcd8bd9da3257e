package sqldb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/outbox"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

func strp(s string) *string         { return &s }
func typesp(ts ...string) *[]string { return &ts }

func claimAll(t *testing.T, db *sqldb.DB, worker string) []sqldb.WebhookDelivery {
	t.Helper()
	ds, err := db.ClaimWebhookDeliveries(context.Background(), worker, 1000, 2*time.Minute)
	if err != nil {
		t.Fatalf("ClaimWebhookDeliveries(%s): %v", worker, err)
	}
	return ds
}

// TestWebhookDeliveries: a published event gets one delivery per active
// subscription that takes its type, written with it; a claim holds it for
// the lease and a second claim after the lease gets it again with the same
// webhook-id; a failure puts it off by the schedule's first wait (5 s,
// jittered 4 to 6 s), a success marks it delivered and clears the
// subscription's failures; the tenth failure dead-letters it; redeliver
// brings it back with the same webhook-id.
func TestWebhookDeliveries(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		created, err := w.db.CreateWebhook(ctx, sqldb.WebhookInput{URL: strp("https://hooks.example.com/in"), EventTypes: typesp("lead.created")}, w.rex.ID)
		if err != nil {
			t.Fatalf("CreateWebhook: %v", err)
		}
		if !strings.HasPrefix(created.Secret, "whsec_") || created.State != "active" {
			t.Errorf("CreateWebhook = %+v; want an active subscription with a whsec_ secret", created)
		}
		if _, err := w.db.CreateWebhook(ctx, sqldb.WebhookInput{URL: strp("https://other.example.com/"), EventTypes: typesp("deal.won")}, 0); err != nil {
			t.Fatalf("CreateWebhook(deal.won): %v", err)
		}
		if _, err := w.db.CreateWebhook(ctx, sqldb.WebhookInput{URL: strp("https://paused.example.com/"), EventTypes: typesp("*"), State: strp("paused")}, 0); err != nil {
			t.Fatalf("CreateWebhook(paused): %v", err)
		}
		a := w.mql(t, "a")

		ds := claimAll(t, w.db, "one")
		if len(ds) != 1 {
			t.Fatalf("claimed %d deliveries; want 1 (lead.created to the first subscription): %+v", len(ds), ds)
		}
		d := ds[0]
		var data outbox.Ledger
		if d.SubscriptionID != created.ID || d.Type != "lead.created" || d.Event.LeadID != a.ID || d.Event.Type != "lead.created" ||
			json.Unmarshal(d.Event.Data, &data) != nil || len(data.Changes) == 0 || d.URL != "https://hooks.example.com/in" || d.Secret != created.Secret {
			t.Errorf("claimed %+v (event %+v); want lead.created of lead %d for subscription %d with its URL and secret", d, string(d.Event.Data), a.ID, created.ID)
		}
		if !regexp.MustCompile(`^msg_[a-z2-7]{24}$`).MatchString(d.MsgID) {
			t.Errorf("MsgID = %q; want msg_ and 24 base32 letters", d.MsgID)
		}
		if again := claimAll(t, w.db, "two"); len(again) != 0 {
			t.Errorf("a second worker claimed %d deliveries within the lease; want 0", len(again))
		}
		w.clk.Advance(2*time.Minute + time.Second)
		again := claimAll(t, w.db, "two")
		if len(again) != 1 || again[0].ID != d.ID || again[0].MsgID != d.MsgID {
			t.Fatalf("after the lease, claimed %+v; want delivery %d again with webhook-id %s", again, d.ID, d.MsgID)
		}

		// A failure: put off 4 to 6 s.
		now := w.clk.Now()
		if err := w.db.WebhookAttempted(ctx, d.ID, sqldb.Attempt{Code: 503, Latency: 120 * time.Millisecond, Err: errors.New("503 Service Unavailable")}); err != nil {
			t.Fatalf("WebhookAttempted(fail): %v", err)
		}
		log, err := w.db.WebhookDeliveries(ctx, created.ID, sqldb.DeliveryFilter{})
		if err != nil || len(log) != 1 {
			t.Fatalf("WebhookDeliveries = %+v, %v; want 1", log, err)
		}
		got := log[0]
		if got.State != "pending" || got.Attempts != 1 || got.ResponseCode != 503 || got.LatencyMS != 120 || got.LastError == "" ||
			got.NextAt.Before(now.Add(4*time.Second)) || got.NextAt.After(now.Add(6*time.Second)) {
			t.Errorf("after one failure, delivery = %+v; want pending, 1 attempt, 503, 120 ms, next 4-6 s after %v", got, now)
		}
		if s, _ := w.db.Webhook(ctx, created.ID); s.Failures != 1 || !s.FailingSince.Equal(now.UTC().Truncate(time.Microsecond)) {
			t.Errorf("subscription after one failure = %+v; want 1 failure since %v", s, now)
		}
		w.clk.Advance(7 * time.Second)
		if ds := claimAll(t, w.db, "one"); len(ds) != 1 {
			t.Fatalf("claimed %d after the retry wait; want 1", len(ds))
		}
		if err := w.db.WebhookAttempted(ctx, d.ID, sqldb.Attempt{Code: 204, Latency: 30 * time.Millisecond}); err != nil {
			t.Fatalf("WebhookAttempted(ok): %v", err)
		}
		log, _ = w.db.WebhookDeliveries(ctx, created.ID, sqldb.DeliveryFilter{})
		if got := log[0]; got.State != "delivered" || got.Attempts != 2 || got.ResponseCode != 204 || got.LastError != "" || got.DeliveredAt.IsZero() {
			t.Errorf("after a success, delivery = %+v; want delivered after 2 attempts with 204", got)
		}
		if s, _ := w.db.Webhook(ctx, created.ID); s.Failures != 0 || !s.FailingSince.IsZero() {
			t.Errorf("subscription after a success = %+v; want its failures cleared", s)
		}

		// Ten failures dead-letter a delivery.
		w.mql(t, "b")
		var dead sqldb.WebhookDelivery
		for i := 1; i <= 10; i++ {
			ds := claimAll(t, w.db, "one")
			if len(ds) != 1 {
				t.Fatalf("attempt %d: claimed %d; want 1", i, len(ds))
			}
			dead = ds[0]
			if err := w.db.WebhookAttempted(ctx, dead.ID, sqldb.Attempt{Err: errors.New("connection refused")}); err != nil {
				t.Fatalf("WebhookAttempted(%d): %v", i, err)
			}
			w.clk.Advance(30 * time.Hour) // past the longest wait, 24 h + 20 %
		}
		log, _ = w.db.WebhookDeliveries(ctx, created.ID, sqldb.DeliveryFilter{State: "dead"})
		if len(log) != 1 || log[0].ID != dead.ID || log[0].Attempts != 10 {
			t.Fatalf("dead deliveries = %+v; want delivery %d after 10 attempts", log, dead.ID)
		}
		if ds := claimAll(t, w.db, "one"); len(ds) != 0 {
			t.Errorf("a dead delivery was claimed: %+v", ds)
		}
		if _, err := w.db.RedeliverWebhook(ctx, created.ID+1, dead.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("RedeliverWebhook(other subscription) = %v; want not_found", err)
		}
		if _, err := w.db.RedeliverWebhook(ctx, created.ID, dead.ID); err != nil {
			t.Fatalf("RedeliverWebhook: %v", err)
		}
		if ds := claimAll(t, w.db, "one"); len(ds) != 1 || ds[0].ID != dead.ID || ds[0].MsgID != dead.MsgID {
			t.Errorf("after redeliver, claimed %+v; want delivery %d with webhook-id %s", ds, dead.ID, dead.MsgID)
		}
	})
}

// TestWebhookPause: a subscription whose deliveries fail 20 times in a row
// over more than a day is paused, its owner told in the inbox and by email;
// its deliveries then wait, but a test event still goes; resuming clears
// the failures and lets them go.
func TestWebhookPause(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		s, err := w.db.CreateWebhook(ctx, sqldb.WebhookInput{URL: strp("https://down.example.com/hook"), EventTypes: typesp("lead.created")}, w.rex.ID)
		if err != nil {
			t.Fatalf("CreateWebhook: %v", err)
		}
		for _, ext := range []string{"a", "b", "c"} {
			w.mql(t, ext)
		}
		failures := 0
		for round := 0; round < 10 && failures < 20; round++ {
			for _, d := range claimAll(t, w.db, "one") {
				if err := w.db.WebhookAttempted(ctx, d.ID, sqldb.Attempt{Code: 500, Err: errors.New("500 Internal Server Error")}); err != nil {
					t.Fatalf("WebhookAttempted: %v", err)
				}
				failures++
				got, _ := w.db.Webhook(ctx, s.ID)
				if wantPaused := failures >= 20; (got.State == "paused") != wantPaused {
					t.Fatalf("after %d failures over %v, state %s; want paused=%v", failures, time.Duration(round)*30*time.Hour, got.State, wantPaused)
				}
				if failures == 20 {
					break
				}
			}
			w.clk.Advance(30 * time.Hour)
		}
		got, _ := w.db.Webhook(ctx, s.ID)
		if got.State != "paused" || !strings.Contains(got.PausedReason, "20 failed attempts") {
			t.Fatalf("subscription = %+v; want paused after 20 failed attempts", got)
		}
		subject := fmt.Sprintf("Webhook %d paused: down.example.com keeps failing", s.ID)
		for _, ch := range []string{"inbox", "email"} {
			ns, err := w.db.Notifications(ctx, sqldb.NotificationFilter{UserID: w.rex.ID, Channel: ch})
			if err != nil || len(ns) == 0 || ns[0].Subject != subject {
				t.Errorf("%s notifications of the owner = %+v, %v; want one saying %q", ch, ns, err, subject)
			}
		}
		if ds := claimAll(t, w.db, "one"); len(ds) != 0 {
			t.Errorf("claimed %d deliveries of a paused subscription; want 0", len(ds))
		}
		test, err := w.db.TestWebhook(ctx, s.ID)
		if err != nil {
			t.Fatalf("TestWebhook: %v", err)
		}
		ds := claimAll(t, w.db, "one")
		if len(ds) != 1 || ds[0].ID != test.ID || ds[0].Type != "webhook.test" || !json.Valid(ds[0].Body) {
			t.Fatalf("claimed %+v; want only the test event %d with a JSON body", ds, test.ID)
		}
		if _, err := w.db.UpdateWebhook(ctx, s.ID, sqldb.WebhookInput{State: strp("active")}); err != nil {
			t.Fatalf("UpdateWebhook(active): %v", err)
		}
		if got, _ := w.db.Webhook(ctx, s.ID); got.State != "active" || got.Failures != 0 || got.PausedReason != "" {
			t.Errorf("resumed subscription = %+v; want active with no failures", got)
		}
		if ds := claimAll(t, w.db, "one"); len(ds) == 0 {
			t.Errorf("after resuming, no delivery claimed; want the pending ones")
		}
	})
}

// TestWebhookClaimOnce: four workers claiming at once take each of 60
// deliveries exactly once.
func TestWebhookClaimOnce(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		if _, err := db.CreateWebhook(ctx, sqldb.WebhookInput{URL: strp("http://127.0.0.1:1/"), EventTypes: typesp("lead.created")}, 0); err != nil {
			t.Fatalf("CreateWebhook: %v", err)
		}
		var ins []tandem.LeadInput
		for i := range 60 {
			ins = append(ins, input("email", fmt.Sprintf("p%d@example.com", i)))
		}
		if _, err := db.IntakeLeads(ctx, ins, sqldb.IntakeOptions{}); err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		var mu sync.Mutex
		seen := map[int64]string{}
		var wg sync.WaitGroup
		for i := range 4 {
			name := fmt.Sprintf("w%d", i)
			wg.Go(func() {
				for {
					ds, err := db.ClaimWebhookDeliveries(ctx, name, 5, time.Hour)
					if err != nil {
						t.Errorf("ClaimWebhookDeliveries(%s): %v", name, err)
						return
					}
					if len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, d := range ds {
						if by, dup := seen[d.ID]; dup {
							t.Errorf("delivery %d claimed by %s and %s", d.ID, by, name)
						}
						seen[d.ID] = name
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != 60 {
			t.Errorf("%d deliveries claimed; want 60", len(seen))
		}
	})
}

func TestWebhookInput(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		_, err := db.CreateWebhook(ctx, sqldb.WebhookInput{URL: strp("ftp://x/"), EventTypes: typesp("deal.won", "deal.maybe")}, 0)
		fields := map[string]bool{}
		for _, f := range tandem.ErrorFields(err) {
			fields[f.Field] = true
		}
		if tandem.ErrorCode(err) != tandem.EINVALID || !fields["url"] || !fields["event_types[1]"] || len(fields) != 2 {
			t.Errorf("CreateWebhook(ftp, deal.maybe) = %v; want invalid naming url and event_types[1]", err)
		}
		if _, err := db.CreateWebhook(ctx, sqldb.WebhookInput{}, 0); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("CreateWebhook(nothing) = %v; want invalid", err)
		}
		if _, err := db.UpdateWebhook(ctx, 99, sqldb.WebhookInput{State: strp("paused")}); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("UpdateWebhook(99) = %v; want not_found", err)
		}
		if ws, err := db.Webhooks(ctx); err != nil || len(ws) != 0 {
			t.Errorf("Webhooks = %+v, %v; want none written", ws, err)
		}
		s, err := db.CreateWebhook(ctx, sqldb.WebhookInput{URL: strp("https://x.example/"), EventTypes: typesp("*")}, 0)
		if err != nil {
			t.Fatalf("CreateWebhook: %v", err)
		}
		if ws, _ := db.Webhooks(ctx); len(ws) != 1 || ws[0].Secret != "" {
			t.Errorf("Webhooks = %+v; want one, without its secret", ws)
		}
		if err := db.DeleteWebhook(ctx, s.ID); err != nil {
			t.Fatalf("DeleteWebhook: %v", err)
		}
		if _, err := db.Webhook(ctx, s.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("Webhook after delete = %v; want not_found", err)
		}
	})
}

// TestNotificationDeadLetter: a refusal for good dead-letters a
// notification at once; 20 failures dead-letter one; dead ones are listed
// and never claimed.
func TestNotificationDeadLetter(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		w.clk.Set(ny(23, 10, 11))
		w.mql(t, "c")
		w.clk.Set(ny(23, 11, 11))
		w.fire(t) // escalations: email and chat notifications
		ns, err := w.db.ClaimNotifications(ctx, "one", 100, time.Minute)
		if err != nil || len(ns) < 2 {
			t.Fatalf("ClaimNotifications = %d, %v; want at least 2", len(ns), err)
		}
		if err := w.db.NotificationDead(ctx, ns[0].ID, errors.New("550 5.1.1 no such user")); err != nil {
			t.Fatalf("NotificationDead: %v", err)
		}
		for i := 1; i <= sqldb.MaxNotificationAttempts; i++ {
			if err := w.db.NotificationFailed(ctx, ns[1].ID, errors.New("421 try later")); err != nil {
				t.Fatalf("NotificationFailed(%d): %v", i, err)
			}
		}
		dead, err := w.db.DeadNotifications(ctx, 0)
		if err != nil || len(dead) != 2 {
			t.Fatalf("DeadNotifications = %+v, %v; want 2", dead, err)
		}
		byID := map[int64]sqldb.Notification{dead[0].ID: dead[0], dead[1].ID: dead[1]}
		if d := byID[ns[0].ID]; d.State != "dead" || d.Attempts != 1 || !strings.Contains(d.LastError, "550") {
			t.Errorf("refused notification = %+v; want dead after 1 attempt with the 550", d)
		}
		if d := byID[ns[1].ID]; d.State != "dead" || d.Attempts != sqldb.MaxNotificationAttempts {
			t.Errorf("failing notification = %+v; want dead after %d attempts", d, sqldb.MaxNotificationAttempts)
		}
		w.clk.Advance(48 * time.Hour)
		again, _ := w.db.ClaimNotifications(ctx, "two", 100, time.Minute)
		for _, n := range again {
			if n.ID == ns[0].ID || n.ID == ns[1].ID {
				t.Errorf("dead notification %d was claimed", n.ID)
			}
		}
		id, err := w.db.Installation(ctx)
		if err != nil || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
			t.Errorf("Installation = %q, %v; want 32 hex digits", id, err)
		}
		other, _ := open(t, b2(t, b))
		if id2, _ := other.Installation(ctx); id2 == id {
			t.Errorf("two databases have the installation id %q", id)
		}
	})
}

// b2 returns a second, fresh backend of b's kind.
func b2(t *testing.T, b sqldbtest.Backend) sqldbtest.Backend {
	for _, o := range sqldbtest.Backends(t) {
		if o.Name == b.Name {
			return o
		}
	}
	t.Fatalf("no second %s backend", b.Name)
	return b
}
