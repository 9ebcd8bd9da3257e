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
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

// TestLeadsSearchAndAdd: a marketer searches a lead by part of its name
// (without its accent), opens it from the list, then adds a lead with the
// form and sees it routed to a rep.
func TestLeadsSearchAndAdd(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		// Monday 10:00 in New York: inside the agreement's business hours.
		e := Start(t, b, time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC))
		ctx := context.Background()
		cast := tandemtest.People(t, e.DB)
		cast.Sign(t, e.DB, string(agreement.Default()))
		const pw = "mark's long password"
		if _, err := e.DB.SetPassword(ctx, cast.Mark.Email, password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		var inputs []tandem.LeadInput
		for i, n := range []string{"Ines Müller", "Jonas Muller", "Lena Park", "Otto Brandt"} {
			first, last, _ := strings.Cut(n, " ")
			inputs = append(inputs, tandem.LeadInput{Fields: map[string]string{"external_id": fmt.Sprint("s", i), "first_name": first,
				"last_name": last, "email": strings.ToLower(first) + "@example.com", "company": "Acme", "score": "20"}})
		}
		res, err := e.DB.IntakeLeads(ctx, inputs, sqldb.IntakeOptions{})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		ines := res[0].ID

		e.Open("/login")
		e.Submit("button[type=submit]", "#email", cast.Mark.Email, "#password", pw)
		e.Open("/")
		e.Do("the navigation lists Leads", chromedp.WaitVisible(chromedp.CSS(`nav a[href="/leads"]`)))
		e.Open("/leads")
		if got := e.Text(`[data-testid="count"]`); !strings.HasPrefix(got, "4 leads") {
			t.Errorf("the list's count says %q; want 4 leads", got)
		}
		// Part of the name, without the accent: both Müller and Muller.
		e.Submit("button.primary", "#q", "mull")
		if got := e.Text(`[data-testid="count"]`); !strings.HasPrefix(got, "2 leads") {
			t.Errorf("after searching mull the count says %q; want 2 leads", got)
		}
		if p := e.Path(); !strings.Contains(p, "q=mull") {
			t.Errorf("the search's address is %s; want its q in the URL (a view one can save and share)", p)
		}
		e.Screenshot("leads-search")
		// Narrow to Ines, and open her from the list.
		e.Open("/leads?q=" + "ines+m%C3%BCl")
		link := fmt.Sprintf(`[data-testid="leads"] a[href="/leads/%d"]`, ines)
		if got := e.Text(link); got != "Ines Müller" {
			t.Errorf("the list's link to lead %d says %q; want Ines Müller", ines, got)
		}
		e.Do("open the lead", chromedp.Click(chromedp.CSS(link)), chromedp.WaitVisible(chromedp.CSS("#timeline")))
		if p, h := e.Path(), e.Text("h1"); p != fmt.Sprintf("/leads/%d", ines) || !strings.Contains(h, "Ines Müller") {
			t.Errorf("after the click the tab is at %s showing %q; want lead %d, Ines Müller", p, h, ines)
		}

		// Add a lead that meets the MQL rule: it is handed off and routed.
		e.Open("/leads")
		e.Do("follow Add a lead", chromedp.Click(chromedp.CSS(`a[href="/leads/new"]`)), chromedp.WaitVisible(chromedp.CSS("#lf-first_name")))
		e.Do("set the score", chromedp.SetValue(chromedp.CSS("#lf-score"), "85"))
		e.Submit("button.primary", "#lf-first_name", "Hana", "#lf-last_name", "Sato", "#lf-email", "hana@kite.example", "#lf-company", "Kite")
		if got := e.Text(".notice"); !strings.Contains(got, "the lead is added") {
			t.Errorf("after adding, the notice says %q; want the lead is added", got)
		}
		summary := e.Text(".summary")
		if !strings.Contains(summary, "stage mql") || !strings.Contains(summary, "owned by rex@example.com") && !strings.Contains(summary, "owned by ria@example.com") {
			t.Errorf("the new lead's page says %q; want stage mql, owned by a rep (routed)", summary)
		}
		if got := e.Text(`section[aria-labelledby="clocks"]`); !strings.Contains(got, "Handed off") {
			t.Errorf("the new lead's clocks say %q; want its hand-off", got)
		}
		e.Screenshot("lead-added-and-routed")
		// It is found at once.
		e.Open("/leads?q=kite")
		if got := e.Text(`[data-testid="leads"] tbody a`); got != "Hana Sato" {
			t.Errorf("searching kite finds %q; want Hana Sato", got)
		}
	})
}
