package agreement

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tandemhq/tandem"
)

func TestParseDefault(t *testing.T) {
	a, err := Parse("default.yaml", Default())
	if err != nil {
		t.Fatalf("Parse(default.yaml) = %v; want no error", err)
	}
	if got, want := a.PathStages(), []string{"lead", "mql", "sal", "sql", "opportunity", "customer"}; !cmp.Equal(got, want) {
		t.Errorf("PathStages() = %v; want %v", got, want)
	}
	mql, _ := a.Stage("mql")
	if want := `score >= 60 and email != ""`; mql.Entry != want {
		t.Errorf("stage mql entry = %q; want %q", mql.Entry, want)
	}
	for _, name := range []string{"sal", "sql", "opportunity", "customer"} {
		if s, _ := a.Stage(name); s.Entry != "" {
			t.Errorf("stage %s entry = %q; want none: sales decides", name, s.Entry)
		}
	}
	wantSales := Sales{
		FirstTouchWithin:        Span{Minutes: 10},
		AcceptWithin:            Span{Minutes: 240},
		HotLeadFirstTouchWithin: Span{Minutes: 5},
		MinTouchesBeforeRecycle: 6,
		Cadence: []Step{
			{ChannelCall, Span{}, "first-call"},
			{ChannelVoicemail, Span{}, "first-voicemail"},
			{ChannelEmail, Span{}, "first-follow-up"},
			{ChannelCall, Span{Days: 1}, "day-1-call"},
			{ChannelEmail, Span{Days: 1}, "day-1-information"},
			{ChannelCall, Span{Days: 2}, "day-2-call"},
			{ChannelEmail, Span{Days: 3}, "day-3-follow-up"},
			{ChannelCall, Span{Days: 5}, "day-5-call"},
		},
		ConnectedCadence: []Step{
			{ChannelEmail, Span{}, "meeting-booking"},
			{ChannelMeeting, Span{Days: 2}, "discovery-call"},
			{ChannelEmail, Span{Days: 2}, "discovery-recap"},
			{ChannelCall, Span{Days: 5}, "next-steps-call"},
		},
	}
	if diff := cmp.Diff(wantSales, a.Sales); diff != "" {
		t.Errorf("default sales differ (-want +got):\n%s", diff)
	}
	wantHours := BusinessHours{
		TimeZone:    "America/New_York",
		Days:        []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		Open:        9 * 60,
		Close:       17 * 60,
		Holidays:    "US",
		ClosedDates: []Date{{2026, time.December, 24}, {2026, time.December, 31}},
	}
	if diff := cmp.Diff(wantHours, a.BusinessHours, cmpopts.IgnoreFields(BusinessHours{}, "Location")); diff != "" {
		t.Errorf("default business hours differ (-want +got):\n%s", diff)
	}
	if a.BusinessHours.Location == nil || a.BusinessHours.Location.String() != "America/New_York" {
		t.Errorf("default business hours location = %v; want America/New_York", a.BusinessHours.Location)
	}
	wantEsc := []EscalationStep{
		{Span{}, tandem.RoleSalesRep},
		{Span{Minutes: 30}, tandem.RoleSalesManager},
		{Span{Minutes: 120}, tandem.RoleSalesHead},
	}
	if diff := cmp.Diff(wantEsc, a.Escalation); diff != "" {
		t.Errorf("default escalation differs (-want +got):\n%s", diff)
	}
	if a.MarketingMission != MissionFillPipeline || a.Goal.UnifiedKPI != KPINewCustomers || a.Routing.Method != RoundRobin {
		t.Errorf("default mission, KPI, routing = %s, %s, %s; want fill_pipeline, new_customers, round_robin",
			a.MarketingMission, a.Goal.UnifiedKPI, a.Routing.Method)
	}
	sum := 0
	for _, n := range a.Marketing.QualifiedLeadsBySegment {
		sum += n
	}
	if sum != a.Marketing.QualifiedLeadsPerMonth {
		t.Errorf("default segments add up to %d; want %d", sum, a.Marketing.QualifiedLeadsPerMonth)
	}
	var codes []string
	for _, r := range a.RejectReasons {
		codes = append(codes, r.Code)
	}
	for _, want := range []string{"no_budget", "wrong_contact", "not_a_fit", "duplicate", "no_response"} {
		if !strings.Contains(" "+strings.Join(codes, " ")+" ", " "+want+" ") {
			t.Errorf("default reject reasons %v lack %s", codes, want)
		}
	}
	if got := Diff(a, a); len(got) != 0 {
		t.Errorf("Diff(default, default) = %q; want nothing", got)
	}
}

func TestDefaultIsACopy(t *testing.T) {
	b := Default()
	b[0] = 'X'
	if Default()[0] == 'X' {
		t.Errorf("Default() returned the embedded bytes; want a copy")
	}
}

// TestParseBroken checks that every problem in a file is reported, in order.
func TestParseBroken(t *testing.T) {
	data, err := os.ReadFile("testdata/broken.yaml")
	if err != nil {
		t.Fatalf("os.ReadFile: %v", err)
	}
	_, err = Parse("broken.yaml", data)
	var ps *Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse(broken.yaml) = %v; want *Problems", err)
	}
	want := []string{
		`2:9: format: format 2 is not one this Tandem reads: write format: 1`,
		`4:1: unknown key "colour" (allowed: format, name, description, marketing_mission, stages, reject_reasons, business_hours, sales, marketing, escalation, routing, pipeline, funnel, goal)`,
		`5:20: marketing_mission: expected one of fill_pipeline, own_revenue, both, got "sell_more"`,
		`9:21: stages[1].moves_to[2]: no stage nowhere in this agreement`,
		`12:12: stages[2].entry: the rule does not compile: unknown name scor (did you mean score?)`,
		`15:12: stages[3].entry: the rule does not compile: the rule must be true or false, but it gives int`,
		`16:11: stages[4].name: "MQL2" is not a name: use lowercase letters, digits and _, starting with a letter (at most 64), like no_budget`,
		`18:11: stages[5].name: stage sal is already defined at line 13`,
		`20:5: stages[6]: missing required key "definition"`,
		`21:12: stages[6].final: expected true or false, got "yes"`,
		`25:12: stages[7].entry: recycled is an exit stage: entry rules belong to path stages, and no rule moves a lead out to an exit`,
		`29:11: reject_reasons[2].code: reason no_budget is already defined at line 27`,
		`31:11: reject_reasons[3].code: "Bad Code" is not a name: use lowercase letters, digits and _, starting with a letter (at most 64), like no_budget`,
		`34:14: business_hours.time_zone: "Mars/Olympus" is not a time zone name: use an IANA name like America/New_York or Europe/Berlin`,
		`35:20: business_hours.days[3]: expected a day (mon, tue, wed, thu, fri, sat, sun), got "funday"`,
		`37:10: business_hours.close: 09:00 is not after open (17:00)`,
		`38:13: business_hours.holidays: expected a two-letter country code in capitals, like US or DE, got "usa"`,
		`39:18: business_hours.closed_dates[1]: expected a date written YYYY-MM-DD, like 2026-12-24, got "2026-02-30"`,
		`41:23: sales.first_touch_within: "ten minutes" is not a span (expected a number at "ten minutes"; write it like 10m, 4h, 1d or 2d4h)`,
		`42:18: sales.accept_within: must be more than no time`,
		`44:31: sales.min_touches_before_recycle: -1 is not between 0 and 1000`,
		`46:16: sales.cadence[1].channel: expected one of call, voicemail, email, social, meeting, got "pigeon"`,
		`50:15: sales.cadence[2].offset: 2h comes before the 1d of step 1: offsets count from the start and never go down`,
		`51:17: sales.cadence[2].template: is empty`,
		`52:7: sales.cadence[3]: missing required key "template"`,
		`54:7: unknown key "tempalte" in sales.cadence[3] (allowed: channel, offset, template)`,
		`56:30: marketing.qualified_leads_per_month: expected a whole number, got "ten"`,
		`59:17: marketing.qualified_leads_by_segment.enterprise: expected a whole number, got "50.5"`,
		`60:24: marketing.min_acceptance_rate: 1.5 is not between 0 and 1`,
		`61:23: marketing.min_average_rating: 0 is not between 1 and 5`,
		`65:12: escalation[2].after: 30m comes before the 2h of step 1: each step comes at the same time as the one before or later`,
		`66:13: escalation[2].notify: expected one of sales_rep, sales_manager, sales_head, marketing_head, executive, admin, got "ceo"`,
		`69:10: routing.field: no lead field "shoe_size" (the fields are source, external_id, email, first_name, last_name, company, title, phone, country, segment, territory, origin, campaign, landing_page, utm_source, utm_medium, utm_campaign, utm_term, utm_content, owner_id, score, stage, created_at, and attributes.KEY)`,
		`70:13: routing.capacity: -5 is less than 0`,
		`72:22: funnel.average_deal_size: expected a number or history, got "lots"`,
		`73:15: funnel.close_rate: 1.2 is not a rate: give a number above 0 and at most 1 (0.25 is 25%)`,
		`77:5: funnel.conversion.mql_to_sql: does not name two stages of this agreement: write FROM_to_TO with stage names, like mql_to_sal`,
		`78:5: funnel.conversion.sal_to_won: does not name two stages of this agreement: write FROM_to_TO with stage names, like mql_to_sal`,
		`79:14: funnel.tolerance: 2 is not between 0 and 1`,
		`80:1: goal: missing required key "unified_kpi"`,
		`81:11: goal.period: expected one of month, quarter, year, got "fortnight"`,
		`82:12: goal.revenue: -100 is not above 0`,
	}
	var got []string
	for _, p := range ps.List {
		got = append(got, p.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse(broken.yaml) problems differ (-want +got):\n%s", diff)
	}
	if ps.File != "broken.yaml" || !strings.HasPrefix(ps.Error(), "broken.yaml:2:9: format: ") {
		t.Errorf("Problems.Error() = %q...; want lines starting broken.yaml:2:9:", ps.Error()[:40])
	}
	if got := len(strings.Split(ps.Error(), "\n")); got != len(want) {
		t.Errorf("Problems.Error() has %d lines; want %d", got, len(want))
	}
	if code := tandem.ErrorCode(err); code != tandem.EINVALID {
		t.Errorf("ErrorCode(Parse(broken.yaml)) = %q; want %q", code, tandem.EINVALID)
	}
}

// minimal is the smallest agreement that parses; the cases below change it.
const minimal = `format: 1
name: Minimal
marketing_mission: fill_pipeline
stages:
  - name: lead
    definition: Anyone.
  - name: mql
    definition: Qualified.
    entry: score >= 60
  - name: sal
    definition: Accepted.
  - name: customer
    definition: Signed.
    final: true
  - name: recycled
    definition: Back to nurture.
    exit: true
reject_reasons:
  - {code: not_a_fit, description: Not a fit.}
business_hours:
  time_zone: Europe/Berlin
  days: [mon, tue, wed, thu, fri]
  open: "09:00"
  close: "17:00"
sales:
  first_touch_within: 1h
  accept_within: 1d
  cadence:
    - {channel: call, offset: 0m, template: first-call}
marketing:
  qualified_leads_per_month: 100
goal:
  period: month
  revenue: 100000
  marketing_share: 0.5
  unified_kpi: revenue
`

func TestParseMinimal(t *testing.T) {
	a, err := Parse("minimal.yaml", []byte(minimal))
	if err != nil {
		t.Fatalf("Parse(minimal) = %v; want no error", err)
	}
	// The defaults of what the file leaves out.
	if a.Sales.HotLeadFirstTouchWithin != a.Sales.FirstTouchWithin {
		t.Errorf("hot lead first touch = %v; want the first touch, %v", a.Sales.HotLeadFirstTouchWithin, a.Sales.FirstTouchWithin)
	}
	if want := (Routing{Method: RoundRobin}); !cmp.Equal(a.Routing, want) {
		t.Errorf("routing = %+v; want %+v", a.Routing, want)
	}
	wantFunnel := Funnel{AverageDealSize: FromHistory, CloseRate: FromHistory, SalesCycleDays: FromHistory, Tolerance: DefaultTolerance}
	if diff := cmp.Diff(wantFunnel, a.Funnel); diff != "" {
		t.Errorf("funnel differs (-want +got):\n%s", diff)
	}
	if a.Stages[0].MovesTo != nil || a.Escalation != nil || a.Marketing.QualifiedLeadsBySegment != nil {
		t.Errorf("absent moves_to, escalation, segments = %v, %v, %v; want nil", a.Stages[0].MovesTo, a.Escalation, a.Marketing.QualifiedLeadsBySegment)
	}
}

// TestParseProblems changes one thing in the minimal file and checks the
// problems that follow.
func TestParseProblems(t *testing.T) {
	tests := []struct {
		name     string
		old, new string // replace old by new in minimal
		want     []string
	}{
		{"empty file", minimal, "", []string{`1:1: the file is empty: an agreement starts with format: 1`}},
		{"only comments", minimal, "# nothing\n", []string{`1:1: the file is empty: an agreement starts with format: 1`}},
		{"not a mapping", minimal, "- a\n- b\n", []string{`1:1: expected a mapping of keys and values, got a list`}},
		{"syntax error", "name: Minimal", "name: [Minimal", []string{`2: YAML syntax: did not find expected ',' or ']' (a list opened with [ on this line is not closed with ])`}},
		{"two documents", "goal:", "---\ngoal:", []string{`1:1: missing required key "goal"`, `32:1: the file holds more than one YAML document: an agreement is one document, with no ---`}},
		{"missing key", "name: Minimal\n", "", []string{`1:1: missing required key "name"`}},
		{"empty value", "name: Minimal", "name:", []string{`2:1: name: has no value`}},
		{"repeated key", "name: Minimal", "name: Minimal\nname: Again", []string{`3:1: name: repeats the key at line 2`}},
		{"alias", "name: Minimal", "name: &n Minimal\ndescription: *n", []string{`3:14: description: aliases (*n) are not allowed in an agreement file: write the value out`}},
		{"not a number", "qualified_leads_per_month: 100", `qualified_leads_per_month: "ten"`,
			[]string{`31:30: marketing.qualified_leads_per_month: expected a whole number, got "ten"`}},
		{"too many leads", "qualified_leads_per_month: 100", "qualified_leads_per_month: 2000000000",
			[]string{`31:30: marketing.qualified_leads_per_month: 2000000000 is too large (at most 1000000000)`}},
		{"section of the wrong kind", "marketing:\n  qualified_leads_per_month: 100", "marketing: 100",
			[]string{`30:12: marketing: expected a mapping of keys and values, got "100"`}},
		{"one path stage", "  - name: mql\n    definition: Qualified.\n    entry: score >= 60\n  - name: sal\n    definition: Accepted.\n  - name: customer\n    definition: Signed.\n    final: true\n", "",
			[]string{`5:3: stages: the lifecycle needs at least two path stages (stages that are not exits), like lead and customer; it has 1`}},
		{"final in the middle", "definition: Qualified.", "definition: Qualified.\n    final: true",
			[]string{`11:11: stages[3]: sal can never be reached: mql before it is final`}},
		{"moves_to itself and twice", "definition: Accepted.", "definition: Accepted.\n    moves_to: [customer, sal, customer]",
			[]string{`12:26: stages[3].moves_to[2]: sal cannot move to itself`, `12:31: stages[3].moves_to[3]: customer is listed twice`}},
		{"moves_to on a final stage", "    final: true\n", "    final: true\n    moves_to: [lead]\n",
			[]string{`15:5: stages[4].moves_to: customer is final: no lead leaves it, so it has no moves`}},
		{"rule error column, plain", "entry: score >= 60", "entry: score >= ",
			[]string{`9:19: stages[2].entry: the rule does not compile: unexpected token EOF`}},
		{"rule error column, quoted", "entry: score >= 60", `entry: "score >= 60 and emial != ''"`,
			[]string{`9:29: stages[2].entry: the rule does not compile: unknown name emial (did you mean email?)`}},
		{"rule error, block", "entry: score >= 60", "entry: |\n      score >= 60 and\n      emial != ''",
			[]string{`9:12: stages[2].entry: the rule does not compile: unknown name emial (did you mean email?) (line 2, column 1 of the rule)`}},
		{"sales_sourced rule error column", "qualified_leads_per_month: 100", "qualified_leads_per_month: 100\n  sales_sourced: origin == prospecting",
			[]string{`32:28: marketing.sales_sourced: the rule does not compile: unknown name prospecting (a rule may use the lead fields source, external_id, email, first_name, last_name, company, title, phone, country, segment, territory, origin, campaign, landing_page, utm_source, utm_medium, utm_campaign, utm_term, utm_content, owner_id, score, stage, created_at, and attributes["key"])`}},
		{"sales_sourced rule not boolean", "qualified_leads_per_month: 100", "qualified_leads_per_month: 100\n  sales_sourced: origin",
			[]string{`32:18: marketing.sales_sourced: the rule does not compile: the rule must be true or false, but it gives string`}},
		{"sales_sourced rule", "qualified_leads_per_month: 100", "qualified_leads_per_month: 100\n  sales_sourced: origin in [\"prospecting\", \"outbound\"]", nil},
		{"rule not boolean", "entry: score >= 60", "entry: email",
			[]string{`9:12: stages[2].entry: the rule does not compile: the rule must be true or false, but it gives string`}},
		{"rule type error", "entry: score >= 60", `entry: score == "high"`,
			[]string{`9:18: stages[2].entry: the rule does not compile: invalid operation: == (mismatched types int and string)`}},
		{"unknown holiday country", `  close: "17:00"`, "  close: \"17:00\"\n  holidays: XX",
			[]string{`25:13: business_hours.holidays: no holiday calendar for XX (known: AT, AU, BE, BR, CA, DE, DK, ES, FR, GB, IE, IT, NL, NO, PL, SE, US)`}},
		{"no reject reasons", "  - {code: not_a_fit, description: Not a fit.}\n", "",
			[]string{`18:1: reject_reasons: has no value`}},
		{"empty reject reasons", "  - {code: not_a_fit, description: Not a fit.}\n", "  []\n",
			[]string{`19:3: reject_reasons: give at least one reason a rep may reject a lead for, like not_a_fit`}},
		{"time zone Local", "Europe/Berlin", "Local",
			[]string{`21:14: business_hours.time_zone: "Local" is not a time zone name: use an IANA name like America/New_York or Europe/Berlin`}},
		{"close at 24:00", `close: "17:00"`, `close: "24:00"`, nil},
		{"open at 25:00", `open: "09:00"`, `open: "25:00"`,
			[]string{`23:9: business_hours.open: expected a time written HH:MM, like 09:00 or 17:30, got "25:00"`}},
		{"repeated day", "[mon, tue,", "[mon, mon,",
			[]string{`22:15: business_hours.days[2]: mon is listed twice`}},
		{"hot lead slower", "accept_within: 1d", "accept_within: 1d\n  hot_lead_first_touch_within: 2h",
			[]string{`28:32: sales.hot_lead_first_touch_within: 2h is longer than first_touch_within (1h): a hot lead is touched sooner, not later`}},
		{"spans compare in business days", "first_touch_within: 1h", "first_touch_within: 1d",
			nil},
		{"day is the business day", "accept_within: 1d", "accept_within: 1d\n  hot_lead_first_touch_within: 9h",
			[]string{`28:32: sales.hot_lead_first_touch_within: 9h is longer than first_touch_within (1h): a hot lead is touched sooner, not later`}},
		{"more touches than steps", "accept_within: 1d", "accept_within: 1d\n  min_touches_before_recycle: 2",
			[]string{`28:31: sales.min_touches_before_recycle: 2 is more than the 1 steps of the cadence: a rep could never recycle a lead`}},
		{"empty cadence", "    - {channel: call, offset: 0m, template: first-call}\n", "    []\n",
			[]string{`29:5: sales.cadence: give at least one step, like a call at 0m`}},
		{"span without unit", "offset: 0m", "offset: 0",
			[]string{`29:31: sales.cadence[1].offset: "0" is not a span (0 has no unit: add d, h or m; write it like 10m, 4h, 1d or 2d4h)`}},
		{"segments do not add up", "qualified_leads_per_month: 100", "qualified_leads_per_month: 100\n  qualified_leads_by_segment: {smb: 60, enterprise: 30}",
			[]string{`32:3: marketing.qualified_leads_by_segment: the segments add up to 90, but qualified_leads_per_month is 100: they must add up to exactly the monthly total`}},
		{"segments add up", "qualified_leads_per_month: 100", "qualified_leads_per_month: 100\n  qualified_leads_by_segment: {smb: 70, enterprise: 30}", nil},
		{"by_field without field", "goal:", "routing: {method: by_field}\ngoal:",
			[]string{`32:19: routing.field: method by_field needs a field, like segment or territory`}},
		{"field without by_field", "goal:", "routing: {method: round_robin, field: segment}\ngoal:",
			[]string{`32:39: routing.field: is used only with method by_field`}},
		{"field misspelt", "goal:", "routing: {method: by_field, field: teritory}\ngoal:",
			[]string{`32:36: routing.field: no lead field "teritory" (did you mean territory?)`}},
		{"field is an attribute", "goal:", "routing: {method: by_field, field: attributes.region}\ngoal:", nil},
		{"conversion skips a stage", "goal:", "funnel:\n  conversion: {lead_to_sal: 0.5}\ngoal:",
			[]string{`33:16: funnel.conversion.lead_to_sal: conversion rates are between neighbouring path stages: lead is followed by mql`}},
		{"conversion is the close rate", "goal:", "funnel:\n  conversion: {sal_to_customer: 0.5}\ngoal:",
			[]string{`33:16: funnel.conversion.sal_to_customer: this is the close rate: give it as funnel.close_rate`}},
		{"conversion to an exit", "goal:", "funnel:\n  conversion: {mql_to_recycled: 0.5}\ngoal:",
			[]string{`33:16: funnel.conversion.mql_to_recycled: recycled is an exit stage: conversion rates are between neighbouring path stages`}},
		{"conversion rate of zero", "goal:", "funnel:\n  conversion: {mql_to_sal: 0}\ngoal:",
			[]string{`33:28: funnel.conversion.mql_to_sal: 0 is not a rate: give a number above 0 and at most 1 (0.25 is 25%)`}},
		{"conversion history", "goal:", "funnel:\n  conversion: {mql_to_sal: history, lead_to_mql: 0.1}\n  close_rate: history\ngoal:", nil},
		{"not a number: nan", "revenue: 100000", "revenue: .nan",
			[]string{`34:12: goal.revenue: expected a number, got ".nan"`}},
		{"marketing share too big", "marketing_share: 0.5", "marketing_share: 50",
			[]string{`35:20: goal.marketing_share: 50 is not between 0 and 1`}},
		{"unknown kpi", "unified_kpi: revenue", "unified_kpi: happiness",
			[]string{`36:16: goal.unified_kpi: expected one of new_customers, revenue, opportunities, got "happiness"`}},
		{"escalation", "goal:", "escalation:\n  - {after: 0m, notify: sales_rep}\n  - {after: 1d, notify: sales_head}\ngoal:", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(minimal, tt.old) {
				t.Fatalf("minimal has no %q", tt.old)
			}
			file := strings.Replace(minimal, tt.old, tt.new, 1)
			_, err := Parse("m.yaml", []byte(file))
			var got []string
			var ps *Problems
			if errors.As(err, &ps) {
				for _, p := range ps.List {
					got = append(got, p.String())
				}
			} else if err != nil {
				t.Fatalf("Parse(%q) = %v; want nil or *Problems", file, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) problems differ (-want +got):\n%s", file, diff)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	data := make([]byte, MaxFileSize+1)
	_, err := Parse("big.yaml", data)
	if err == nil || !strings.Contains(err.Error(), "big.yaml:1:1: the file is") {
		t.Errorf("Parse(%d bytes) = %v; want a size problem", len(data), err)
	}
}

// TestDocExample parses the complete example of docs/agreement.md, so that
// the documentation cannot drift from the code.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/agreement.md")
	if err != nil {
		t.Skipf("no docs: %v", err)
	}
	_, rest, ok := strings.Cut(string(doc), "## A complete example\n\n```yaml\n")
	if !ok {
		t.Fatal("docs/agreement.md has no complete example")
	}
	example, _, _ := strings.Cut(rest, "```\n")
	a, err := Parse("docs/agreement.md", []byte(example))
	if err != nil {
		t.Fatalf("Parse(the example of docs/agreement.md) = %v; want no error", err)
	}
	if a.Routing.Method != ByField || a.Routing.Field != "territory" || len(a.Stages) != 8 {
		t.Errorf("the example reads as %+v", a)
	}
}

func TestJSON(t *testing.T) {
	a := defaultAgreement(t)
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatalf("json.Marshal(default) = %v", err)
	}
	for _, want := range []string{
		`"first_touch_within":"10m"`, `"days":["mon","tue","wed","thu","fri"]`, `"open":"09:00"`,
		`"closed_dates":["2026-12-24","2026-12-31"]`, `"conversion":{"lead_to_mql":"history","mql_to_sal":0.7`,
		`"entry":"score \u003e= 60 and email != \"\""`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("json.Marshal(default) = %s; want it to hold %s", b, want)
		}
	}
}

// TestSalesSourced checks the marketing section's sales_sourced rule: the
// default when the file gives none, and the file's own.
func TestSalesSourced(t *testing.T) {
	def, err := Parse("default.yaml", Default())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var zero Marketing
	own, err := Parse("own.yaml", bytes.Replace(Default(), []byte(`sales_sourced: origin == "prospecting"`),
		[]byte(`sales_sourced: origin in ["prospecting", "outbound"] or source == "sdr"`), 1))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for _, tt := range []struct {
		m    *Marketing
		lead tandem.Lead
		want bool
	}{
		{&def.Marketing, tandem.Lead{Origin: "prospecting"}, true},
		{&def.Marketing, tandem.Lead{Origin: "outbound"}, false},
		{&def.Marketing, tandem.Lead{Origin: ""}, false},
		{&zero, tandem.Lead{Origin: "prospecting"}, true},
		{&own.Marketing, tandem.Lead{Origin: "outbound"}, true},
		{&own.Marketing, tandem.Lead{Source: "sdr", Origin: "social"}, true},
		{&own.Marketing, tandem.Lead{Origin: "social"}, false},
	} {
		if got := tt.m.IsSalesSourced(&tt.lead); got != tt.want {
			t.Errorf("IsSalesSourced(%s; origin %q, source %q) = %t; want %t", tt.m.SalesSourced, tt.lead.Origin, tt.lead.Source, got, tt.want)
		}
	}
}

// TestHandoffStage: the hand-off starts at the first path stage with an
// entry rule that has a stage after it, and accepting moves to that stage.
func TestHandoffStage(t *testing.T) {
	def := string(Default())
	for _, tt := range []struct {
		name, body          string
		handoff, acceptance string
	}{
		{"default", def, "mql", "sal"},
		{"no entry rule", strings.Replace(def, `    entry: score >= 60 and email != ""`+"\n", "", 1), "", ""},
	} {
		a, err := Parse("agreement.yaml", []byte(tt.body))
		if err != nil {
			t.Fatalf("%s: Parse: %v", tt.name, err)
		}
		if h, acc := a.HandoffStage(); h != tt.handoff || acc != tt.acceptance {
			t.Errorf("%s: HandoffStage() = %q, %q; want %q, %q", tt.name, h, acc, tt.handoff, tt.acceptance)
		}
	}
}
