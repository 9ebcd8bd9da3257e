package pace_test

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/plan"
)

// company is the whole goal's plan of November 2026: 120,000 ÷ 12,000 =
// 10 customers, ÷ 0.25 = 40 opportunities.
func company(t *testing.T) plan.Plan {
	t.Helper()
	p, err := calendar.ParsePeriod("2026-11", time.UTC)
	if err != nil {
		t.Fatalf("calendar.ParsePeriod: %v", err)
	}
	return plan.Plan{Goal: plan.Goal{Revenue: 120_000, MarketingShare: 1, Period: p, RevenueSource: plan.SourceAgreement}, MarketingRevenue: 120_000,
		Stages: []plan.Stage{
			{Stage: "customer", Needed: 10, RateName: plan.AverageDealSize, Rate: plan.Rate{Value: 12_000}},
			{Stage: "opportunity", Needed: 40, RateName: plan.CloseRate, Rate: plan.Rate{Value: 0.25}},
			{Stage: "lead", Needed: 400, RateName: "lead_to_opportunity", Rate: plan.Rate{Value: 0.1}},
		}}
}

func TestNewTarget(t *testing.T) {
	for _, tc := range []struct {
		kpi                agreement.KPI
		unit, stage, label string
		value              float64
	}{
		{"", pace.UnitCount, "customer", "new customers: 10", 10},
		{agreement.KPINewCustomers, pace.UnitCount, "customer", "new customers: 10", 10},
		{agreement.KPIOpportunities, pace.UnitCount, "opportunity", "opportunities: 40", 40},
		{agreement.KPIRevenue, pace.UnitMoney, "customer", "revenue: 120,000", 120_000},
	} {
		got := pace.NewTarget(tc.kpi, company(t))
		if got.Unit != tc.unit || got.Stage != tc.stage || got.Label != tc.label || got.Value != tc.value || got.Goal != 120_000 || got.AverageDealSize != 12_000 {
			t.Errorf("NewTarget(%q) = %+v; want %s %v at %s, labelled %q, of the goal 120,000", tc.kpi, got, tc.unit, tc.value, tc.stage, tc.label)
		}
	}
	if got := pace.NewTarget(agreement.KPINewCustomers, company(t)).Source; got != "the revenue goal of 120,000 for 2026-11 ÷ the average deal size 12,000, rounded up" {
		t.Errorf("NewTarget().Source = %q", got)
	}
}

// TestPaceTarget paces November 2026 against the company's target: on
// day 15 of 30, 5 customers and 60,000 won; the run rate projects 10
// customers and 120,000, the target exactly.
func TestPaceTarget(t *testing.T) {
	now := time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		kpi             agreement.KPI
		actual, project float64
	}{
		{agreement.KPINewCustomers, 5, 10},
		{agreement.KPIRevenue, 60_000, 120_000},
	} {
		in := pace.Input{Plan: november(t, 0, plan.SourceAgreement), Company: company(t), KPI: tc.kpi, Stages: []string{"lead", "opportunity", "customer"}, Now: now, Seed: 1,
			Actuals: pace.Actuals{Entered: map[string][]int64{"customer": {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0}},
				WonCents: []int64{1_200_000, 0, 1_200_000, 0, 1_200_000, 0, 1_200_000, 0, 1_200_000, 0, 0, 0, 0, 0, 0}}}
		got, err := pace.Compute(in)
		if err != nil {
			t.Fatalf("Compute(%s) = %v", tc.kpi, err)
		}
		if got.TargetActual != tc.actual || got.TargetProjected != tc.project || got.RevenuePlannedCents != 12_000_000 {
			t.Errorf("Compute(%s): target actual %v, projected %v, revenue goal %d cents; want %v, %v, 12,000,000",
				tc.kpi, got.TargetActual, got.TargetProjected, got.RevenuePlannedCents, tc.actual, tc.project)
		}
		// 5 more customers (or 60,000 at 12,000 a deal) in 15 days at
		// about the rate seen: near even odds, never certain.
		if got.Probability <= 0.2 || got.Probability >= 0.9 {
			t.Errorf("Compute(%s).Probability = %v; want between 0.2 and 0.9", tc.kpi, got.Probability)
		}
		// The revenue target, counted in wins of the average deal, is the
		// customers' target here: the same odds.
		if tc.kpi == agreement.KPIRevenue {
			in.KPI = agreement.KPINewCustomers
			if c, _ := pace.Compute(in); c.Probability != got.Probability {
				t.Errorf("Compute(revenue).Probability = %v; Compute(new_customers) = %v; want the same", got.Probability, c.Probability)
			}
		}
	}
	// Reached already: certain.
	in := pace.Input{Plan: november(t, 0, plan.SourceAgreement), Company: company(t), KPI: agreement.KPIRevenue, Stages: []string{"customer"}, Now: now, Seed: 1,
		Actuals: pace.Actuals{WonCents: []int64{12_000_000}}}
	if got, _ := pace.Compute(in); got.Probability != 1 {
		t.Errorf("Compute(revenue reached).Probability = %v; want 1", got.Probability)
	}
}
