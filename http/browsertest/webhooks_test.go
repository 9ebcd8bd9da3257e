package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestSettingsWebhook has the admin subscribe a URL to deal.won on the
// settings page (first without an event type, refused by the field), see
// its secret once, and click "Send a test event", which puts a pending
// webhook.test in the subscription's delivery log.
func TestSettingsWebhook(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, epoch)
		ctx := context.Background()
		const pw = "a long test password"
		admin := tandem.User{Email: "ada@example.com", Name: "Ada Admin", Role: tandem.RoleAdmin}
		if err := e.DB.CreateUser(ctx, &admin); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if _, err := e.DB.SetPassword(ctx, admin.Email, password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		e.Open("/login")
		e.Submit("button[type=submit]", "#email", admin.Email, "#password", pw)

		e.Open("/settings#webhooks")
		e.Submit("#add-webhook", "#webhook-url", "https://hooks.example.com/tandem")
		if got := e.Text("[data-testid=add-webhook]"); !strings.Contains(got, "empty: name at least one event type") {
			t.Errorf("the subscribe form without a type says %q; want the event types' error", got)
		}
		if ws, _ := e.DB.Webhooks(ctx); len(ws) != 0 {
			t.Fatalf("a refused form stored %d subscriptions", len(ws))
		}

		e.Open("/settings#webhooks")
		e.Do("tick deal.won", chromedp.Click(chromedp.CSS(`input[name=event_types][value="deal.won"]`)))
		e.Submit("#add-webhook", "#webhook-url", "https://hooks.example.com/tandem", "#webhook-description", "CRM")
		if got := e.Text("main [role=status]"); !strings.Contains(got, "subscribed hooks.example.com to deal.won") {
			t.Errorf("after subscribing the page says %q", got)
		}
		secret := strings.TrimSpace(e.Text("[data-testid=secret-value]"))
		ws, err := e.DB.Webhooks(ctx)
		if err != nil || len(ws) != 1 {
			t.Fatalf("Webhooks = %+v, %v; want 1", ws, err)
		}
		if full, _ := e.DB.Webhook(ctx, ws[0].ID); full.Secret != secret {
			t.Errorf("the page showed the secret %q; the store holds %q", secret, full.Secret)
		}
		e.Screenshot("settings-webhook-added")

		e.Submit(`[data-testid=webhook] form[action="/settings/webhooks/test"] button`)
		if got := e.Text("main [role=status]"); !strings.Contains(got, "a test event is on its way") {
			t.Errorf("after the test button the page says %q", got)
		}
		if got := e.Text("[data-testid=webhook-log]"); !strings.Contains(got, "webhook.test") || !strings.Contains(got, "pending") {
			t.Errorf("the delivery log says %q; want a pending webhook.test", got)
		}
		e.Screenshot("settings-webhook-test")
	})
}
