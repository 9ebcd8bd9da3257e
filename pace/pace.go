// Package pace compares a period's actuals with its plan day by day: the
// cumulative count of leads that entered each path stage against the plan's
// even daily line, the run-rate projection to the period's end, and the
// probability of reaching the goal, from a seeded Monte Carlo over the
// uncertainty of the rates the plan rests on. It is pure: the store supplies
// the actuals.
package pace

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/figure"
	"github.com/tandemhq/tandem/plan"
)

// DefaultTrials is how many futures the Monte Carlo draws.
const DefaultTrials = 4000

// PriorDays is the weight the plan's own daily rate carries in the Monte
// Carlo, in days of observation: early in a period the plan dominates, later
// what was seen does.
const PriorDays = 7

// Actuals are what happened in the period so far, by day of the period in
// the agreement's time zone (index 0 is its first day; the last index is
// today).
type Actuals struct {
	// Entered holds, per path stage, how many leads entered it each day.
	Entered map[string][]int64
	// WonCents holds the revenue of the deals won each day.
	WonCents []int64
}

// Input is what a pace is computed from.
type Input struct {
	// Plan is marketing's plan (its share of the goal): the stages' lines.
	Plan plan.Plan
	// Company is the plan of the whole goal (share 1) and KPI the
	// agreement's unified KPI: they give the Target the projection and
	// the probability are of. Without Company, the target is Plan's.
	Company plan.Plan
	KPI     agreement.KPI
	// Stages are the path stages in order (lead first).
	Stages  []string
	Actuals Actuals
	Now     time.Time
	Loc     *time.Location
	Seed    uint64
	Trials  int // DefaultTrials when 0
	// NoAgreement says that no signed agreement was in force over the
	// period (before the first one, or with none at all): the period is
	// described, not judged (see [Pace].NoAgreement).
	NoAgreement bool
}

// Point is one day of a stage's cumulative line.
type Point struct {
	Day    string  `json:"day"` // 2026-11-03
	Actual int64   `json:"actual"`
	Plan   float64 `json:"plan"`
}

// Stage is one path stage's pace.
type Stage struct {
	Stage   string `json:"stage"`
	Planned int64  `json:"planned"`
	Actual  int64  `json:"actual"`
	// ExpectedByNow is the plan's even line at today's end.
	ExpectedByNow float64 `json:"expected_by_now"`
	// Projected is the run rate carried to the period's end.
	Projected int64 `json:"projected"`
	// OnTrack reports whether Projected reaches Planned.
	OnTrack bool    `json:"on_track"`
	Days    []Point `json:"days"`
}

// Pace is a period's pace.
type Pace struct {
	Period      calendar.Period `json:"period"`
	AsOf        time.Time       `json:"as_of"`
	DaysElapsed int             `json:"days_elapsed"`
	DaysTotal   int             `json:"days_total"`
	// Stages run along the path, lead first.
	Stages []Stage `json:"stages"`
	// Revenue is won revenue against the target's revenue goal (the
	// whole goal of the period, as the scorecard's), in cents.
	RevenuePlannedCents   int64 `json:"revenue_planned_cents"`
	RevenueActualCents    int64 `json:"revenue_actual_cents"`
	RevenueProjectedCents int64 `json:"revenue_projected_cents"`
	// Target is what the projection and the probability are of (see
	// [NewTarget]); TargetActual its measure so far (the target stage's
	// entries, or won revenue), TargetProjected that at the run rate.
	Target          Target  `json:"target"`
	TargetActual    float64 `json:"target_actual"`
	TargetProjected float64 `json:"target_projected"`
	// Probability is the share of simulated futures in which the target
	// is reached by the period's end.
	Probability float64 `json:"probability"`
	Trials      int     `json:"trials"`
	Seed        uint64  `json:"seed"`
	// NoAgreement says that no signed agreement was in force over the
	// period: its actuals and run-rate projections are given, and nothing
	// is measured against a plan, a target or a goal (every planned
	// figure, the target and the probability are zero; no stage is on
	// track or behind), as the scorecard of such a period does.
	NoAgreement bool `json:"no_agreement"`
}

// Compute paces the period: the plan's stages are split evenly over its
// days, the actuals are summed day by day, and the run rate (actual ÷ days
// elapsed × days in the period) is the projection.
func Compute(in Input) (Pace, error) {
	p := in.Plan.Goal.Period
	if in.Loc == nil {
		in.Loc = time.UTC
	}
	if !p.From.Before(p.To) {
		return Pace{}, tandem.Invalid(tandem.FieldError{Field: "period", Message: "the plan has no period"})
	}
	total := Days(p.From, p.To, in.Loc)
	elapsed := 0
	switch {
	case !in.Now.After(p.From):
		elapsed = 0
	case !in.Now.Before(p.To):
		elapsed = total
	default:
		elapsed = Days(p.From, in.Now, in.Loc) + 1 // today counts
	}
	trials := in.Trials
	if trials <= 0 {
		trials = DefaultTrials
	}
	out := Pace{Period: p, AsOf: in.Now.UTC(), DaysElapsed: elapsed, DaysTotal: total, Trials: trials, Seed: in.Seed}
	planned := map[string]int64{}
	for _, s := range in.Plan.Stages {
		planned[s.Stage] = s.Needed
	}
	for _, name := range in.Stages {
		st := Stage{Stage: name, Planned: planned[name]}
		daily := in.Actuals.Entered[name]
		var cum int64
		for d := 0; d < elapsed; d++ {
			if d < len(daily) {
				cum += daily[d]
			}
			st.Days = append(st.Days, Point{Day: p.From.In(in.Loc).AddDate(0, 0, d).Format(time.DateOnly), Actual: cum,
				Plan: round2(float64(st.Planned) * float64(d+1) / float64(total))})
		}
		st.Actual = cum
		st.ExpectedByNow = round2(float64(st.Planned) * float64(elapsed) / float64(total))
		st.Projected = project(cum, elapsed, total)
		st.OnTrack = st.Projected >= st.Planned
		out.Stages = append(out.Stages, st)
	}
	company := in.Company
	if len(company.Stages) == 0 {
		company = in.Plan
	}
	out.Target = NewTarget(in.KPI, company)
	out.RevenuePlannedCents = int64(math.Round(out.Target.Goal * 100))
	for d := 0; d < elapsed && d < len(in.Actuals.WonCents); d++ {
		out.RevenueActualCents += in.Actuals.WonCents[d]
	}
	out.RevenueProjectedCents = project(out.RevenueActualCents, elapsed, total)
	// The target's stage so far; for revenue, the deals are its wins.
	var counted int64
	for _, st := range out.Stages {
		if st.Stage == out.Target.Stage {
			counted = st.Actual
		}
	}
	toReach := int64(math.Ceil(out.Target.Value - 1e-9))
	out.TargetActual = float64(counted)
	if out.Target.Unit == UnitMoney {
		out.TargetActual = float64(out.RevenueActualCents) / 100
		toReach = out.Target.need(0)
	}
	out.TargetProjected = float64(project(int64(math.Round(out.TargetActual*100)), elapsed, total)) / 100
	out.Probability = probability(in.Seed, trials, counted, toReach, out.Target.need(out.TargetActual), elapsed, total)
	if in.NoAgreement {
		describeOnly(&out)
	}
	return out, nil
}

// describeOnly drops from a pace what measures it against a plan: the
// planned lines, the target and the probability (see [Pace].NoAgreement).
func describeOnly(p *Pace) {
	p.NoAgreement = true
	for i := range p.Stages {
		st := &p.Stages[i]
		st.Planned, st.ExpectedByNow, st.OnTrack = 0, 0, false
		for d := range st.Days {
			st.Days[d].Plan = 0
		}
	}
	p.RevenuePlannedCents = 0
	p.Target, p.TargetActual, p.TargetProjected = Target{}, 0, 0
	p.Probability, p.Trials = 0, 0
}

// project carries a count over elapsed days to the whole period.
func project(actual int64, elapsed, total int) int64 {
	if elapsed <= 0 {
		return actual
	}
	return int64(math.Round(float64(actual) * float64(total) / float64(elapsed)))
}

// Days counts the calendar days from a to b in loc: the index of b's day in
// a period that starts at a.
func Days(a, b time.Time, loc *time.Location) int {
	a, b = a.In(loc), b.In(loc)
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// probability draws futures of the target's stage (customers): the rate
// at which it is reached is uncertain, so each future first draws that rate
// from what was seen so far (a Gamma over the count and the days elapsed,
// with the plan's own rate weighted as PriorDays days), then draws the days
// left as a Poisson count at that rate. A future succeeds when the stage
// reaches its planned count by the period's end. The funnel rates' drift
// is for jeopardy alerts; the projection rests on what the last stage
// itself does, since a period's customers come mostly from leads of earlier
// periods (docs/pace.md).
//
// seen is the target stage's entries so far, planned its count for the
// whole period (the target, or the wins the revenue goal takes at the
// average deal size), and need how many more reach the target.
func probability(seed uint64, trials int, seen, planned, need int64, elapsed, total int) float64 {
	if need <= 0 {
		return 1
	}
	if planned <= 0 || total <= 0 {
		return 0 // no target to reach
	}
	remaining := float64(total - elapsed)
	if remaining <= 0 {
		return 0
	}
	planRate := float64(planned) / float64(total)
	shape := float64(seen) + planRate*PriorDays + 1
	scale := 1 / (float64(elapsed) + PriorDays)
	rng := rand.New(rand.NewPCG(seed, 0x7061636521))
	wins := 0
	for range trials {
		if poisson(rng, gamma(rng, shape)*scale*remaining) >= need {
			wins++
		}
	}
	return math.Round(float64(wins)/float64(trials)*1000) / 1000
}

// poisson draws a Poisson count with mean m (normal approximation above 50).
func poisson(rng *rand.Rand, m float64) int64 {
	if m <= 0 {
		return 0
	}
	if m > 50 {
		return max(int64(math.Round(m+math.Sqrt(m)*rng.NormFloat64())), 0)
	}
	l, k, p := math.Exp(-m), int64(0), 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// gamma draws from Gamma(k, 1) by Marsaglia and Tsang's method.
func gamma(rng *rand.Rand, k float64) float64 {
	if k < 1 {
		return gamma(rng, k+1) * math.Pow(rng.Float64(), 1/k)
	}
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// String says the pace in one line, for logs.
func (p Pace) String() string {
	return fmt.Sprintf("%s day %d of %d: probability of reaching %s %s", p.Period.Name, p.DaysElapsed, p.DaysTotal, p.Target.Label, figure.Percent(p.Probability))
}
