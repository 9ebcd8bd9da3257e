// Package plan computes the reverse funnel: from a revenue goal and the share
// of it expected from marketing, how many customers, opportunities and so on
// back to leads the period needs, stage by stage and month by month. It is
// pure arithmetic over values, with no database and no clock; docs/plan.md
// gives the formulas with a worked example.
//
// The arithmetic is the seeds' (seed 001, "set marketing expectations"):
//
//	revenue goal × share from marketing = marketing revenue goal
//	marketing revenue goal ÷ average deal size = customers needed
//	customers ÷ close rate = opportunities needed
//
// and so on back along the path, each stage's count ÷ the conversion rate
// from the stage before it. Each count is rounded up to a whole lead or
// deal before the next division, so every row of a plan can be checked
// from the row above it: 27 customers ÷ 0.25 is 108 opportunities.
package plan

import (
	"fmt"
	"math"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
)

// maxRevenue is the largest revenue goal the plan takes: the agreement's
// largest amount for a quarter, scaled to a year, and then some.
const maxRevenue = 1e18

// MaxCount bounds every count of a plan. A goal that needs more than a
// trillion of anything is a mistake in the goal or the rates, and beyond it
// a float64 no longer tells a whole count from the next.
const MaxCount = 1e12

// Goal is what a plan works back from.
type Goal struct {
	// Revenue is the revenue to win in Period, in the company's currency.
	Revenue float64 `json:"revenue"`
	// MarketingShare is the share of Revenue expected from marketing's
	// leads, from 0 to 1.
	MarketingShare float64 `json:"marketing_share"`
	// Period is the month, quarter or year planned for (see
	// [calendar.ParsePeriod]); the plan splits it into calendar months.
	Period calendar.Period `json:"period"`
	// RevenueSource and ShareSource say whether Revenue and MarketingShare
	// are the agreement's (the default) or what-if overrides.
	RevenueSource Source `json:"revenue_source"`
	ShareSource   Source `json:"share_source"`
}

// Validate returns an EINVALID error naming each field of the goal that is
// wrong: a revenue that is not above 0, a share outside 0 to 1, or no
// period.
func (g Goal) Validate() error {
	if fs := g.problems(); len(fs) > 0 {
		return tandem.Invalid(fs...)
	}
	return nil
}

func (g Goal) problems() []tandem.FieldError {
	var fs []tandem.FieldError
	switch {
	case !(g.Revenue > 0):
		fs = append(fs, tandem.FieldError{Field: "goal.revenue", Message: number(g.Revenue) + " is not a revenue goal: give an amount above 0"})
	case g.Revenue > maxRevenue:
		fs = append(fs, tandem.FieldError{Field: "goal.revenue", Message: number(g.Revenue) + " is too large for a revenue goal"})
	}
	if !(g.MarketingShare >= 0 && g.MarketingShare <= 1) {
		fs = append(fs, tandem.FieldError{Field: "goal.marketing_share",
			Message: number(g.MarketingShare) + " is not a share: give a number from 0 to 1 (0.6 is 60%)"})
	}
	if p := g.Period; p.Months < 1 || p.Months > 12 || p.Name == "" || !p.From.Before(p.To) {
		fs = append(fs, tandem.FieldError{Field: "period", Message: "no period to plan: give a month (2026-11), a quarter (2026-Q4) or a year (2026)"})
	}
	return fs
}

// Plan is the reverse funnel of a goal: what marketing's share of the
// revenue needs at every path stage, for the period and for each of its
// months.
type Plan struct {
	Goal    Goal              `json:"goal"`
	Mission agreement.Mission `json:"mission"`
	// Months names the calendar months of the period (2027-01, ...); every
	// PerMonth slice of the plan follows them.
	Months []string `json:"months"`
	// MarketingRevenue is Goal.Revenue × Goal.MarketingShare, to the cent.
	MarketingRevenue         float64   `json:"marketing_revenue"`
	MarketingRevenuePerMonth []float64 `json:"marketing_revenue_per_month"`
	// Stages runs back along the path, as the arithmetic does: the last
	// path stage (customer) first, the first (lead) last.
	Stages []Stage `json:"stages"`
	// Targets are what marketing is held to, by its mission.
	Targets []Target `json:"targets"`
	// Warnings say in words what the numbers rest on that is weak, like a
	// rate measured on too few samples.
	Warnings []string `json:"warnings"`
}

// Stage is the count one path stage needs.
type Stage struct {
	Stage string `json:"stage"`
	// Exact is the count before rounding up: the next stage's Needed ÷
	// Rate (the marketing revenue goal ÷ the average deal size for the last
	// stage).
	Exact float64 `json:"exact"`
	// Needed is Exact rounded up to a whole lead or deal.
	Needed int64 `json:"needed"`
	// PerMonth splits Needed over the months evenly; when it does not
	// divide, the earlier months take one more each, so the months add
	// up to Needed and pacing never starts behind.
	PerMonth []int64 `json:"per_month"`
	// RateName names the figure Exact was divided by: average_deal_size,
	// close_rate, or the pair from this stage to the next (mql_to_sal).
	RateName string `json:"rate_name"`
	Rate     Rate   `json:"rate"`
	// Unknown marks a stage [ComputeKnown] could not plan: its rate, or
	// one after it, is left to history and there is none.
	Unknown bool `json:"unknown,omitempty"`
}

// Target kinds.
const (
	TargetPipeline = "pipeline" // the opportunities marketing's leads must bring for sales to close
	TargetRevenue  = "revenue"  // the revenue marketing's leads must bring, won
)

// Target is what marketing is held to. Its mission decides which (seed
// 004): to fill the pipeline, marketing owes the opportunities that sales
// closes into the marketing revenue goal at the agreed close rate, so a
// falling close rate is sales' miss; to own revenue, marketing owes the
// marketing revenue goal itself, won; both owes both.
type Target struct {
	Kind string `json:"kind"`
	// Stage is the stage counted: the one before the last for the
	// pipeline, the last for revenue.
	Stage    string  `json:"stage"`
	Needed   int64   `json:"needed"`
	PerMonth []int64 `json:"per_month"`
	// Value is the target in money: the pipeline's worth (opportunities ×
	// average deal size) or the marketing revenue goal.
	Value float64 `json:"value"`
}

// Compute works the goal back along the path stages (in path order, first
// stage first; at least two) with the rates, and returns the plan. Every
// count is rounded up to a whole number before it is divided again; see the
// package comment.
//
// Bad input is an EINVALID error naming every field that is wrong: the goal
// (see [Goal.Validate]), a mission that is not one of
// [agreement.Missions], fewer than two stages, a rate that is missing, not
// above 0 or above 1, or left to history with no history to derive it from,
// an average deal size not above 0, and a goal so large for its rates that
// a count would pass [MaxCount]. A plan never holds NaN or an infinity.
func Compute(goal Goal, mission agreement.Mission, rates Rates, stages []string) (Plan, error) {
	return compute(goal, mission, rates, stages, false)
}

// ComputeKnown is [Compute] for reports that must not fail for want of
// history (the scorecard, the jeopardy check): a rate left to history with
// no history to derive it from does not fail the plan, but stops it. That
// stage and every stage before it are Unknown, with Needed 0, and a warning
// says why. Every other problem fails as in Compute.
func ComputeKnown(goal Goal, mission agreement.Mission, rates Rates, stages []string) (Plan, error) {
	return compute(goal, mission, rates, stages, true)
}

func compute(goal Goal, mission agreement.Mission, rates Rates, stages []string, known bool) (Plan, error) {
	fs := goal.problems()
	if !validMission(mission) {
		fs = append(fs, tandem.FieldError{Field: "marketing_mission",
			Message: fmt.Sprintf("%q is not a mission: want fill_pipeline, own_revenue or both", mission)})
	}
	if sfs := checkStages(stages); len(sfs) > 0 {
		fs = append(fs, sfs...)
	} else {
		fs = append(fs, checkRates(rates, stages, known)...)
	}
	if len(fs) > 0 {
		return Plan{}, tandem.Invalid(fs...)
	}
	if goal.RevenueSource == "" {
		goal.RevenueSource = SourceAgreement
	}
	if goal.ShareSource == "" {
		goal.ShareSource = SourceAgreement
	}

	k := goal.Period.Months
	p := Plan{Goal: goal, Mission: mission, Months: make([]string, k), Warnings: []string{}}
	loc := goal.Period.From.Location()
	for i := range k {
		p.Months[i] = calendar.MonthOf(goal.Period.From.AddDate(0, i, 0), loc).Name
	}
	p.MarketingRevenue = cents(goal.Revenue * goal.MarketingShare)
	p.MarketingRevenuePerMonth = make([]float64, k)
	for i := range k {
		p.MarketingRevenuePerMonth[i] = cents(p.MarketingRevenue / float64(k))
	}

	n := len(stages)
	p.Stages = make([]Stage, n)
	counts := make([]int64, n*k) // one backing array for every PerMonth
	above := p.MarketingRevenue
	for j := range n {
		i := n - 1 - j // back along the path
		name, r := rateOf(rates, stages, i)
		r = flag(r)
		if known && r.noData() {
			for jj := j; jj < n; jj++ {
				ii := n - 1 - jj
				nm, rr := rateOf(rates, stages, ii)
				p.Stages[jj] = Stage{Stage: stages[ii], PerMonth: counts[jj*k : (jj+1)*k : (jj+1)*k], RateName: nm, Rate: rr, Unknown: true}
			}
			p.Warnings = append(p.Warnings, fmt.Sprintf("%s is left to history and there is none: the %s count and every count before it are unknown",
				name, stages[i]))
			break
		}
		exact := above / r.Value
		if exact > MaxCount {
			return Plan{}, tandem.Invalid(tandem.FieldError{Field: "goal.revenue", Message: fmt.Sprintf(
				"the plan would need more than %s %s: the goal is too large for these rates", number(MaxCount), stages[i])})
		}
		needed := int64(up(exact))
		p.Stages[j] = Stage{Stage: stages[i], Exact: exact, Needed: needed,
			PerMonth: split(needed, counts[j*k:(j+1)*k:(j+1)*k]), RateName: name, Rate: r}
		above = float64(needed)
		if r.TooFewSamples {
			p.Warnings = append(p.Warnings, fmt.Sprintf(
				"%s is derived from history on only %d samples (fewer than %d): the %s count and every count before it are rough",
				name, r.Samples, MinSamples, stages[i]))
		}
	}
	if goal.MarketingShare == 0 {
		p.Warnings = append(p.Warnings, "the marketing share is 0: marketing's leads are expected to bring no revenue, so the plan asks nothing of them")
	}

	pipeline, won := p.Stages[1], p.Stages[0]
	if mission == agreement.MissionFillPipeline || mission == agreement.MissionBoth {
		p.Targets = append(p.Targets, Target{Kind: TargetPipeline, Stage: pipeline.Stage, Needed: pipeline.Needed,
			PerMonth: pipeline.PerMonth, Value: cents(float64(pipeline.Needed) * rates.AverageDealSize.Value)})
	}
	if mission == agreement.MissionOwnRevenue || mission == agreement.MissionBoth {
		p.Targets = append(p.Targets, Target{Kind: TargetRevenue, Stage: won.Stage, Needed: won.Needed,
			PerMonth: won.PerMonth, Value: p.MarketingRevenue})
	}
	return p, nil
}

// rateOf returns the name and the rate that path stage i's count is
// computed with: the average deal size for the last stage, the close rate
// for the one before it, the conversion to the next stage for the others.
func rateOf(rs Rates, stages []string, i int) (string, Rate) {
	switch i {
	case len(stages) - 1:
		return AverageDealSize, rs.AverageDealSize
	case len(stages) - 2:
		return CloseRate, rs.CloseRate
	}
	pair := agreement.StagePair{From: stages[i], To: stages[i+1]}
	return pair.String(), rs.Conversion[pair]
}

func validMission(m agreement.Mission) bool {
	for _, v := range agreement.Missions {
		if m == v {
			return true
		}
	}
	return false
}

func checkStages(stages []string) []tandem.FieldError {
	if len(stages) < 2 {
		return []tandem.FieldError{{Field: "stages", Message: fmt.Sprintf("a plan needs at least two path stages, got %d", len(stages))}}
	}
	seen := map[string]bool{}
	for _, s := range stages {
		if s == "" || seen[s] {
			return []tandem.FieldError{{Field: "stages", Message: fmt.Sprintf("%q is empty or repeated: the path stages must be distinct names", s)}}
		}
		seen[s] = true
	}
	return nil
}

// checkRates names each rate the path needs that is missing or out of
// range, with where it came from, and how to fix a rate left to history
// without history.
func checkRates(rs Rates, stages []string, known bool) []tandem.FieldError {
	var fs []tandem.FieldError
	for i := len(stages) - 1; i >= 0; i-- {
		name, r := rateOf(rs, stages, i)
		field := "funnel." + name
		if i < len(stages)-2 {
			field = "funnel.conversion." + name
			if _, ok := rs.Conversion[agreement.StagePair{From: stages[i], To: stages[i+1]}]; !ok {
				fs = append(fs, tandem.FieldError{Field: field, Message: "no rate: the plan needs one for every pair of neighbouring path stages"})
				continue
			}
		}
		check, example := checkRate, "0.3"
		if name == AverageDealSize {
			check, example = checkDealSize, "12000"
		}
		var msg string
		switch {
		case r.noData() && known:
		case r.noData():
			msg = fmt.Sprintf("is history, but there is no history to derive it from: fix it in the agreement (a fixed number such as %s) or import history", example)
		case check(r.Value) == "":
		case r.Source == SourceHistory:
			msg = fmt.Sprintf("history gives %s (over %d samples): %s; fix it in the agreement", number(r.Value), r.Samples, check(r.Value))
		case r.Source == SourceOverride:
			msg = "the what-if " + check(r.Value)
		default:
			msg = check(r.Value)
		}
		if msg != "" {
			fs = append(fs, tandem.FieldError{Field: field, Message: msg})
		}
	}
	return fs
}

// up rounds a count up to a whole number. A quotient within floating-point
// error of a whole number is that number: 290 ÷ 0.29 is 1000, although in
// float64 it comes out a hair above (1000.0000000000001).
func up(x float64) float64 {
	r := math.Round(x)
	if math.Abs(x-r) <= 1e-9+1e-13*x {
		return r
	}
	return math.Ceil(x)
}

// split spreads n over len(into) months: evenly, the first n % months
// months taking one more each.
func split(n int64, into []int64) []int64 {
	k := int64(len(into))
	for i := range into {
		into[i] = n / k
		if int64(i) < n%k {
			into[i]++
		}
	}
	return into
}

// cents rounds an amount of money to the cent.
func cents(x float64) float64 { return math.Round(x*100) / 100 }
