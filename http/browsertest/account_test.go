package browsertest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	ics "github.com/arran4/golang-ical"
	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// TestAccountCalendarFeed has a rep with a routed lead open their account
// page from the header, make their calendar feed, and read the address the
// page shows once; a calendar fetching that address gets an iCalendar file
// that golang-ical parses, with the rep's tasks. The page fits a phone.
func TestAccountCalendarFeed(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, epoch)
		ctx := context.Background()
		c := tandemtest.People(t, e.DB, tandemtest.Mia, tandemtest.Sam, tandemtest.Manu, tandemtest.Rex)
		c.Sign(t, e.DB, string(agreement.Default()))
		rs, err := e.DB.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"external_id": "a", "email": "ana@example.com",
			"first_name": "Ana", "last_name": "Pérez", "company": "Acme", "score": "70"}}}, sqldb.IntakeOptions{})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("IntakeLeads = %+v, %v", rs, err)
		}
		const pw = "a long test password"
		if _, err := e.DB.SetPassword(ctx, c.Rex.Email, password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		e.Open("/login")
		e.Submit("button[type=submit]", "#email", c.Rex.Email, "#password", pw)
		e.Do("open the account page from the header", chromedp.Click(chromedp.CSS(`header a[href="/account"]`)),
			chromedp.WaitVisible(chromedp.CSS("[data-testid=feed-on]")))
		e.Submit("[data-testid=feed-on]")
		if got := e.Text("[data-testid=feed-state]"); !strings.Contains(got, "Your feed is on since") {
			t.Errorf("after making the feed the page says %q", got)
		}
		feed := Run(e, "the feed's address", chromedp.Evaluate[string](`document.querySelector("[data-testid=feed-url]").value`))
		webcal := Run(e, "the webcal link", chromedp.Evaluate[string](`document.querySelector("[data-testid=feed-webcal]").getAttribute("href")`))
		if !strings.HasPrefix(feed, e.URL+"/cal/") || webcal != "webcal://"+strings.TrimPrefix(feed, "http://") {
			t.Fatalf("the page shows %q and %q; want %s/cal/TOKEN.ics and its webcal:// twin", feed, webcal, e.URL)
		}
		e.Screenshot("account-feed")
		e.Viewport(phoneWidth, 844)
		if w := Run(e, "the page's width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > phoneWidth {
			t.Errorf("the account page is %d px wide on a %d px phone", w, phoneWidth)
		}

		resp, err := http.Get(feed)
		if err != nil {
			t.Fatalf("GET the feed: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cal, err := ics.ParseCalendar(strings.NewReader(string(body)))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("the feed = %d, parsed: %v\n%s", resp.StatusCode, err, body)
		}
		q, err := e.DB.Queue(ctx, []int64{c.Rex.ID}, 0)
		if err != nil || len(cal.Events()) != len(q) || len(q) == 0 {
			t.Fatalf("the feed has %d events; rex has %d open tasks (%v)", len(cal.Events()), len(q), err)
		}
		if s := cal.Events()[0].GetProperty(ics.ComponentPropertySummary); s == nil || !strings.Contains(s.Value, "Ana Pérez, Acme") {
			t.Errorf("the first event's title = %v; want it to name Ana Pérez, Acme", s)
		}
	})
}
