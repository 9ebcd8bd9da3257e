package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/content"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// contentTestNow is the server's fixed clock in TestContentOnRepTask.
var contentTestNow = time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)

// TestContentOnRepTask: the templates the cadence names appear filled in
// on the rep's task; "copy" copies the filled-in text and the email step
// opens the mail client with subject and body; the touch logged records
// the script; its use shows on the content page and in the scorecard.
func TestContentOnRepTask(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, contentTestNow) // Monday 10:00 in New York: the cadence's next step is due in business hours whatever the wall clock says
		ctx := context.Background()
		rep := tandem.User{Email: "rex@example.com", Name: "Rex Rep", Role: tandem.RoleSalesRep}
		for _, u := range []*tandem.User{{Email: "mia@example.com", Role: tandem.RoleMarketingHead},
			{Email: "sam@example.com", Role: tandem.RoleSalesHead}, &rep, {Email: "max@example.com", Role: tandem.RoleSalesManager}} {
			if err := e.DB.CreateUser(ctx, u); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
		}
		const repPassword = "rex's long password"
		if _, err := e.DB.SetPassword(ctx, rep.Email, password.HashWith(repPassword, password.Params{Time: 1, Memory: 64, Threads: 1})); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		tandemtest.Sign(t, e.DB, string(agreement.Default()), "mia@example.com", "sam@example.com")
		// The default cadence opens with first-call, then first-follow-up
		// by email: marketing has both live.
		for _, it := range []content.Item{
			{Code: "first-call", Kind: content.KindCallScript, Title: "First call", Body: "Hi {{first_name}} at {{company}}, this is {{rep_name}}.", Status: content.StatusLive},
			{Code: "first-follow-up", Kind: content.KindEmail, Title: "First follow-up", Subject: "{{company}} & you",
				Body: "Dear {{first_name}},\nour case study: {{link}}", URL: "https://acme.example/case", Status: content.StatusLive},
		} {
			if _, _, err := e.DB.SaveContent(ctx, it, "user:mia@example.com"); err != nil {
				t.Fatalf("SaveContent: %v", err)
			}
		}
		res, err := e.DB.IntakeLeads(ctx, []tandem.LeadInput{
			{Fields: map[string]string{"external_id": "c1", "email": "lena@example.com", "first_name": "Lena", "company": "Acme & <Co>", "score": "80"}},
		}, sqldb.IntakeOptions{})
		if err != nil || res[0].Err != nil {
			t.Fatalf("IntakeLeads: %v %v", err, res)
		}
		id := res[0].ID
		row := fmt.Sprintf("#lead-%d", id)

		e.Open("/login")
		e.Submit("button[type=submit]", "#email", rep.Email, "#password", repPassword)
		e.Open("/queue")
		if got, want := e.Text(row+` [data-testid="template-body"]`), "Hi Lena at Acme & <Co>, this is Rex Rep."; got != want {
			t.Errorf("the task's template = %q; want %q", got, want)
		}
		// Copy: the page's script hands the filled-in text to the clipboard.
		e.Do("copy the template",
			chromedp.Evaluate[chromedp.Void](`Object.defineProperty(navigator, "clipboard", {configurable: true, value: {writeText: function (t) { window.copied = t; return Promise.resolve(); }}})`),
			chromedp.Click(chromedp.CSS(row+` [data-testid="copy"]`)),
			chromedp.WaitVisible(chromedp.CSS(row+` [data-copied="true"]`)))
		if got := Run(e, "what was copied", chromedp.Evaluate[string](`window.copied`)); got != "Hi Lena at Acme & <Co>, this is Rex Rep." {
			t.Errorf("copy put %q on the clipboard", got)
		}
		e.Screenshot("queue-template")

		// Log the call: the script is the content used.
		e.Do("log a touch with the script",
			chromedp.Click(chromedp.CSS(row+` [data-testid="touch-call:voicemail"]`)),
			chromedp.WaitVisible(chromedp.CSS(row+" .notice")))
		if got := e.Text(row + " .notice"); !strings.Contains(got, "Logged a call touch with first-call: voicemail.") {
			t.Errorf("after the touch the row says %q", got)
		}
		evs, _ := e.DB.LeadEvents(ctx, id)
		if last := evs[len(evs)-1]; last.Type != tandem.EventTouched || last.Detail["content"] != "first-call" || last.Detail["content_version"] != "1" {
			t.Errorf("the touch event = %+v; want content first-call version 1", last)
		}
		// The row now owes the email: its template, with a mailto.
		if got := e.Text(row + ` [data-testid="template-subject"]`); got != "Acme & <Co> & you" {
			t.Errorf("the email's subject = %q", got)
		}
		href := Run(e, "the mailto", chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('%s [data-testid="mailto"]').getAttribute("href")`, row)))
		if !strings.HasPrefix(href, "mailto:lena@example.com?subject=Acme%20%26%20%3CCo%3E%20%26%20you&body=Dear%20Lena%2C%0D%0Aour%20case%20study%3A%20"+
			strings.ReplaceAll(strings.ReplaceAll(e.URL, ":", "%3A"), "/", "%2F")+"%2Fc%2Ffirst-follow-up%2F") {
			t.Errorf("mailto = %q; want subject and body percent-encoded with the tracked link", href)
		}
		e.Screenshot("queue-email-template")

		// Its effect: the content page and the scorecard count the use.
		period := contentTestNow.In(agreementZone(t)).Format("2006-01") // the server's month, not the wall clock's
		e.Open("/content?period=" + period)
		if got := e.Text(`tr[data-code="first-call"] [data-testid="uses"]`); got != "1" {
			t.Errorf("the content page's uses of first-call = %q; want 1", got)
		}
		if got := e.Text(`tr[data-code="first-call"] [data-testid="leads"]`); got != "1" {
			t.Errorf("the content page's leads of first-call = %q; want 1", got)
		}
		e.Screenshot("content")
		e.Open("/scorecard?period=" + period)
		if got := e.Text(`[data-testid="scorecard-content"] tr[data-code="first-call"] [data-testid="uses"]`); got != "1" {
			t.Errorf("the scorecard's uses of first-call = %q; want 1", got)
		}
		e.Screenshot("scorecard-content")
	})
}

// agreementZone is the default agreement's business-hours zone, in which
// periods are named.
func agreementZone(t *testing.T) *time.Location {
	a, err := agreement.Parse("default", agreement.Default())
	if err != nil {
		t.Fatal(err)
	}
	return a.BusinessHours.Location
}
