package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
	"github.com/tandemhq/tandem/web"
)

// TestCampaignSpendROI: a lead of the campaign spring-webinar becomes a
// customer worth 30,000.00 in November. The head of marketing opens the
// campaigns page (no ROI: the campaign has no spend), registers the
// campaign, is told why an amount of "12,000.x" is refused, enters
// 12,000.00 of spend for November, and sees the ROI: (30,000 − 12,000) ÷
// 12,000 = 150%. A sales rep sees the page without the forms.
func TestCampaignSpendROI(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, epoch)
		ctx := context.Background()
		c := tandemtest.People(t, e.DB, tandemtest.Mia, tandemtest.Sam, tandemtest.Manu, tandemtest.Rex)
		const pw = "a long test password"
		hash := password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})
		for _, u := range []tandem.User{c.Mia, c.Rex} {
			if _, err := e.DB.SetPassword(ctx, u.Email, hash); err != nil {
				t.Fatalf("SetPassword(%s): %v", u.Email, err)
			}
		}
		rs, err := e.DB.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"external_id": "w1", "email": "w1@example.com",
			"first_name": "Wanda", "stage": "lead", "campaign": "spring-webinar", "origin": "email"}}}, sqldb.IntakeOptions{DefaultSource: "web", Actor: "test"})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("IntakeLeads = %v, %+v", err, rs)
		}
		e.Clock.Set(epoch.Add(time.Hour))
		if _, err := e.DB.MoveLead(ctx, rs[0].ID, "opportunity", "qualified", "test"); err != nil {
			t.Fatalf("MoveLead(opportunity) = %v", err)
		}
		deals, err := e.DB.Deals(ctx, tandem.DealFilter{LeadID: rs[0].ID})
		if err != nil || len(deals.Deals) != 1 {
			t.Fatalf("Deals(lead %d) = %+v, %v; want one", rs[0].ID, deals, err)
		}
		const wonCents, spendCents = 3_000_000, 1_200_000
		if _, err := e.DB.WinDeal(ctx, deals.Deals[0].ID, wonCents, e.Clock.Now(), "test"); err != nil {
			t.Fatalf("WinDeal = %v", err)
		}
		e.Clock.Set(epoch.Add(2 * time.Hour))
		pct := web.FormatFuncs()["pct"].(func(any) string)
		wantROI := pct(float64(wonCents-spendCents) / float64(spendCents))
		if wantROI != "150%" {
			t.Fatalf("pct(1.5) = %q; the test expects 150%%", wantROI)
		}

		signIn := func(u tandem.User) {
			t.Helper()
			e.Open("/login")
			e.Submit("button[type=submit]", "#email", u.Email, "#password", pw)
			if got := e.Path(); got != "/" {
				t.Fatalf("sign in as %s: at %s", u.Email, got)
			}
		}
		const row = `[data-testid=campaign-report] tr[data-campaign="spring-webinar"]`
		signIn(c.Mia)
		e.Open("/campaigns")
		if got := e.Text(row + " [data-testid=roi]"); got != "–" {
			t.Errorf("ROI of a campaign without spend = %q; want –", got)
		}
		if got := e.Text(row + " [data-testid=leads-link]"); got != "1" {
			t.Errorf("leads of spring-webinar = %q; want 1", got)
		}

		e.Submit("[data-testid=campaign-form] button", "#c-code", "spring-webinar", "#c-name", "Spring webinar", "#c-channel", "email")
		if got := e.Text("[role=status]"); !strings.Contains(got, "spring-webinar registered") {
			t.Errorf("after registering, the notice = %q", got)
		}

		// A bad amount: refused, saying why, nothing set.
		e.Submit("[data-testid=spend-form] button", "#s-amount", "12,000.x")
		if got := e.Text("[data-testid=spend-form] .error"); !strings.Contains(got, "12,000.x") {
			t.Errorf("the amount's error = %q; want it to name the amount", got)
		}
		if got := e.Text(row + " [data-testid=roi]"); got != "–" {
			t.Errorf("ROI after a refused amount = %q; want –", got)
		}

		// The month is the one shown (2026-11); the amount replaces the refused one.
		e.Open("/campaigns")
		e.Submit("[data-testid=spend-form] button", "#s-amount", "12000.00")
		if got := e.Text("[role=status]"); !strings.Contains(got, "spend of spring-webinar for 2026-11 set to 12000.00") {
			t.Errorf("after entering spend, the notice = %q", got)
		}
		if got := e.Text(row + " [data-testid=roi]"); got != wantROI {
			t.Errorf("ROI of spring-webinar after 12,000 of spend = %q; want %q", got, wantROI)
		}
		if got := e.Text(row + " [data-testid=spend]"); got != "12,000" {
			t.Errorf("spend of spring-webinar = %q; want 12,000", got)
		}
		e.Screenshot("campaigns")
		e.Submit("header form button") // sign out

		signIn(c.Rex)
		e.Open("/campaigns")
		if got := e.Text(row + " [data-testid=roi]"); got != wantROI {
			t.Errorf("ROI the rep sees = %q; want %q", got, wantROI)
		}
		forms := Run(e, "count the forms", chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=spend-form], [data-testid=campaign-form]").length`))
		if forms != 0 {
			t.Errorf("a sales rep sees %d campaign forms; want none", forms)
		}
	})
}
