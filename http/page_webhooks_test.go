package http

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestSettingsWebhooks: an admin subscribes on the settings page (a bad
// URL or no event type is shown by its field and stores nothing), sees the
// secret once in the box and in the subscription's card, its delivery log
// with a failed attempt's response code and latency, and the buttons to
// test, redeliver, pause and delete, which work; a dead-lettered email is
// listed under dead letters. Other roles get 403.
func TestSettingsWebhooks(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		// The email channel is on, so a pause notice goes by email too.
		clk := clock.NewFake(epoch)
		db, err := sqldb.Open(ctx, b.DSN, sqldb.Options{Clock: clk, Channels: notify.Routes(notify.Channels())})
		if err != nil {
			t.Fatalf("sqldb.Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		users := pageUsers(t, db)
		s := startServer(t, db, nil)
		admin := newWebClient(t, s.URL())
		want(t, "admin sign-in", admin.login(users[tandem.RoleAdmin].Email, testPassword), 303, "/")
		want(t, "GET /settings", admin.get("/settings"), 200, "Outgoing webhooks", "No webhook subscriptions.", "Dead letters")

		rep := newWebClient(t, s.URL())
		want(t, "rep sign-in", rep.login(users[tandem.RoleSalesRep].Email, testPassword), 303, "/")
		want(t, "rep subscribes", rep.post("/settings/webhooks", url.Values{"url": {"https://x.example/"}, "event_types": {"*"}}), 403)

		want(t, "subscribe with a bad URL and no type", admin.post("/settings/webhooks", url.Values{"url": {"ftp://x.example/"}}), 422,
			"Nothing was changed", `scheme &#34;ftp&#34;: give an http or https URL`, "empty: name at least one event type")
		if ws, _ := db.Webhooks(ctx); len(ws) != 0 {
			t.Fatalf("a refused form stored %d subscriptions", len(ws))
		}
		r := admin.post("/settings/webhooks", url.Values{"url": {"https://hooks.example.com/in"}, "event_types": {"lead.created", "deal.won"}, "description": {"CRM"}})
		want(t, "subscribe", r, 200, "subscribed hooks.example.com to lead.created, deal.won.", "The signing secret of webhook")
		shown := shownSecret(t, "subscribe", r) // as the page escapes it
		secret := html.UnescapeString(shown)
		ws, err := db.Webhooks(ctx)
		if err != nil || len(ws) != 1 {
			t.Fatalf("Webhooks = %+v, %v; want 1", ws, err)
		}
		id := ws[0].ID
		if full, _ := db.Webhook(ctx, id); full.Secret != secret || !strings.HasPrefix(secret, "whsec_") || full.OwnerID != users[tandem.RoleAdmin].ID {
			t.Errorf("the page showed %q; the store holds %+v", secret, full)
		}

		// A lead's event, attempted once and failed: the log shows it.
		if _, err := db.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"email": "a@example.com"}}}, sqldb.IntakeOptions{}); err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		ds, err := db.ClaimWebhookDeliveries(ctx, "t", 10, time.Minute)
		if err != nil || len(ds) != 1 {
			t.Fatalf("ClaimWebhookDeliveries = %d, %v; want 1", len(ds), err)
		}
		if err := db.WebhookAttempted(ctx, ds[0].ID, sqldb.Attempt{Code: 502, Latency: 87 * time.Millisecond, Err: errors.New("502 Bad Gateway: upstream down")}); err != nil {
			t.Fatalf("WebhookAttempted: %v", err)
		}
		want(t, "the log", admin.get("/settings"), 200, shown, "<code>lead.created</code>", ds[0].MsgID, "<td>502</td>", "87 ms", "upstream down",
			fmt.Sprintf(`name="delivery" value="%d"`, ds[0].ID), "Send a test event", "Pause")

		want(t, "test", admin.post("/settings/webhooks/test", url.Values{"id": {fmt.Sprint(id)}}), 303, "/settings?done=webhook-test")
		want(t, "redeliver", admin.post("/settings/webhooks/redeliver", url.Values{"id": {fmt.Sprint(id)}, "delivery": {fmt.Sprint(ds[0].ID)}}), 303, "/settings?done=webhook-redeliver")
		log, _ := db.WebhookDeliveries(ctx, id, sqldb.DeliveryFilter{})
		if len(log) != 2 || log[0].Type != "webhook.test" || !log[1].NextAt.Equal(db.Now()) {
			t.Errorf("after test and redeliver, log = %+v; want the test event and the lead.created due now", log)
		}
		want(t, "pause", admin.post("/settings/webhooks/state", url.Values{"id": {fmt.Sprint(id)}, "state": {"paused"}}), 303, "/settings?done=webhook-paused")
		want(t, "paused page", admin.get("/settings?done=webhook-paused"), 200, "the webhook is paused", "<strong>Paused</strong>", "Resume")

		want(t, "delete", admin.post("/settings/webhooks/delete", url.Values{"id": {fmt.Sprint(id)}}), 303, "/settings?done=webhook-deleted")
		if _, err := db.Webhook(ctx, id); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("after delete, Webhook = %v; want not_found", err)
		}
		want(t, "delete again", admin.post("/settings/webhooks/delete", url.Values{"id": {fmt.Sprint(id)}}), 404)

		// A subscription that fails for a day is paused and its owner told
		// by email; the mail server refuses that email for good: it is a
		// dead letter on the page.
		sub, err := db.CreateWebhook(ctx, sqldb.WebhookInput{URL: ptrTo("https://down.example.com/"), EventTypes: &[]string{"lead.created"}}, users[tandem.RoleAdmin].ID)
		if err != nil {
			t.Fatalf("CreateWebhook: %v", err)
		}
		for i := range 3 {
			if _, err := db.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"email": fmt.Sprintf("d%d@example.com", i)}}}, sqldb.IntakeOptions{}); err != nil {
				t.Fatalf("IntakeLeads: %v", err)
			}
		}
		for failures := 0; failures < sqldb.WebhookPauseFailures; clk.Advance(30 * time.Hour) {
			ds, err := db.ClaimWebhookDeliveries(ctx, "t", 10, time.Minute)
			if err != nil || len(ds) == 0 {
				t.Fatalf("ClaimWebhookDeliveries after %d failures = %d, %v", failures, len(ds), err)
			}
			for _, d := range ds[:min(len(ds), sqldb.WebhookPauseFailures-failures)] {
				if err := db.WebhookAttempted(ctx, d.ID, sqldb.Attempt{Err: errors.New("connection refused")}); err != nil {
					t.Fatalf("WebhookAttempted: %v", err)
				}
				failures++
			}
		}
		ns, err := db.ClaimNotifications(ctx, "t", 10, time.Minute)
		if err != nil || len(ns) != 1 || ns[0].Channel != "email" {
			t.Fatalf("ClaimNotifications = %+v, %v; want the owner's email of the pause", ns, err)
		}
		if err := db.NotificationDead(ctx, ns[0].ID, errors.New("550 5.1.1 mailbox unavailable")); err != nil {
			t.Fatalf("NotificationDead: %v", err)
		}
		// A day and more has passed: the session has ended.
		want(t, "admin sign-in again", admin.login(users[tandem.RoleAdmin].Email, testPassword), 303, "/")
		want(t, "dead letters", admin.get("/settings"), 200, fmt.Sprintf("Webhook %d paused: down.example.com keeps failing", sub.ID),
			"550 5.1.1 mailbox unavailable", users[tandem.RoleAdmin].Email, "<strong>Paused</strong>: 20 failed attempts in a row")
	})
}

func ptrTo[T any](v T) *T { return &v }
