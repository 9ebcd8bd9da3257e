package http

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestWebhooksAPI: an admin subscribes (201, with a whsec_ secret), lists
// (no secrets), reads one (its secret), sees a lead's event in the delivery
// log, sends a test event, redelivers, pauses and deletes; other roles get
// 403; bad input is a 422 naming the field; an unknown id a 404.
func TestWebhooksAPI(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		type sub struct {
			ID         int64    `json:"id"`
			URL        string   `json:"url"`
			Secret     string   `json:"secret"`
			EventTypes []string `json:"event_types"`
			State      string   `json:"state"`
		}
		type delivery struct {
			ID    int64  `json:"id"`
			Type  string `json:"type"`
			MsgID string `json:"msg_id"`
			State string `json:"state"`
		}
		type deliveries struct {
			Items []delivery `json:"items"`
		}
		if r := ts.do("POST", "/api/v1/webhooks", tandem.RoleSalesHead, `{"url": "https://x.example/", "event_types": ["*"]}`); r.status != 403 {
			t.Errorf("POST /api/v1/webhooks as sales head = %v; want 403", r)
		}
		r := ts.do("POST", "/api/v1/webhooks", tandem.RoleAdmin, `{"url": "ftp://x.example/", "event_types": ["lead.created", "lead.nope"]}`)
		e := checkError(t, "POST /api/v1/webhooks with a bad url and type", r, 422, tandem.EINVALID)
		if got := strings.Join(fieldNames(e.Error.Fields), ","); got != "url,event_types[1]" {
			t.Errorf("POST /api/v1/webhooks fields = %s; want url,event_types[1]", got)
		}

		var s sub
		r = ts.call("POST", "/api/v1/webhooks", tandem.RoleAdmin, `{"url": "https://hooks.example.com/in", "event_types": ["lead.created"], "description": "CRM"}`, 201, &s)
		if !strings.HasPrefix(s.Secret, "whsec_") || s.State != "active" || r.header.Get("Location") != fmt.Sprintf("/api/v1/webhooks/%d", s.ID) {
			t.Errorf("POST /api/v1/webhooks = %+v (Location %q); want active with a whsec_ secret", s, r.header.Get("Location"))
		}
		var list struct{ Items []sub }
		ts.call("GET", "/api/v1/webhooks", tandem.RoleAdmin, "", 200, &list)
		if len(list.Items) != 1 || list.Items[0].Secret != "" || list.Items[0].URL != "https://hooks.example.com/in" {
			t.Errorf("GET /api/v1/webhooks = %+v; want the one subscription without its secret", list.Items)
		}
		var one sub
		ts.call("GET", fmt.Sprintf("/api/v1/webhooks/%d", s.ID), tandem.RoleAdmin, "", 200, &one)
		if one.Secret != s.Secret {
			t.Errorf("GET /api/v1/webhooks/%d secret = %q; want %q", s.ID, one.Secret, s.Secret)
		}

		ts.call("POST", "/api/v1/leads", tandem.RoleAdmin, `{"email": "a@example.com"}`, 201, nil)
		var log deliveries
		ts.call("GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", s.ID), tandem.RoleAdmin, "", 200, &log)
		if len(log.Items) != 1 || log.Items[0].Type != "lead.created" || log.Items[0].State != "pending" {
			t.Fatalf("delivery log = %+v; want one pending lead.created", log.Items)
		}
		var test delivery
		ts.call("POST", fmt.Sprintf("/api/v1/webhooks/%d/test", s.ID), tandem.RoleAdmin, "", 202, &test)
		if test.Type != "webhook.test" || test.State != "pending" {
			t.Errorf("POST .../test = %+v; want a pending webhook.test", test)
		}
		var again delivery
		ts.call("POST", fmt.Sprintf("/api/v1/webhooks/%d/deliveries/%d/redeliver", s.ID, log.Items[0].ID), tandem.RoleAdmin, "", 202, &again)
		if again.MsgID != log.Items[0].MsgID {
			t.Errorf("redeliver msg_id = %q; want %q, the same", again.MsgID, log.Items[0].MsgID)
		}
		ts.call("GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries?state=pending&limit=1", s.ID), tandem.RoleAdmin, "", 200, &log)
		if len(log.Items) != 1 || log.Items[0].ID != test.ID {
			t.Errorf("delivery log, limit 1 = %+v; want the test event, the newest", log.Items)
		}
		r = ts.do("GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries?state=lost&limit=0", s.ID), tandem.RoleAdmin, "")
		e = checkError(t, "GET deliveries?state=lost&limit=0", r, 422, tandem.EINVALID)
		if got := strings.Join(fieldNames(e.Error.Fields), ","); got != "limit,state" {
			t.Errorf("bad delivery log parameters named %s; want limit,state", got)
		}

		var paused sub
		ts.call("PATCH", fmt.Sprintf("/api/v1/webhooks/%d", s.ID), tandem.RoleAdmin, `{"state": "paused"}`, 200, &paused)
		if paused.State != "paused" || paused.EventTypes[0] != "lead.created" {
			t.Errorf("PATCH state paused = %+v; want paused, the rest kept", paused)
		}
		ts.call("DELETE", fmt.Sprintf("/api/v1/webhooks/%d", s.ID), tandem.RoleAdmin, "", 204, nil)
		for _, path := range []string{fmt.Sprintf("/api/v1/webhooks/%d", s.ID), "/api/v1/webhooks/x", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", s.ID)} {
			if r := ts.do("GET", path, tandem.RoleAdmin, ""); r.status != 404 {
				t.Errorf("GET %s = %v; want 404", path, r)
			}
		}
	})
}
