package backtest

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
)

var ny, _ = time.LoadLocation("America/New_York")

// at is a time on Monday 2 November 2026 in New York, in business hours
// of the default agreement (09:00 to 17:00).
func at(hour, min int) time.Time { return time.Date(2026, 11, 2, hour, min, 0, 0, ny).UTC() }

func parse(t testing.TB, replace ...string) *agreement.Agreement {
	t.Helper()
	a, err := agreement.Parse("test.yaml", []byte(strings.NewReplacer(replace...).Replace(string(agreement.Default()))))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return a
}

func ledger(t *testing.T) Ledger {
	t.Helper()
	per, err := calendar.ParsePeriod("2026-11", ny)
	if err != nil {
		t.Fatal(err)
	}
	lead := func(id int64, score int, email string) tandem.Lead {
		return tandem.Lead{ID: id, Score: score, Email: email, Segment: "smb", CreatedAt: at(9, 0)}
	}
	return Ledger{Period: per, Now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
		Reps: []Rep{{ID: 1, Email: "rex@example.com", Weight: 1}, {ID: 2, Email: "ria@example.com", Weight: 1}},
		Handoffs: []Handoff{
			// Touched 7 minutes in, accepted at 11:00, still open.
			{Handoff: tandem.Handoff{ID: 101, LeadID: 11, StartedAt: at(10, 0), DecidedAt: at(11, 0), Decision: tandem.DecisionAccepted},
				Lead: lead(11, 70, "a@example.com"), ByRule: true,
				Touches: []tandem.Touch{{Channel: "call", Outcome: tandem.OutcomeNoAnswer, At: at(10, 7)}}},
			// Never touched; disqualified at 10:20, which ended it.
			{Handoff: tandem.Handoff{ID: 102, LeadID: 12, StartedAt: at(10, 0), DecidedAt: at(10, 20), Decision: tandem.DecisionDisqualified,
				EndedAt: at(10, 20)}, Lead: lead(12, 70, "b@example.com"), ByRule: true},
			// Handed over by a person though its score is 50; touched at once.
			{Handoff: tandem.Handoff{ID: 103, LeadID: 13, StartedAt: at(10, 1), DecidedAt: at(10, 30), Decision: tandem.DecisionAccepted},
				Lead:    lead(13, 50, "c@example.com"),
				Touches: []tandem.Touch{{Channel: "call", Outcome: tandem.OutcomeConnected, At: at(10, 2)}}},
		},
		// A lead without an email: the default mql rule does not take it.
		Candidates: []tandem.Lead{{ID: 14, Score: 65, Segment: "smb", CreatedAt: at(10, 5)}},
	}
}

// TestRun replays a hand-built morning under the default agreement and
// under a proposal with a 5-minute first touch and an mql rule that no longer
// asks for an email. Every expected count is worked out in the comments.
func TestRun(t *testing.T) {
	inForce := Version{Number: 1, Agreement: parse(t)}
	proposed := Version{Number: 2, Agreement: parse(t, "first_touch_within: 10m", "first_touch_within: 5m",
		`entry: score >= 60 and email != ""`, "entry: score >= 60")}
	r, err := Run(ledger(t), inForce, proposed)
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	type counts struct {
		Handoffs, Kept, Added, Dropped, FirstTouch, Accept, TouchedInTime int
	}
	got := func(s Side) counts {
		return counts{s.Handoffs, s.Kept, s.Added, s.Dropped, s.Breaches.FirstTouch, s.Breaches.Accept, s.FirstTouch.InTime}
	}
	// In force (10m): 11 is touched at 10:07, due 10:10: in time. 12 is
	// due 10:10, untouched, open until 10:20: breached. 13 is touched at
	// 10:02: in time. The candidate has no email: not handed over. Every
	// decision came within 4 hours.
	if diff := cmp.Diff(counts{Handoffs: 3, Kept: 3, FirstTouch: 1, TouchedInTime: 2}, got(r.InForce)); diff != "" {
		t.Errorf("in force (-want +got):\n%s", diff)
	}
	// Proposed (5m): 11 due 10:05, touched 10:07: breached; 12 breached;
	// 13 in time; the candidate is handed over at 10:05, due 10:10, never
	// touched nor decided: its first touch and its accept clock (due
	// 14:05) are breached.
	if diff := cmp.Diff(counts{Handoffs: 4, Kept: 3, Added: 1, FirstTouch: 3, Accept: 1, TouchedInTime: 1}, got(r.Proposed)); diff != "" {
		t.Errorf("proposed (-want +got):\n%s", diff)
	}

	// A rule that no longer holds drops a hand-off its rule made, never
	// one a person made.
	strict := Version{Number: 3, Agreement: parse(t, `entry: score >= 60 and email != ""`, "entry: score >= 80")}
	r, err = Run(ledger(t), inForce, strict)
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	if s := r.Proposed; s.Handoffs != 1 || s.Dropped != 2 || s.Kept != 1 {
		t.Errorf("score >= 80: %d hand-offs, %d kept, %d dropped; want 1, 1 (the one by hand), 2", s.Handoffs, s.Kept, s.Dropped)
	}
}

// TestRouteCapacity: with a capacity of one lead a rep, the third hand-off
// waits until the first one ends at 10:30 and then goes to its rep.
func TestRouteCapacity(t *testing.T) {
	l := ledger(t)
	l.Candidates = nil
	l.Handoffs = []Handoff{
		{Handoff: tandem.Handoff{LeadID: 1, StartedAt: at(10, 0), EndedAt: at(10, 30)}},
		{Handoff: tandem.Handoff{LeadID: 2, StartedAt: at(10, 1), EndedAt: at(12, 0)}},
		{Handoff: tandem.Handoff{LeadID: 3, StartedAt: at(10, 2)}},
	}
	a := Version{Number: 1, Agreement: parse(t, "capacity: 40", "capacity: 1")}
	r, err := Run(l, a, a)
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	want := []RepLoad{{Rep: "rex@example.com", Handoffs: 2, PeakOpen: 1}, {Rep: "ria@example.com", Handoffs: 1, PeakOpen: 1}}
	if diff := cmp.Diff(want, r.InForce.Reps); diff != "" {
		t.Errorf("reps at capacity 1 (-want +got):\n%s", diff)
	}
	if r.InForce.Unrouted != 1 || r.InForce.PeakOpen != 1 {
		t.Errorf("unrouted %d, peak %d; want 1 (the third waited), 1", r.InForce.Unrouted, r.InForce.PeakOpen)
	}
	// Without the cap, round robin: rex, ria, rex; rex holds two at 10:02.
	b := Version{Number: 2, Agreement: parse(t)}
	r, err = Run(l, b, b)
	if err != nil {
		t.Fatalf("Run = %v", err)
	}
	want = []RepLoad{{Rep: "rex@example.com", Handoffs: 2, PeakOpen: 2}, {Rep: "ria@example.com", Handoffs: 1, PeakOpen: 1}}
	if diff := cmp.Diff(want, r.InForce.Reps); diff != "" {
		t.Errorf("reps without a cap (-want +got):\n%s", diff)
	}
}

// TestDeterministic: the same ledger gives the same report, whatever the
// order its hand-offs and candidates come in.
func TestDeterministic(t *testing.T) {
	inForce := Version{Number: 1, Agreement: parse(t)}
	proposed := Version{Number: 2, Agreement: parse(t, "first_touch_within: 10m", "first_touch_within: 5m", "capacity: 40", "capacity: 2")}
	l := ledger(t)
	for i := range 40 { // more hand-offs than the reps can hold at once
		l.Handoffs = append(l.Handoffs, Handoff{Handoff: tandem.Handoff{LeadID: int64(100 + i), StartedAt: at(11, i%7),
			EndedAt: at(12, i%11)}, Lead: tandem.Lead{ID: int64(100 + i), Score: 70, Email: "x@example.com"}, ByRule: true,
			Touches: []tandem.Touch{{Channel: "call", Outcome: tandem.OutcomeVoicemail, At: at(11, 8+i%5)}}})
	}
	first, err := Run(l, inForce, proposed)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		m := l
		m.Handoffs = append([]Handoff(nil), l.Handoffs...)
		rng.Shuffle(len(m.Handoffs), func(i, j int) { m.Handoffs[i], m.Handoffs[j] = m.Handoffs[j], m.Handoffs[i] })
		again, err := Run(m, inForce, proposed)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Fatalf("the same ledger in another order gives another report (-first +again):\n%s", diff)
		}
	}
}
