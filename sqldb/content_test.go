package sqldb_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/content"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

func saveContent(t *testing.T, w *slaWorld, it content.Item) content.Item {
	t.Helper()
	out, _, err := w.db.SaveContent(context.Background(), it, "user:mia@example.com")
	if err != nil {
		t.Fatalf("SaveContent(%s): %v", it.Code, err)
	}
	return out
}

// TestContentVersions: a change of subject, body or URL makes a new
// version, a change of title or status does not; bad input changes nothing.
func TestContentVersions(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		it := content.Item{Code: "first-follow-up", Kind: content.KindEmail, Title: "First", Subject: "Hi {{first_name}}", Body: "Body 1", Status: content.StatusDraft}
		if got, created, err := w.db.SaveContent(ctx, it, "user:mia@example.com"); err != nil || !created || got.Version != 1 {
			t.Fatalf("SaveContent(new) = %+v, %v, %v; want version 1, created", got, created, err)
		}
		it.Title, it.Status = "First follow-up", content.StatusLive
		if got, created, err := w.db.SaveContent(ctx, it, "user:mia@example.com"); err != nil || created || got.Version != 1 {
			t.Errorf("SaveContent(title, status) = %+v, %v, %v; want version 1 still", got, created, err)
		}
		it.Body = "Body 2"
		if got, _, err := w.db.SaveContent(ctx, it, "user:mia@example.com"); err != nil || got.Version != 2 {
			t.Errorf("SaveContent(body) = %+v, %v; want version 2", got, err)
		}
		bad := it
		bad.Body = "Hi {{frist_name}}"
		if _, _, err := w.db.SaveContent(ctx, bad, "user:mia@example.com"); tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorFields(err)[0].Field != "body" {
			t.Errorf("SaveContent(unknown field) = %v; want EINVALID on body", err)
		}
		bad = it
		bad.Kind = content.KindLink
		bad.URL = "https://acme.example"
		if _, _, err := w.db.SaveContent(ctx, bad, "user:mia@example.com"); tandem.ErrorCode(err) != tandem.ECONFLICT {
			t.Errorf("SaveContent(new kind) = %v; want ECONFLICT", err)
		}
		vs, err := w.db.ContentVersions(ctx, it.Code)
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, v := range vs {
			bodies = append(bodies, v.Body)
		}
		if d := cmp.Diff([]string{"Body 1", "Body 2"}, bodies); d != "" {
			t.Errorf("ContentVersions bodies (-want +got):\n%s", d)
		}
		got, err := w.db.ContentItem(ctx, it.Code)
		if err != nil || got.Title != "First follow-up" || got.Body != "Body 2" || got.Version != 2 || got.Status != content.StatusLive {
			t.Errorf("ContentItem = %+v, %v", got, err)
		}
		if _, err := w.db.SetContentStatus(ctx, it.Code, "gone", "x"); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("SetContentStatus(gone) = %v; want EINVALID", err)
		}
		if _, err := w.db.SetContentStatus(ctx, "nope", content.StatusLive, "x"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("SetContentStatus(nope) = %v; want ENOTFOUND", err)
		}
		if live, err := w.db.LiveContent(ctx); err != nil || !live[it.Code] || len(live) != 1 {
			t.Errorf("LiveContent = %v, %v", live, err)
		}
	})
}

// TestContentUseClickAndEffect: touches record the content and version
// they used, tracked links record clicks of leads only, and the effect's
// figures come out as the comments compute them.
func TestContentUseClickAndEffect(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newSLAWorld(t, b)
		email := saveContent(t, w, content.Item{Code: "first-follow-up", Kind: content.KindEmail, Title: "First follow-up",
			Subject: "Hi {{first_name}}", Body: "v1", Status: content.StatusLive})
		saveContent(t, w, content.Item{Code: "case", Kind: content.KindLink, Title: "Case study", URL: "https://acme.example/case", Status: content.StatusLive})
		saveContent(t, w, content.Item{Code: "draft-x", Kind: content.KindCallScript, Title: "Draft", Body: "x", Status: content.StatusDraft})

		w.clk.Set(ny(23, 10, 0))
		a, c := w.mql(t, "a"), w.mql(t, "b") // rex's and ria's
		w.clk.Set(ny(23, 10, 7))
		res, err := w.db.LogTouch(ctx, a.ID, tandem.Touch{Channel: "email", Outcome: "sent", Content: email.Code}, tokenOf(w.rex))
		if err != nil {
			t.Fatalf("LogTouch with content: %v", err)
		}
		evs, _ := w.db.LeadEvents(ctx, a.ID)
		last := evs[len(evs)-1]
		if last.Type != tandem.EventTouched || last.Detail["content"] != email.Code || last.Detail["content_version"] != "1" {
			t.Errorf("touch event = %+v; want content first-follow-up, version 1", last)
		}
		// A draft, or no such item: refused on the field content, nothing changed.
		for _, code := range []string{"draft-x", "nope"} {
			if _, err := w.db.LogTouch(ctx, a.ID, tandem.Touch{Channel: "email", Outcome: "sent", Content: code}, tokenOf(w.rex)); tandem.ErrorCode(err) != tandem.EINVALID ||
				tandem.ErrorFields(err)[0].Field != "content" {
				t.Errorf("LogTouch(content %s) = %v; want EINVALID on content", code, err)
			}
		}
		if hs, _ := w.db.Handoffs(ctx, a.ID); hs[len(hs)-1].Touches != res.Handoff.Touches {
			t.Errorf("a refused touch counted: %d touches; want %d", hs[len(hs)-1].Touches, res.Handoff.Touches)
		}

		email.Body = "v2"
		saveContent(t, w, email)
		w.clk.Set(ny(23, 10, 20))
		if _, err := w.db.LogTouch(ctx, c.ID, tandem.Touch{Channel: "email", Outcome: "sent", Content: email.Code}, tokenOf(w.ria)); err != nil {
			t.Fatal(err)
		}
		w.clk.Set(ny(23, 10, 30))
		if _, err := w.db.LogTouch(ctx, c.ID, tandem.Touch{Channel: "call", Outcome: "connected"}, tokenOf(w.ria)); err != nil {
			t.Fatal(err)
		}
		// Lead a: accepted, then sql, opportunity, and its deal won for 5000.00.
		w.clk.Set(ny(23, 11, 0))
		if _, err := w.db.Decide(ctx, a.ID, sqldb.Decision{Decision: tandem.DecisionAccepted}, tokenOf(w.rex)); err != nil {
			t.Fatal(err)
		}
		moveTo(t, w.db, a.ID, "sql", "opportunity")
		w.clk.Set(ny(23, 12, 0))
		if _, err := w.db.WinDeal(ctx, onlyDeal(t, w.db, a.ID).ID, 500000, time.Time{}, "user:rex@example.com"); err != nil {
			t.Fatal(err)
		}

		// Tracked links: one token per item and lead; a click by it is
		// recorded, a forged token is redirected and recorded nowhere.
		tok, err := w.db.ContentLink(ctx, "case", c.ID)
		if err != nil || len(tok) < 30 {
			t.Fatalf("ContentLink = %q, %v", tok, err)
		}
		if again, _ := w.db.ContentLink(ctx, "case", c.ID); again != tok {
			t.Errorf("ContentLink again = %q; want the same %q", again, tok)
		}
		if _, err := w.db.ContentLink(ctx, "nope", c.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("ContentLink(nope) = %v; want ENOTFOUND", err)
		}
		before, _ := w.db.LeadEvents(ctx, c.ID)
		w.clk.Set(ny(23, 13, 0))
		if cl, err := w.db.ContentClick(ctx, "case", "forged"+tok[6:]); err != nil || cl.URL != "https://acme.example/case" || cl.LeadID != 0 {
			t.Errorf("ContentClick(forged) = %+v, %v; want the URL and no lead", cl, err)
		}
		if cl, err := w.db.ContentClick(ctx, "first-follow-up", tok); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("ContentClick(item without URL) = %+v, %v; want ENOTFOUND", cl, err)
		}
		if after, _ := w.db.LeadEvents(ctx, c.ID); len(after) != len(before) {
			t.Errorf("a forged click wrote %d events", len(after)-len(before))
		}
		cl, err := w.db.ContentClick(ctx, "case", tok)
		if err != nil || cl.URL != "https://acme.example/case" || cl.LeadID != c.ID {
			t.Fatalf("ContentClick = %+v, %v; want lead %d", cl, err, c.ID)
		}
		want := []tandem.MarketingTouch{{LeadID: c.ID, Campaign: "content:case", Kind: tandem.TouchContent, OccurredAt: ny(23, 13, 0)}}
		if d := cmp.Diff(want, touchesOf(t, w.db, c.ID)); d != "" {
			t.Errorf("marketing touches after a click (-want +got):\n%s", d)
		}

		if _, err := w.db.RateContent(ctx, content.Rating{Code: email.Code, UserID: w.rex.ID, Useful: true, Note: "they answered"}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.db.RateContent(ctx, content.Rating{Code: email.Code, UserID: w.ria.ID, Useful: false}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.db.RateContent(ctx, content.Rating{Code: "nope", UserID: w.ria.ID}); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("RateContent(nope) = %v", err)
		}
		rs, err := w.db.ContentRatings(ctx, email.Code, 10)
		if err != nil || len(rs) != 2 || rs[1].Note != "they answered" || rs[1].Version != 2 || rs[1].User != w.rex.Label() {
			t.Errorf("ContentRatings = %+v, %v", rs, err)
		}

		in, err := w.db.ContentEffect(ctx, ny(1, 0, 0), ny(30, 23, 0))
		if err != nil {
			t.Fatal(err)
		}
		in.Model = attribution.UShaped
		e := content.Measure(in)
		lines := map[string]content.Line{}
		for _, l := range e.Lines {
			lines[l.Code] = l
		}
		// first-follow-up: used by rex on a (v1) and ria on c (v2). c
		// connected after its use; a was accepted, reached sql,
		// opportunity and customer after its use, and its 5000.00 deal had
		// one counted touch, the use: all of it. Ratings: 1 useful, 1 not.
		wantF := content.Figures{Uses: 2, Users: []content.UserCount{{UserID: w.rex.ID, User: w.rex.Label(), Uses: 1}, {UserID: w.ria.ID, User: w.ria.Label(), Uses: 1}},
			Leads: 2, Connected: 1, Accepted: 1, SQL: 1, Opportunity: 1, Customer: 1, ConnectRate: 0.5, AcceptRate: 0.5,
			SQLRate: 0.5, OpportunityRate: 0.5, CustomerRate: 0.5, RevenueCents: 500000, Useful: 1, NotUseful: 1}
		if w.ria.Label() < w.rex.Label() {
			wantF.Users[0], wantF.Users[1] = wantF.Users[1], wantF.Users[0]
		}
		if d := cmp.Diff(wantF, lines[email.Code].Figures); d != "" {
			t.Errorf("first-follow-up's figures (-want +got):\n%s", d)
		}
		if vs := lines[email.Code].Versions; len(vs) != 2 || vs[0].RevenueCents != 500000 || vs[0].Leads != 1 || vs[1].Connected != 1 || vs[1].Useful != 1 {
			t.Errorf("first-follow-up's versions = %+v", vs)
		}
		if l := lines["case"]; l.Clicks != 1 || l.Uses != 0 || l.RevenueCents != 0 {
			t.Errorf("case = %+v; want 1 click", l.Figures)
		}
		if d := cmp.Diff([]string{"case"}, e.Unused); d != "" {
			t.Errorf("unused (-want +got):\n%s", d)
		}

		// The scorecard's content section shows the same, in major units;
		// the draft, unused and unrated, is left out.
		sc, err := report.Scorecard(ctx, w.db, w.clk.Now(), "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, l := range sc.Content.Lines {
			codes = append(codes, l.Code)
			if l.Code == email.Code && (l.Uses != 2 || l.Users != 2 || l.Leads != 2 || l.Revenue != 5000 || l.ConnectRate != 0.5 || l.Useful != 1) {
				t.Errorf("scorecard content line = %+v; want 2 uses by 2 people, 2 leads, 5000.00, connect 50%%, 1 useful", l)
			}
			if l.Code == "case" && l.Clicks != 1 {
				t.Errorf("scorecard content line = %+v; want 1 click", l)
			}
		}
		if d := cmp.Diff([]string{"case", "first-follow-up"}, codes); d != "" {
			t.Errorf("scorecard content lines (-want +got):\n%s", d)
		}
	})
}
