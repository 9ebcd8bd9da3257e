package jeopardy

import (
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/pace"
)

func causes(as []Alert) []Cause {
	var cs []Cause
	for _, a := range as {
		cs = append(cs, a.Cause)
	}
	return cs
}

// healthy is a quarter on track on day 30 of 90: every figure at or above
// what the plan expects.
func healthy() Input {
	return Input{Period: "2027-Q1", DaysElapsed: 30, DaysTotal: 90, Tolerance: 0.2,
		Revenue:        Projection{Goal: 1_200_000, Actual: 400_000, Projected: 1_200_000},
		QualifiedLeads: Projection{Goal: 1200, Actual: 400, Projected: 1200},
		AcceptanceRate: Observed{Expected: 0.7, Actual: 0.7, Samples: 300},
		CloseRate:      Observed{Expected: 0.25, Actual: 0.3, Samples: 40},
		DealSize:       Observed{Expected: 12000, Actual: 12000, Samples: 30}}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Input)
		want   []Cause
	}{
		{"on track", func(*Input) {}, nil},
		{"revenue a cent short", func(in *Input) { in.Revenue.Projected = 1_199_999.99 }, []Cause{Revenue}},
		{"revenue short before the seventh day is not judged", func(in *Input) { in.DaysElapsed, in.Revenue.Projected = 6, 0 }, nil},
		{"revenue short on the seventh day", func(in *Input) { in.DaysElapsed, in.Revenue.Projected = 7, 0 }, []Cause{Revenue}},
		// 20% tolerance: 960 of 1200 is exactly 20% short, within it; 959 is beyond.
		{"volume within tolerance", func(in *Input) { in.QualifiedLeads.Projected = 960 }, nil},
		{"volume beyond tolerance", func(in *Input) { in.QualifiedLeads.Projected = 959 }, []Cause{QualifiedLeads}},
		{"no volume commitment", func(in *Input) { in.QualifiedLeads = Projection{Actual: 3, Projected: 9} }, nil},
		{"acceptance beyond tolerance", func(in *Input) { in.AcceptanceRate.Actual = 0.55 }, []Cause{AcceptanceRate}},
		{"acceptance on too few samples", func(in *Input) { in.AcceptanceRate = Observed{Expected: 0.7, Actual: 0.1, Samples: 29} }, nil},
		{"close rate above the plan is no jeopardy", func(in *Input) { in.CloseRate.Actual = 0.9 }, nil},
		{"close rate beyond tolerance", func(in *Input) { in.CloseRate.Actual = 0.19 }, []Cause{CloseRate}},
		{"deal size beyond tolerance", func(in *Input) { in.DealSize.Actual = 9000 }, []Cause{DealSize}},
		{"everything at once, in order", func(in *Input) {
			in.Revenue.Projected, in.QualifiedLeads.Projected = 1, 1
			in.AcceptanceRate.Actual, in.CloseRate.Actual, in.DealSize.Actual = 0.1, 0.1, 1
		}, Causes},
		{"a period with no goal", func(in *Input) { in.Revenue = Projection{} }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := healthy()
			tc.change(&in)
			got := Check(in)
			if !slices.Equal(causes(got), tc.want) {
				t.Fatalf("Check = %v; want %v", causes(got), tc.want)
			}
			for _, a := range got {
				if a.Period != "2027-Q1" || len(a.Figures) != 1 || a.Summary == "" {
					t.Errorf("alert %+v; want the period, one figure and a summary", a)
				}
			}
		})
	}
}

// TestCheckSaysTheNumbers checks an alert's words and figure by hand.
func TestCheckSaysTheNumbers(t *testing.T) {
	in := healthy()
	in.Revenue = Projection{Goal: 1_200_000, Actual: 300_000, Projected: 900_000}
	in.Probability = 0.125
	in.Target = pace.Target{Label: "new customers: 100"}
	got := Check(in)
	if len(got) != 1 {
		t.Fatalf("Check = %v; want the revenue alert", causes(got))
	}
	f := got[0].Figures[0]
	if f.Name != "won_revenue" || f.Expected != 1_200_000 || f.Actual != 300_000 || f.Projected != 900_000 || f.Drift != -0.25 {
		t.Errorf("figure = %+v; want won_revenue 1200000 expected, 300000 actual, 900000 projected, drift -0.25", f)
	}
	// Figures are written as the pages write them, and the probability
	// names the target it is of.
	want := "won revenue is projected at 900,000 against the goal of 1,200,000 (-25%) by the end of 2027-Q1: 300,000 won in 30 of 90 days; the probability of reaching the target (new customers: 100) is 12.5%"
	if got[0].Summary != want {
		t.Errorf("summary = %q\nwant      %q", got[0].Summary, want)
	}
	in = healthy()
	in.DealSize.Actual = 9000
	if s := Check(in)[0].Summary; !strings.Contains(s, "9,000 against the 12,000") || !strings.Contains(s, "-25%") || !strings.Contains(s, "over 30 won deals") {
		t.Errorf("deal size summary = %q", s)
	}
}

// FuzzCheck feeds any numbers: a check never panics and never reports a
// drift that is not a number.
func FuzzCheck(f *testing.F) {
	f.Add(10, 90, 0.2, 1e6, 5e5, 0.7, 0.1, 30, 12000.0, -1.0)
	f.Fuzz(func(t *testing.T, elapsed, total int, tol, goal, projected, expected, actual float64, samples int, size, neg float64) {
		in := Input{Period: "p", DaysElapsed: elapsed, DaysTotal: total, Tolerance: tol,
			Revenue:        Projection{Goal: goal, Projected: projected},
			QualifiedLeads: Projection{Goal: goal, Projected: projected * neg},
			AcceptanceRate: Observed{Expected: expected, Actual: actual, Samples: samples},
			CloseRate:      Observed{Expected: expected, Actual: actual * neg, Samples: samples},
			DealSize:       Observed{Expected: size, Actual: actual, Samples: samples}}
		for _, a := range Check(in) {
			for _, fg := range a.Figures {
				if fg.Drift != fg.Drift {
					t.Fatalf("%s: drift is NaN: %+v", a.Cause, in)
				}
			}
		}
	})
}
