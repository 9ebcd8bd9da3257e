package http

import (
	"context"
	"fmt"
	"html"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
	"github.com/tandemhq/tandem/web"
)

// hrefs returns the links of a page that start with prefix, unescaped.
func hrefs(body []byte, prefix string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`href="(`+regexp.QuoteMeta(prefix)+`[^"]*)"`).FindAllSubmatch(body, -1) {
		out = append(out, html.UnescapeString(string(m[1])))
	}
	return out
}

// TestCampaignsPage: three leads of the campaign spring and one of fall
// are handed off on Monday 2 November; sales accepts one of spring,
// rejects another (wrong_contact) and rates the fall lead 1. The head of
// marketing registers spring, is refused a bad month and a bad amount
// (nothing set), then sets 1,000.00 for November. The page shows the
// quality (spring: 1 of 2 decided accepted, 50%), the review list (the
// rejected lead with its rep, reason and the reason's words; the low
// review with its text), and a sales rep sees it without the forms and
// may not post them. A week later one more lead comes: the SLA board's
// weeks count 4 hand-offs in the week of 2 November and 1 in the week of
// 9 November; the pacing page's months end with November's 5 qualified
// leads. Every /leads and /deals link of the campaigns, pacing and funnel
// pages parses with the lists' own filters, and the spring lead count's
// link lists the 3 leads it counts.
func TestCampaignsPage(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ws := newWorkServer(t, b)
		ctx := context.Background()
		post := func(id, name, campaign string) (tandem.Lead, string) {
			t.Helper()
			l := ws.postLead(fmt.Sprintf(`{"external_id": %q, "email": "%s@example.com", "first_name": %q, "company": "Acme", "score": 70, "campaign": %q}`,
				id, id, name, campaign))
			owner, ok := ws.byID[l.OwnerID]
			if !ok || l.Stage != "mql" {
				t.Fatalf("lead %s: stage %s, owner %d; want an mql routed to a rep", id, l.Stage, l.OwnerID)
			}
			return l, owner
		}
		a, aOwner := post("a", "Ada", "spring")
		bl, bOwner := post("b", "Bea", "spring")
		post("c", "Cid", "spring")
		d, dOwner := post("d", "Dot", "fall")
		ws.clk.Set(workStart.Add(time.Hour))
		if _, err := ws.db.Decide(ctx, a.ID, tandem.Decision{Decision: tandem.DecisionAccepted}, tandemtest.Token(ws.users[aOwner])); err != nil {
			t.Fatalf("Decide(a, accept): %v", err)
		}
		if _, err := ws.db.Decide(ctx, bl.ID, tandem.Decision{Decision: tandem.DecisionRejected, Reason: "wrong_contact"}, tandemtest.Token(ws.users[bOwner])); err != nil {
			t.Fatalf("Decide(b, reject): %v", err)
		}
		if _, err := ws.db.Review(ctx, d.ID, tandem.Review{Rating: 1, Text: "a student project"}, tandemtest.Token(ws.users[dOwner])); err != nil {
			t.Fatalf("Review(d): %v", err)
		}

		mia := ws.signIn("mia@example.com")
		want(t, "register spring", mia.post("/campaigns?period=2026-11", url.Values{"code": {"spring"}, "name": {"Spring"}, "channel": {"email"}}),
			200, "campaign spring registered")
		want(t, "spend for month 2026-13", mia.post("/campaigns/spend?period=2026-11", url.Values{"campaign": {"spring"}, "month": {"2026-13"}, "amount": {"100"}}),
			422, "Nothing was changed")
		want(t, "spend of abc", mia.post("/campaigns/spend?period=2026-11", url.Values{"campaign": {"spring"}, "month": {"2026-11"}, "amount": {"abc"}}),
			422, html.EscapeString(`"abc" is not an amount`))
		want(t, "spend of an unregistered campaign", mia.post("/campaigns/spend?period=2026-11", url.Values{"campaign": {"fall"}, "month": {"2026-11"}, "amount": {"5"}}),
			422, "campaign fall is not registered")
		cs, err := ws.db.Campaigns(ctx)
		if err != nil || len(cs) != 1 || len(cs[0].Spend) != 0 {
			t.Fatalf("Campaigns after refused spend = %+v, %v; want spring without spend", cs, err)
		}
		// The worker keeps the month's campaign report (no spend yet); the
		// page that answers the spend shows it at once all the same.
		if err := report.RefreshKept(ctx, ws.db, ws.db.Now()); err != nil {
			t.Fatalf("RefreshKept: %v", err)
		}
		r := mia.post("/campaigns/spend?period=2026-11", url.Values{"campaign": {"spring"}, "month": {"2026-11"}, "amount": {"1000.00"}})
		want(t, "spend of 1000.00", r, 200, "spend of spring for 2026-11 set to 1000.00")
		if got := testid(regexp.MustCompile(`(?s)<tr data-campaign="spring"><th scope="row">spring <span.*?</tr>`).Find(r.body), "spend"); got != "1,000" {
			t.Errorf("spring's spend on the page answering the spend = %q; want 1,000", got)
		}
		if cs, err = ws.db.Campaigns(ctx); err != nil || len(cs[0].Spend) != 1 || cs[0].Spend[0].AmountCents != 100000 {
			t.Fatalf("Campaigns after spend = %+v, %v; want spring with 100000 cents in 2026-11", cs, err)
		}

		// One more lead, a week later.
		ws.clk.Set(workStart.AddDate(0, 0, 7))
		post("e", "Eli", "")
		mia = ws.signIn("mia@example.com") // a week on, the session has ended

		r = mia.get("/campaigns?period=2026-11")
		want(t, "GET /campaigns", r, 200, "Bea", "wrong_contact", "The person cannot buy or influence the purchase.", bOwner,
			"Dot", "rated <strong>1 of 5</strong>", "a student project", `data-testid="spend-form"`)
		pct := web.FormatFuncs()["pct"].(func(any) string)
		quality := regexp.MustCompile(`(?s)<tr data-campaign="spring"><th scope="row">spring</th>(.*?)</tr>`).FindSubmatch(r.body)
		if quality == nil {
			t.Fatalf("the quality table has no row for spring:\n%s", r.body)
		}
		cells := regexp.MustCompile(`<td>([^<]*)</td>`).FindAllSubmatch(quality[1], -1)
		var got []string
		for _, c := range cells {
			got = append(got, string(c[1]))
		}
		// hand-offs, accepted, rejected, disqualified, acceptance
		if w := []string{"3", "1", "1", "0", pct(1.0 / 2)}; len(got) < 5 || strings.Join(got[:5], "|") != strings.Join(w, "|") {
			t.Errorf("spring's quality cells = %q; want %q first", got, w)
		}

		// Links parse with the lists' filters; spring's lists its 3 leads.
		var links []string
		for _, path := range []string{"/campaigns?period=2026-11", "/pacing?period=2026-11", "/funnel?period=2026-11"} {
			body := mia.get(path).body
			links = append(links, hrefs(body, "/leads?")...)
			links = append(links, hrefs(body, "/deals?")...)
		}
		var springLink string
		for _, l := range links {
			req := httptest.NewRequest("GET", l, nil)
			var err error
			if strings.HasPrefix(l, "/leads?") {
				var f tandem.LeadFilter
				f, err = leadFilter(req, newYork)
				if f.Equal["campaign"] == "spring" {
					springLink = l
					page, lerr := ws.db.Leads(ctx, f)
					if lerr != nil || len(page.Leads) != 3 {
						t.Errorf("the leads %s lists = %d, %v; want the 3 of spring", l, len(page.Leads), lerr)
					}
				}
			} else {
				_, err = dealFilter(req, newYork)
			}
			if err != nil {
				t.Errorf("link %s does not parse: %v", l, err)
			}
		}
		if springLink == "" || len(links) < 4 {
			t.Errorf("links %q; want spring's leads and the deal lists among them", links)
		}

		// The SLA board's weeks and the pacing page's months.
		weeks, err := report.ReadSLAWeeks(ctx, ws.db, ws.db.Now())
		if err != nil || len(weeks) != report.TrendWeeks {
			t.Fatalf("ReadSLAWeeks = %d weeks, %v; want %d", len(weeks), err, report.TrendWeeks)
		}
		for i, w := range map[int][2]any{6: {"2026-11-02", 4}, 7: {"2026-11-09", 1}} {
			if weeks[i].Period.Name != w[0] || weeks[i].Total.Handoffs != w[1] {
				t.Errorf("week %d = %s with %d hand-offs; want %s with %d", i, weeks[i].Period.Name, weeks[i].Total.Handoffs, w[0], w[1])
			}
		}
		sam := ws.signIn("sam@example.com")
		want(t, "GET /sla", sam.get("/sla"), 200, `data-testid="sla-weeks"`, "Week of Oct 26", "Week of Nov 2", "Week of Nov 9", `id="chart-sla-weeks"`)
		pacing := mia.get("/pacing?period=2026-11")
		want(t, "GET /pacing", pacing, 200, `id="chart-pacing-months"`, `href="/pacing?period=2026-06"`)
		nov := regexp.MustCompile(`(?s)period=2026-11">2026-11</a>.*?</th><td>([^<]*)</td>`).FindSubmatch(pacing.body)
		if nov == nil || string(nov[1]) != "5" {
			t.Errorf("pacing's November qualified leads = %q; want 5", nov)
		}
		want(t, "GET /funnel", mia.get("/funnel?period=2026-11"), 200, `id="chart-funnel-months"`, `data-testid="funnel-months"`)

		// The forms answer with the period and model they were posted from.
		oct := mia.get("/campaigns?period=2026-10&model=linear")
		action := regexp.MustCompile(`action="(/campaigns/spend\?[^"]*)"`).FindSubmatch(oct.body)
		if action == nil {
			t.Fatalf("no spend form on /campaigns?period=2026-10&model=linear")
		}
		want(t, "spend posted from October under linear", mia.post(html.UnescapeString(string(action[1])),
			url.Values{"campaign": {"spring"}, "month": {"2026-10"}, "amount": {"10"}}),
			200, "Spend and return, 2026-10", `<option value="linear" selected>`)

		rita := ws.signIn("rita@example.com")
		r = rita.get("/campaigns?period=2026-11")
		want(t, "GET /campaigns as a rep", r, 200, "Bea")
		if strings.Contains(string(r.body), "spend-form") {
			t.Errorf("a rep's campaigns page has the spend form")
		}
		want(t, "a rep posts spend", rita.post("/campaigns/spend", url.Values{"campaign": {"spring"}, "month": {"2026-11"}, "amount": {"1"}}), 403)
	})
}
