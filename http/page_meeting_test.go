package http

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// TestMeetingAndCommentPages: on the pages, the sales head records an
// action item (a bad due date is shown beside its field, nothing recorded),
// a rep may not close another's item, and the heads comment on a clause of
// a proposal that answers the version in force, which the agreement page
// shows beside the version's difference, on both versions' cards.
func TestMeetingAndCommentPages(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := openDB(t, b)
		c := tandemtest.People(t, db)
		c.Sign(t, db, string(agreement.Default()))
		clk.Set(time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC))
		for _, u := range []string{c.Sam.Email, c.Ria.Email, c.Mia.Email} {
			if _, err := db.SetPassword(ctx, u, cheapHash()); err != nil {
				t.Fatal(err)
			}
		}
		s := startServer(t, db, nil)
		sam := newWebClient(t, s.URL())
		if r := sam.login(c.Sam.Email, testPassword); r.status != 303 {
			t.Fatalf("sign in = %v", r)
		}
		want(t, "GET /meeting", sam.get("/meeting"), 200, "Meeting 2026-11", `data-testid="item-form"`)
		r := sam.post("/meeting/2026-11/items", url.Values{"what": {"Coach on first touch"}, "owner": {c.Rex.Email}, "due": {"2026-02-30"}})
		want(t, "a bad due date", r, 422, "2026-02-30", "is not a date")
		if its, _ := db.ActionItems(ctx, sqldb.ActionItemFilter{}); len(its) != 0 {
			t.Fatalf("after a bad due date, %d items; want none", len(its))
		}
		r = sam.post("/meeting/2026-11/items", url.Values{"what": {"Coach on first touch"}, "owner": {c.Rex.Email}, "due": {"2026-12-01"}})
		want(t, "recording an item", r, 303, "/meeting/2026-11?added=")
		its, err := db.ActionItems(ctx, sqldb.ActionItemFilter{Period: "2026-11"})
		if err != nil || len(its) != 1 {
			t.Fatalf("ActionItems = %+v, %v; want one", its, err)
		}
		want(t, "the meeting", sam.get("/meeting/2026-11"), 200, "Coach on first touch", fmt.Sprintf(`data-testid="done-%d"`, its[0].ID))

		ria := newWebClient(t, s.URL())
		if r := ria.login(c.Ria.Email, testPassword); r.status != 303 {
			t.Fatalf("sign in = %v", r)
		}
		page := ria.get("/meeting/2026-11")
		want(t, "the meeting for a rep", page, 200, "Coach on first touch")
		if strings.Contains(string(page.body), `data-testid="item-form"`) || strings.Contains(string(page.body), fmt.Sprintf(`data-testid="done-%d"`, its[0].ID)) {
			t.Errorf("Ria sees the item form or a button to close Rex's item")
		}
		want(t, "Ria closes Rex's item", ria.post(fmt.Sprintf("/meeting/items/%d/done", its[0].ID), url.Values{}), 403)
		want(t, "Ria records an item", ria.post("/meeting/2026-11/items", url.Values{"what": {"x"}}), 403)

		// A proposal answering version 1, and a comment on one of its clauses.
		body := strings.Replace(string(agreement.Default()), "name: Sales and marketing agreement", "name: Faster first touch", 1)
		r = sam.post("/agreement/propose", url.Values{"body": {body}, "answers": {"1"}})
		want(t, "proposing version 2", r, 303, "/agreement?proposed=2")
		want(t, "a comment on no clause", sam.post("/agreement/2/comments", url.Values{"clause": {"sales.speed"}, "body": {"x"}}), 422, "is not a key of version 2")
		r = sam.post("/agreement/2/comments", url.Values{"clause": {"name"}, "body": {"a clearer name, yes"}})
		want(t, "commenting", r, 303, "/agreement?commented=2")
		want(t, "the agreement page", sam.get("/agreement"), 200, `data-testid="comments-2"`, `data-clause="name"`, "a clearer name, yes",
			`Answers <a href="#v1">version 1</a>`, `Answered by <a href="#v2">version 2</a>`)
		want(t, "Ria comments", ria.post("/agreement/2/comments", url.Values{"clause": {"name"}, "body": {"x"}}), 403)
	})
}
