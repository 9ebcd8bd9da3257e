package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/tandemtest"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/password"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestFiguresAgree checks that the funnel page (served by tandem serve on
// loopback), the API's JSON, tandem pace and the revenue alert of tandem
// jeopardy check state the same target and the same figures for November
// 2026, worked out by hand:
//
// The default agreement with a goal of 180,000 a quarter and lead_to_mql
// 0.3 (deals of 12,000, unified KPI new_customers) is signed on November
// 2. Four leads become opportunities on November 3; two are won for 12,000
// each (November 5 and 9). On November 16 (day 16 of 30): the goal is
// 60,000, the target ⌈60,000 ÷ 12,000⌉ = 5 new customers; won revenue
// 24,000, projected 24,000 × 30 ÷ 16 = 45,000 (-25%); customers 2,
// projected 2 × 30 ÷ 16 = 3.75.
func TestFiguresAgree(t *testing.T) {
	for _, b := range sqldbtest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			dsn := sqldbtest.Fresh(t, b)
			ny, _ := time.LoadLocation("America/New_York")
			clk := clock.NewFake(time.Date(2026, 11, 2, 10, 0, 0, 0, ny))
			db, err := sqldb.Open(ctx, dsn, sqldb.Options{Clock: clk})
			if err != nil {
				t.Fatalf("sqldb.Open = %v", err)
			}
			defer db.Close()
			const pw = "a long test passphrase 7"
			hash := password.HashWith(pw, password.Params{Time: 1, Memory: 64, Threads: 1})
			for _, u := range []tandem.User{{Email: "mia@example.com", Role: tandem.RoleMarketingHead}, {Email: "sam@example.com", Role: tandem.RoleSalesHead},
				{Email: "manu@example.com", Role: tandem.RoleSalesManager}, {Email: "rex@example.com", Role: tandem.RoleSalesRep},
				{Email: "eve@example.com", Role: tandem.RoleExecutive}} {
				if err := db.CreateUser(ctx, &u); err != nil {
					t.Fatalf("CreateUser(%s) = %v", u.Email, err)
				}
				if _, err := db.SetPassword(ctx, u.Email, hash); err != nil {
					t.Fatalf("SetPassword(%s) = %v", u.Email, err)
				}
			}
			tandemtest.Sign(t, db, strings.NewReplacer("revenue: 1200000", "revenue: 180000", "lead_to_mql: history", "lead_to_mql: 0.3").Replace(string(agreement.Default())), "mia@example.com", "sam@example.com")
			clk.Set(time.Date(2026, 11, 3, 10, 0, 0, 0, ny))
			var deals []int64
			for i := range 4 {
				name := fmt.Sprintf("F%d", i)
				rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"external_id": name, "email": name + "@example.com", "stage": "lead"}}},
					sqldb.IntakeOptions{DefaultSource: "web", Actor: "test"})
				if err != nil || rs[0].Err != nil {
					t.Fatalf("IntakeLeads(%s) = %v, %+v", name, err, rs)
				}
				if _, err := db.MoveLead(ctx, rs[0].ID, "opportunity", "qualified", "test"); err != nil {
					t.Fatalf("MoveLead(%s) = %v", name, err)
				}
				page, err := db.Deals(ctx, tandem.DealFilter{LeadID: rs[0].ID})
				if err != nil || len(page.Deals) != 1 {
					t.Fatalf("Deals(%s) = %+v, %v", name, page, err)
				}
				deals = append(deals, page.Deals[0].ID)
			}
			for i, day := range []int{5, 9} {
				clk.Set(time.Date(2026, 11, day, 11, 0, 0, 0, ny))
				if _, err := db.WinDeal(ctx, deals[i], 1_200_000, clk.Now(), "test"); err != nil {
					t.Fatalf("WinDeal(%d) = %v", deals[i], err)
				}
			}
			clk.Set(time.Date(2026, 11, 16, 12, 0, 0, 0, ny))
			_, token, err := db.CreateToken(ctx, "figures", tandem.RoleExecutive)
			if err != nil {
				t.Fatalf("CreateToken = %v", err)
			}
			srv := startServing(t, ctx, &Main{Getenv: noEnv, Clock: clk}, "--db", dsn, "serve", "--addr", "127.0.0.1:0")
			t.Cleanup(func() { <-srv.done })
			base := srv.url

			// The API: the pace and the scorecard.
			var pc pace.Pace
			apiGet(t, base+"/api/v1/pace?period=2026-11", token, &pc)
			var sc scorecard.Scorecard
			apiGet(t, base+"/api/v1/scorecard?period=2026-11", token, &sc)
			if pc.Target != sc.Target {
				t.Errorf("the pace's target %+v; the scorecard's %+v; want the same", pc.Target, sc.Target)
			}
			if pc.Target.Value != 5 || pc.Target.Goal != 60_000 || pc.Target.Label != "new customers: 5" || sc.KPI.Target != 5 || sc.Revenue.Goal != 60_000 {
				t.Errorf("target %+v, KPI target %v, revenue goal %v; want 5 new customers of the goal 60,000", pc.Target, sc.KPI.Target, sc.Revenue.Goal)
			}
			if pc.RevenueActualCents != 2_400_000 || pc.RevenueProjectedCents != 4_500_000 || pc.RevenuePlannedCents != 6_000_000 ||
				pc.TargetActual != 2 || pc.TargetProjected != 3.75 || sc.KPI.Actual != 2 || sc.Revenue.Won != 24_000 {
				t.Errorf("pace: revenue %d, projected %d, goal %d cents; target actual %v, projected %v; scorecard KPI %v, won %v; want 24,000, 45,000, 60,000, 2, 3.75, 2, 24,000",
					pc.RevenueActualCents, pc.RevenueProjectedCents, pc.RevenuePlannedCents, pc.TargetActual, pc.TargetProjected, sc.KPI.Actual, sc.Revenue.Won)
			}
			prob := percent(pc.Probability)
			t.Logf("the probability of reaching the target: %s", prob)

			// The page, signed in as the executive.
			body := signedInGet(t, base, "eve@example.com", pw, "/funnel?period=2026-11")
			for id, want := range map[string]string{
				"probability":      prob + " ",
				"target-projected": "4 short of the target",
				"target-actual":    "2",
				"projected":        "45,000 short of the goal of 60,000",
				"goal":             "60,000 ",
				"kpi":              "2 of the target 5 (40%)",
			} {
				if got := testID(body, id); !strings.HasPrefix(got, want) {
					t.Errorf("/funnel %s = %q; want it to start with %q", id, got, want)
				}
			}
			if !strings.Contains(body, "Probability of reaching the target (new customers: 5)") {
				t.Errorf("/funnel does not say what its probability is of")
			}

			// The command line.
			r := tandemCmd(t, clk, dsn, "pace", "--period", "2026-11")
			for _, want := range []string{
				"target: new customers: 5 (the revenue goal of 60,000 for 2026-11 ÷ the average deal size 12,000, rounded up)",
				"won revenue: 24,000 so far, projected 45,000, against the goal of 60,000",
				"new customers: 2 so far, projected 4, short of the target of 5",
				"probability of reaching the target (new customers: 5): " + prob + " ",
			} {
				if r.code != 0 || !strings.Contains(r.stdout, want) {
					t.Errorf("tandem pace: exit %d; want %q in:\n%s%s", r.code, want, r.stdout, r.stderr)
				}
			}

			// The alert, and the same on the page.
			r = tandemCmd(t, clk, dsn, "jeopardy", "check", "--period", "2026-11", "--format", "json")
			var checked report.Checked
			if err := json.Unmarshal([]byte(r.stdout), &checked); r.code != 0 || err != nil {
				t.Fatalf("tandem jeopardy check: exit %d, %v:\n%s%s", r.code, err, r.stdout, r.stderr)
			}
			summary := ""
			for _, a := range checked.Found {
				if a.Cause == "revenue" {
					summary = a.Summary
				}
			}
			want := "won revenue is projected at 45,000 against the goal of 60,000 (-25%) by the end of 2026-11: 24,000 won in 16 of 30 days; " +
				"the probability of reaching the target (new customers: 5) is " + prob
			if summary != want {
				t.Errorf("the revenue alert says %q;\nwant %q", summary, want)
			}
			if body := signedInGet(t, base, "eve@example.com", pw, "/funnel?period=2026-11"); !strings.Contains(body, want) {
				t.Errorf("/funnel does not list the alert %q", want)
			}
		})
	}
}

// percent writes a share as the pages do, by its own plain arithmetic: a
// percentage with one decimal at most.
func percent(x float64) string {
	return strconv.FormatFloat(math.Round(x*1000)/10, 'f', -1, 64) + "%"
}

// apiGet GETs an API URL with the token and decodes its JSON into v.
func apiGet(t *testing.T, u, token string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s = %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s = %d: %s", u, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// signedInGet signs in to the pages as email and GETs path.
func signedInGet(t *testing.T, base, email, pw, path string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	resp, err := c.PostForm(base+"/login", url.Values{"email": {email}, "password": {pw}})
	if err != nil {
		t.Fatalf("POST /login = %v", err)
	}
	resp.Body.Close()
	resp, err = c.Get(base + path)
	if err != nil {
		t.Fatalf("GET %s = %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != strings.SplitN(path, "?", 2)[0] {
		t.Fatalf("GET %s as %s = %d at %s:\n%s", path, email, resp.StatusCode, resp.Request.URL, b)
	}
	return string(b)
}

// testID returns the text of the element with the data-testid, tags
// removed and spaces squeezed.
func testID(body, id string) string {
	m := regexp.MustCompile(`(?s)data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</(dd|p|td|span|ol|ul|table)>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], " ")), " ")
}

// TestDemoHistoryIsDescribed builds a small demo (its agreement signed a
// year before demoNow) and reads the scorecard of every month from the one
// before the agreement to the running one: the month before is described,
// not judged; no stage whose leads went on in a month reads a conversion
// of 0; and the running month puts no volume on its agenda.
func TestDemoHistoryIsDescribed(t *testing.T) {
	dsn := buildDemoDB(t, "1500", "1")
	clk := clock.NewFake(demoNow)
	before := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
	wentOn := 0 // leads that went on from the stage before the last, in all months
	for m := before; !m.After(demoNow); m = m.AddDate(0, 1, 0) {
		period := m.Format("2006-01")
		r := tandemCmd(t, clk, dsn, "report", "scorecard", "--period", period, "--format", "json")
		var sc scorecard.Scorecard
		if err := json.Unmarshal([]byte(r.stdout), &sc); r.code != 0 || err != nil {
			t.Fatalf("tandem report scorecard --period %s: exit %d, %v: %s", period, r.code, err, r.stderr)
		}
		switch {
		case m.Equal(before):
			if sc.Status != scorecard.StatusNoAgreement || len(sc.Agenda) != 0 || sc.KPI.Target != 0 ||
				!strings.Contains(r.stderr, "had no agreement in force") {
				t.Errorf("%s (before the agreement): status %q, agenda %v, KPI target %v, stderr %q; want no_agreement, nothing judged",
					period, sc.Status, sc.Agenda, sc.KPI.Target, r.stderr)
			}
		case period == demoNow.Format("2006-01"):
			if sc.Status != scorecard.StatusRunning || !strings.Contains(r.stderr, "is running (day 3 of 30)") {
				t.Errorf("%s: status %q, stderr %q; want running, day 3 of 30", period, sc.Status, r.stderr)
			}
			for _, it := range sc.Agenda {
				if it.Topic == "kpi" || it.Topic == "revenue" || it.Topic == "qualified_leads" || strings.HasPrefix(it.Topic, "stage:") {
					t.Errorf("%s (running) has %s on its agenda: %s", period, it.Topic, it.Text)
				}
			}
		default:
			if sc.Status != scorecard.StatusComplete {
				t.Errorf("%s: status %q; want complete", period, sc.Status)
			}
		}
		wentOn += sc.Funnel[len(sc.Funnel)-2].MovedOn
		for i, st := range sc.Funnel[:len(sc.Funnel)-1] {
			if st.MovedOn > 0 && st.Entered > 0 && st.Conversion == 0 {
				t.Errorf("%s: %s reads a conversion of 0 with %d of %d gone on", period, st.Stage, st.MovedOn, st.Entered)
			}
			if st.MovedOn > sc.Funnel[i+1].Entered {
				t.Errorf("%s: %d went on from %s, but only %d entered %s", period, st.MovedOn, st.Stage, sc.Funnel[i+1].Entered, sc.Funnel[i+1].Stage)
			}
		}
	}
	if wentOn == 0 {
		t.Errorf("no lead went on to the last stage in the demo's year; want the demo's customers")
	}
}
