package browsertest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/tandemtest"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestManagementPages has the sales head and the marketing head sign a
// proposed agreement through the page until it comes into force, shows
// the admin's editor refusing a bad file, and takes a screenshot of each
// management page (the SLA board, pacing, funnel, scorecard, agreement).
func TestManagementPages(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		e := Start(t, b, epoch)
		ctx := context.Background()
		const pw = "a long test password"
		hash := password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})
		users := map[tandem.Role]tandem.User{}
		for _, role := range tandem.Roles {
			u := tandem.User{Email: strings.ReplaceAll(string(role), "_", "-") + "@example.com", Role: role}
			if role == tandem.RoleSalesRep {
				u.ManagerID = users[tandem.RoleSalesManager].ID
			}
			if err := e.DB.CreateUser(ctx, &u); err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			if _, err := e.DB.SetPassword(ctx, u.Email, hash); err != nil {
				t.Fatalf("SetPassword: %v", err)
			}
			users[role] = u
		}
		heads := []string{users[tandem.RoleMarketingHead].Email, users[tandem.RoleSalesHead].Email}
		v1 := tandemtest.Sign(t, e.DB, string(agreement.Default()), heads...)
		var in []tandem.LeadInput
		for i := range 12 {
			in = append(in, tandem.LeadInput{Fields: map[string]string{"external_id": fmt.Sprint("L", i), "email": fmt.Sprintf("l%d@example.com", i),
				"first_name": "Lead", "last_name": fmt.Sprint(i), "score": "70", "campaign": []string{"spring", "webinar", ""}[i%3]}})
		}
		if _, err := e.DB.IntakeLeads(ctx, in, sqldb.IntakeOptions{}); err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		v2body := strings.Replace(string(agreement.Default()), "first_touch_within: 10m", "first_touch_within: 15m", 1)
		v2, _, err := e.DB.ProposeAgreement(ctx, "agreement.yaml", v2body, "admin@example.com")
		if err != nil {
			t.Fatalf("ProposeAgreement: %v", err)
		}
		e.Clock.Set(epoch.Add(3 * time.Hour))

		signIn := func(u tandem.User) {
			t.Helper()
			e.Open("/login")
			e.Submit("button[type=submit]", "#email", u.Email, "#password", pw)
			if got := e.Path(); got != "/" {
				t.Fatalf("sign in as %s: at %s", u.Email, got)
			}
		}
		signOut := func() { t.Helper(); e.Submit("header form button") }
		sign := fmt.Sprintf("[data-testid=sign-%d]", v2.Version)

		// The sales head signs: one signature, not in force yet.
		signIn(users[tandem.RoleSalesHead])
		e.Open("/sla")
		if got := e.Text("h1"); !strings.Contains(got, "SLA board") {
			t.Errorf("/sla h1 = %q", got)
		}
		e.Screenshot("sla-board")
		e.Open("/agreement")
		e.Screenshot("agreement-proposed")
		e.Submit(sign)
		if got := e.Text("[role=status]"); !strings.Contains(got, fmt.Sprintf("you signed version %d", v2.Version)) {
			t.Errorf("after the sales head signs, the notice = %q", got)
		}
		if got := e.Text("[data-testid=in-force]"); !strings.Contains(got, fmt.Sprintf("Version %d is in force", v1.Version)) {
			t.Errorf("after one signature: %q; want version %d still in force", got, v1.Version)
		}
		signOut()

		// The marketing head signs: in force.
		signIn(users[tandem.RoleMarketingHead])
		e.Open("/agreement")
		e.Submit(sign)
		if got := e.Text("[data-testid=in-force]"); !strings.Contains(got, fmt.Sprintf("Version %d is in force", v2.Version)) {
			t.Errorf("after both signatures: %q; want version %d in force", got, v2.Version)
		}
		if v, err := e.DB.AgreementInForce(ctx, e.DB.Now()); err != nil || v.Version != v2.Version {
			t.Errorf("AgreementInForce = %d, %v; want %d", v.Version, err, v2.Version)
		}
		e.Screenshot("agreement-signed")
		e.Open("/pacing")
		drawn := Run(e, "chart drawn", chromedp.Evaluate[bool](`typeof Chart !== "undefined" && document.querySelector("canvas[data-chart]").dataset.drawn === "1"`))
		if !drawn {
			t.Errorf("/pacing: the chart was not drawn (Chart.js blocked or failed)")
		}
		e.Screenshot("pacing")
		signOut()

		// The executive's funnel and scorecard.
		signIn(users[tandem.RoleExecutive])
		e.Open("/funnel")
		e.Screenshot("funnel")
		e.Open("/scorecard")
		e.Screenshot("scorecard")
		e.Viewport(390, 844)
		e.Open("/funnel")
		e.Screenshot("funnel-phone")
		e.Viewport(1280, 900)
		signOut()

		// The admin's editor refuses a bad file, next to its line.
		signIn(users[tandem.RoleAdmin])
		e.Open("/agreement")
		e.Do("write a bad file", chromedp.SetValue(chromedp.CSS("#body"), strings.Replace(v2body, "accept_within:", "accept_within: never\n  bogus:", 1)))
		e.Submit("#yaml-form button")
		if got := e.Text("[data-testid=problems]"); !strings.Contains(got, "Line ") {
			t.Errorf("the editor's problems = %q; want each at its line", got)
		}
		e.Screenshot("agreement-editor-error")
		if vs, _ := e.DB.AgreementVersions(ctx); len(vs) != 2 {
			t.Errorf("after a bad file there are %d versions; want 2", len(vs))
		}
	})
}
