package report_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/jeopardy"
	"github.com/tandemhq/tandem/notify"
	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

var newYork, _ = time.LoadLocation("America/New_York")

// world is a signed default agreement with both heads, an executive, a
// sales manager and a rep, on a fake clock.
type world struct {
	db                       *sqldb.DB
	clk                      *clock.Fake
	mia, sam, eve, manu, rex tandem.User
}

func newWorld(t *testing.T, be sqldbtest.Backend, at time.Time) *world {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(at)
	// Alerts go out by email besides the inbox.
	db, err := sqldb.Open(ctx, sqldbtest.Fresh(t, be), sqldb.Options{Clock: clk, Channels: notify.Routes([]notify.Channel{notify.EmailChannel()})})
	if err != nil {
		t.Fatalf("sqldb.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	c := tandemtest.People(t, db, tandemtest.Mia, tandemtest.Sam, tandemtest.Eve, tandemtest.Manu, tandemtest.Rex)
	c.Sign(t, db, string(agreement.Default()))
	return &world{db: db, clk: clk, mia: c.Mia, sam: c.Sam, eve: c.Eve, manu: c.Manu, rex: c.Rex}
}

func (w *world) rexToken() tandem.Token { return tandemtest.Token(w.rex) }

// mqls takes in n leads that meet the default mql rule; each is handed
// off to rex, the only rep.
func (w *world) mqls(t *testing.T, prefix string, n int) []int64 {
	t.Helper()
	var in []tandem.LeadInput
	for i := range n {
		ext := fmt.Sprintf("%s%d", prefix, i)
		in = append(in, tandem.LeadInput{Fields: map[string]string{"external_id": ext, "email": ext + "@example.com", "score": "70",
			"origin": []string{"paid_search", "email"}[i%2], "campaign": "spring"}})
	}
	rs, err := w.db.IntakeLeads(context.Background(), in, sqldb.IntakeOptions{DefaultSource: "web", Actor: "test"})
	if err != nil {
		t.Fatalf("IntakeLeads: %v", err)
	}
	ids := make([]int64, len(rs))
	for i, r := range rs {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		ids[i] = r.ID
	}
	return ids
}

func (w *world) touches(t *testing.T, lead int64, n int) {
	t.Helper()
	for range n {
		if _, err := w.db.LogTouch(context.Background(), lead, tandem.Touch{Channel: "call", Outcome: tandem.OutcomeNoAnswer}, w.rexToken()); err != nil {
			t.Fatalf("LogTouch: %v", err)
		}
	}
}

// opportunity moves an accepted lead on to opportunity and returns its
// deal.
func (w *world) opportunity(t *testing.T, lead int64) tandem.Deal {
	t.Helper()
	ctx := context.Background()
	for _, s := range []string{"sql", "opportunity"} {
		if _, err := w.db.MoveLead(ctx, lead, s, "qualified", "rex@example.com"); err != nil {
			t.Fatalf("MoveLead: %v", err)
		}
	}
	page, err := w.db.Deals(ctx, tandem.DealFilter{LeadID: lead})
	if err != nil || len(page.Deals) != 1 {
		t.Fatalf("deals of lead %d = %v, %v; want one", lead, page.Deals, err)
	}
	return page.Deals[0]
}

// october fills October 2026: ten hand-offs, four accepted, one rejected
// for no_budget after six touches, three taken to opportunity; one deal
// won for 20,000.00, one lost; one review rated 4.
func (w *world) october(t *testing.T) (ids []int64, open tandem.Deal) {
	t.Helper()
	ctx := context.Background()
	ids = w.mqls(t, "oct", 10)
	for _, id := range ids[:4] {
		if _, err := w.db.Decide(ctx, id, sqldb.Decision{Decision: tandem.DecisionAccepted}, w.rexToken()); err != nil {
			t.Fatalf("Decide: %v", err)
		}
	}
	w.touches(t, ids[4], 6)
	if _, err := w.db.Decide(ctx, ids[4], sqldb.Decision{Decision: tandem.DecisionRejected, Reason: "no_budget"}, w.rexToken()); err != nil {
		t.Fatalf("Decide: %v", err)
	}
	if _, err := w.db.Review(ctx, ids[0], tandem.Review{Rating: 4}, w.rexToken()); err != nil {
		t.Fatalf("Review: %v", err)
	}
	won, lost := w.opportunity(t, ids[0]), w.opportunity(t, ids[1])
	open = w.opportunity(t, ids[2])
	w.clk.Set(time.Date(2026, 10, 20, 11, 0, 0, 0, newYork))
	if _, err := w.db.WinDeal(ctx, won.ID, 2_000_000, time.Time{}, "rex@example.com"); err != nil {
		t.Fatalf("WinDeal: %v", err)
	}
	w.touches(t, ids[1], 6)
	if _, err := w.db.LoseDeal(ctx, lost.ID, "price", "rex@example.com"); err != nil {
		t.Fatalf("LoseDeal: %v", err)
	}
	return ids, open
}

// TestScorecardFreezesAClosedPeriod computes October's scorecard once it
// has ended, checks its numbers, then adds late news about October (a deal
// won back-dated into it) and November's leads: October's scorecard reads
// back the same, though the ledger now says more.
func TestScorecardFreezesAClosedPeriod(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newWorld(t, be, time.Date(2026, 10, 5, 10, 0, 0, 0, newYork))
		_, open := w.october(t)
		w.clk.Set(time.Date(2026, 11, 2, 8, 0, 0, 0, newYork))

		sc, err := report.Scorecard(ctx, w.db, w.clk.Now(), "2026-10")
		if err != nil {
			t.Fatalf("Scorecard: %v", err)
		}
		if !sc.Complete || sc.FrozenAt.IsZero() || sc.AgreementVersion == nil || *sc.AgreementVersion != 1 {
			t.Fatalf("scorecard: complete %v, frozen at %v, version %v; want complete, frozen, version 1", sc.Complete, sc.FrozenAt, sc.AgreementVersion)
		}
		entered := map[string]int{}
		for _, s := range sc.Funnel {
			entered[s.Stage] = s.Entered
		}
		// Each lead is created at lead and moved on to mql by its rule.
		want := map[string]int{"lead": 10, "mql": 10, "sal": 4, "sql": 3, "opportunity": 3, "customer": 1}
		for s, n := range want {
			if entered[s] != n {
				t.Errorf("funnel %s entered %d; want %d (funnel %+v)", s, entered[s], n, sc.Funnel)
			}
		}
		if sc.KPI.Name != agreement.KPINewCustomers || sc.KPI.Actual != 1 {
			t.Errorf("KPI = %+v; want new_customers, 1", sc.KPI)
		}
		// The default goal is 1,200,000 a quarter: 400,000 for a month, and
		// 34 customers of 12,000 (33.3 rounded up) for all of it.
		if sc.KPI.Target != 34 || sc.Revenue.Goal != 400000 || sc.Revenue.Won != 20000 || sc.Revenue.WonDeals != 1 || sc.Revenue.LostDeals != 1 {
			t.Errorf("KPI target %v, revenue %+v; want 34, goal 400000, won 20000 in 1 deal, 1 lost", sc.KPI.Target, sc.Revenue)
		}
		if len(sc.Rejections) != 1 || sc.Rejections[0].Code != "no_budget" || sc.Rejections[0].Count != 1 || sc.Rejections[0].Description == "" {
			t.Errorf("rejections = %+v; want no_budget once, described", sc.Rejections)
		}
		if len(sc.Ratings) != 1 || sc.Ratings[0].Campaign != "spring" || sc.Ratings[0].Average != 4 {
			t.Errorf("ratings = %+v; want spring rated 4", sc.Ratings)
		}
		var volume *float64
		for _, c := range sc.Commitments {
			if c.Name == "qualified_leads" {
				volume = &c.Deviation
				if c.Actual != 10 || c.Target != 400 || c.Met || !c.Judged {
					t.Errorf("qualified leads = %+v; want 10 of 400, judged, not met", c)
				}
			}
		}
		if volume == nil || *volume != -0.975 {
			t.Errorf("qualified leads deviation = %v; want -0.975", volume)
		}
		topics := map[string]bool{}
		for _, it := range sc.Agenda {
			topics[it.Topic] = true
		}
		if len(sc.Agenda) != scorecard.MaxAgenda || !topics["qualified_leads"] || !topics["kpi"] ||
			!slices.IsSortedFunc(sc.Agenda, func(a, b scorecard.Item) int { return cmp.Compare(a.Deviation, b.Deviation) }) {
			t.Errorf("agenda = %+v; want 10 items, largest shortfall first, among them qualified leads and the KPI", sc.Agenda)
		}
		bySource := map[string]bool{}
		for _, s := range sc.BySource {
			bySource[s.Source] = true
		}
		if !bySource["paid_search"] || !bySource["email"] {
			t.Errorf("by source = %+v; want paid_search and email", sc.BySource)
		}

		// Late news about October, and November's own leads.
		if _, err := w.db.WinDeal(ctx, open.ID, 5_000_000, time.Date(2026, 10, 30, 12, 0, 0, 0, newYork), "rex@example.com"); err != nil {
			t.Fatalf("WinDeal: %v", err)
		}
		w.mqls(t, "nov", 5)
		o, err := w.db.Outcomes(ctx, sc.From, sc.To)
		if err != nil || o.WonDeals != 2 {
			t.Fatalf("October's outcomes now: %+v, %v; want the late deal counted", o, err)
		}
		w.clk.Set(time.Date(2026, 12, 15, 8, 0, 0, 0, newYork))
		again, err := report.Scorecard(ctx, w.db, w.clk.Now(), "2026-10")
		if err != nil {
			t.Fatalf("Scorecard: %v", err)
		}
		a, _ := json.Marshal(sc)
		b, _ := json.Marshal(again)
		if string(a) != string(b) {
			t.Errorf("October's scorecard changed after it was frozen:\nfirst %s\nlater %s", a, b)
		}
	})
}

// TestCheckRaisesEachAlertOnce checks the fourth quarter of 2026 on 12
// November: a tenth of the goal's revenue and a sliver of the committed
// qualified leads put it in jeopardy. The first check raises both alerts and
// tells the heads and the executive; the second finds them again but raises
// nothing; the scorecard lists them.
func TestCheckRaisesEachAlertOnce(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newWorld(t, be, time.Date(2026, 10, 5, 10, 0, 0, 0, newYork))
		w.october(t)
		w.clk.Set(time.Date(2026, 11, 12, 10, 0, 0, 0, newYork))

		first, err := report.Check(ctx, w.db, w.clk.Now(), report.Request{})
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		causes := func(as []jeopardy.Alert) []jeopardy.Cause {
			var cs []jeopardy.Cause
			for _, a := range as {
				cs = append(cs, a.Cause)
			}
			return cs
		}
		wantCauses := []jeopardy.Cause{jeopardy.Revenue, jeopardy.QualifiedLeads}
		if first.Period != "2026-Q4" || !slices.Equal(causes(first.Found), wantCauses) || !slices.Equal(causes(first.Raised), wantCauses) {
			t.Fatalf("first check of %s: found %v, raised %v; want %v both", first.Period, causes(first.Found), causes(first.Raised), wantCauses)
		}
		rev := first.Raised[0].Figures[0]
		// 43 days of 92 have passed with 20,000 won: 20,000 × 92 ÷ 43, to the cent.
		if rev.Expected != 1_200_000 || rev.Actual != 20000 || rev.Projected != 42790.7 {
			t.Errorf("revenue figure = %+v; want expected 1200000, actual 20000, projected 42790.70", rev)
		}
		second, err := report.Check(ctx, w.db, w.clk.Now(), report.Request{})
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if len(second.Found) != 2 || len(second.Raised) != 0 {
			t.Errorf("second check: found %v, raised %v; want both found and none raised again", causes(second.Found), causes(second.Raised))
		}
		alerts, err := w.db.Alerts(ctx, sqldb.AlertFilter{Periods: []string{"2026-Q4"}})
		if err != nil || len(alerts) != 2 {
			t.Fatalf("alerts = %v, %v; want 2", alerts, err)
		}
		for _, u := range []tandem.User{w.mia, w.sam, w.eve, w.manu, w.rex} {
			var inbox, email int
			for _, c := range []string{"inbox", "email"} {
				ns, err := w.db.Notifications(ctx, sqldb.NotificationFilter{UserID: u.ID, Channel: c})
				if err != nil {
					t.Fatalf("Notifications: %v", err)
				}
				for _, n := range ns {
					if n.LeadID == 0 && len(n.Subject) > 8 && n.Subject[:8] == "Jeopardy" {
						if c == "inbox" {
							inbox++
						} else {
							email++
						}
					}
				}
			}
			want := 0
			if u.Role == tandem.RoleMarketingHead || u.Role == tandem.RoleSalesHead || u.Role == tandem.RoleExecutive {
				want = 2
			}
			if inbox != want || email != want {
				t.Errorf("%s (%s) got %d in-app and %d email alerts; want %d of each", u.Email, u.Role, inbox, email, want)
			}
		}
		sc, err := report.Scorecard(ctx, w.db, w.clk.Now(), "2026-11")
		if err != nil {
			t.Fatalf("Scorecard: %v", err)
		}
		if len(sc.Alerts) != 2 || sc.Complete || !sc.FrozenAt.IsZero() {
			t.Errorf("November's scorecard: %d alerts, complete %v, frozen %v; want the quarter's 2, running, not frozen", len(sc.Alerts), sc.Complete, sc.FrozenAt)
		}
		// A bad period names the field.
		if _, err := report.Check(ctx, w.db, w.clk.Now(), report.Request{Period: "Q4"}); tandem.ErrorCode(err) != tandem.EINVALID || tandem.ErrorFields(err)[0].Field != "period" {
			t.Errorf("Check(period Q4) = %v; want EINVALID naming period", err)
		}
	})
}

// TestRunningScorecardIsKept reads November's scorecard while it runs: a
// second read within RunningMaxAge returns the one kept, one after it
// computes again and sees what changed.
func TestRunningScorecardIsKept(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newWorld(t, be, time.Date(2026, 11, 2, 10, 0, 0, 0, newYork))
		w.mqls(t, "a", 3)
		first, err := report.Scorecard(ctx, w.db, w.clk.Now(), "2026-11")
		if err != nil || first.Complete || first.Funnel[1].Entered != 3 {
			t.Fatalf("first read: %+v, %v; want 3 mqls so far", first.Funnel, err)
		}
		w.clk.Set(time.Date(2026, 11, 2, 10, 3, 0, 0, newYork))
		w.mqls(t, "b", 2)
		kept, err := report.Scorecard(ctx, w.db, w.clk.Now(), "2026-11")
		if err != nil || !kept.AsOf.Equal(first.AsOf) || kept.Funnel[1].Entered != 3 {
			t.Errorf("read 3 minutes later: as of %v, %d mqls, %v; want the kept one (as of %v, 3)", kept.AsOf, kept.Funnel[1].Entered, err, first.AsOf)
		}
		w.clk.Set(time.Date(2026, 11, 2, 10, 6, 0, 0, newYork))
		fresh, err := report.Scorecard(ctx, w.db, w.clk.Now(), "2026-11")
		if err != nil || !fresh.AsOf.Equal(w.clk.Now()) || fresh.Funnel[1].Entered != 5 {
			t.Errorf("read 6 minutes later: as of %v, %d mqls, %v; want computed now, 5", fresh.AsOf, fresh.Funnel[1].Entered, err)
		}
	})
}

// TestKeptForPages reads the pace and the SLA report the pages read while
// November runs, and refreshes them as the worker does: a read within
// RunningMaxAge returns the one kept, RefreshKept recomputes what is older
// than half of RefreshEvery and leaves the rest.
func TestKeptForPages(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newWorld(t, be, time.Date(2026, 11, 2, 10, 0, 0, 0, newYork))
		at := func(m int) time.Time { return time.Date(2026, 11, 2, 10, m, 0, 0, newYork) }
		mqls := func(p pace.Pace) int64 {
			for _, st := range p.Stages {
				if st.Stage == "mql" {
					return st.Actual
				}
			}
			t.Fatalf("no mql stage in %+v", p.Stages)
			return 0
		}
		read := func(m int, wantAsOf int, wantMQLs int64, wantHandoffs int) {
			t.Helper()
			w.clk.Set(at(m))
			p, err := report.KeptPace(ctx, w.db, w.clk.Now(), "2026-11")
			if err != nil || !p.AsOf.Equal(at(wantAsOf)) || mqls(p) != wantMQLs {
				t.Errorf("10:%02d: KeptPace as of %v with %d mqls, %v; want as of 10:%02d with %d", m, p.AsOf.In(newYork), mqls(p), err, wantAsOf, wantMQLs)
			}
			s, err := report.KeptSLA(ctx, w.db, w.clk.Now(), sqldb.SLAQuery{Period: "2026-11"})
			if err != nil || !s.AsOf.Equal(at(wantAsOf)) || s.Total.Handoffs != wantHandoffs || s.By != "rep" {
				t.Errorf("10:%02d: KeptSLA as of %v by %q with %d hand-offs, %v; want as of 10:%02d by rep with %d", m, s.AsOf.In(newYork), s.By, s.Total.Handoffs, err, wantAsOf, wantHandoffs)
			}
		}
		w.mqls(t, "a", 3)
		read(0, 0, 3, 3)
		w.mqls(t, "b", 2)
		read(3, 0, 3, 3) // kept
		read(6, 6, 5, 5) // older than RunningMaxAge: computed again

		// The worker's refresh: at 10:07 everything kept is younger than
		// half of RefreshEvery, or missing (the quarter's): only what is
		// missing is computed.
		w.mqls(t, "c", 1)
		w.clk.Set(at(7))
		if err := report.RefreshKept(ctx, w.db, w.clk.Now()); err != nil {
			t.Fatalf("RefreshKept: %v", err)
		}
		read(7, 6, 5, 5)
		q, err := report.KeptPace(ctx, w.db, w.clk.Now(), "2026-Q4")
		if err != nil || !q.AsOf.Equal(at(7)) || mqls(q) != 6 {
			t.Errorf("the quarter's pace after RefreshKept: as of %v, %d mqls, %v; want computed at 10:07 with 6", q.AsOf.In(newYork), mqls(q), err)
		}
		// Last month's SLA report, which the pages offer, is kept too.
		if oct, err := report.KeptSLA(ctx, w.db, w.clk.Now(), sqldb.SLAQuery{Period: "2026-10"}); err != nil || !oct.AsOf.Equal(at(7)) || !oct.Complete {
			t.Errorf("October's SLA report after RefreshKept: as of %v, complete %v, %v; want computed at 10:07", oct.AsOf.In(newYork), oct.Complete, err)
		}
		// At 10:09 the month's pace and SLA report (of 10:06) are older
		// than half of RefreshEvery; its scorecard, first computed at
		// 10:07, is not.
		w.clk.Set(at(9))
		if err := report.RefreshKept(ctx, w.db, w.clk.Now()); err != nil {
			t.Fatalf("RefreshKept: %v", err)
		}
		read(9, 9, 6, 6)
		sc, err := report.Scorecard(ctx, w.db, w.clk.Now(), "2026-11")
		if err != nil || !sc.AsOf.Equal(at(7)) {
			t.Errorf("the month's scorecard after RefreshKept at 10:09: as of %v, %v; want the one of 10:07", sc.AsOf.In(newYork), err)
		}
	})
}
