package pace_test

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/plan"
)

var stages = []string{"lead", "mql", "customer"}

// november plans 300 leads → 120 MQLs (0.4) → 30 customers (0.25) for
// November 2026, marketing revenue 360,000.
func november(t testing.TB, rateSamples int, src plan.Source) plan.Plan {
	t.Helper()
	p, err := calendar.ParsePeriod("2026-11", time.UTC)
	if err != nil {
		t.Fatalf("calendar.ParsePeriod: %v", err)
	}
	return plan.Plan{Goal: plan.Goal{Period: p}, MarketingRevenue: 360000, Stages: []plan.Stage{
		{Stage: "customer", Needed: 30, Rate: plan.Rate{Value: 12000, Source: src, Samples: rateSamples}},
		{Stage: "mql", Needed: 120, Rate: plan.Rate{Value: 0.25, Source: src, Samples: rateSamples}},
		{Stage: "lead", Needed: 300, Rate: plan.Rate{Value: 0.4, Source: src, Samples: rateSamples}},
	}}
}

func perDay(n int, v int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestPaceRunRate(t *testing.T) {
	// Ten days into November (the 10th counts): 10 leads, 4 MQLs and one
	// customer a day, and 12,000 won a day.
	now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	in := pace.Input{Plan: november(t, 0, plan.SourceAgreement), Stages: stages, Now: now, Seed: 1,
		Actuals: pace.Actuals{Entered: map[string][]int64{"lead": perDay(10, 10), "mql": perDay(10, 4), "customer": perDay(10, 1)},
			WonCents: perDay(10, 1_200_000)}}
	got, err := pace.Compute(in)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	if got.DaysElapsed != 10 || got.DaysTotal != 30 {
		t.Fatalf("days %d of %d; want 10 of 30", got.DaysElapsed, got.DaysTotal)
	}
	want := map[string][4]float64{ // planned, actual, expected by now, projected
		"lead":     {300, 100, 100, 300},
		"mql":      {120, 40, 40, 120},
		"customer": {30, 10, 10, 30},
	}
	for _, s := range got.Stages {
		w := want[s.Stage]
		if float64(s.Planned) != w[0] || float64(s.Actual) != w[1] || s.ExpectedByNow != w[2] || float64(s.Projected) != w[3] || !s.OnTrack {
			t.Errorf("%s = %+v; want planned %v, actual %v, expected %v, projected %v, on track", s.Stage, s, w[0], w[1], w[2], w[3])
		}
		if len(s.Days) != 10 || s.Days[9].Day != "2026-11-10" || s.Days[9].Actual != int64(w[1]) || s.Days[9].Plan != w[2] {
			t.Errorf("%s days = %+v; want ten, the last 2026-11-10 at %v against %v", s.Stage, s.Days, w[1], w[2])
		}
	}
	if got.RevenueActualCents != 12_000_000 || got.RevenueProjectedCents != 36_000_000 || got.RevenuePlannedCents != 36_000_000 {
		t.Errorf("revenue = %d actual, %d projected, %d planned (cents)", got.RevenueActualCents, got.RevenueProjectedCents, got.RevenuePlannedCents)
	}
	// On plan with 20 days to go and rates as planned: about even odds,
	// never certain, never hopeless.
	if got.Probability < 0.2 || got.Probability > 0.9 {
		t.Errorf("probability %v on plan; want between 0.2 and 0.9", got.Probability)
	}
	// The same seed draws the same futures.
	again, _ := pace.Compute(in)
	if again.Probability != got.Probability {
		t.Errorf("same seed: %v then %v", got.Probability, again.Probability)
	}
}

func TestPaceProbabilityFollowsTheNumbers(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) // day 20 of 30
	run := func(lead, mql, customer int64) float64 {
		got, err := pace.Compute(pace.Input{Plan: november(t, 400, plan.SourceHistory), Stages: stages, Now: now, Seed: 7,
			Actuals: pace.Actuals{Entered: map[string][]int64{"lead": perDay(20, lead), "mql": perDay(20, mql), "customer": perDay(20, customer)}}})
		if err != nil {
			t.Fatalf("Compute: %v", err)
		}
		return got.Probability
	}
	ahead, behind, done := run(20, 8, 2), run(2, 1, 0), run(10, 4, 2)
	if ahead < 0.95 {
		t.Errorf("well ahead of plan: probability %v; want near 1", ahead)
	}
	if behind > 0.01 {
		t.Errorf("far behind (0 of 30 customers, a trickle of leads): probability %v; want near 0", behind)
	}
	if done != 1 {
		t.Errorf("40 customers of 30 already: probability %v; want 1", done)
	}
}

func TestPaceBeforeAndAfterThePeriod(t *testing.T) {
	pl := november(t, 0, plan.SourceAgreement)
	before, err := pace.Compute(pace.Input{Plan: pl, Stages: stages, Now: time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)})
	if err != nil || before.DaysElapsed != 0 || before.Stages[0].Projected != 0 || len(before.Stages[0].Days) != 0 {
		t.Errorf("before the period: %+v, %v", before, err)
	}
	after, err := pace.Compute(pace.Input{Plan: pl, Stages: stages, Now: time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC),
		Actuals: pace.Actuals{Entered: map[string][]int64{"customer": perDay(30, 1)}}})
	if err != nil || after.DaysElapsed != 30 || after.Stages[2].Actual != 30 || after.Probability != 1 {
		t.Errorf("after the period: days %d, customers %d, probability %v, %v", after.DaysElapsed, after.Stages[2].Actual, after.Probability, err)
	}
	if _, err := pace.Compute(pace.Input{Stages: stages}); err == nil {
		t.Error("a plan without a period: no error")
	}
}

func BenchmarkPace(b *testing.B) {
	now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	in := pace.Input{Plan: november(b, 0, plan.SourceAgreement), Stages: stages, Now: now, Seed: 1,
		Actuals: pace.Actuals{Entered: map[string][]int64{"lead": perDay(10, 10), "mql": perDay(10, 4), "customer": perDay(10, 1)}}}
	for b.Loop() {
		if _, err := pace.Compute(in); err != nil {
			b.Fatalf("Compute: %v", err)
		}
	}
}

// TestPaceNoAgreement: with no agreement in force the period is described:
// the same actuals, run-rate projections and won revenue as when judged,
// and nothing planned, no target, no probability, no stage on track.
func TestPaceNoAgreement(t *testing.T) {
	now := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	in := pace.Input{Plan: november(t, 0, plan.SourceAgreement), Stages: stages, Now: now, Seed: 1, NoAgreement: true,
		Actuals: pace.Actuals{Entered: map[string][]int64{"lead": perDay(10, 10), "mql": perDay(10, 4), "customer": perDay(10, 1)},
			WonCents: perDay(10, 1_200_000)}}
	got, err := pace.Compute(in)
	if err != nil {
		t.Fatalf("Compute: %v", err)
	}
	if !got.NoAgreement || got.Target != (pace.Target{}) || got.TargetActual != 0 || got.TargetProjected != 0 || got.Probability != 0 ||
		got.Trials != 0 || got.RevenuePlannedCents != 0 {
		t.Errorf("described pace = %+v; want no_agreement and no target, probability or plan", got)
	}
	// Ten days of 12,000 a day, projected over 30 days.
	if got.RevenueActualCents != 12_000_000 || got.RevenueProjectedCents != 36_000_000 {
		t.Errorf("revenue %d so far, projected %d; want 12,000,000 and 36,000,000 cents", got.RevenueActualCents, got.RevenueProjectedCents)
	}
	want := map[string][2]int64{"lead": {100, 300}, "mql": {40, 120}, "customer": {10, 30}} // actual, projected
	for _, s := range got.Stages {
		if s.Planned != 0 || s.ExpectedByNow != 0 || s.OnTrack || s.Actual != want[s.Stage][0] || s.Projected != want[s.Stage][1] || len(s.Days) != 10 {
			t.Errorf("%s = %+v; want nothing planned, actual %d, projected %d, ten days", s.Stage, s, want[s.Stage][0], want[s.Stage][1])
		}
		for _, d := range s.Days {
			if d.Plan != 0 {
				t.Errorf("%s on %s plans %v; want no plan line", s.Stage, d.Day, d.Plan)
			}
		}
	}
}
