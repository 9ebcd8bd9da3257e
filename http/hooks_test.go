package http

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/inbound"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/webhook"
)

// hubspotRequest makes a request signed the way HubSpot's documentation
// says (v3): base64 of the HMAC-SHA256, under the app's secret, of the
// method, the URI, the body and the timestamp in milliseconds, joined.
func hubspotRequest(t *testing.T, base, path, secret, body string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("POST" + base + path + body + ts))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-HubSpot-Signature-v3", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	req.Header.Set("X-HubSpot-Request-Timestamp", ts)
	return req
}

func TestHubSpotHook(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		ts := newTestServer(t, b)
		ctx := context.Background()
		secret := "hubspot-client-secret-0001"
		if _, err := ts.db.SaveSource(ctx, inbound.Source{Name: "hubspot", Kind: inbound.KindHubSpot, Secrets: []string{secret}}); err != nil {
			t.Fatalf("SaveSource: %v", err)
		}
		path := "/api/v1/hooks/hubspot"
		contact := `[{"eventId":1,"subscriptionId":7,"portalId":62515,"appId":54321,"occurredAt":` + strconv.FormatInt(ts.clk.Now().UnixMilli(), 10) +
			`,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":901,"changeSource":"CRM"},
		  {"eventId":2,"occurredAt":1,"subscriptionType":"contact.propertyChange","objectId":901,"propertyName":"email","propertyValue":"lou@example.com"},
		  {"eventId":3,"occurredAt":1,"subscriptionType":"contact.propertyChange","objectId":901,"propertyName":"firstname","propertyValue":"Lou"}]`
		count := func() int {
			page, err := ts.db.Leads(ctx, tandem.LeadFilter{Equal: map[string]string{"source": "hubspot"}})
			if err != nil {
				t.Fatalf("Leads: %v", err)
			}
			return len(page.Leads)
		}

		// Forged: signed with another secret. 401, nothing changes.
		r := ts.send(hubspotRequest(t, ts.s.URL(), path, "not-the-secret-at-all", contact, ts.clk.Now()))
		checkError(t, "a forged HubSpot webhook", r, http.StatusUnauthorized, tandem.EUNAUTHORIZED)
		// Unsigned.
		req := hubspotRequest(t, ts.s.URL(), path, secret, contact, ts.clk.Now())
		req.Header.Del("X-HubSpot-Signature-v3")
		checkError(t, "an unsigned HubSpot webhook", ts.send(req), http.StatusUnauthorized, tandem.EUNAUTHORIZED)
		// Stale: signed six minutes ago.
		checkError(t, "a stale HubSpot webhook", ts.send(hubspotRequest(t, ts.s.URL(), path, secret, contact, ts.clk.Now().Add(-6*time.Minute))),
			http.StatusUnauthorized, tandem.EUNAUTHORIZED)
		// Changed on the way: the body is not the one signed.
		signed := hubspotRequest(t, ts.s.URL(), path, secret, contact, ts.clk.Now())
		changed := hubspotRequest(t, ts.s.URL(), path, secret, strings.Replace(contact, "lou@example.com", "eve@example.com", 1), ts.clk.Now())
		changed.Header = signed.Header
		checkError(t, "a changed HubSpot webhook", ts.send(changed), http.StatusUnauthorized, tandem.EUNAUTHORIZED)
		if n := count(); n != 0 {
			t.Fatalf("after refused webhooks, %d HubSpot leads; want 0", n)
		}

		// Signed: the contact becomes a lead.
		good := hubspotRequest(t, ts.s.URL(), path, secret, contact, ts.clk.Now())
		r = ts.send(good)
		var ans hookAnswer
		if r.status != http.StatusOK || json.Unmarshal(r.body, &ans) != nil || len(ans.Leads) != 1 || ans.Leads[0].Status != tandem.StatusCreated {
			t.Fatalf("a signed HubSpot contact webhook = %v; want 200 with one created lead", r)
		}
		l, err := ts.db.Lead(ctx, ans.Leads[0].ID)
		if err != nil || l.Email != "lou@example.com" || l.FirstName != "Lou" || l.ExternalID != "901" || l.Source != "hubspot" {
			t.Errorf("the webhook's lead = %+v, %v; want lou@example.com, Lou, hubspot 901", l, err)
		}
		// The same request again: a replay, refused.
		replay := hubspotRequest(t, ts.s.URL(), path, secret, contact, time.UnixMilli(mustInt(t, good.Header.Get("X-HubSpot-Request-Timestamp"))))
		checkError(t, "a replayed HubSpot webhook", ts.send(replay), http.StatusUnauthorized, tandem.EUNAUTHORIZED)

		// Rotation: with a second secret, both verify.
		src, err := ts.db.Source(ctx, "hubspot")
		if err != nil {
			t.Fatalf("Source: %v", err)
		}
		src.Secrets = append([]string{"hubspot-client-secret-0002"}, src.Secrets...)
		if _, err := ts.db.SaveSource(ctx, src); err != nil {
			t.Fatalf("SaveSource(rotated): %v", err)
		}
		ts.clk.Advance(time.Second)
		for _, sec := range src.Secrets {
			if r := ts.send(hubspotRequest(t, ts.s.URL(), path, sec, contact, ts.clk.Now())); r.status != http.StatusOK {
				t.Errorf("a webhook signed with %s during a rotation = %v; want 200", sec, r)
			}
		}
		if n := count(); n != 1 {
			t.Errorf("HubSpot leads = %d; want 1 (the same contact each time)", n)
		}
	})
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("ParseInt(%q): %v", s, err)
	}
	return n
}

// TestStandardHook sends Standard Webhooks deliveries, signed with package
// webhook's Sign (whose own tests check it against the specification's
// example): signed ones are taken, the rest refused with 401 and nothing
// changed.
func TestStandardHook(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		ts := newTestServer(t, b)
		ctx := context.Background()
		oldKey, newKey := webhook.NewSecret(), webhook.NewSecret()
		if _, err := ts.db.SaveSource(ctx, inbound.Source{Name: "crm", Kind: inbound.KindStandard, Secrets: []string{newKey.String(), oldKey.String()}}); err != nil {
			t.Fatalf("SaveSource: %v", err)
		}
		body := `{"type":"lead.created","timestamp":"2026-11-02T09:00:00Z","data":[{"external_id":"c-1","email":"cat@example.com","plan":"pro"},{"email":"no-id@example.com"}]}`
		send := func(key webhook.Secret, id string, at time.Time, body string) response {
			req, err := http.NewRequest(http.MethodPost, ts.s.URL()+"/api/v1/hooks/crm", strings.NewReader(body))
			if err != nil {
				t.Fatalf("NewRequest: %v", err)
			}
			req.Header.Set("Content-Type", "application/json")
			webhook.SetHeaders(req.Header, key, id, at, []byte(body))
			return ts.send(req)
		}
		count := func() int {
			page, err := ts.db.Leads(ctx, tandem.LeadFilter{Equal: map[string]string{"source": "crm"}})
			if err != nil {
				t.Fatalf("Leads: %v", err)
			}
			return len(page.Leads)
		}
		now := ts.clk.Now()
		checkError(t, "a delivery signed with another key", send(webhook.NewSecret(), "msg_1", now, body), http.StatusUnauthorized, tandem.EUNAUTHORIZED)
		checkError(t, "a stale delivery", send(newKey, "msg_1", now.Add(-6*time.Minute), body), http.StatusUnauthorized, tandem.EUNAUTHORIZED)
		req, _ := http.NewRequest(http.MethodPost, ts.s.URL()+"/api/v1/hooks/crm", strings.NewReader(body))
		checkError(t, "an unsigned delivery", ts.send(req), http.StatusUnauthorized, tandem.EUNAUTHORIZED)
		if n := count(); n != 0 {
			t.Fatalf("after refused deliveries, %d leads of source crm; want 0", n)
		}

		r := send(oldKey, "msg_1", now, body) // the older secret still verifies
		var ans hookAnswer
		if r.status != http.StatusOK || json.Unmarshal(r.body, &ans) != nil || len(ans.Leads) != 2 {
			t.Fatalf("a signed delivery = %v; want 200 with two outcomes", r)
		}
		if ans.Leads[0].Status != tandem.StatusCreated || ans.Leads[1].Status != tandem.StatusRejected || ans.Leads[1].Error == nil ||
			!strings.Contains(ans.Leads[1].Error.Message, "external_id") {
			t.Errorf("the delivery's outcomes = %+v; want created, and rejected naming external_id", ans.Leads)
		}
		l, err := ts.db.Lead(ctx, ans.Leads[0].ID)
		if err != nil || l.Email != "cat@example.com" || l.Attributes["plan"] != "pro" || l.Source != "crm" {
			t.Errorf("the delivered lead = %+v, %v; want cat@example.com, source crm, attribute plan=pro", l, err)
		}
		checkError(t, "the same message again (a replay)", send(newKey, "msg_1", now, body), http.StatusUnauthorized, tandem.EUNAUTHORIZED)
		if r := send(newKey, "msg_2", now, body); r.status != http.StatusOK {
			t.Errorf("a new message with the new secret = %v; want 200", r)
		}
		if n := count(); n != 1 {
			t.Errorf("leads of source crm = %d; want 1", n)
		}
	})
}

// TestHubSpotDealHook sends a HubSpot deal's events: the deal goes through
// the deals import, which creates its lead (docs/deals.md), and a second
// delivery of the same deal's stage changes it.
func TestHubSpotDealHook(t *testing.T) {
	b := sqldbtest.Backends(t)[0]
	ts := newTestServer(t, b)
	signDefault(t, ts.db)
	ctx := context.Background()
	secret := "hubspot-client-secret-0001"
	if _, err := ts.db.SaveSource(ctx, inbound.Source{Name: "hubspot", Kind: inbound.KindHubSpot, Secrets: []string{secret}}); err != nil {
		t.Fatalf("SaveSource: %v", err)
	}
	path := "/api/v1/hooks/hubspot"
	deal := func(stage string) string {
		return `[{"eventId":1,"occurredAt":` + strconv.FormatInt(ts.clk.Now().UnixMilli(), 10) + `,"subscriptionType":"deal.creation","objectId":77},
		  {"eventId":2,"occurredAt":1,"subscriptionType":"deal.propertyChange","objectId":77,"propertyName":"dealstage","propertyValue":"` + stage + `"},
		  {"eventId":3,"occurredAt":1,"subscriptionType":"deal.propertyChange","objectId":77,"propertyName":"amount","propertyValue":"1200.50"}]`
	}
	var ans hookAnswer
	r := ts.send(hubspotRequest(t, ts.s.URL(), path, secret, deal("appointmentscheduled"), ts.clk.Now()))
	if r.status != http.StatusOK || json.Unmarshal(r.body, &ans) != nil || len(ans.Deals) != 1 || ans.Deals[0].Status != tandem.StatusCreated {
		t.Fatalf("a signed HubSpot deal webhook = %v; want 200 with one created deal", r)
	}
	d, err := ts.db.Deal(ctx, ans.Deals[0].ID)
	if err != nil || d.ExternalID != "77" || d.AmountCents != 120050 || d.PipelineStage != "qualification" {
		t.Errorf("the webhook's deal = %+v, %v; want hubspot 77, 1,200.50, in qualification", d, err)
	}
	ts.clk.Advance(time.Minute)
	r = ts.send(hubspotRequest(t, ts.s.URL(), path, secret, deal("contractsent"), ts.clk.Now()))
	if r.status != http.StatusOK || json.Unmarshal(r.body, &ans) != nil || len(ans.Deals) != 1 || ans.Deals[0].Status != tandem.StatusUpdated {
		t.Fatalf("the deal's next stage = %v; want 200 with the deal updated", r)
	}
	if d, err := ts.db.Deal(ctx, ans.Deals[0].ID); err != nil || d.PipelineStage != "negotiation" {
		t.Errorf("after contractsent the deal = %+v, %v; want in negotiation", d, err)
	}
}
