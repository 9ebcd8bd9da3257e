package http

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestWebhookEgress walks every path that makes or changes a webhook
// subscription (the API's POST and PATCH, the settings page's form)
// through the one egress rule: a URL naming a loopback, private or
// link-local address, or localhost, is a 422 naming the url field and
// saying how to allow it, and changes nothing; a server started with
// Egress.AllowPrivate (serve --allow-private-webhooks) takes them.
func TestWebhookEgress(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		ts := newTestServer(t, b)
		refused := []string{"http://127.0.0.1:8080/in", "http://169.254.169.254/latest/meta-data/", "https://localhost/in", "http://[::1]/in", "http://10.0.0.7/in", "http://192.168.1.20/in"}
		for _, u := range refused {
			r := ts.do("POST", "/api/v1/webhooks", tandem.RoleAdmin, fmt.Sprintf(`{"url": %q, "event_types": ["*"]}`, u))
			e := checkError(t, "POST /api/v1/webhooks "+u, r, 422, tandem.EINVALID)
			if got := strings.Join(fieldNames(e.Error.Fields), ","); got != "url" || !strings.Contains(string(r.body), "--allow-private-webhooks") {
				t.Errorf("POST /api/v1/webhooks %s: fields %s, body %s; want the url field and how to allow it", u, got, r.body)
			}
		}
		if ws, err := ts.db.Webhooks(ctx); err != nil || len(ws) != 0 {
			t.Fatalf("after refused posts: %d subscriptions, %v; want none", len(ws), err)
		}

		var s struct {
			ID  int64  `json:"id"`
			URL string `json:"url"`
		}
		ts.call("POST", "/api/v1/webhooks", tandem.RoleAdmin, `{"url": "https://hooks.example.com/in", "event_types": ["*"]}`, 201, &s)
		r := ts.do("PATCH", fmt.Sprintf("/api/v1/webhooks/%d", s.ID), tandem.RoleAdmin, `{"url": "http://127.0.0.1:9/in"}`)
		checkError(t, "PATCH to a loopback URL", r, 422, tandem.EINVALID)
		if w, err := ts.db.Webhook(ctx, s.ID); err != nil || w.URL != "https://hooks.example.com/in" {
			t.Errorf("after a refused PATCH the URL is %q, %v; want it unchanged", w.URL, err)
		}

		users := pageUsers(t, ts.db)
		admin := newWebClient(t, ts.s.URL())
		want(t, "admin sign-in", admin.login(users[tandem.RoleAdmin].Email, testPassword), 303, "/")
		want(t, "subscribe to the metadata service on the page", admin.post("/settings/webhooks", url.Values{"url": {"http://169.254.169.254/"}, "event_types": {"*"}}), 422,
			"Nothing was changed", "169.254.169.254 is a link-local address")
		if ws, _ := ts.db.Webhooks(ctx); len(ws) != 1 {
			t.Errorf("after a refused page form: %d subscriptions; want 1", len(ws))
		}

		open := startServer(t, ts.db, func(s *Server) { s.Egress.AllowPrivate = true })
		other := *ts
		other.s = open
		other.call("POST", "/api/v1/webhooks", tandem.RoleAdmin, `{"url": "http://127.0.0.1:8080/in", "event_types": ["*"]}`, 201, nil)
		other.call("PATCH", fmt.Sprintf("/api/v1/webhooks/%d", s.ID), tandem.RoleAdmin, `{"url": "http://10.0.0.7/in"}`, 200, nil)
	})
}
