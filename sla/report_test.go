package sla

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
)

var newYork, _ = time.LoadLocation("America/New_York")

// nov is a wall-clock time in November 2026 in the default agreement's
// time zone; 2 November is a Monday.
func nov(day, hour, min int) time.Time {
	return time.Date(2026, time.November, day, hour, min, 0, 0, newYork)
}

func defaultPolicy(t *testing.T) *Policy {
	t.Helper()
	a, err := agreement.Parse("default.yaml", agreement.Default())
	if err != nil {
		t.Fatalf("agreement.Parse: %v", err)
	}
	p, err := New(a, 1)
	if err != nil || p == nil {
		t.Fatalf("New(default) = %v, %v", p, err)
	}
	return p
}

func TestPercentile(t *testing.T) {
	ds := func(ms ...int) []time.Duration {
		out := make([]time.Duration, len(ms))
		for i, m := range ms {
			out[i] = time.Duration(m) * time.Minute
		}
		return out
	}
	tests := []struct {
		in          []time.Duration
		median, p90 time.Duration
	}{
		{nil, 0, 0},
		{ds(5), 5 * time.Minute, 5 * time.Minute},
		{ds(25, 5), 5 * time.Minute, 25 * time.Minute},
		{ds(4, 3, 2, 1), 2 * time.Minute, 4 * time.Minute},
		{ds(9, 7, 25), 9 * time.Minute, 25 * time.Minute},
		{ds(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 5 * time.Minute, 9 * time.Minute},
		{ds(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 6 * time.Minute, 10 * time.Minute},
	}
	for _, tt := range tests {
		in := append([]time.Duration(nil), tt.in...)
		if got := Percentile(in, 50); got != tt.median {
			t.Errorf("Percentile(%v, 50) = %v; want %v", tt.in, got, tt.median)
		}
		if got := Percentile(in, 90); got != tt.p90 {
			t.Errorf("Percentile(%v, 90) = %v; want %v", tt.in, got, tt.p90)
		}
	}
}

// world builds hand-offs and tasks on the default policy by hand.
type world struct {
	t     *testing.T
	p     *Policy
	hs    []tandem.Handoff
	tasks []tandem.Task
}

// handoff starts hand-off id at start, routed to owner at once (0: not
// routed).
func (w *world) handoff(id, owner int64, start time.Time) *tandem.Handoff {
	h := tandem.Handoff{ID: id, LeadID: id, OwnerID: owner, AgreementVersion: 1, StartedAt: start,
		FirstTouchDue: w.p.FirstTouchDue(start, false), AcceptDue: w.p.AcceptDue(start),
		Cadence: tandem.CadenceMain, CadenceFrom: start}
	if owner != 0 {
		h.RoutedAt = start
	}
	w.hs = append(w.hs, h)
	return &w.hs[len(w.hs)-1]
}

// task writes step (from 1) of the hand-off's cadence from from, in a
// state, done at done.
func (w *world) task(h *tandem.Handoff, cadence string, step int, from time.Time, state string, done time.Time) {
	tk, ok := w.p.Task(cadence, step-1, from, h.Hot)
	if !ok {
		w.t.Fatalf("no step %d in cadence %s", step, cadence)
	}
	tk.ID, tk.HandoffID, tk.LeadID, tk.OwnerID, tk.State, tk.DoneAt = int64(len(w.tasks)+1), h.ID, h.LeadID, h.OwnerID, state, done
	w.tasks = append(w.tasks, tk)
}

func touched(h *tandem.Handoff, at time.Time, touches int) { h.FirstTouchAt, h.Touches = at, touches }

func decided(h *tandem.Handoff, decision string, at time.Time) {
	h.Decision, h.DecidedAt = decision, at
}

func ended(h *tandem.Handoff, at time.Time) { h.Cadence, h.EndedAt = tandem.CadenceEnded, at }

const (
	rex = 1
	ria = 2
)

// scenario is six hand-offs of Monday 2 November, seen at 14:00; the
// default agreement's clocks are 10m to the first touch and 4h to decide,
// so a hand-off at 09:00 is due its first touch (and steps 1 to 3) at
// 09:10 and a decision at 13:00.
//
//	h1 rex  web   enterprise  touched 09:07; step 1 done, 2 skipped, 3 done 09:30 (20m late); accepted 10:00
//	h2 ria  web   smb         touched 09:25 (late); steps 1-2 done 15m late; disqualified 10:30, step 3 missed
//	h3 rex  event mid_market  never touched, never decided
//	h4 ria  event smb         call connected 09:05; connected cadence from 09:05; accepted 09:20
//	h5 —    web   (none)      started 13:55, not routed: every clock pending
//	h6 ria  web   enterprise  touched 09:09; steps 1-3 on time (step 3 at its due time); rejected 13:30 (late), step 4 missed
func scenario(t *testing.T) (*world, map[int64]string, map[int64]string, map[int64]string) {
	w := &world{t: t, p: defaultPolicy(t)}
	mon := nov(2, 9, 0)
	main, conn := tandem.CadenceMain, tandem.CadenceConnected
	open, done, skipped, missed := tandem.TaskOpen, tandem.TaskDone, tandem.TaskSkipped, tandem.TaskMissed
	var zero time.Time

	h1 := w.handoff(1, rex, mon)
	touched(h1, nov(2, 9, 7), 2)
	decided(h1, tandem.DecisionAccepted, nov(2, 10, 0))
	w.task(h1, main, 1, mon, done, nov(2, 9, 7))
	w.task(h1, main, 2, mon, skipped, zero)
	w.task(h1, main, 3, mon, done, nov(2, 9, 30))
	w.task(h1, main, 4, mon, open, zero)

	h2 := w.handoff(2, ria, mon)
	touched(h2, nov(2, 9, 25), 1)
	decided(h2, tandem.DecisionDisqualified, nov(2, 10, 30))
	ended(h2, nov(2, 10, 30))
	w.task(h2, main, 1, mon, done, nov(2, 9, 25))
	w.task(h2, main, 2, mon, done, nov(2, 9, 25))
	w.task(h2, main, 3, mon, missed, zero)

	h3 := w.handoff(3, rex, mon)
	w.task(h3, main, 1, mon, open, zero)

	h4 := w.handoff(4, ria, mon)
	touched(h4, nov(2, 9, 5), 1)
	decided(h4, tandem.DecisionAccepted, nov(2, 9, 20))
	h4.Cadence, h4.CadenceFrom = conn, nov(2, 9, 5)
	w.task(h4, main, 1, mon, done, nov(2, 9, 5))
	w.task(h4, conn, 1, nov(2, 9, 5), open, zero)

	w.handoff(5, 0, nov(2, 13, 55))

	h6 := w.handoff(6, ria, mon)
	touched(h6, nov(2, 9, 9), 6)
	decided(h6, tandem.DecisionRejected, nov(2, 13, 30))
	ended(h6, nov(2, 13, 30))
	w.task(h6, main, 1, mon, done, nov(2, 9, 9))
	w.task(h6, main, 2, mon, done, nov(2, 9, 9))
	w.task(h6, main, 3, mon, done, nov(2, 9, 10))
	w.task(h6, main, 4, mon, missed, zero)

	reps := map[int64]string{1: "rex@example.com", 2: "ria@example.com", 3: "rex@example.com", 4: "ria@example.com", 5: "(unrouted)", 6: "ria@example.com"}
	sources := map[int64]string{1: "web", 2: "web", 3: "event", 4: "event", 5: "web", 6: "web"}
	segments := map[int64]string{1: "enterprise", 2: "smb", 3: "mid_market", 4: "smb", 5: "", 6: "enterprise"}
	return w, reps, sources, segments
}

func (w *world) input(period calendar.Period, now time.Time, by map[int64]string, segments map[int64]string, ratings ...int) Input {
	in := Input{Period: period, Now: now, By: "rep", Policy: w.p, Policies: map[int]*Policy{1: w.p},
		Handoffs: w.hs, Tasks: w.tasks,
		Key:     func(h tandem.Handoff) string { return by[h.ID] },
		Segment: func(h tandem.Handoff) string { return segments[h.ID] }}
	for i, r := range ratings {
		in.Reviews = append(in.Reviews, tandem.Review{LeadID: int64(i + 1), UserID: rex, Rating: r, Created: now})
	}
	return in
}

// step is a StepStat of the default cadences, named by its template.
func step(template string, s StepStat) StepStat {
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

// later is the main cadence from step 4 on, each step with the same counts.
func later(s StepStat) []StepStat {
	var out []StepStat
	for _, tpl := range []string{"day-1-call", "day-1-information", "day-2-call", "day-3-follow-up", "day-5-call"} {
		out = append(out, step(tpl, s))
	}
	return out
}

func TestReportBySales(t *testing.T) {
	w, reps, _, segments := scenario(t)
	nov2026, _ := calendar.ParsePeriod("2026-11", newYork)
	now := nov(2, 14, 0)
	r := NewReport(w.input(nov2026, now, reps, segments, 4, 2, 3))
	min := time.Minute

	wantRex := Row{Key: "rex@example.com", Handoffs: 2,
		Responses: 1, ResponseMedian: 7 * min, ResponseP90: 7 * min,
		TouchedInTime: 1, Untouched: 1, TouchedInTimeShare: 0.5,
		Decided: 1, DecidedInTime: 1, Undecided: 1, DecidedInTimeShare: 0.5, Accepted: 1,
		Touches: 2, TouchesPerLead: 1, Routed: 2, RepDelays: 1, RepDelayMedian: 7 * min,
		Steps: append([]StepStat{
			step("first-call", StepStat{OnTime: 1, Overdue: 1, OnTimeShare: 0.5}),
			step("first-voicemail", StepStat{Skipped: 1, Overdue: 1}),
			step("first-follow-up", StepStat{Late: 1, Overdue: 1, LateMedian: 20 * min}),
		}, later(StepStat{Open: 2})...)}
	wantRia := Row{Key: "ria@example.com", Handoffs: 3,
		Responses: 3, ResponseMedian: 9 * min, ResponseP90: 25 * min,
		TouchedInTime: 2, TouchedLate: 1, TouchedInTimeShare: 2.0 / 3,
		Decided: 3, DecidedInTime: 2, DecidedInTimeShare: 2.0 / 3, Accepted: 1, Rejected: 1, Disqualified: 1,
		Touches: 8, TouchesPerLead: 8.0 / 3, Routed: 3, RepDelays: 3, RepDelayMedian: 9 * min,
		Steps: append(append([]StepStat{
			step("first-call", StepStat{OnTime: 2, Late: 1, OnTimeShare: 2.0 / 3, LateMedian: 15 * min}),
			step("first-voicemail", StepStat{OnTime: 1, Late: 1, NotOwed: 1, OnTimeShare: 0.5, LateMedian: 15 * min}),
			step("first-follow-up", StepStat{OnTime: 1, Missed: 1, NotOwed: 1, OnTimeShare: 0.5}),
			step("day-1-call", StepStat{Missed: 1, NotOwed: 2}),
		}, later(StepStat{NotOwed: 3})[1:]...),
			step("meeting-booking", StepStat{Overdue: 1}),
			step("discovery-call", StepStat{Open: 1}),
			step("discovery-recap", StepStat{Open: 1}),
			step("next-steps-call", StepStat{Open: 1}),
		)}
	wantUnrouted := Row{Key: "(unrouted)", Handoffs: 1, TouchPending: 1, DecisionPending: 1,
		Steps: append([]StepStat{
			step("first-call", StepStat{Open: 1}),
			step("first-voicemail", StepStat{Open: 1}),
			step("first-follow-up", StepStat{Open: 1}),
		}, later(StepStat{Open: 1})...)}
	wantTotal := Row{Key: "TOTAL", Handoffs: 6,
		Responses: 4, ResponseMedian: 7 * min, ResponseP90: 25 * min,
		TouchedInTime: 3, TouchedLate: 1, Untouched: 1, TouchPending: 1, TouchedInTimeShare: 0.6,
		Decided: 4, DecidedInTime: 3, Undecided: 1, DecisionPending: 1, DecidedInTimeShare: 0.6,
		Accepted: 2, Rejected: 1, Disqualified: 1,
		Touches: 10, TouchesPerLead: 10.0 / 6, Routed: 5, RepDelays: 4, RepDelayMedian: 7 * min,
		Steps: append(append([]StepStat{
			step("first-call", StepStat{OnTime: 3, Late: 1, Overdue: 1, Open: 1, OnTimeShare: 0.6, LateMedian: 15 * min}),
			step("first-voicemail", StepStat{OnTime: 1, Late: 1, Skipped: 1, Overdue: 1, Open: 1, NotOwed: 1, OnTimeShare: 1.0 / 3, LateMedian: 15 * min}),
			step("first-follow-up", StepStat{OnTime: 1, Late: 1, Missed: 1, Overdue: 1, Open: 1, NotOwed: 1, OnTimeShare: 0.25, LateMedian: 20 * min}),
			step("day-1-call", StepStat{Missed: 1, Open: 3, NotOwed: 2}),
		}, later(StepStat{Open: 3, NotOwed: 3})[1:]...),
			step("meeting-booking", StepStat{Overdue: 1}),
			step("discovery-call", StepStat{Open: 1}),
			step("discovery-recap", StepStat{Open: 1}),
			step("next-steps-call", StepStat{Open: 1}),
		)}
	if diff := cmp.Diff([]Row{wantUnrouted, wantRex, wantRia}, r.Sales); diff != "" {
		t.Errorf("NewReport: sales rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantTotal, r.Total); diff != "" {
		t.Errorf("NewReport: total (-want +got):\n%s", diff)
	}
	wantMarketing := Marketing{QualifiedLeads: 6, Commitment: 400,
		BySegment: []SegmentRow{{"(none)", 1, 0, true}, {"enterprise", 2, 80, false}, {"mid_market", 1, 120, false}, {"smb", 2, 200, false}},
		Decided:   4, Accepted: 2, AcceptanceRate: 0.5, MinAcceptanceRate: 0.7,
		Ratings: 3, AverageRating: 3, MinAverageRating: 3.5,
		// November is not over: volume is not judged yet.
		Breaches: []string{"acceptance rate 50% (2 of 4 accepted) is below the floor of 70%", "average rating 3 (3 reviews) is below the floor of 3.5"}}
	if diff := cmp.Diff(wantMarketing, r.Marketing); diff != "" {
		t.Errorf("NewReport: marketing (-want +got):\n%s", diff)
	}
	if r.Complete || r.AgreementVersion != 1 || r.By != "rep" || !r.AsOf.Equal(now) || r.Period != nov2026 {
		t.Errorf("NewReport: complete %v, version %d, by %q, as of %v, period %+v; want an incomplete November by rep on version 1 as of %v",
			r.Complete, r.AgreementVersion, r.By, r.AsOf, r.Period, now)
	}
}

func TestReportMarketingOverAQuarter(t *testing.T) {
	w, _, sources, segments := scenario(t)
	q4, _ := calendar.ParsePeriod("2026-Q4", newYork)
	r := NewReport(w.input(q4, q4.To, sources, segments, 5, 4))
	want := Marketing{QualifiedLeads: 6, Commitment: 1200,
		BySegment: []SegmentRow{{"(none)", 1, 0, true}, {"enterprise", 2, 240, false}, {"mid_market", 1, 360, false}, {"smb", 2, 600, false}},
		Decided:   4, Accepted: 2, AcceptanceRate: 0.5, MinAcceptanceRate: 0.7,
		Ratings: 2, AverageRating: 4.5, MinAverageRating: 3.5,
		Breaches: []string{
			"qualified leads 6 of 1200 (0.5%)",
			"qualified leads in segment enterprise 2 of 240 (0.8%)",
			"qualified leads in segment mid_market 1 of 360 (0.3%)",
			"qualified leads in segment smb 2 of 600 (0.3%)",
			"acceptance rate 50% (2 of 4 accepted) is below the floor of 70%",
		}}
	if diff := cmp.Diff(want, r.Marketing); diff != "" {
		t.Errorf("NewReport(Q4, complete): marketing (-want +got):\n%s", diff)
	}
	if !r.Complete {
		t.Errorf("NewReport at the end of Q4: Complete = false; want true")
	}
	var keys []string
	for _, row := range r.Sales {
		keys = append(keys, row.Key)
	}
	if diff := cmp.Diff([]string{"event", "web"}, keys); diff != "" {
		t.Errorf("NewReport by source: keys (-want +got):\n%s", diff)
	}
	// Once the quarter is over the unrouted hand-off's clocks have run out.
	if tot := r.Total; tot.TouchPending != 0 || tot.Untouched != 2 || tot.DecisionPending != 0 || tot.Undecided != 2 {
		t.Errorf("NewReport(Q4, complete): total %+v; want no pending clock, 2 untouched and 2 undecided", tot)
	}
}

func TestReportOfNothing(t *testing.T) {
	w := &world{t: t, p: defaultPolicy(t)}
	nov2026, _ := calendar.ParsePeriod("2026-11", newYork)
	r := NewReport(w.input(nov2026, nov(30, 12, 0), nil, nil))
	want := Row{Key: "TOTAL", Steps: []StepStat{}}
	if diff := cmp.Diff(want, r.Total); diff != "" {
		t.Errorf("NewReport(no hand-offs): total (-want +got):\n%s", diff)
	}
	if len(r.Sales) != 0 || r.Sales == nil || len(r.Marketing.Breaches) != 0 {
		t.Errorf("NewReport(no hand-offs): sales %v, breaches %v; want empty, not null, and no breach before the month ends", r.Sales, r.Marketing.Breaches)
	}
	r = NewReport(w.input(nov2026, nov2026.To, nil, nil))
	if diff := cmp.Diff([]string{
		"qualified leads 0 of 400 (0%)",
		"qualified leads in segment enterprise 0 of 80 (0%)",
		"qualified leads in segment mid_market 0 of 120 (0%)",
		"qualified leads in segment smb 0 of 200 (0%)",
	}, r.Marketing.Breaches); diff != "" {
		t.Errorf("NewReport(no hand-offs, November over): breaches (-want +got):\n%s", diff)
	}
}

func TestLeadCadence(t *testing.T) {
	w, _, _, _ := scenario(t)
	now := nov(2, 14, 0)
	byID := func(id int64) tandem.Handoff {
		for _, h := range w.hs {
			if h.ID == id {
				return h
			}
		}
		t.Fatalf("no hand-off %d", id)
		return tandem.Handoff{}
	}
	tests := []struct {
		id   int64
		want []string
	}{
		{1, []string{
			"hand-off 1 of lead 1 at Mon 2 Nov 09:00 EST on agreement version 1",
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
		}},
		{2, []string{
			"hand-off 2 of lead 2 at Mon 2 Nov 09:00 EST on agreement version 1",
			"first touch: late by 15m, 25m after the hand-off",
			"accept or reject: disqualified on time, 1h30m after the hand-off",
			"step 1 call (first-call): late by 15m, 25m after the hand-off",
			"step 2 voicemail (first-voicemail): late by 15m, 25m after the hand-off",
			"step 3 email (first-follow-up): missed",
			"step 4 call (day-1-call): not owed: the hand-off ended before it fell due",
			"step 5 email (day-1-information): not owed: the hand-off ended before it fell due",
			"step 6 call (day-2-call): not owed: the hand-off ended before it fell due",
			"step 7 email (day-3-follow-up): not owed: the hand-off ended before it fell due",
			"step 8 call (day-5-call): not owed: the hand-off ended before it fell due",
		}},
		{3, []string{
			"hand-off 3 of lead 3 at Mon 2 Nov 09:00 EST on agreement version 1",
			"first touch: overdue by 4h50m (due Mon 2 Nov 09:10 EST)",
			"accept or reject: overdue by 1h0m (due Mon 2 Nov 13:00 EST)",
			"step 1 call (first-call): overdue by 4h50m (due Mon 2 Nov 09:10 EST)",
			"step 2 voicemail (first-voicemail): overdue by 4h50m (due Mon 2 Nov 09:10 EST)",
			"step 3 email (first-follow-up): overdue by 4h50m (due Mon 2 Nov 09:10 EST)",
			"step 4 call (day-1-call): not yet due (due Tue 3 Nov 09:10 EST)",
			"step 5 email (day-1-information): not yet due (due Tue 3 Nov 09:10 EST)",
			"step 6 call (day-2-call): not yet due (due Wed 4 Nov 09:10 EST)",
			"step 7 email (day-3-follow-up): not yet due (due Thu 5 Nov 09:10 EST)",
			"step 8 call (day-5-call): not yet due (due Mon 9 Nov 09:10 EST)",
		}},
		{4, []string{
			"hand-off 4 of lead 4 at Mon 2 Nov 09:00 EST on agreement version 1",
			"first touch: on time, 5m after the hand-off",
			"accept or reject: accepted on time, 20m after the hand-off",
			"step 1 call (first-call): on time, 5m after the hand-off",
			"step 2 voicemail (first-voicemail): not owed: contact made",
			"step 3 email (first-follow-up): not owed: contact made",
			"step 4 call (day-1-call): not owed: contact made",
			"step 5 email (day-1-information): not owed: contact made",
			"step 6 call (day-2-call): not owed: contact made",
			"step 7 email (day-3-follow-up): not owed: contact made",
			"step 8 call (day-5-call): not owed: contact made",
			"connected step 1 email (meeting-booking): overdue by 4h45m (due Mon 2 Nov 09:15 EST)",
			"connected step 2 meeting (discovery-call): not yet due (due Wed 4 Nov 09:15 EST)",
			"connected step 3 email (discovery-recap): not yet due (due Wed 4 Nov 09:15 EST)",
			"connected step 4 call (next-steps-call): not yet due (due Mon 9 Nov 09:15 EST)",
		}},
		{5, []string{
			"hand-off 5 of lead 5 at Mon 2 Nov 13:55 EST on agreement version 1",
			"first touch: not yet due (due Mon 2 Nov 14:05 EST)",
			"accept or reject: not yet due (due Tue 3 Nov 09:55 EST)",
			"step 1 call (first-call): not yet due (due Mon 2 Nov 14:05 EST)",
			"step 2 voicemail (first-voicemail): not yet due (due Mon 2 Nov 14:05 EST)",
			"step 3 email (first-follow-up): not yet due (due Mon 2 Nov 14:05 EST)",
			"step 4 call (day-1-call): not yet due (due Tue 3 Nov 14:05 EST)",
			"step 5 email (day-1-information): not yet due (due Tue 3 Nov 14:05 EST)",
			"step 6 call (day-2-call): not yet due (due Wed 4 Nov 14:05 EST)",
			"step 7 email (day-3-follow-up): not yet due (due Thu 5 Nov 14:05 EST)",
			"step 8 call (day-5-call): not yet due (due Mon 9 Nov 14:05 EST)",
		}},
		{6, []string{
			"hand-off 6 of lead 6 at Mon 2 Nov 09:00 EST on agreement version 1",
			"first touch: on time, 9m after the hand-off",
			"accept or reject: rejected late by 30m, 4h30m after the hand-off",
			"step 1 call (first-call): on time, 9m after the hand-off",
			"step 2 voicemail (first-voicemail): on time, 9m after the hand-off",
			"step 3 email (first-follow-up): on time, 10m after the hand-off",
			"step 4 call (day-1-call): missed",
			"step 5 email (day-1-information): not owed: the hand-off ended before it fell due",
			"step 6 call (day-2-call): not owed: the hand-off ended before it fell due",
			"step 7 email (day-3-follow-up): not owed: the hand-off ended before it fell due",
			"step 8 call (day-5-call): not owed: the hand-off ended before it fell due",
		}},
	}
	for _, tt := range tests {
		got := LeadCadence(w.p, byID(tt.id), w.tasks, now)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("LeadCadence(h%d) (-want +got):\n%s", tt.id, diff)
		}
	}
}

// TestLeadCadenceAWeekOn follows one hand-off through its whole cadence:
// the day-2 call three hours late, the lead disqualified a week on with
// the day-5 call never made, and another whose reply ended the cadence.
func TestLeadCadenceAWeekOn(t *testing.T) {
	w := &world{t: t, p: defaultPolicy(t)}
	mon := nov(2, 9, 0)
	main, done, skipped := tandem.CadenceMain, tandem.TaskDone, tandem.TaskSkipped
	h := w.handoff(1, rex, mon)
	touched(h, nov(2, 9, 2), 7)
	decided(h, tandem.DecisionAccepted, nov(2, 9, 30))
	w.task(h, main, 1, mon, done, nov(2, 9, 2))
	w.task(h, main, 2, mon, done, nov(2, 9, 2))
	w.task(h, main, 3, mon, done, nov(2, 9, 4))
	w.task(h, main, 4, mon, done, nov(3, 9, 5))
	w.task(h, main, 5, mon, done, nov(3, 9, 6))
	w.task(h, main, 6, mon, done, nov(4, 12, 10)) // due Wed 09:10
	w.task(h, main, 7, mon, done, nov(5, 16, 59)) // due Thu 09:10: late by 7h49m
	w.task(h, main, 8, mon, tandem.TaskMissed, time.Time{})
	h.Decision, h.DecidedAt = tandem.DecisionDisqualified, nov(10, 10, 0)
	ended(h, nov(10, 10, 0))

	g := w.handoff(2, rex, mon)
	touched(g, nov(2, 9, 1), 2)
	w.task(g, main, 1, mon, done, nov(2, 9, 1))
	w.task(g, main, 2, mon, skipped, time.Time{})
	w.task(g, main, 3, mon, done, nov(2, 9, 8)) // the lead replied to the email
	g.Cadence = tandem.CadenceEnded

	got := LeadCadence(w.p, *h, w.tasks, nov(10, 12, 0))
	want := []string{
		"hand-off 1 of lead 1 at Mon 2 Nov 09:00 EST on agreement version 1",
		"first touch: on time, 2m after the hand-off",
		// Disqualifying after accepting replaces the decision and its time.
		"accept or reject: disqualified late by 45h0m, 49h0m after the hand-off",
		"step 1 call (first-call): on time, 2m after the hand-off",
		"step 2 voicemail (first-voicemail): on time, 2m after the hand-off",
		"step 3 email (first-follow-up): on time, 4m after the hand-off",
		"step 4 call (day-1-call): on time, 8h5m after the hand-off",
		"step 5 email (day-1-information): on time, 8h6m after the hand-off",
		"step 6 call (day-2-call): late by 3h0m, 19h10m after the hand-off",
		"step 7 email (day-3-follow-up): late by 7h49m, 31h59m after the hand-off",
		"step 8 call (day-5-call): missed",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LeadCadence(a week on) (-want +got):\n%s", diff)
	}
	got = LeadCadence(w.p, *g, w.tasks, nov(2, 12, 0))
	for _, line := range got[6:] {
		if !strings.HasSuffix(line, ": not owed: the lead replied or booked a meeting") {
			t.Errorf("LeadCadence(cadence ended by a reply): %q; want steps 4 to 8 not owed", line)
		}
	}
	if len(got) != 11 {
		t.Errorf("LeadCadence(cadence ended by a reply) = %d lines; want 11", len(got))
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 7*time.Minute + 30*time.Second: "7m", time.Hour: "1h0m", 27*time.Hour + 5*time.Minute: "27h5m",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q; want %q", d, got, want)
		}
	}
}

func TestRowArithmetic(t *testing.T) {
	// Pending clocks and open, skipped or not-owed steps are never measured.
	r := Row{TouchedInTime: 3, TouchedLate: 2, Untouched: 1, TouchPending: 4,
		Decided: 5, DecidedInTime: 2, Undecided: 1, DecisionPending: 6,
		Steps: []StepStat{
			{Cadence: "main", Step: 1, OnTime: 2, Late: 1, Skipped: 3, Missed: 1, Open: 2, NotOwed: 1, OnTimeShare: 0.5, LateMedian: time.Hour},
			{Cadence: "connected", Step: 1, OnTime: 1, Overdue: 2, Skipped: 1},
		}}
	tests := []struct {
		name      string
		got, want int
	}{
		{"TouchMeasured", r.TouchMeasured(), 3 + 2 + 1},
		{"TouchBreaches", r.TouchBreaches(), 2 + 1},
		{"DecideMeasured", r.DecideMeasured(), 5 + 1},
		{"DecideBreaches", r.DecideBreaches(), (5 - 2) + 1},
		{"Steps[0].Due", r.Steps[0].Due(), 2 + 1 + 1},
		{"Steps[0].Breaches", r.Steps[0].Breaches(), 1 + 1},
		{"Steps[1].Due", r.Steps[1].Due(), 1 + 2},
		{"Steps[1].Breaches", r.Steps[1].Breaches(), 2},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("Row.%s() = %d; want %d", tt.name, tt.got, tt.want)
		}
	}
	want := StepStat{OnTime: 3, Late: 1, Skipped: 4, Missed: 1, Overdue: 2, Open: 2, NotOwed: 1, OnTimeShare: 3.0 / 7}
	if diff := cmp.Diff(want, r.StepTotals()); diff != "" {
		t.Errorf("Row.StepTotals() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(StepStat{}, (Row{}).StepTotals()); diff != "" {
		t.Errorf("Row{}.StepTotals() (-want +got):\n%s", diff)
	}
}

func TestVolumeShare(t *testing.T) {
	tests := []struct {
		m    Marketing
		want float64
	}{
		{Marketing{QualifiedLeads: 3, Commitment: 4}, 0.75},
		{Marketing{QualifiedLeads: 6, Commitment: 4}, 1.5},
		{Marketing{QualifiedLeads: 6}, 0},
	}
	for _, tt := range tests {
		if got := tt.m.VolumeShare(); got != tt.want {
			t.Errorf("Marketing{%d of %d}.VolumeShare() = %v; want %v", tt.m.QualifiedLeads, tt.m.Commitment, got, tt.want)
		}
	}
}
