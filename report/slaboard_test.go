package report_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sla"
)

func TestBoard(t *testing.T) {
	// ann: 4 hand-offs, 1 touched late and 1 untouched of 4 measured; 2
	// decisions (1 late) and 1 undecided; steps 3 on time, 1 late, 1
	// missed, 1 overdue, 2 skipped (not due). bob: clean, 1 hand-off.
	ann := sla.Row{Key: "ann@x", Handoffs: 4, TouchedInTime: 2, TouchedLate: 1, Untouched: 1,
		Decided: 2, DecidedInTime: 1, Undecided: 1, Accepted: 2, Routed: 4, RepDelays: 3,
		RoutingDelayMedian: time.Second, RepDelayMedian: time.Minute,
		Steps: []sla.StepStat{{Step: 1, OnTime: 2, Late: 1, Skipped: 2}, {Step: 2, OnTime: 1, Missed: 1, Overdue: 1}}}
	bob := sla.Row{Key: "bob@x", Handoffs: 1, TouchedInTime: 1, Decided: 1, DecidedInTime: 1, Routed: 1, RepDelays: 1,
		RoutingDelayMedian: 2 * time.Second, RepDelayMedian: 2 * time.Minute, Steps: []sla.StepStat{{Step: 1, OnTime: 1}}}
	total := sla.Row{Key: "TOTAL", Handoffs: 5, TouchedInTime: 3, TouchedLate: 1, Untouched: 1,
		Decided: 3, DecidedInTime: 2, Undecided: 1, Routed: 5, RepDelays: 4, RoutingDelayMedian: time.Second, RepDelayMedian: time.Minute,
		Steps: []sla.StepStat{{Step: 1, OnTime: 3, Late: 1, Skipped: 2}, {Step: 2, OnTime: 1, Missed: 1, Overdue: 1}}}
	r := sla.Report{Sales: []sla.Row{bob, ann}, Total: total}

	wantAnn := report.Compliance{Key: "ann@x", Handoffs: 4, TouchedInTime: 2, TouchMeasured: 4, TouchShare: 0.5,
		DecidedInTime: 1, DecideMeasured: 3, DecideShare: 1.0 / 3, StepsOnTime: 3, StepsDue: 6, StepShare: 0.5,
		TouchBreaches: 2, DecideBreaches: 2, StepBreaches: 3, Routed: 4, RepDelays: 3,
		RoutingDelay: time.Second, RepDelay: time.Minute, Medians: true}
	wantBob := report.Compliance{Key: "bob@x", Handoffs: 1, TouchedInTime: 1, TouchMeasured: 1, TouchShare: 1,
		DecidedInTime: 1, DecideMeasured: 1, DecideShare: 1, StepsOnTime: 1, StepsDue: 1, StepShare: 1,
		Routed: 1, RepDelays: 1, RoutingDelay: 2 * time.Second, RepDelay: 2 * time.Minute, Medians: true}

	// Everyone: the report's total, with its medians; most breaches first.
	rows, tot := report.Board(r, nil)
	if diff := cmp.Diff([]report.Compliance{wantAnn, wantBob}, rows); diff != "" {
		t.Errorf("Board(everyone) rows (-want +got):\n%s", diff)
	}
	wantTotal := report.Compliance{Key: "Total", Handoffs: 5, TouchedInTime: 3, TouchMeasured: 5, TouchShare: 0.6,
		DecidedInTime: 2, DecideMeasured: 4, DecideShare: 0.5, StepsOnTime: 4, StepsDue: 7, StepShare: 4.0 / 7,
		TouchBreaches: 2, DecideBreaches: 2, StepBreaches: 3, Routed: 5, RepDelays: 4,
		RoutingDelay: time.Second, RepDelay: time.Minute, Medians: true}
	if diff := cmp.Diff(wantTotal, tot); diff != "" {
		t.Errorf("Board(everyone) total (-want +got):\n%s", diff)
	}
	if got := tot.Breaches(); got != 7 {
		t.Errorf("Board(everyone) total.Breaches() = %d; want 2 + 2 + 3", got)
	}

	// A manager's team of bob alone: the sum of its rows, without medians.
	rows, tot = report.Board(r, func(key string) bool { return key == "bob@x" })
	if diff := cmp.Diff([]report.Compliance{wantBob}, rows); diff != "" {
		t.Errorf("Board(bob) rows (-want +got):\n%s", diff)
	}
	wantTeam := wantBob
	wantTeam.Key, wantTeam.RoutingDelay, wantTeam.RepDelay, wantTeam.Medians = "Total", 0, 0, false
	if diff := cmp.Diff(wantTeam, tot); diff != "" {
		t.Errorf("Board(bob) total (-want +got):\n%s", diff)
	}

	// A sum has no medians, whatever it started from.
	sum := report.NewCompliance(bob)
	sum.Add(report.NewCompliance(ann))
	if sum.Medians || sum.Handoffs != 5 || sum.Breaches() != 7 || sum.TouchShare != 3.0/5 {
		t.Errorf("bob.Add(ann) = %+v; want 5 hand-offs, 7 breaches, touch share 0.6 and no medians", sum)
	}

	// A team with nobody in the report.
	rows, tot = report.Board(r, func(string) bool { return false })
	if len(rows) != 0 || tot != (report.Compliance{Key: "Total"}) {
		t.Errorf("Board(nobody) = %v, %+v; want no rows and an empty total", rows, tot)
	}
}
