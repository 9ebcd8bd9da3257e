package http

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/tandemhq/tandem/calfeed"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

var feedURLRE = regexp.MustCompile(`value="([^"]+)" data-testid="feed-url"`)

// TestCalendarFeed: a rep with three routed leads makes a calendar feed on
// the account page and sees its address once (also as webcal://); the
// address serves an iCalendar file that golang-ical parses back with one
// event per open task of the rep (as the queue lists them: the same ids
// and due times), each ending at its due time and linking to its lead on
// this server. Another rep's feed holds only theirs. A new address
// replaces the old one (404), turning the feed off stops it (404), and a
// token that never existed or has no .ics gets 404.
func TestCalendarFeed(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		leads := ws.repLeads("rita@example.com", 3)
		rita := ws.signIn("rita@example.com")
		want(t, "the account page before a feed", rita.get("/account"), 200, "You have no calendar feed", "Make my calendar feed")
		r := rita.post("/account/calendar", nil)
		want(t, "making the feed", r, 303, "/account?shown=")
		page := rita.get(r.header.Get("Location"))
		want(t, "the account page after", page, 200, "shown this once", `href="webcal://`, "Your feed is on since")
		m := feedURLRE.FindSubmatch(page.body)
		if m == nil {
			t.Fatalf("the account page shows no feed address:\n%s", page.body)
		}
		feed := html.UnescapeString(string(m[1]))
		if !strings.HasPrefix(feed, ws.s.URL()+"/cal/") || !strings.HasSuffix(feed, ".ics") {
			t.Fatalf("feed address %q; want %s/cal/TOKEN.ics", feed, ws.s.URL())
		}
		again := rita.get(r.header.Get("Location"))
		if feedURLRE.Match(again.body) {
			t.Errorf("reloading the page shows the feed address again; want it shown once")
		}

		get := func(u string) (int, string, http.Header) {
			t.Helper()
			resp, err := http.Get(u)
			if err != nil {
				t.Fatalf("GET %s: %v", u, err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body), resp.Header
		}
		status, body, header := get(feed)
		if status != 200 || !strings.HasPrefix(header.Get("Content-Type"), "text/calendar") {
			t.Fatalf("GET the feed = %d %s; want 200 text/calendar\n%s", status, header.Get("Content-Type"), body)
		}
		cal, err := ics.ParseCalendar(strings.NewReader(body))
		if err != nil {
			t.Fatalf("ParseCalendar(the feed): %v\n%s", err, body)
		}
		q, err := ws.db.Queue(t.Context(), []int64{ws.users["rita@example.com"].ID}, 0)
		if err != nil || len(q) == 0 {
			t.Fatalf("Queue(rita) = %d tasks, %v; want some", len(q), err)
		}
		evs := cal.Events()
		if len(evs) != len(q) {
			t.Fatalf("the feed has %d events; rita's queue %d open tasks", len(evs), len(q))
		}
		leadURL := map[string]bool{}
		for _, l := range leads {
			leadURL[fmt.Sprintf("%s/leads/%d", ws.s.URL(), l.ID)] = true
		}
		for i, it := range q {
			e := evs[i]
			end, err := e.GetEndAt()
			if e.Id() != calfeed.UID(it.ID) || err != nil || !end.Equal(it.DueAt.Truncate(time.Second)) {
				t.Errorf("event %d = %s ending %v (%v); want %s ending %v", i, e.Id(), end, err, calfeed.UID(it.ID), it.DueAt)
			}
			if u := e.GetProperty(ics.ComponentPropertyUrl); u == nil || !leadURL[u.Value] || u.Value != fmt.Sprintf("%s/leads/%d", ws.s.URL(), it.LeadID) {
				t.Errorf("event %s links to %v; want lead %d on this server", e.Id(), u, it.LeadID)
			}
		}

		// Another rep's feed holds their tasks only.
		ws.repLeads("rob@example.com", 1)
		rob := ws.signIn("rob@example.com")
		rob.post("/account/calendar", nil)
		robPage := rob.get(rob.post("/account/calendar", nil).header.Get("Location"))
		m = feedURLRE.FindSubmatch(robPage.body)
		if m == nil {
			t.Fatalf("rob's account page shows no feed address")
		}
		_, robBody, _ := get(html.UnescapeString(string(m[1])))
		robCal, err := ics.ParseCalendar(strings.NewReader(robBody))
		if err != nil {
			t.Fatalf("ParseCalendar(rob's feed): %v", err)
		}
		for _, e := range robCal.Events() {
			for _, it := range q {
				if e.Id() == calfeed.UID(it.ID) {
					t.Errorf("rob's feed holds rita's task %d", it.ID)
				}
			}
		}

		// A new address replaces the old; turning off stops the feed.
		r = rita.post("/account/calendar", nil)
		m = feedURLRE.FindSubmatch(rita.get(r.header.Get("Location")).body)
		if m == nil {
			t.Fatalf("no new feed address shown")
		}
		newFeed := html.UnescapeString(string(m[1]))
		if status, _, _ := get(feed); status != 404 {
			t.Errorf("the replaced address = %d; want 404", status)
		}
		if status, _, _ := get(newFeed); status != 200 {
			t.Errorf("the new address = %d; want 200", status)
		}
		want(t, "turning the feed off", rita.post("/account/calendar/revoke", nil), 303, "/account?done=off")
		if status, _, _ := get(newFeed); status != 404 {
			t.Errorf("the address after turning off = %d; want 404", status)
		}
		want(t, "turning off twice", rita.post("/account/calendar/revoke", nil), 404, "no calendar feed")
		for _, path := range []string{"/cal/tdmcal_nosuchtoken.ics", "/cal/" + strings.TrimSuffix(strings.TrimPrefix(newFeed, ws.s.URL()+"/cal/"), ".ics"), "/cal/x"} {
			if status, _, _ := get(ws.s.URL() + path); status != 404 {
				t.Errorf("GET %s = %d; want 404", path, status)
			}
		}
	})
}
