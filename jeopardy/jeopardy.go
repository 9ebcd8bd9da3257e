// Package jeopardy decides when the goal of a period is in jeopardy: the
// run-rate projection of won revenue falls short of the goal, or an
// assumption the plan rests on drifts beyond the agreement's tolerance in
// the direction that hurts (qualified-lead volume, acceptance rate, close
// rate, deal size). It is pure: the caller measures, the store keeps one
// alert per cause and period and tells the heads and the executives.
package jeopardy

import (
	"fmt"
	"math"
	"time"

	"github.com/tandemhq/tandem/figure"
	"github.com/tandemhq/tandem/pace"
)

// Cause is what put the goal in jeopardy; a period raises at most one alert
// for each.
type Cause string

// The causes.
const (
	Revenue        Cause = "revenue"         // won revenue projected below the period's goal
	QualifiedLeads Cause = "qualified_leads" // qualified leads projected below marketing's commitment
	AcceptanceRate Cause = "acceptance_rate" // sales accepts fewer hand-offs than the funnel assumes
	CloseRate      Cause = "close_rate"      // fewer closed deals are won than the funnel assumes
	DealSize       Cause = "deal_size"       // won deals are smaller than the funnel assumes
)

// Causes lists the causes in the order a check considers them.
var Causes = []Cause{Revenue, QualifiedLeads, AcceptanceRate, CloseRate, DealSize}

// Defaults for [Input]'s thresholds.
const (
	// DefaultMinDays is how many days of a period must have passed before
	// a projection is judged: on its first days a run rate is noise.
	DefaultMinDays = 7
	// DefaultMinSamples is how many cases an observed rate needs before
	// it is judged (plan.MinSamples, the figure a rate from history needs).
	DefaultMinSamples = 30
)

// Figure is one number that moved: what the plan expected, what was seen
// and, for a count or an amount, where the run rate takes it by the
// period's end.
type Figure struct {
	Name      string  `json:"name"`
	Expected  float64 `json:"expected"`
	Actual    float64 `json:"actual"`
	Projected float64 `json:"projected,omitempty"`
	// Drift is (Actual, or Projected when there is one, − Expected) ÷
	// Expected: -0.25 is 25% short.
	Drift   float64 `json:"drift"`
	Samples int     `json:"samples,omitempty"`
}

// Alert is one jeopardy alert.
type Alert struct {
	ID     int64  `json:"id,omitempty"`
	Period string `json:"period"`
	Cause  Cause  `json:"cause"`
	// Summary says in one line what moved, with the numbers.
	Summary  string    `json:"summary"`
	Figures  []Figure  `json:"figures"`
	RaisedAt time.Time `json:"raised_at,omitzero"`
}

// Observed is a rate or an amount the plan assumes and what the period has
// shown so far, over Samples cases.
type Observed struct {
	Expected float64
	Actual   float64
	Samples  int
}

// Projection is a count or an amount that should reach Goal by the
// period's end: Actual so far and the run rate's Projected.
type Projection struct {
	Goal, Actual, Projected float64
}

// Input is what a check reads.
type Input struct {
	Period      string
	DaysElapsed int
	DaysTotal   int
	// Tolerance is the relative drift the agreement accepts (0.2: 20%).
	Tolerance float64
	// MinDays and MinSamples default to DefaultMinDays and
	// DefaultMinSamples when 0.
	MinDays    int
	MinSamples int

	// Revenue is won revenue (in the currency's major unit) against the
	// period's revenue goal (Target.Goal); Probability the pace's chance
	// of reaching Target, the period's one target (pace.Target), both said
	// in the alert.
	Revenue     Projection
	Target      pace.Target
	Probability float64
	// QualifiedLeads is the period's qualified leads against marketing's
	// commitment for it (Goal 0: no commitment).
	QualifiedLeads Projection
	// The rates: acceptance (hand-offs accepted of those decided), close
	// rate (deals won of those closed) and the average won deal.
	AcceptanceRate, CloseRate, DealSize Observed
}

// Check returns the alerts the input raises, in the order of [Causes].
func Check(in Input) []Alert {
	if in.MinDays <= 0 {
		in.MinDays = DefaultMinDays
	}
	if in.MinSamples <= 0 {
		in.MinSamples = DefaultMinSamples
	}
	if in.Tolerance < 0 || math.IsNaN(in.Tolerance) {
		in.Tolerance = 0
	}
	var out []Alert
	add := func(c Cause, summary string, f Figure) {
		out = append(out, Alert{Period: in.Period, Cause: c, Summary: summary, Figures: []Figure{f}})
	}
	judged := in.DaysElapsed >= in.MinDays || in.DaysElapsed >= in.DaysTotal && in.DaysTotal > 0

	if r := in.Revenue; judged && r.Goal > 0 && r.Projected < r.Goal {
		f := Figure{Name: "won_revenue", Expected: r.Goal, Actual: r.Actual, Projected: r.Projected, Drift: drift(r.Projected, r.Goal)}
		summary := fmt.Sprintf("won revenue is projected at %s against the goal of %s (%s) by the end of %s: %s won in %d of %d days",
			money(r.Projected), money(r.Goal), pct(f.Drift), in.Period, money(r.Actual), in.DaysElapsed, in.DaysTotal)
		if in.Target.Label != "" {
			summary += fmt.Sprintf("; the probability of reaching the target (%s) is %s", in.Target.Label, pct(in.Probability))
		}
		add(Revenue, summary, f)
	}
	if q := in.QualifiedLeads; judged && q.Goal > 0 {
		if d := drift(q.Projected, q.Goal); d < -in.Tolerance {
			f := Figure{Name: "qualified_leads", Expected: q.Goal, Actual: q.Actual, Projected: q.Projected, Drift: d}
			add(QualifiedLeads, fmt.Sprintf("qualified leads are projected at %s against marketing's commitment of %s (%s, beyond the %s tolerance): %s so far in %d of %d days",
				count(q.Projected), count(q.Goal), pct(d), pct(in.Tolerance), count(q.Actual), in.DaysElapsed, in.DaysTotal), f)
		}
	}
	rate := func(c Cause, name, what string, o Observed, format func(float64) string) {
		if o.Samples < in.MinSamples || o.Expected <= 0 {
			return
		}
		if d := drift(o.Actual, o.Expected); d < -in.Tolerance {
			add(c, fmt.Sprintf("%s is %s against the %s the plan assumes (%s, beyond the %s tolerance), over %d %s",
				name, format(o.Actual), format(o.Expected), pct(d), pct(in.Tolerance), o.Samples, what),
				Figure{Name: string(c), Expected: o.Expected, Actual: o.Actual, Drift: d, Samples: o.Samples})
		}
	}
	rate(AcceptanceRate, "the acceptance rate (accepted ÷ decided hand-offs)", "decided hand-offs", in.AcceptanceRate, pct)
	rate(CloseRate, "the close rate (won ÷ (won + lost) deals closed in the period)", "closed deals", in.CloseRate, pct)
	rate(DealSize, "the average won deal", "won deals", in.DealSize, money)
	return out
}

// drift is (actual − expected) ÷ expected, rounded to four places; 0 when
// nothing was expected.
func drift(actual, expected float64) float64 {
	if expected == 0 {
		return 0
	}
	return math.Round((actual-expected)/expected*10000) / 10000
}

// An alert's figures are written as the pages write them (package figure).
var (
	pct   = figure.Percent
	money = figure.Money
	count = figure.Count
)
