package pace

import (
	"fmt"
	"math"
	"strings"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/figure"
	"github.com/tandemhq/tandem/plan"
)

// Target is the one target a period's probability, projection and unified
// KPI are measured against, wherever they are shown (the funnel page, the
// pacing page, tandem pace, the scorecard, a jeopardy alert): the
// agreement's unified KPI for the whole goal of the period, not only
// marketing's share. [NewTarget] computes it; every report calls it with
// the same plan, so they cannot disagree.
type Target struct {
	// KPI is what is compared: new_customers, opportunities or revenue.
	KPI agreement.KPI `json:"kpi"`
	// Unit is count (customers, opportunities) or money (revenue, in the
	// currency's major unit).
	Unit string `json:"unit"`
	// Stage is the path stage whose entries are counted: the last one
	// (customer) for new_customers and for revenue (its won deals), the
	// one before it for opportunities.
	Stage string `json:"stage"`
	// Value is the target for the period: a count, or an amount.
	Value float64 `json:"value"`
	// Goal is the revenue goal of the period it comes from, and
	// GoalSource whether it is the agreement's or a what-if.
	Goal       float64     `json:"goal"`
	GoalSource plan.Source `json:"goal_source"`
	// AverageDealSize is the plan's, which turns the goal into customers
	// (and, for revenue, the revenue still to win into wins).
	AverageDealSize float64 `json:"average_deal_size"`
	// Label says what the target is, in words, with its value: "new
	// customers: 10"; Source how it is computed.
	Label  string `json:"label"`
	Source string `json:"source"`
}

// Target units.
const (
	UnitCount = "count"
	UnitMoney = "money"
)

// NewTarget is the target of the unified KPI kpi ("" is new_customers) for
// company, the plan of the period's whole goal (all of it from marketing:
// share 1). A stage the plan could not compute (left to history with none)
// gives a target of 0, which is no target.
func NewTarget(kpi agreement.KPI, company plan.Plan) Target {
	if kpi == "" {
		kpi = agreement.KPINewCustomers
	}
	g := company.Goal
	t := Target{KPI: kpi, Unit: UnitCount, Goal: g.Revenue, GoalSource: g.RevenueSource}
	if t.Goal == 0 {
		t.Goal = company.MarketingRevenue // a plan without its goal: what it plans for
	}
	// The plan runs back from the last stage: [0] is customers, [1] the
	// stage before.
	stage := func(i int) plan.Stage {
		if i < len(company.Stages) {
			return company.Stages[i]
		}
		return plan.Stage{}
	}
	t.AverageDealSize = stage(0).Rate.Value
	goal := figure.Money(t.Goal) + " for " + g.Period.Name
	switch kpi {
	case agreement.KPIRevenue:
		t.Unit, t.Stage, t.Value = UnitMoney, stage(0).Stage, t.Goal
		t.Source = "the revenue goal of " + goal
	case agreement.KPIOpportunities:
		s := stage(1)
		t.Stage = s.Stage
		if !s.Unknown {
			t.Value = float64(s.Needed)
		}
		t.Source = fmt.Sprintf("the revenue goal of %s ÷ the average deal size %s = %s customers, ÷ the close rate %s, rounded up",
			goal, figure.Money(t.AverageDealSize), figure.Count(float64(stage(0).Needed)), figure.Percent(s.Rate.Value))
	default:
		s := stage(0)
		t.Stage = s.Stage
		if !s.Unknown {
			t.Value = float64(s.Needed)
		}
		t.Source = fmt.Sprintf("the revenue goal of %s ÷ the average deal size %s, rounded up", goal, figure.Money(t.AverageDealSize))
	}
	if g.RevenueSource == plan.SourceOverride {
		t.Source += " (a what-if goal)"
	}
	t.Label = t.Name() + ": " + t.Format(t.Value)
	return t
}

// Name is what the target counts, in words: "new customers".
func (t Target) Name() string { return strings.ReplaceAll(string(t.KPI), "_", " ") }

// Format writes a figure in the target's unit, as every page does.
func (t Target) Format(x float64) string {
	if t.Unit == UnitMoney {
		return figure.Money(x)
	}
	return figure.Count(x)
}

// need is how many more entries of the target's stage reach the target,
// given actual so far (an amount for revenue, counted in wins of the
// average deal size).
func (t Target) need(actual float64) int64 {
	left := t.Value - actual
	if left <= 0 {
		return 0
	}
	if t.Unit == UnitMoney {
		if t.AverageDealSize <= 0 {
			return 0
		}
		return int64(math.Ceil(left/t.AverageDealSize - 1e-9))
	}
	return int64(math.Ceil(left - 1e-9))
}
