package http

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestContentOnTheQueue: marketing adds content through the API (bad
// content refused, naming the field); a rep's queue shows the step's
// template filled in with the lead's fields, a mailto and a tracked link;
// the touch logged from the queue records the content and its version; a
// click on the tracked link records a marketing touch on the lead and goes
// to the item's URL, and a forged token records nothing; a rating reaches
// marketing; the content page shows the figures.
func TestContentOnTheQueue(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		ws := newWorkServer(t, b)
		add := func(body string, status int) response {
			t.Helper()
			return ws.callAs("mark@example.com", "POST", "/api/v1/content", body, status, nil)
		}
		add(`{"code":"first-call","kind":"call_script","title":"First call","body":"Hi {{first_name}} at {{company}}, this is {{ rep_name }}.","status":"live"}`, 201)
		add(`{"code":"first-follow-up","kind":"email","title":"First follow-up","subject":"{{company}} & you","body":"Dear {{first_name}},\nsee {{link}}","url":"https://acme.example/case?a=1&b=2","status":"live"}`, 201)
		add(`{"code":"case-study","kind":"link","title":"Case study","url":"https://acme.example/study","status":"live"}`, 201)
		add(`{"code":"ent-only","kind":"link","title":"Enterprise deck","url":"https://acme.example/ent","segment":"enterprise","status":"live"}`, 201)
		add(`{"code":"old","kind":"link","title":"Old deck","url":"https://acme.example/old","status":"retired"}`, 201)
		// Bad content: refused naming the field, nothing stored.
		r := ws.as("mark@example.com", "POST", "/api/v1/content", `{"code":"bad","kind":"email","title":"Bad","subject":"Hi","body":"Hi {{frist_name}}","status":"live"}`)
		if e := checkError(t, "content with an unknown merge field", r, 422, tandem.EINVALID); !strings.Contains(fmt.Sprint(e.Error.Fields), "{{frist_name}}") {
			t.Errorf("unknown merge field: fields %v; want the field named", e.Error.Fields)
		}
		r = ws.as("mark@example.com", "POST", "/api/v1/content", `{"code":"bad","kind":"link","title":"Bad","url":"javascript:alert(1)"}`)
		if e := checkError(t, "content with a javascript: link", r, 422, tandem.EINVALID); fieldNames(e.Error.Fields)[0] != "url" {
			t.Errorf("javascript link: fields %v; want url", e.Error.Fields)
		}
		checkError(t, "a rep adding content", ws.as("rita@example.com", "POST", "/api/v1/content", `{"code":"x","kind":"link","title":"X","url":"https://a.example"}`), 403, tandem.EFORBIDDEN)
		if _, err := ws.db.ContentItem(ctx, "bad"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("refused content was stored: %v", err)
		}

		l := ws.repLeads("rita@example.com", 1)[0]
		rita := ws.signIn("rita@example.com")
		q := rita.get("/queue")
		want(t, "rita's queue", q, 200, `data-testid="template"`, "Hi Lena at Acme, this is rita@example.com.", "Case study", `data-testid="suggest"`)
		for _, not := range []string{"Enterprise deck", "Old deck"} {
			if strings.Contains(string(q.body), not) {
				t.Errorf("rita's queue suggests %q: it does not fit the lead or is not live", not)
			}
		}
		// The touch from the queue records the script it used.
		r = rita.post(fmt.Sprintf("/leads/%d/touch", l.ID), url.Values{"touch": {"call:voicemail"}, "content": {"first-call"}}, htmx...)
		want(t, "a touch with content", r, 200, "Logged a call touch with first-call: voicemail.")
		evs, _ := ws.db.LeadEvents(ctx, l.ID)
		if last := evs[len(evs)-1]; last.Detail["content"] != "first-call" || last.Detail["content_version"] != "1" {
			t.Errorf("touch event detail = %v; want content first-call, version 1", last.Detail)
		}
		// The API's touch takes content, and refuses content that is not live.
		r = ws.as("rita@example.com", "POST", fmt.Sprintf("/api/v1/leads/%d/touches", l.ID), `{"channel":"email","outcome":"sent","content":"old"}`)
		if e := checkError(t, "a touch with retired content", r, 422, tandem.EINVALID); fieldNames(e.Error.Fields)[0] != "content" {
			t.Errorf("retired content: fields %v; want content", e.Error.Fields)
		}

		// Step 3 is the email: its template filled in, a mailto with the
		// subject and body escaped, and the lead's tracked link.
		q = rita.get("/queue")
		body := string(q.body)
		want(t, "rita's queue at the email", q, 200, "Acme &amp; you", "Dear Lena,")
		m := regexp.MustCompile(`href="(mailto:[^"]*)" data-testid="mailto"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no mailto link on the email step")
		}
		mailto := strings.ReplaceAll(m[1], "&amp;", "&")
		if !strings.HasPrefix(mailto, "mailto:"+l.Email+"?subject=Acme%20%26%20you&body=Dear%20Lena%2C%0D%0Asee%20") {
			t.Errorf("mailto = %q; want the address, subject and body percent-encoded", mailto)
		}
		link := regexp.MustCompile(`data-testid="tracked-link">([^<]*)<`).FindStringSubmatch(body)
		if link == nil || !strings.HasPrefix(link[1], ws.s.URL()+"/c/first-follow-up/") {
			t.Fatalf("tracked link = %v; want %s/c/first-follow-up/TOKEN", link, ws.s.URL())
		}
		path := strings.TrimPrefix(link[1], ws.s.URL())

		// The tracked link: anyone may follow it (no session), it goes to
		// the item's URL, and records a click on the lead only.
		anon := newWebClient(t, ws.s.URL())
		before := len(evs) + 0
		forged := anon.get(path[:len(path)-4] + "zzzz")
		if forged.status != 302 || forged.header.Get("Location") != "https://acme.example/case?a=1&b=2" {
			t.Errorf("a forged token = %d to %q; want 302 to the item's URL", forged.status, forged.header.Get("Location"))
		}
		if evs, _ := ws.db.LeadEvents(ctx, l.ID); len(evs) != before {
			t.Errorf("a forged token wrote %d events; want none", len(evs)-before)
		}
		r = anon.get(path)
		if r.status != 302 || r.header.Get("Location") != "https://acme.example/case?a=1&b=2" {
			t.Errorf("the tracked link = %d to %q; want 302 to the item's URL", r.status, r.header.Get("Location"))
		}
		evs, _ = ws.db.LeadEvents(ctx, l.ID)
		if last := evs[len(evs)-1]; last.Type != tandem.EventMarketingTouched || last.Detail["kind"] != tandem.TouchContent || last.Detail["content"] != "first-follow-up" {
			t.Errorf("after the click the last event = %+v; want a content marketing touch", last)
		}
		if r := anon.get("/c/nope/" + path[len(path)-10:]); r.status != 404 {
			t.Errorf("an unknown item's link = %d; want 404", r.status)
		}

		// A rating from the item's page reaches marketing.
		r = rita.post("/content/first-call", nil)
		want(t, "a POST to the item's page", r, 405)
		r = rita.post("/content/first-call/rate", url.Values{"useful": {"yes"}, "note": {"they called back"}})
		want(t, "a rating", r, 200, "your rating is saved")
		r = rita.post("/content/first-call/rate", url.Values{"note": {"?"}})
		want(t, "a rating without useful", r, 422, "say whether the item was useful")
		mark := ws.signIn("mark@example.com")
		page := mark.get("/content?period=2026-11")
		want(t, "the content page", page, 200, "they called back", `data-testid="content-effect"`)
		row := regexp.MustCompile(`(?s)<tr data-code="first-call">(.*?)</tr>`).FindStringSubmatch(string(page.body))
		if row == nil || !strings.Contains(row[1], `<td data-testid="uses">1</td>`) || !strings.Contains(row[1], `<td data-testid="leads">1</td>`) ||
			!strings.Contains(row[1], `<td data-testid="useful">1 of 1</td>`) {
			t.Errorf("first-call's line = %v; want 1 use, 1 lead, 1 of 1 useful", row)
		}
		row = regexp.MustCompile(`(?s)<tr data-code="first-follow-up">(.*?)</tr>`).FindStringSubmatch(string(page.body))
		if row == nil || !strings.Contains(row[1], `<td data-testid="clicks">1</td>`) {
			t.Errorf("first-follow-up's line = %v; want 1 click", row)
		}
		want(t, "the item page", mark.get("/content/first-follow-up"), 200, "Version 1", "Make it draft")
		// Marketing changes the body: version 2, shown on the item page.
		r = mark.post("/content", url.Values{"code": {"first-follow-up"}, "kind": {"email"}, "title": {"First follow-up"}, "subject": {"Hi"},
			"body": {"New body"}, "url": {"https://acme.example/case"}, "status": {"live"}})
		want(t, "an edit", r, 200, "Saved first-follow-up: version 2.", "Version 2")
		r = mark.post("/content", url.Values{"code": {"first-follow-up"}, "kind": {"email"}, "title": {"First follow-up"}, "subject": {"Hi"},
			"body": {"{{nope}}"}, "status": {"live"}})
		want(t, "a bad edit", r, 422, "unknown merge field {{nope}}")
		if it, _ := ws.db.ContentItem(ctx, "first-follow-up"); it.Version != 2 || it.Body != "New body" {
			t.Errorf("after a refused edit the item = %+v; want version 2 unchanged", it)
		}
	})
}
