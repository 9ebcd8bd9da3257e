package sqldb

// These tests sit inside the package so that the benchmark can write a
// month of hand-offs directly; the report tests drive the real engine
// through the exported use cases only.

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/tandemtest"
)

var reportNY, _ = time.LoadLocation("America/New_York")

// reportAt is a wall-clock time in the default agreement's time zone in
// 2026; 2 November is a Monday.
func reportAt(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, reportNY).UTC()
}

// reportWorld is a database under the signed default agreement with sam
// (sales head), manu (manager), rex (rep, team East), ria (rep, team West)
// and mia (marketing head).
type reportWorld struct {
	db                       *DB
	clk                      *clock.Fake
	sam, manu, rex, ria, mia tandem.User
}

func newReportWorld(t testing.TB, b sqldbtest.Backend, reps int) *reportWorld {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewFake(reportAt(time.November, 2, 8, 0))
	db, err := Open(ctx, b.DSN, Options{Clock: clk})
	if err != nil {
		t.Fatalf("Open(%s): %v", b.Name, err)
	}
	t.Cleanup(func() { db.Close() })
	c := tandemtest.People(t, db, tandemtest.Mia, tandemtest.Sam, tandemtest.Manu, tandemtest.Rex, tandemtest.Ria)
	w := &reportWorld{db: db, clk: clk, sam: c.Sam, manu: c.Manu, rex: c.Rex, ria: c.Ria, mia: c.Mia}
	for i := 2; i < reps; i++ {
		u := tandem.User{Email: fmt.Sprintf("rep%d@example.com", i), Role: tandem.RoleSalesRep, Team: "North", ManagerID: w.manu.ID}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatalf("CreateUser(%s) = %v", u.Email, err)
		}
	}
	w.sign(t, string(agreement.Default()))
	return w
}

func (w *reportWorld) sign(t testing.TB, body string) {
	t.Helper()
	tandemtest.Sign(t, w.db, body, w.mia.Email, w.sam.Email)
}

// intake takes in leads that meet the default mql rule, each given as
// external id, source and segment, and returns them.
func (w *reportWorld) intake(t testing.TB, leads ...[3]string) []tandem.Lead {
	t.Helper()
	ctx := context.Background()
	var in []tandem.LeadInput
	for _, l := range leads {
		in = append(in, tandem.LeadInput{Fields: map[string]string{"external_id": l[0], "source": l[1], "segment": l[2],
			"email": l[0] + "@example.com", "score": "70"}})
	}
	rs, err := w.db.IntakeLeads(ctx, in, IntakeOptions{})
	if err != nil {
		t.Fatalf("IntakeLeads: %v", err)
	}
	var out []tandem.Lead
	for _, r := range rs {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		l, err := w.db.Lead(ctx, r.ID)
		if err != nil {
			t.Fatalf("Lead: %v", err)
		}
		if l.Stage != "mql" {
			t.Fatalf("lead %s is %s; want mql", l.ExternalID, l.Stage)
		}
		out = append(out, l)
	}
	return out
}

func reportToken(u tandem.User) tandem.Token { return tandemtest.Token(u) }

// at sets the clock to a time on Monday 2 November.
func (w *reportWorld) at(hour, min int) { w.clk.Set(reportAt(time.November, 2, hour, min)) }

func (w *reportWorld) touch(t testing.TB, l tandem.Lead, by tandem.User, channel, outcome string) {
	t.Helper()
	if _, err := w.db.LogTouch(context.Background(), l.ID, tandem.Touch{Channel: channel, Outcome: outcome}, reportToken(by)); err != nil {
		t.Fatalf("LogTouch(%s, %s %s) = %v", l.ExternalID, channel, outcome, err)
	}
}

func (w *reportWorld) decide(t testing.TB, l tandem.Lead, by tandem.User, d Decision) {
	t.Helper()
	if _, err := w.db.Decide(context.Background(), l.ID, d, reportToken(by)); err != nil {
		t.Fatalf("Decide(%s, %s) = %v", l.ExternalID, d.Decision, err)
	}
}

func (w *reportWorld) fire(t testing.TB) {
	t.Helper()
	if _, err := w.db.FireDue(context.Background(), "w", 1000, w.db.FireSLA()); err != nil {
		t.Fatalf("FireDue: %v", err)
	}
}

func (w *reportWorld) setAbsent(t testing.TB, absent bool, us ...tandem.User) {
	t.Helper()
	for _, u := range us {
		if _, err := w.db.UpdateUser(context.Background(), u.Email, tandem.UserUpdate{Absent: &absent}); err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
	}
}

// monday plays a Monday of five hand-offs on the real engine (the default
// agreement: first touch within 10m, decision within 4h, so a hand-off at
// 09:00 owes its first touch and steps 1-3 at 09:10 and a decision at
// 13:00):
//
//	a rex  web   enterprise  call 09:07; email 09:30 (step 2 skipped, step 3 20m late); accepted 10:00; rated 4
//	b ria  web   smb         call with voicemail 09:25 (15m late, steps 1-2); disqualified 10:30; rated 2
//	c rex  event mid_market  never touched, never decided
//	d ria  event smb         call connected 09:05: the connected cadence; accepted 09:20
//	e —    web   (none)      13:55, every rep absent: not routed
//
// It returns the leads a to e; the clock is left at 14:00.
func (w *reportWorld) monday(t *testing.T) []tandem.Lead {
	w.at(9, 0)
	ls := w.intake(t, [3]string{"a", "web", "enterprise"}, [3]string{"b", "web", "smb"},
		[3]string{"c", "event", "mid_market"}, [3]string{"d", "event", "smb"})
	a, b, c, d := ls[0], ls[1], ls[2], ls[3]
	if a.OwnerID != w.rex.ID || b.OwnerID != w.ria.ID || c.OwnerID != w.rex.ID || d.OwnerID != w.ria.ID {
		t.Fatalf("round robin gave owners %d %d %d %d; want rex %d, ria %d, rex, ria", a.OwnerID, b.OwnerID, c.OwnerID, d.OwnerID, w.rex.ID, w.ria.ID)
	}
	w.at(9, 5)
	w.touch(t, d, w.ria, "call", tandem.OutcomeConnected)
	w.at(9, 7)
	w.touch(t, a, w.rex, "call", tandem.OutcomeNoAnswer)
	w.at(9, 11)
	w.fire(t)
	w.at(9, 20)
	w.decide(t, d, w.ria, Decision{Decision: tandem.DecisionAccepted})
	w.at(9, 25)
	w.touch(t, b, w.ria, "call", tandem.OutcomeVoicemail)
	w.at(9, 30)
	w.touch(t, a, w.rex, "email", tandem.OutcomeSent)
	w.at(10, 0)
	w.decide(t, a, w.rex, Decision{Decision: tandem.DecisionAccepted})
	w.at(10, 30)
	w.decide(t, b, w.ria, Decision{Decision: tandem.DecisionDisqualified, Reason: "a competitor"})
	w.at(10, 31)
	w.fire(t)
	w.at(11, 0)
	ctx := context.Background()
	if _, err := w.db.Review(ctx, a.ID, tandem.Review{Rating: 4}, reportToken(w.rex)); err != nil {
		t.Fatalf("Review: %v", err)
	}
	if _, err := w.db.Review(ctx, b.ID, tandem.Review{Rating: 2}, reportToken(w.ria)); err != nil {
		t.Fatalf("Review: %v", err)
	}
	w.at(13, 50)
	w.setAbsent(t, true, w.rex, w.ria)
	w.at(13, 55)
	e := w.intake(t, [3]string{"e", "web", ""})[0]
	if e.OwnerID != 0 {
		t.Fatalf("lead e went to %d with every rep absent; want nobody", e.OwnerID)
	}
	w.at(14, 0)
	w.fire(t)
	return append(ls, e)
}

func reportSegment(name string, count, commitment int) sla.SegmentRow {
	return sla.SegmentRow{Segment: name, Count: count, Commitment: commitment, Met: count >= commitment}
}

// reportStep is a StepStat of the default cadences, named by template.
func reportStep(template string, s sla.StepStat) sla.StepStat {
	names := map[string][3]string{
		"first-call": {"main", "1", "call"}, "first-voicemail": {"main", "2", "voicemail"}, "first-follow-up": {"main", "3", "email"},
		"day-1-call": {"main", "4", "call"}, "day-1-information": {"main", "5", "email"}, "day-2-call": {"main", "6", "call"},
		"day-3-follow-up": {"main", "7", "email"}, "day-5-call": {"main", "8", "call"},
		"meeting-booking": {"connected", "1", "email"}, "discovery-call": {"connected", "2", "meeting"},
		"discovery-recap": {"connected", "3", "email"}, "next-steps-call": {"connected", "4", "call"},
	}
	n := names[template]
	s.Cadence, s.Step, s.Channel, s.Template = n[0], int(n[1][0]-'0'), n[2], template
	return s
}

// reportSteps is the given steps, then the rest of the main cadence from
// step 4 with the same counts each.
func reportSteps(first []sla.StepStat, rest sla.StepStat, connected ...sla.StepStat) []sla.StepStat {
	out := append([]sla.StepStat(nil), first...)
	for _, tpl := range []string{"day-1-call", "day-1-information", "day-2-call", "day-3-follow-up", "day-5-call"}[len(first)-3:] {
		out = append(out, reportStep(tpl, rest))
	}
	return append(out, connected...)
}

func TestSLAReport(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newReportWorld(t, b, 2)
		ls := w.monday(t)
		min := time.Minute

		r, err := slaReport(ctx, w.db, SLAQuery{Period: "2026-11"})
		if err != nil {
			t.Fatalf("slaReport: %v", err)
		}
		unrouted := sla.Row{Key: "(unrouted)", Handoffs: 1, TouchPending: 1, DecisionPending: 1,
			Steps: reportSteps([]sla.StepStat{
				reportStep("first-call", sla.StepStat{Open: 1}),
				reportStep("first-voicemail", sla.StepStat{Open: 1}),
				reportStep("first-follow-up", sla.StepStat{Open: 1}),
			}, sla.StepStat{Open: 1})}
		rex := sla.Row{Key: "rex@example.com", Handoffs: 2,
			Responses: 1, ResponseMedian: 7 * min, ResponseP90: 7 * min,
			TouchedInTime: 1, Untouched: 1, TouchedInTimeShare: 0.5,
			Decided: 1, DecidedInTime: 1, Undecided: 1, DecidedInTimeShare: 0.5, Accepted: 1,
			Touches: 2, TouchesPerLead: 1, Routed: 2, RepDelays: 1, RepDelayMedian: 7 * min,
			Steps: reportSteps([]sla.StepStat{
				reportStep("first-call", sla.StepStat{OnTime: 1, Overdue: 1, OnTimeShare: 0.5}),
				reportStep("first-voicemail", sla.StepStat{Skipped: 1, Overdue: 1}),
				reportStep("first-follow-up", sla.StepStat{Late: 1, Overdue: 1, LateMedian: 20 * min}),
			}, sla.StepStat{Open: 2})}
		ria := sla.Row{Key: "ria@example.com", Handoffs: 2,
			Responses: 2, ResponseMedian: 5 * min, ResponseP90: 25 * min,
			TouchedInTime: 1, TouchedLate: 1, TouchedInTimeShare: 0.5,
			Decided: 2, DecidedInTime: 2, DecidedInTimeShare: 1, Accepted: 1, Disqualified: 1,
			Touches: 2, TouchesPerLead: 1, Routed: 2, RepDelays: 2, RepDelayMedian: 5 * min,
			Steps: reportSteps([]sla.StepStat{
				reportStep("first-call", sla.StepStat{OnTime: 1, Late: 1, OnTimeShare: 0.5, LateMedian: 15 * min}),
				reportStep("first-voicemail", sla.StepStat{Late: 1, NotOwed: 1, LateMedian: 15 * min}),
				reportStep("first-follow-up", sla.StepStat{Missed: 1, NotOwed: 1}),
			}, sla.StepStat{NotOwed: 2},
				reportStep("meeting-booking", sla.StepStat{Overdue: 1}),
				reportStep("discovery-call", sla.StepStat{Open: 1}),
				reportStep("discovery-recap", sla.StepStat{Open: 1}),
				reportStep("next-steps-call", sla.StepStat{Open: 1}))}
		total := sla.Row{Key: "TOTAL", Handoffs: 5,
			Responses: 3, ResponseMedian: 7 * min, ResponseP90: 25 * min,
			TouchedInTime: 2, TouchedLate: 1, Untouched: 1, TouchPending: 1, TouchedInTimeShare: 0.5,
			Decided: 3, DecidedInTime: 3, Undecided: 1, DecisionPending: 1, DecidedInTimeShare: 0.75, Accepted: 2, Disqualified: 1,
			Touches: 4, TouchesPerLead: 0.8, Routed: 4, RepDelays: 3, RepDelayMedian: 7 * min,
			Steps: reportSteps([]sla.StepStat{
				reportStep("first-call", sla.StepStat{OnTime: 2, Late: 1, Overdue: 1, Open: 1, OnTimeShare: 0.5, LateMedian: 15 * min}),
				reportStep("first-voicemail", sla.StepStat{Late: 1, Skipped: 1, Overdue: 1, Open: 1, NotOwed: 1, LateMedian: 15 * min}),
				reportStep("first-follow-up", sla.StepStat{Late: 1, Missed: 1, Overdue: 1, Open: 1, NotOwed: 1, LateMedian: 20 * min}),
			}, sla.StepStat{Open: 3, NotOwed: 2},
				reportStep("meeting-booking", sla.StepStat{Overdue: 1}),
				reportStep("discovery-call", sla.StepStat{Open: 1}),
				reportStep("discovery-recap", sla.StepStat{Open: 1}),
				reportStep("next-steps-call", sla.StepStat{Open: 1}))}
		nov, _ := calendar.ParsePeriod("2026-11", reportNY)
		want := sla.Report{Period: nov, AsOf: reportAt(time.November, 2, 14, 0), By: "rep", AgreementVersion: 1,
			Sales: []sla.Row{unrouted, rex, ria}, Total: total,
			Marketing: sla.Marketing{QualifiedLeads: 5, Commitment: 400,
				BySegment: []sla.SegmentRow{reportSegment("(none)", 1, 0), reportSegment("enterprise", 1, 80), reportSegment("mid_market", 1, 120), reportSegment("smb", 2, 200)},
				Decided:   3, Accepted: 2, AcceptanceRate: 2.0 / 3, MinAcceptanceRate: 0.7,
				Ratings: 2, AverageRating: 3, MinAverageRating: 3.5,
				Breaches: []string{"acceptance rate 66.7% (2 of 3 accepted) is below the floor of 70%", "average rating 3 (2 reviews) is below the floor of 3.5"}}}
		if diff := cmp.Diff(want, r, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Errorf("SLAReport(2026-11) at Monday 14:00 (-want +got):\n%s", diff)
		}

		for _, tt := range []struct {
			by   string
			keys []string
			n    []int
		}{
			{"team", []string{"(unrouted)", "East", "West"}, []int{1, 2, 2}},
			{"source", []string{"event", "web"}, []int{2, 3}},
		} {
			r, err := slaReport(ctx, w.db, SLAQuery{Period: "2026-11", By: tt.by})
			if err != nil {
				t.Fatalf("slaReport: %v", err)
			}
			var keys []string
			var n []int
			for _, row := range r.Sales {
				keys, n = append(keys, row.Key), append(n, row.Handoffs)
			}
			if !cmp.Equal(keys, tt.keys) || !cmp.Equal(n, tt.n) || r.Total.Handoffs != 5 {
				t.Errorf("SLAReport(by %s) rows %v with %v hand-offs; want %v with %v", tt.by, keys, n, tt.keys, tt.n)
			}
		}

		// The per-lead view of a, and the lead never handed off.
		lines, err := w.db.LeadCadence(ctx, ls[0].ID)
		if err != nil {
			t.Fatalf("LeadCadence: %v", err)
		}
		hs, _ := w.db.Handoffs(ctx, ls[0].ID)
		wantLines := []string{
			fmt.Sprintf("hand-off %d of lead %d at Mon 2 Nov 09:00 EST on agreement version 1", hs[0].ID, ls[0].ID),
			"first touch: on time, 7m after the hand-off",
			"accept or reject: accepted on time, 1h0m after the hand-off",
			"step 1 call (first-call): on time, 7m after the hand-off",
			"step 2 voicemail (first-voicemail): skipped",
			"step 3 email (first-follow-up): late by 20m, 30m after the hand-off",
			"step 4 call (day-1-call): not yet due (due Tue 3 Nov 09:10 EST)",
			"step 5 email (day-1-information): not yet due (due Tue 3 Nov 09:10 EST)",
			"step 6 call (day-2-call): not yet due (due Wed 4 Nov 09:10 EST)",
			"step 7 email (day-3-follow-up): not yet due (due Thu 5 Nov 09:10 EST)",
			"step 8 call (day-5-call): not yet due (due Mon 9 Nov 09:10 EST)",
		}
		if diff := cmp.Diff(wantLines, lines); diff != "" {
			t.Errorf("LeadCadence(a) (-want +got):\n%s", diff)
		}
		if _, err := w.db.LeadCadence(ctx, 9999); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("LeadCadence(no such lead) = %v; want not found", err)
		}

		// December: a new version raises the commitment to 500 a month, and
		// a hand-off and a review of December stay out of November.
		w.clk.Set(reportAt(time.December, 1, 10, 0))
		w.sign(t, strings.NewReplacer("qualified_leads_per_month: 400", "qualified_leads_per_month: 500",
			"enterprise: 80", "enterprise: 180").Replace(string(agreement.Default())))
		w.setAbsent(t, false, w.rex, w.ria)
		f := w.intake(t, [3]string{"f", "web", "enterprise"})[0]
		owner := w.rex
		if f.OwnerID == w.ria.ID {
			owner = w.ria
		}
		if _, err := w.db.Review(ctx, f.ID, tandem.Review{Rating: 5}, reportToken(owner)); err != nil {
			t.Fatalf("Review: %v", err)
		}
		r, err = slaReport(ctx, w.db, SLAQuery{Period: "2026-11"})
		if err != nil {
			t.Fatalf("slaReport: %v", err)
		}
		wantBreaches := []string{
			"qualified leads 5 of 400 (1.3%)",
			"qualified leads in segment enterprise 1 of 80 (1.3%)",
			"qualified leads in segment mid_market 1 of 120 (0.8%)",
			"qualified leads in segment smb 2 of 200 (1%)",
			"acceptance rate 66.7% (2 of 3 accepted) is below the floor of 70%",
			"average rating 3 (2 reviews) is below the floor of 3.5",
		}
		if diff := cmp.Diff(wantBreaches, r.Marketing.Breaches); diff != "" || !r.Complete || r.AgreementVersion != 1 || r.Total.Handoffs != 5 {
			t.Errorf("SLAReport(2026-11) in December: complete %v, version %d, %d hand-offs, breaches (-want +got):\n%s",
				r.Complete, r.AgreementVersion, r.Total.Handoffs, diff)
		}
		// By December the clocks of e have run out.
		if tot := r.Total; tot.TouchPending != 0 || tot.Untouched != 2 || tot.DecisionPending != 0 || tot.Undecided != 2 {
			t.Errorf("SLAReport(2026-11) in December: total %+v; want 2 untouched, 2 undecided, none pending", tot)
		}
		// The quarter runs on: version 2's 500 a month, three times.
		r, err = slaReport(ctx, w.db, SLAQuery{Period: "2026-Q4", By: "team"})
		if err != nil {
			t.Fatalf("slaReport: %v", err)
		}
		if m := r.Marketing; r.AgreementVersion != 2 || r.Complete || m.QualifiedLeads != 6 || m.Commitment != 1500 || m.Ratings != 3 ||
			!cmp.Equal(m.BySegment, []sla.SegmentRow{reportSegment("(none)", 1, 0), reportSegment("enterprise", 2, 540), reportSegment("mid_market", 1, 360), reportSegment("smb", 2, 600)}) {
			t.Errorf("SLAReport(2026-Q4) = version %d, complete %v, marketing %+v; want version 2, running, 6 of 1500 (enterprise 2 of 540), 3 ratings",
				r.AgreementVersion, r.Complete, m)
		}
		r, err = slaReport(ctx, w.db, SLAQuery{})
		if err != nil {
			t.Fatalf("slaReport: %v", err)
		}
		if r.Period.Name != "2026-12" || r.Total.Handoffs != 1 || r.Marketing.Commitment != 500 {
			t.Errorf("SLAReport(current month) = %s, %d hand-offs, commitment %d; want 2026-12, 1, 500", r.Period.Name, r.Total.Handoffs, r.Marketing.Commitment)
		}
	})
}

func TestSLAReportRefusesBadQueries(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, err := Open(ctx, b.DSN, Options{Clock: clock.NewFake(reportAt(time.November, 2, 9, 0))})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer db.Close()
		tests := []struct {
			q          SLAQuery
			code, want string
		}{
			{SLAQuery{Period: "2026-11"}, tandem.ECONFLICT, "no signed agreement is in force (or it starts no hand-offs): the report measures both sides against the one they signed"},
			{SLAQuery{Period: "2026-13"}, tandem.EINVALID, `period: "2026-13" is not a period: write a month (2026-11), a quarter (2026-Q4) or a year (2026)`},
			{SLAQuery{Period: "2026-11", By: "boss"}, tandem.EINVALID, `by: "boss" is not a grouping (want one of rep, team, source)`},
		}
		for _, tt := range tests {
			_, err := slaReport(ctx, db, tt.q)
			if tandem.ErrorCode(err) != tt.code || tandem.ErrorMessage(err) != tt.want {
				t.Errorf("SLAReport(%+v) = %v (%s); want %s: %s", tt.q, err, tandem.ErrorCode(err), tt.code, tt.want)
			}
		}
		if _, err := db.LeadCadence(ctx, 1); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("LeadCadence(no lead) = %v; want not found", err)
		}
	})
}

// BenchmarkSLAReport times the report of a month of N hand-offs (20,000 by
// default; TANDEM_BENCH_HANDOFFS to change) spread over November among 20
// reps, with their tasks and a review for every fourth:
//
//	go test ./sqldb -run '^$' -bench SLAReport -benchtime 3x
func BenchmarkSLAReport(b *testing.B) {
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("TANDEM_BENCH_HANDOFFS")); err == nil && v > 0 {
		n = v
	}
	for _, be := range sqldbtest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			ctx := context.Background()
			w := newReportWorld(b, sqldbtest.Backend{Name: be.Name, DSN: sqldbtest.Fresh(b, be)}, 20)
			tasks := writeMonth(b, w, n)
			var r sla.Report
			for b.Loop() {
				var err error
				if r, err = slaReport(ctx, w.db, SLAQuery{Period: "2026-11"}); err != nil {
					b.Fatalf("slaReport: %v", err)
				}
			}
			if r.Total.Handoffs != n {
				b.Fatalf("report of %d hand-offs; want %d", r.Total.Handoffs, n)
			}
			b.ReportMetric(float64(n), "handoffs")
			b.ReportMetric(float64(tasks), "tasks")
		})
	}
}

// writeMonth writes n hand-offs spread over November 2026 straight into
// the tables, with what the engine would have written for them, and
// returns the number of tasks. The clock is left on 1 December.
func writeMonth(b testing.TB, w *reportWorld, n int) int {
	ctx := context.Background()
	var in []tandem.LeadInput
	segs := []string{"enterprise", "mid_market", "smb"}
	for i := range n {
		in = append(in, tandem.LeadInput{Fields: map[string]string{"external_id": strconv.Itoa(i), "email": fmt.Sprintf("l%d@example.com", i),
			"score": "10", "segment": segs[i%3], "source": []string{"web", "event", "partner"}[i%3]}})
	}
	var ids []int64
	for i := 0; i < n; i += 5000 {
		rs, err := w.db.IntakeLeads(ctx, in[i:min(n, i+5000)], IntakeOptions{})
		if err != nil {
			b.Fatalf("IntakeLeads: %v", err)
		}
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
	}
	reps, err := w.db.Users(ctx)
	if err != nil {
		b.Fatalf("Users: %v", err)
	}
	var owners []int64
	for _, u := range reps {
		if u.Role == tandem.RoleSalesRep {
			owners = append(owners, u.ID)
		}
	}
	tasks := 0
	w.clk.Set(reportAt(time.December, 1, 9, 0))
	err = w.db.transact(ctx, func(tx *Tx) error {
		p, err := tx.policy(ctx, 1)
		if err != nil {
			return err
		}
		month := reportAt(time.November, 30, 0, 0).Sub(reportAt(time.November, 1, 0, 0))
		var hrows, trows, rrows [][]any
		for i, lead := range ids {
			start := reportAt(time.November, 1, 0, 0).Add(month / time.Duration(n) * time.Duration(i)).Truncate(time.Second)
			owner := owners[i%len(owners)]
			h := tandem.Handoff{ID: int64(i + 1), LeadID: lead, OwnerID: owner, AgreementVersion: 1, StartedAt: start, RoutedAt: start,
				FirstTouchDue: p.FirstTouchDue(start, false), AcceptDue: p.AcceptDue(start), Cadence: tandem.CadenceMain, CadenceFrom: start}
			// Seven in ten are touched, some late; half are decided.
			steps := 1
			if i%10 < 7 {
				h.FirstTouchAt = p.Calendar.Add(start, time.Duration(i%25)*time.Minute)
				h.Touches = 1 + i%6
				steps = 1 + i%6
			}
			switch i % 6 {
			case 0, 1:
				h.Decision, h.DecidedAt = tandem.DecisionAccepted, p.Calendar.Add(start, time.Duration(i%300)*time.Minute)
			case 2:
				h.Decision, h.DecidedAt = tandem.DecisionRejected, p.Calendar.Add(start, time.Duration(i%300)*time.Minute)
				h.EndedAt, h.Cadence = h.DecidedAt, tandem.CadenceEnded
			}
			hrows = append(hrows, []any{h.ID, h.LeadID, h.OwnerID, h.AgreementVersion, h.StartedAt, h.RoutedAt, h.FirstTouchDue,
				nullTime(h.FirstTouchAt), h.AcceptDue, nullTime(h.DecidedAt), h.Decision, h.Cadence, h.CadenceFrom, h.Touches, nullTime(h.EndedAt)})
			for k := range steps {
				t, _ := p.Task(tandem.CadenceMain, k, start, false)
				t.State = tandem.TaskDone
				done := any(nil)
				switch {
				case k == steps-1 && h.EndedAt.IsZero():
					t.State = tandem.TaskOpen
				case k == steps-1:
					t.State = tandem.TaskMissed
				case k%3 == 1:
					t.State = tandem.TaskSkipped
				default:
					done = t.DueAt.Add(time.Duration(i%20-10) * time.Minute)
				}
				tasks++
				trows = append(trows, []any{int64(tasks), lead, h.ID, owner, t.Cadence, t.Step, t.Channel, t.Template, t.StartsAt, t.DueAt, t.State, done})
			}
			if i%4 == 0 {
				rrows = append(rrows, []any{int64(len(rrows) + 1), lead, owner, 1 + i%5, start})
			}
		}
		d := tx.db.d
		if err := d.bulkInsert(ctx, tx, "handoffs", []string{"id", "lead_id", "owner_id", "agreement_version", "started_at", "routed_at",
			"first_touch_due", "first_touch_at", "accept_due", "decided_at", "decision", "cadence", "cadence_from", "touches", "ended_at"}, hrows); err != nil {
			return err
		}
		if err := d.bulkInsert(ctx, tx, "tasks", []string{"id", "lead_id", "handoff_id", "owner_id", "cadence", "step", "channel", "template",
			"starts_at", "due_at", "state", "done_at"}, trows); err != nil {
			return err
		}
		return d.bulkInsert(ctx, tx, "reviews", []string{"id", "lead_id", "user_id", "rating", "created_at"}, rrows)
	})
	if err != nil {
		b.Fatalf("transact: %v", err)
	}
	if w.db.d.name() == "postgres" {
		if _, err := w.db.write.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatalf("ExecContext: %v", err)
		}
	}
	return tasks
}

// nullTime is a time for bulkInsert: nil for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// slaReport computes the SLA report from the rows the store reads, as
// report.SLA does (which this package's own tests cannot import).
func slaReport(ctx context.Context, db *DB, q SLAQuery) (sla.Report, error) {
	in, err := db.SLAInput(ctx, q)
	if err != nil {
		return sla.Report{}, err
	}
	return sla.NewReport(in), nil
}

// TestSLAInputPacksTasks checks that the SLA report read with the tasks
// packed by hand-off (SLAInput) equals the report computed from every
// hand-off and task read as plain rows, whole, on a month of hand-offs in
// every state: touched and not, decided and not, ended, with steps done on
// time and late, skipped, missed, open and overdue, a connected cadence,
// a task done with no time, and a task of a cadence the report does not
// measure; read by rep, team and source, while the month runs and after.
func TestSLAInputPacksTasks(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		ctx := context.Background()
		w := newReportWorld(t, sqldbtest.Backend{Name: b.Name, DSN: sqldbtest.Fresh(t, b)}, 4)
		tasks := writeMonth(t, w, 300)
		// A connected cadence on every tenth hand-off, started a day after
		// it, its first step done late, its second open; a done task with
		// no time; a task of another cadence.
		err := w.db.transact(ctx, func(tx *Tx) error {
			p, err := tx.policy(ctx, 1)
			if err != nil {
				return err
			}
			var rows [][]any
			for id := int64(1); id <= 300; id += 10 {
				var lead, owner int64
				var started time.Time
				if err := tx.QueryRowContext(ctx, `SELECT lead_id, owner_id, started_at FROM handoffs WHERE id = $1`, id).
					Scan(&lead, &owner, scanTime{&started}); err != nil {
					return err
				}
				from := started.Add(24 * time.Hour)
				if _, err := tx.ExecContext(ctx, `UPDATE handoffs SET cadence = $1, cadence_from = $2 WHERE id = $3 AND ended_at IS NULL`,
					tandem.CadenceConnected, tx.t(from), id); err != nil {
					return err
				}
				for k := range 2 {
					tk, _ := p.Task(tandem.CadenceConnected, k, from, false)
					state, done := tandem.TaskDone, any(tk.DueAt.Add(3*time.Hour))
					if k == 1 {
						state, done = tandem.TaskOpen, nil
					}
					tasks++
					rows = append(rows, []any{int64(tasks), lead, id, owner, tk.Cadence, tk.Step, tk.Channel, tk.Template, tk.StartsAt, tk.DueAt, state, done})
				}
			}
			rows = append(rows, []any{int64(tasks + 1), rows[0][1], rows[0][2], rows[0][3], tandem.CadenceMain, 7, "email", "day-3-follow-up",
				reportAt(time.November, 3, 9, 0), reportAt(time.November, 3, 10, 0), tandem.TaskDone, nil})
			rows = append(rows, []any{int64(tasks + 2), rows[0][1], rows[0][2], rows[0][3], "nurture", 1, "email", "x",
				reportAt(time.November, 3, 9, 0), reportAt(time.November, 3, 10, 0), tandem.TaskOpen, nil})
			return tx.db.d.bulkInsert(ctx, tx, "tasks", []string{"id", "lead_id", "handoff_id", "owner_id", "cadence", "step", "channel",
				"template", "starts_at", "due_at", "state", "done_at"}, rows)
		})
		if err != nil {
			t.Fatalf("write connected tasks: %v", err)
		}
		for _, now := range []time.Time{reportAt(time.November, 12, 11, 0), reportAt(time.December, 1, 9, 0)} {
			w.clk.Set(now)
			for _, by := range sla.Groupings {
				q := SLAQuery{Period: "2026-11", By: by}
				got, err := slaReport(ctx, w.db, q)
				if err != nil {
					t.Fatalf("slaReport(%+v): %v", q, err)
				}
				want := plainSLAReport(t, w.db, q)
				if got.Total.Handoffs == 0 || got.Total.StepTotals().Late == 0 || got.Total.StepTotals().Overdue == 0 {
					t.Fatalf("slaReport(%+v) at %v measures too little: %+v", q, now, got.Total)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("slaReport(%+v) at %v, tasks packed, differs from the plain rows' report (-want +got):\n%s", q, now, diff)
				}
			}
		}
	})
}

// plainSLAReport computes the SLA report of q from every hand-off started
// in the period and every task of theirs, each read whole as a row of its
// own, as SLAInput read them before it packed the tasks.
func plainSLAReport(t *testing.T, db *DB, q SLAQuery) sla.Report {
	t.Helper()
	ctx := context.Background()
	in, err := db.SLAInput(ctx, q) // the period, the policies and the reviews
	if err != nil {
		t.Fatalf("SLAInput: %v", err)
	}
	in.Handoffs, in.Tasks, in.HandoffTasks = nil, nil, nil
	keys, segments := map[int64]string{}, map[int64]string{}
	err = db.view(ctx, func(tx *Tx) error {
		from, to := tx.t(in.Period.From), tx.t(in.Period.To)
		rows, err := tx.QueryContext(ctx, `SELECT `+qualify("h", handoffColumns)+`, u.email, u.team, l.source, l.segment
			FROM handoffs h JOIN leads l ON l.id = h.lead_id LEFT JOIN users u ON u.id = h.owner_id
			WHERE h.started_at >= $1 AND h.started_at < $2 ORDER BY h.started_at, h.id`, from, to)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var email, team *string
			var source, segment string
			h, err := scanHandoff(scanMore{rows, []any{&email, &team, &source, &segment}})
			if err != nil {
				return err
			}
			in.Handoffs = append(in.Handoffs, h.Handoff)
			switch {
			case q.By == "source":
				keys[h.ID] = source
			case h.OwnerID == 0:
				keys[h.ID] = keyUnrouted
			case q.By == "team":
				keys[h.ID] = *team
			default:
				keys[h.ID] = *email
			}
			segments[h.ID] = segment
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		// As the engine writes them, a task's channel, template and start
		// are those of its version's cadence: the report reads them there.
		trows, err := tx.QueryContext(ctx, `SELECT t.handoff_id, t.cadence, t.step, t.due_at, t.state, t.done_at
			FROM tasks t JOIN handoffs h ON h.id = t.handoff_id WHERE h.started_at >= $1 AND h.started_at < $2 ORDER BY t.id`, from, to)
		if err != nil {
			return err
		}
		defer trows.Close()
		for trows.Next() {
			var tk tandem.Task
			if err := trows.Scan(&tk.HandoffID, &tk.Cadence, &tk.Step, scanTime{&tk.DueAt}, &tk.State, scanTime{&tk.DoneAt}); err != nil {
				return err
			}
			in.Tasks = append(in.Tasks, tk)
		}
		return trows.Err()
	})
	if err != nil {
		t.Fatalf("read the plain rows: %v", err)
	}
	in.Key = func(h tandem.Handoff) string { return keys[h.ID] }
	in.Segment = func(h tandem.Handoff) string { return segments[h.ID] }
	return sla.NewReport(in)
}

// TestParseTimeText reads both dialects' timeText: SQLite's fixed form and
// PostgreSQL's ISO text in UTC, with and without a fraction of a second.
func TestParseTimeText(t *testing.T) {
	want := time.Date(2025, 6, 2, 0, 10, 0, 500_000, time.UTC)
	for _, s := range []string{"2025-06-02T00:10:00.000500Z", "2025-06-02 00:10:00.0005+00"} {
		if got, err := parseTimeText(s); err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseTimeText(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	if got, err := parseTimeText("2025-06-02 00:10:00+00"); err != nil || !got.Equal(want.Truncate(time.Second)) {
		t.Errorf("parseTimeText(whole second) = %v, %v; want %v", got, err, want.Truncate(time.Second))
	}
	if _, err := parseTimeText("2 June"); err == nil {
		t.Error("parseTimeText(2 June) = nil error; want one")
	}
}
