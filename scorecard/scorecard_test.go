package scorecard_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/jeopardy"
	"github.com/tandemhq/tandem/plan"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sla"
)

// defaultAgreement is the default agreement file, parsed: a real set of
// stages, reject reasons and a goal (new_customers).
func defaultAgreement(t *testing.T) *agreement.Agreement {
	t.Helper()
	a, err := agreement.Parse("default.yaml", agreement.Default())
	if err != nil {
		t.Fatalf("Parse(default.yaml) = %v", err)
	}
	return a
}

// november is the period of every test: a month in UTC.
func november(t *testing.T) calendar.Period {
	t.Helper()
	p, err := calendar.ParsePeriod("2026-11", time.UTC)
	if err != nil {
		t.Fatalf("ParsePeriod(2026-11) = %v", err)
	}
	return p
}

// reverseFunnel builds a plan by hand, back along the path as plan.Compute
// does: revenue ÷ deal size = customers, ÷ close rate = opportunities, and
// on, each count rounded up.
func reverseFunnel(revenue, share float64, needed []int64) plan.Plan {
	rates := []struct {
		name  string
		value float64
	}{{plan.AverageDealSize, 24000}, {plan.CloseRate, 0.25}, {"sql_to_opportunity", 0.5}, {"sal_to_sql", 0.6},
		{"mql_to_sal", 0.8}, {"lead_to_mql", 0.2}}
	stages := []string{"customer", "opportunity", "sql", "sal", "mql", "lead"}
	p := plan.Plan{Goal: plan.Goal{Revenue: revenue, MarketingShare: share}, MarketingRevenue: revenue * share, Warnings: []string{}}
	for i, s := range stages {
		p.Stages = append(p.Stages, plan.Stage{Stage: s, Needed: needed[i], RateName: rates[i].name,
			Rate: plan.Rate{Value: rates[i].value, Source: plan.SourceAgreement}})
	}
	return p
}

// The plans of the tests: marketing's 60% of 1,200,000 is 720,000, or 30
// customers of 24,000, 120 opportunities at a close rate of 0.25, 240 SQLs,
// 400 SALs, 500 MQLs and 2,500 leads; the whole goal (share 1) needs 50
// customers, 200 opportunities, 400 SQLs, 667 SALs, 834 MQLs, 4,170 leads.
func marketingPlan() plan.Plan {
	return reverseFunnel(1_200_000, 0.6, []int64{30, 120, 240, 400, 500, 2500})
}

func companyPlan() plan.Plan {
	return reverseFunnel(1_200_000, 1, []int64{50, 200, 400, 667, 834, 4170})
}

// cohort is a funnel of the six default path stages: entered[i] leads
// entered stage i and entered[i+1] of them went on.
func cohort(group string, entered []int, won ...int64) plan.Cohort {
	stages := []string{"lead", "mql", "sal", "sql", "opportunity", "customer"}
	c := plan.Cohort{Group: group}
	for i, s := range stages {
		sc := plan.StageCount{Stage: s, Entered: entered[i]}
		if i+1 < len(stages) {
			sc.ReachedNext = entered[i+1]
		}
		c.Stages = append(c.Stages, sc)
	}
	for _, cents := range won {
		c.Won = append(c.Won, plan.WonDeal{AmountCents: cents})
	}
	return c
}

// wonDeals are 15 deals of 20,000 and 5 of 30,000: 450,000 in all.
func wonDeals() []int64 {
	var ds []int64
	for range 15 {
		ds = append(ds, 2_000_000)
	}
	for range 5 {
		ds = append(ds, 3_000_000)
	}
	return ds
}

// slaReport is a month where marketing handed over 312 qualified leads of
// the 400 it committed to, sales accepted 80% of 200 decided (floor 70%),
// reviews averaged 3.2 (floor 3.5), 270 of 300 hand-offs were touched in
// time, 240 of 300 decided in time, and 300 of 400 due cadence steps were
// done on time (skipped steps do not count).
func slaReport() *sla.Report {
	return &sla.Report{
		Marketing: sla.Marketing{QualifiedLeads: 312, Commitment: 400, Decided: 200, Accepted: 160, AcceptanceRate: 0.8,
			MinAcceptanceRate: 0.7, Ratings: 40, AverageRating: 3.2, MinAverageRating: 3.5,
			BySegment: []sla.SegmentRow{{Segment: "enterprise", Count: 80, Commitment: 100}, {Segment: "smb", Count: 232, Commitment: 300}}},
		Total: sla.Row{TouchedInTime: 270, TouchedLate: 24, Untouched: 6, TouchedInTimeShare: 0.9,
			Decided: 290, DecidedInTime: 240, Undecided: 10, DecidedInTimeShare: 0.8,
			Steps: []sla.StepStat{{Cadence: "first", Step: 1, OnTime: 200, Late: 40, Missed: 20, Skipped: 50},
				{Cadence: "first", Step: 2, OnTime: 100, Late: 20, Missed: 10, Overdue: 10}}},
	}
}

func TestComputeKPI(t *testing.T) {
	a := defaultAgreement(t)
	for _, tc := range []struct {
		kpi  agreement.KPI
		want scorecard.KPI
	}{
		// 20 customers entered against the 50 the whole goal needs.
		{agreement.KPINewCustomers, scorecard.KPI{Name: agreement.KPINewCustomers, Unit: scorecard.UnitCount, Actual: 20, Target: 50, Attainment: 0.4}},
		// 110 opportunities against 200.
		{agreement.KPIOpportunities, scorecard.KPI{Name: agreement.KPIOpportunities, Unit: scorecard.UnitCount, Actual: 110, Target: 200, Attainment: 0.55}},
		// 450,000 won against the goal of 1,200,000, not marketing's 720,000.
		{agreement.KPIRevenue, scorecard.KPI{Name: agreement.KPIRevenue, Unit: scorecard.UnitMoney, Actual: 450_000, Target: 1_200_000, Attainment: 0.375}},
	} {
		b := *a
		b.Goal.UnifiedKPI = tc.kpi
		sc := scorecard.Compute(scorecard.Input{Period: november(t), Now: november(t).To, Agreement: &b,
			Plan: marketingPlan(), Company: companyPlan(), Funnel: cohort("", []int{3000, 540, 400, 250, 110, 20}, wonDeals()...), MovedOn: []int{540, 400, 250, 110, 20}})
		if diff := cmp.Diff(tc.want, sc.KPI); diff != "" {
			t.Errorf("Compute(%s).KPI: -want +got\n%s", tc.kpi, diff)
		}
	}
}

func TestComputeRevenueAndFunnel(t *testing.T) {
	marketingWon := int64(30_000_000)
	sc := scorecard.Compute(scorecard.Input{Period: november(t), Now: november(t).To, Agreement: defaultAgreement(t),
		Plan: marketingPlan(), Company: companyPlan(), Funnel: cohort("", []int{3000, 540, 400, 250, 110, 20}, wonDeals()...), MovedOn: []int{540, 400, 250, 110, 20},
		LostDeals: 70, MarketingWon: &marketingWon})
	won := 300_000.0
	wantRevenue := scorecard.Revenue{Goal: 1_200_000, MarketingGoal: 720_000, Won: 450_000, WonDeals: 20, LostDeals: 70,
		MarketingWon: &won, Attainment: 0.375}
	if diff := cmp.Diff(wantRevenue, sc.Revenue); diff != "" {
		t.Errorf("Compute().Revenue: -want +got\n%s", diff)
	}
	// Each stage's planned rate is the plan's from it to the next stage:
	// 540 of 3,000 leads became MQLs (0.18 against 0.2), 400 of 540 MQLs
	// were accepted (0.7407 against 0.8), and so on; the last stage has
	// neither.
	wantFunnel := []scorecard.Stage{
		{Stage: "lead", Entered: 3000, Planned: 2500, MovedOn: 540, Conversion: 0.18, ReachedNext: 540, CohortConversion: 0.18, PlannedRate: 0.2},
		{Stage: "mql", Entered: 540, Planned: 500, MovedOn: 400, Conversion: 0.7407, ReachedNext: 400, CohortConversion: 0.7407, PlannedRate: 0.8},
		{Stage: "sal", Entered: 400, Planned: 400, MovedOn: 250, Conversion: 0.625, ReachedNext: 250, CohortConversion: 0.625, PlannedRate: 0.6},
		{Stage: "sql", Entered: 250, Planned: 240, MovedOn: 110, Conversion: 0.44, ReachedNext: 110, CohortConversion: 0.44, PlannedRate: 0.5},
		{Stage: "opportunity", Entered: 110, Planned: 120, MovedOn: 20, Conversion: 0.1818, ReachedNext: 20, CohortConversion: 0.1818, PlannedRate: 0.25},
		{Stage: "customer", Entered: 20, Planned: 30},
	}
	if diff := cmp.Diff(wantFunnel, sc.Funnel); diff != "" {
		t.Errorf("Compute().Funnel: -want +got\n%s", diff)
	}
}

func TestComputeCommitments(t *testing.T) {
	p := november(t)
	// Volume is judged once the period is complete: 312 of 400 is 22%
	// short. The quality floor and sales' clocks are judged so far.
	want := func(complete bool) []scorecard.Commitment {
		volume := scorecard.Commitment{Owner: scorecard.Marketing, Name: "qualified_leads", Label: "qualified leads handed to sales",
			Unit: scorecard.UnitCount, Target: 400, Actual: 312, Samples: 312}
		if complete {
			volume.Judged, volume.Deviation = true, -0.22
		}
		return []scorecard.Commitment{
			volume,
			{Owner: scorecard.Marketing, Name: "acceptance_rate", Label: "hand-offs accepted by sales", Unit: scorecard.UnitShare,
				Target: 0.7, Actual: 0.8, Samples: 200, Judged: true, Met: true, Deviation: 0.1429},
			{Owner: scorecard.Marketing, Name: "average_rating", Label: "average review rating", Unit: scorecard.UnitRating,
				Target: 3.5, Actual: 3.2, Samples: 40, Judged: true, Deviation: -0.0857},
			{Owner: scorecard.Sales, Name: "first_touch_in_time", Label: "hand-offs touched within the first-touch clock", Unit: scorecard.UnitShare,
				Target: 1, Actual: 0.9, Samples: 300, Judged: true, Deviation: -0.1},
			{Owner: scorecard.Sales, Name: "decided_in_time", Label: "hand-offs accepted or rejected within the accept clock", Unit: scorecard.UnitShare,
				Target: 1, Actual: 0.8, Samples: 300, Judged: true, Deviation: -0.2},
			{Owner: scorecard.Sales, Name: "cadence_on_time", Label: "cadence steps done on time", Unit: scorecard.UnitShare,
				Target: 1, Actual: 0.75, Samples: 400, Judged: true, Deviation: -0.25},
		}
	}
	for _, tc := range []struct {
		name     string
		now      time.Time
		complete bool
	}{
		{"complete", p.To, true},
		{"so far", p.To.Add(-24 * time.Hour), false},
	} {
		sc := scorecard.Compute(scorecard.Input{Period: p, Now: tc.now, Agreement: defaultAgreement(t), SLA: slaReport()})
		if sc.Complete != tc.complete {
			t.Errorf("Compute(%s).Complete = %v; want %v", tc.name, sc.Complete, tc.complete)
		}
		if diff := cmp.Diff(want(tc.complete), sc.Commitments); diff != "" {
			t.Errorf("Compute(%s).Commitments: -want +got\n%s", tc.name, diff)
		}
		if diff := cmp.Diff(slaReport().Marketing.BySegment, sc.Segments); diff != "" {
			t.Errorf("Compute(%s).Segments: -want +got\n%s", tc.name, diff)
		}
	}

	sc := scorecard.Compute(scorecard.Input{Period: p, Now: p.To, Agreement: defaultAgreement(t)})
	if len(sc.Commitments) != 0 || len(sc.Notes) == 0 {
		t.Errorf("Compute(no SLA report) = %d commitments, notes %q; want none, and a note saying why", len(sc.Commitments), sc.Notes)
	}
}

func TestComputeAgenda(t *testing.T) {
	p := november(t)
	// Five commitments fall short (all but acceptance) and seven alerts
	// are raised: twelve items, of which the ten largest shortfalls stay.
	var alerts []jeopardy.Alert
	for i, drift := range []float64{-0.5, -0.3, -0.15, -0.12, -0.08, -0.05, -0.01} {
		cause := jeopardy.Cause(string(rune('a' + i)))
		alerts = append(alerts, jeopardy.Alert{Period: p.Name, Cause: cause, Summary: "summary " + string(cause),
			Figures: []jeopardy.Figure{{Name: "x", Expected: 100, Actual: 100 * (1 + drift), Drift: drift}}})
	}
	sc := scorecard.Compute(scorecard.Input{Period: p, Now: p.To, Agreement: defaultAgreement(t), SLA: slaReport(), Alerts: alerts})
	type item struct {
		Owner, Topic string
		Deviation    float64
	}
	want := []item{
		{"both", "alert:a", -0.5},
		{"both", "alert:b", -0.3},
		{"sales", "cadence_on_time", -0.25},
		{"marketing", "qualified_leads", -0.22},
		{"sales", "decided_in_time", -0.2},
		{"both", "alert:c", -0.15},
		{"both", "alert:d", -0.12},
		{"sales", "first_touch_in_time", -0.1},
		{"marketing", "average_rating", -0.0857},
		{"both", "alert:e", -0.08},
	}
	var got []item
	for _, it := range sc.Agenda {
		got = append(got, item{it.Owner, it.Topic, it.Deviation})
	}
	if len(sc.Agenda) != scorecard.MaxAgenda {
		t.Errorf("Compute().Agenda has %d items; want %d", len(sc.Agenda), scorecard.MaxAgenda)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Compute().Agenda: -want +got\n%s", diff)
	}
	if w := "qualified leads handed to sales: 312 against 400 (-22%)"; sc.Agenda[3].Text != w {
		t.Errorf("Compute().Agenda[3].Text = %q; want %q", sc.Agenda[3].Text, w)
	}
}

func TestComputeAgendaFunnel(t *testing.T) {
	p := november(t)
	// Largest shortfall first: 450,000 of 1,200,000 (revenue, -62.5%), 20
	// customers of the 50 the whole goal needs (KPI, -60%) and of
	// marketing's 30 (-33.3%), conversion from opportunity 0.1818 against
	// 0.25 (-27.3%), from sql 0.44 against 0.5 (-12%), from lead 0.18
	// against 0.2 (-10%), 110 opportunities of the 120 planned (-8.3%),
	// and conversion from mql 0.7407 against 0.8 (-7.4%).
	sc := scorecard.Compute(scorecard.Input{Period: p, Now: p.To, Agreement: defaultAgreement(t),
		Plan: marketingPlan(), Company: companyPlan(), Funnel: cohort("", []int{3000, 540, 400, 250, 110, 20}, wonDeals()...), MovedOn: []int{540, 400, 250, 110, 20}})
	var got []string
	for _, it := range sc.Agenda {
		got = append(got, it.Owner+" "+it.Topic)
	}
	want := []string{"both revenue", "both kpi", "sales stage:customer", "sales conversion:opportunity", "sales conversion:sql",
		"marketing conversion:lead", "sales stage:opportunity", "marketing conversion:mql"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Compute().Agenda: -want +got\n%s", diff)
	}
}

func TestComputeRejections(t *testing.T) {
	p := november(t)
	sc := scorecard.Compute(scorecard.Input{Period: p, Now: p.To, Agreement: defaultAgreement(t),
		Rejections: map[string]int{"no_budget": 5, "not_a_fit": 12, "duplicate": 5, "retired_code": 3}})
	// By count, most first; a tie by code; a code the agreement no longer
	// names keeps no description.
	want := []scorecard.Reason{
		{Code: "not_a_fit", Description: "Outside our customer profile (size, industry, need).", Count: 12, Share: 0.48},
		{Code: "duplicate", Description: "The lead is already being worked by sales.", Count: 5, Share: 0.2},
		{Code: "no_budget", Description: "The company cannot afford us now.", Count: 5, Share: 0.2},
		{Code: "retired_code", Count: 3, Share: 0.12},
	}
	if diff := cmp.Diff(want, sc.Rejections); diff != "" {
		t.Errorf("Compute().Rejections: -want +got\n%s", diff)
	}
}

// TestComputeZero: a period with nothing in it, not even a plan, gives a
// scorecard of zeros that marshals (encoding/json refuses NaN and
// infinities) and lists empty sections as [] rather than null.
func TestComputeZero(t *testing.T) {
	p := november(t)
	zeros := []int{0, 0, 0, 0, 0, 0}
	for _, in := range []scorecard.Input{
		{Period: p, Now: p.To, Agreement: defaultAgreement(t)},
		{Period: p, Now: p.From, Agreement: defaultAgreement(t), SLA: &sla.Report{Total: sla.Row{Steps: []sla.StepStat{{}}}},
			Funnel: cohort("", zeros), BySource: []plan.Cohort{cohort("", zeros)}, Rejections: map[string]int{"no_budget": 0},
			Ratings: []scorecard.Rating{{}}, Campaigns: []scorecard.Campaign{{Campaign: "idle"}}, Plan: plan.Plan{Stages: []plan.Stage{{Stage: "customer"}}}},
	} {
		sc := scorecard.Compute(in)
		b, err := json.Marshal(sc)
		if err != nil {
			t.Fatalf("json.Marshal(Compute(zeros)) = %v", err)
		}
		var fields map[string]any
		if err := json.Unmarshal(b, &fields); err != nil {
			t.Fatalf("json.Unmarshal = %v", err)
		}
		for _, k := range []string{"commitments", "segments", "funnel", "by_source", "campaigns", "rejections", "ratings", "alerts", "agenda", "notes"} {
			if fields[k] == nil {
				t.Errorf("Compute(zeros): %s is null; want a list", k)
			}
		}
		if len(sc.Agenda) != 0 {
			t.Errorf("Compute(zeros).Agenda = %v; want none", sc.Agenda)
		}
	}
}
