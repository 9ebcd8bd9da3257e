package browsertest

import (
	"context"
	"html"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/inbound"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// lateSite serves one page on a local origin of its own (another port:
// another origin, as the company's website is) until the test ends, and
// returns its address and a function that sets the snippet the page
// holds: the origin must be known before the form that allows it exists.
func lateSite(t *testing.T) (string, func(snippet string)) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var mu sync.Mutex
	var snippet string
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><html><head><meta charset=\"utf-8\"><title>Acme</title></head><body><main><h1>Talk to us</h1>\n"+
			snippet+"</main></body></html>")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), func(s string) { mu.Lock(); snippet = s; mu.Unlock() }
}

// TestFormFromAnotherOrigin pastes a website form's snippet, as the
// settings page shows it, into a page of another local origin; a visitor
// fills it in and sends it, and the lead is taken, handed off and routed to
// a rep. The same snippet on an origin the form does not allow is refused.
func TestFormFromAnotherOrigin(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, epoch)
		ctx := context.Background()
		cast := tandemtest.People(t, e.DB)
		cast.Sign(t, e.DB, string(agreement.Default()))
		const pw = "a long test password"
		if _, err := e.DB.SetPassword(ctx, cast.Admin.Email, password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		// The company's site, and a site the form does not allow; then a
		// form whose leads arrive as MQLs, the hand-off stage of the
		// default agreement.
		mapping := inbound.DefaultFormMapping + "constants:\n  stage: mql\n"
		siteURL, setSnippet := lateSite(t)
		other, setOther := lateSite(t)
		f, err := e.DB.SaveForm(ctx, inbound.Form{Name: "contact", Mapping: mapping, Origins: []string{siteURL}, Honeypot: "website",
			PerMinute: 10, Campaign: "spring", Thanks: "Thank you: we will call you today."})
		if err != nil {
			t.Fatalf("SaveForm: %v", err)
		}

		// The admin copies the snippet from the settings page.
		e.Open("/login")
		e.Submit("button[type=submit]", "#email", cast.Admin.Email, "#password", pw)
		e.Open("/settings")
		snippet := Run(e, "the snippet", chromedp.TextContent(chromedp.CSS("[data-form=contact] [data-testid=snippet]")))
		if !strings.Contains(snippet, e.URL+"/f/contact") {
			t.Fatalf("the settings page's snippet does not post to %s/f/contact:\n%s", e.URL, snippet)
		}
		setSnippet(snippet)
		setOther(snippet)

		// A visitor on the company's site sends the form.
		e.Do("open the company's page", chromedp.Navigate(siteURL), chromedp.WaitVisible(chromedp.CSS("form#tandem-contact")))
		e.Screenshot("form-on-site")
		e.Submit("form#tandem-contact button[type=submit]", "input[name=email]", "ines@example.org", "input[name=first_name]", "Ines",
			"input[name=company]", "Acme")
		if got := e.Text("[data-testid=form-answer]"); got != "Thank you: we will call you today." {
			t.Errorf("after sending the form the visitor reads %q; want the form's thank-you text", got)
		}
		e.Screenshot("form-sent")

		page, err := e.DB.Leads(ctx, tandem.LeadFilter{Equal: map[string]string{"email": "ines@example.org"}})
		if err != nil || len(page.Leads) != 1 {
			t.Fatalf("leads with the visitor's email = %v, %v; want one", page.Leads, err)
		}
		l := page.Leads[0]
		if l.Source != "form-contact" || l.Campaign != "spring" || l.Company != "Acme" || !strings.HasPrefix(l.LandingPage, siteURL) {
			t.Errorf("the form's lead = source %q, campaign %q, company %q, landing page %q; want form-contact, spring, Acme, a page of %s",
				l.Source, l.Campaign, l.Company, l.LandingPage, siteURL)
		}
		hs, err := e.DB.Handoffs(ctx, l.ID)
		if err != nil || len(hs) != 1 || hs[0].OwnerID == 0 {
			t.Errorf("the lead's hand-offs = %+v, %v; want one, routed to a rep", hs, err)
		} else if hs[0].OwnerID != cast.Rex.ID && hs[0].OwnerID != cast.Ria.ID {
			t.Errorf("the lead is routed to user %d; want a rep (%d or %d)", hs[0].OwnerID, cast.Rex.ID, cast.Ria.ID)
		}

		// The same snippet on a site the form does not allow: refused.
		e.Do("open the other page", chromedp.Navigate(other), chromedp.WaitVisible(chromedp.CSS("form#tandem-contact")))
		e.Submit("form#tandem-contact button[type=submit]", "input[name=email]", "mallory@example.net")
		if got := e.Text("h1"); got != "Your form was not sent" {
			t.Errorf("after sending the form from %s the visitor reads %q; want it refused", other, got)
		}
		if page, err := e.DB.Leads(ctx, tandem.LeadFilter{Equal: map[string]string{"email": "mallory@example.net"}}); err != nil || len(page.Leads) != 0 {
			t.Errorf("a post from another origin made leads %v, %v; want none", page.Leads, err)
		}
		ss, err := e.DB.Submissions(ctx, f.ID, 10)
		if err != nil || len(ss) != 2 || ss[0].Status != sqldb.SubmissionRefused || ss[0].Origin != other || ss[1].Status != sqldb.SubmissionAccepted || ss[1].LeadID != l.ID {
			t.Errorf("the form's posts = %+v, %v; want the refused post from %s and the accepted one", ss, err, other)
		}
		e.Open("/settings/forms/contact")
		if got := e.Text("[data-testid=submissions]"); !strings.Contains(got, html.UnescapeString(other)) || !strings.Contains(got, "not one of the form's origins") {
			t.Errorf("the form's posts page reads %q; want the refusal, with why", got)
		}
		e.Screenshot("form-posts")
	})
}
