package http

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// inboxWorld hands two leads off to Rex (the only rep) and lets both first
// touches breach, which tells Rex twice in his inbox.
func inboxWorld(t *testing.T, b sqldbtest.Backend) (*sqldb.DB, *Server, tandemtest.Cast, []int64) {
	t.Helper()
	ctx := context.Background()
	db, clk := openDB(t, b)
	c := tandemtest.People(t, db, tandemtest.Admin, tandemtest.Mia, tandemtest.Sam, tandemtest.Manu, tandemtest.Rex)
	c.Sign(t, db, string(agreement.Default()))
	clk.Set(time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)) // Monday, 10:00 in New York
	var leads []int64
	for _, ext := range []string{"a", "b"} {
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"external_id": ext, "email": ext + "@example.com",
			"score": "70", "company": "Co " + ext}}}, sqldb.IntakeOptions{})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("IntakeLeads(%s) = %v, %v", ext, rs, err)
		}
		leads = append(leads, rs[0].ID)
	}
	clk.Set(time.Date(2026, 11, 23, 15, 30, 0, 0, time.UTC))
	if n, err := db.FireDue(ctx, "test", 1000, db.FireSLA()); err != nil || n == 0 {
		t.Fatalf("FireDue = %d, %v; want the breaches", n, err)
	}
	if _, err := db.SetPassword(ctx, c.Rex.Email, cheapHash()); err != nil {
		t.Fatalf("SetPassword: %v", err)
	}
	return db, startServer(t, db, nil), c, leads
}

// TestInboxPage has Rex see his unread count in the header of any page,
// read his inbox, follow a breach to its lead (which reads it), mark the
// rest read, and do the same through the API.
func TestInboxPage(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, s, c, leads := inboxWorld(t, b)
		in, err := db.Inbox(ctx, c.Rex.ID, sqldb.InboxFilter{})
		if err != nil || len(in.Items) < 2 {
			t.Fatalf("Rex's inbox = %d items, %v; want the two breaches or more", len(in.Items), err)
		}
		n := len(in.Items)
		wc := newWebClient(t, s.URL())
		if r := wc.login(c.Rex.Email, testPassword); r.status != 303 {
			t.Fatalf("sign in = %v", r)
		}
		unread := func(k int) string { return fmt.Sprintf(`data-testid="unread" aria-label="%d unread">%d<`, k, k) }
		want(t, "the queue's header", wc.get("/queue"), 200, unread(n))
		r := wc.get("/inbox")
		want(t, "GET /inbox", r, 200, unread(n), fmt.Sprintf("(%d unread)", n), "SLA breach on lead", fmt.Sprintf("Open lead %d", leads[0]))

		// Following the newest reads it and opens its lead.
		newest := in.Items[0]
		r = wc.post(fmt.Sprintf("/inbox/%d/open", newest.ID), url.Values{})
		want(t, "following the newest", r, 303, fmt.Sprintf("/leads/%d", newest.LeadID))
		want(t, "the lead's page", wc.get(r.header.Get("Location")), 200, unread(n-1))
		// Another's notification, or none, is not found.
		want(t, "reading notification 999999", wc.post("/inbox/999999/read", url.Values{}), 404)
		// The API: a person's token marks one read, 404 for another's.
		_, secret, err := db.CreateUserToken(ctx, "rex's", c.Rex.Email)
		if err != nil {
			t.Fatalf("CreateUserToken: %v", err)
		}
		_, adminSecret, err := db.CreateUserToken(ctx, "ada's", c.Admin.Email)
		if err != nil {
			t.Fatalf("CreateUserToken: %v", err)
		}
		ts := &testServer{t: t, db: db, s: s, client: wc.client}
		second := in.Items[1].ID
		if r := ts.doSecret("POST", fmt.Sprintf("/api/v1/inbox/%d/read", second), adminSecret, nil); r.status != 404 {
			t.Errorf("POST /api/v1/inbox/{Rex's}/read as the admin = %v; want 404", r)
		}
		r = ts.doSecret("POST", fmt.Sprintf("/api/v1/inbox/%d/read", second), secret, nil)
		var one struct {
			Notification sqldb.Notification `json:"notification"`
			Unread       int                `json:"unread"`
		}
		if r.status != 200 || json.Unmarshal(r.body, &one) != nil || one.Notification.ReadAt.IsZero() || one.Unread != n-2 {
			t.Errorf("POST /api/v1/inbox/{id}/read = %v; want it read, %d unread", r, n-2)
		}
		want(t, "the inbox after", wc.get("/inbox?unread=1"), 200, fmt.Sprintf("(%d unread)", n-2))
		// The page marks the rest read, up to the newest it showed.
		want(t, "mark all read", wc.post("/inbox/read", url.Values{"upto": {fmt.Sprint(newest.ID)}}), 303, "/inbox?read=all")
		r = wc.get("/inbox?read=all")
		want(t, "the inbox, all read", r, 200, "(0 unread)", "your inbox is read")
		if strings.Contains(string(r.body), `data-testid="unread"`) {
			t.Errorf("the header still shows an unread count after everything is read")
		}
		want(t, "a bad cursor", wc.get("/inbox?before=x"), 422, "Before")
		r = ts.doSecret("POST", "/api/v1/inbox/read", secret, strings.NewReader(`{}`))
		var all struct{ Marked, Unread int }
		if r.status != 200 || json.Unmarshal(r.body, &all) != nil || all.Marked != 0 || all.Unread != 0 {
			t.Errorf("POST /api/v1/inbox/read = %v; want 0 marked, 0 unread", r)
		}
	})
}
