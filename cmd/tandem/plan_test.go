package main

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/tandemtest"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/plan"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// planSign stores body as an agreement version and has both heads sign it,
// so that it is in force from the clock's now.
func planSign(t *testing.T, clk tandem.Clock, dsn, body string) {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, dsn, sqldb.Options{Clock: clk})
	if err != nil {
		t.Fatalf("sqldb.Open: %v", err)
	}
	defer db.Close()
	for _, u := range []tandem.User{
		{Email: "mia@example.com", Role: tandem.RoleMarketingHead},
		{Email: "sam@example.com", Role: tandem.RoleSalesHead},
		{Email: "manu@example.com", Role: tandem.RoleSalesManager},
		{Email: "rex@example.com", Role: tandem.RoleSalesRep},
	} {
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
	}
	tandemtest.Sign(t, db, body, "mia@example.com", "sam@example.com")
}

// planDefault is what `tandem plan` says on standard error without an
// agreement in force.
const planDefault = "tandem: no signed agreement is in force: planning from the default agreement (tandem agreement init writes it to a file)\n"

func TestPlan(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		clk := clock.NewFake(epoch) // Monday 2 November 2026: 2026-Q4
		run := func(args ...string) result { return tandemCmd(t, clk, be.DSN, append([]string{"plan"}, args...)...) }

		// No agreement in force: the default one, which leaves lead_to_mql
		// to history, and there is none.
		run().want(t, "plan (default agreement)", 1, "", planDefault+
			"tandem: funnel.conversion.lead_to_mql: is history, but there is no history to derive it from: fix it in the agreement (a fixed number such as 0.3) or import history\n"+
			"or plan with a what-if meanwhile: tandem plan --set lead_to_mql=RATE\n")
		// 1,200,000 × 60% = 720,000 ÷ 12,000 = 60 ÷ 0.25 = 240 ÷ 0.6 = 400
		// ÷ 0.5 = 800 ÷ 0.7 = 1,142.86, so 1,143 ÷ 0.3 = 3,810.
		run("--set", "lead_to_mql=0.3", "--period", "2027-Q1").want(t, "plan --set lead_to_mql=0.3 (default agreement)", 0, ""+
			"Plan 2027-Q1 (2027-01-01 to 2027-03-31, America/New_York), the default agreement, marketing mission fill_pipeline\n"+
			"revenue goal 1200000 (agreement) × 60% from marketing (agreement) = marketing revenue goal 720000\n"+
			"\n"+
			"STAGE        NEEDED  2027-01  2027-02  2027-03  RATE                  VALUE  SOURCE     SAMPLES\n"+
			"revenue      720000  240000   240000   240000   × marketing_share     60%    agreement  -\n"+
			"customer     60      20       20       20       ÷ average_deal_size   12000  agreement  -\n"+
			"opportunity  240     80       80       80       ÷ close_rate          25%    agreement  -\n"+
			"sql          400     134      133      133      ÷ sql_to_opportunity  60%    agreement  -\n"+
			"sal          800     267      267      266      ÷ sal_to_sql          50%    agreement  -\n"+
			"mql          1143    381      381      381      ÷ mql_to_sal          70%    agreement  -\n"+
			"lead         3810    1270     1270     1270     ÷ lead_to_mql         30%    override   -\n"+
			"\n"+
			"marketing's target (pipeline): 240 leads reaching opportunity, worth 2880000, for sales to close\n", planDefault)
		if be.Name == "sqlite" {
			if _, err := os.Stat(be.DSN); !os.IsNotExist(err) {
				t.Errorf("plan without a database created %s (%v); want it left alone", be.DSN, err)
			}
		}

		// An agreement in force with every rate fixed, marketing owning
		// revenue. No flags: its goal over the quarter containing today.
		body := string(agreement.Default())
		for _, r := range [][2]string{{"lead_to_mql: history", "lead_to_mql: 0.25"}, {"marketing_mission: fill_pipeline", "marketing_mission: own_revenue"}} {
			if !strings.Contains(body, r[0]) {
				t.Fatalf("the default agreement no longer holds %q", r[0])
			}
			body = strings.Replace(body, r[0], r[1], 1)
		}
		planSign(t, clk, be.DSN, body)
		// ... 1,143 MQLs ÷ 0.25 = 4,572 leads, 1,524 a month.
		run().want(t, "plan (agreement in force)", 0, ""+
			"Plan 2026-Q4 (2026-10-01 to 2026-12-31, America/New_York), agreement version 1, marketing mission own_revenue\n"+
			"revenue goal 1200000 (agreement) × 60% from marketing (agreement) = marketing revenue goal 720000\n"+
			"\n"+
			"STAGE        NEEDED  2026-10  2026-11  2026-12  RATE                  VALUE  SOURCE     SAMPLES\n"+
			"revenue      720000  240000   240000   240000   × marketing_share     60%    agreement  -\n"+
			"customer     60      20       20       20       ÷ average_deal_size   12000  agreement  -\n"+
			"opportunity  240     80       80       80       ÷ close_rate          25%    agreement  -\n"+
			"sql          400     134      133      133      ÷ sql_to_opportunity  60%    agreement  -\n"+
			"sal          800     267      267      266      ÷ sal_to_sql          50%    agreement  -\n"+
			"mql          1143    381      381      381      ÷ mql_to_sal          70%    agreement  -\n"+
			"lead         4572    1524     1524     1524     ÷ lead_to_mql         25%    agreement  -\n"+
			"\n"+
			"marketing's target (revenue): 720000 won from 60 leads reaching customer\n", "")

		// A month of the quarterly goal, with what-ifs: 1,200,000 ÷ 3 =
		// 400,000 × 50% = 200,000 ÷ 25,000 = 8 customers ÷ 20% = 40 ÷ 0.6
		// = 66.67, so 67 ÷ 0.5 = 134 ÷ 0.7 = 191.43, so 192 ÷ 0.25 = 768.
		run("--period", "2027-01", "--share", "50%", "--set", "close_rate=20%", "--set", "average_deal_size=25000").want(t, "plan (a month, what-ifs)", 0, ""+
			"Plan 2027-01 (2027-01-01 to 2027-01-31, America/New_York), agreement version 1, marketing mission own_revenue\n"+
			"revenue goal 400000 (agreement: 1200000 a quarter, for 1 of its 3 months) × 50% from marketing (override) = marketing revenue goal 200000\n"+
			"\n"+
			"STAGE        NEEDED  2027-01  RATE                  VALUE  SOURCE     SAMPLES\n"+
			"revenue      200000  200000   × marketing_share     50%    override   -\n"+
			"customer     8       8        ÷ average_deal_size   25000  override   -\n"+
			"opportunity  40      40       ÷ close_rate          20%    override   -\n"+
			"sql          67      67       ÷ sql_to_opportunity  60%    agreement  -\n"+
			"sal          134     134      ÷ sal_to_sql          50%    agreement  -\n"+
			"mql          192     192      ÷ mql_to_sal          70%    agreement  -\n"+
			"lead         768     768      ÷ lead_to_mql         25%    agreement  -\n"+
			"\n"+
			"marketing's target (revenue): 200000 won from 8 leads reaching customer\n", "")

		// JSON: the plan, with the agreement version.
		r := run("--format", "json", "--goal", "1000000", "--period", "2027", "--set", "mql_to_sal=0.8")
		var got struct {
			AgreementVersion *int `json:"agreement_version"`
			plan.Plan
		}
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 {
			t.Fatalf("plan --format json: exit %d, %v; stdout %q, stderr %q", r.code, err, r.stdout, r.stderr)
		}
		// 1,000,000 × 60% = 600,000 ÷ 12,000 = 50 ÷ 0.25 = 200 ÷ 0.6 =
		// 333.33, so 334 ÷ 0.5 = 668 ÷ 0.8 = 835 ÷ 0.25 = 3,340.
		var needed []int64
		var sources []plan.Source
		for _, s := range got.Stages {
			needed = append(needed, s.Needed)
			sources = append(sources, s.Rate.Source)
		}
		if diff := cmp.Diff([]int64{50, 200, 334, 668, 835, 3340}, needed); diff != "" {
			t.Errorf("plan --format json: needed (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]plan.Source{"agreement", "agreement", "agreement", "agreement", "override", "agreement"}, sources); diff != "" {
			t.Errorf("plan --format json: sources (-want +got):\n%s", diff)
		}
		if got.AgreementVersion == nil || *got.AgreementVersion != 1 || got.Goal.Revenue != 1_000_000 || got.Goal.RevenueSource != plan.SourceOverride ||
			got.Goal.Period.Name != "2027" || len(got.Months) != 12 || got.MarketingRevenue != 600_000 || got.Mission != agreement.MissionOwnRevenue ||
			len(got.Targets) != 1 || got.Targets[0].Kind != plan.TargetRevenue {
			t.Errorf("plan --format json = %+v; want version 1, an overridden goal of 1000000 for 2027 in 12 months, 600000 from marketing, a revenue target", got)
		}
		for _, field := range []string{`"agreement_version": 1,`, `"revenue_source": "override"`, `"per_month": [` + "\n        70,\n        70,", `"warnings": []`} {
			if !strings.Contains(r.stdout, field) {
				t.Errorf("plan --format json: no %s in\n%s", field, r.stdout)
			}
		}

		// Bad flags: exit status 2 and the flag named.
		for _, tt := range []struct {
			args   []string
			stderr string
		}{
			{[]string{"--format", "xml"}, `--format "xml": want table or json`},
			{[]string{"--goal", "0"}, "--goal: 0 is not a revenue goal: give an amount above 0"},
			{[]string{"--goal", "-1200000"}, "--goal: -1200000 is not a revenue goal: give an amount above 0"},
			{[]string{"--goal", "NaN"}, "--goal: NaN is not a revenue goal: give an amount above 0"},
			{[]string{"--goal", "1.2M"}, `--goal "1.2M": want an amount, like 1200000`},
			{[]string{"--share", "60"}, "--share: 60 is not a share: give a number from 0 to 1 (0.6 is 60%)"},
			{[]string{"--share", "-5%"}, "--share: -0.05 is not a share: give a number from 0 to 1 (0.6 is 60%)"},
			{[]string{"--share", "most"}, `--share "most": want a share, like 0.6 or 60%`},
			{[]string{"--goal", "0", "--share", "2"}, "--goal: 0 is not a revenue goal: give an amount above 0; --share: 2 is not a share: give a number from 0 to 1 (0.6 is 60%)"},
			{[]string{"--period", "2027-Q5"}, `--period: "2027-Q5" is not a period: write a month (2026-11), a quarter (2026-Q4) or a year (2026)`},
			{[]string{"--set", "close_rate=0"}, "--set close_rate: the what-if 0 is not a rate: give a number above 0 and at most 1 (0.25 is 25%)"},
			{[]string{"--set", "mql_to_sal=140%"}, "--set mql_to_sal: the what-if 1.4 is not a rate: give a number above 0 and at most 1 (0.25 is 25%)"},
			{[]string{"--set", "average_deal_size=-1"}, "--set average_deal_size: the what-if -1 is not a deal size: give an amount above 0"},
			{[]string{"--set", "opportunity_to_customer=0.3"}, "--set opportunity_to_customer: is the close rate: set close_rate"},
			{[]string{"--set", "win_rate=0.3"}, "--set win_rate: is not a figure the plan uses: want one of average_deal_size, close_rate, lead_to_mql, mql_to_sal, sal_to_sql, sql_to_opportunity"},
			{[]string{"--set", "close_rate"}, `--set "close_rate": want NAME=VALUE, like close_rate=0.25, mql_to_sal=70% or average_deal_size=15000`},
			{[]string{"--set", "close_rate=high"}, `--set "close_rate=high": want NAME=VALUE, like close_rate=0.25, mql_to_sal=70% or average_deal_size=15000`},
			{[]string{"--colour"}, "unknown flag: --colour"},
			{[]string{"2027-Q1"}, `unknown command "2027-Q1" for "tandem plan"`},
		} {
			run(tt.args...).want(t, "plan "+strings.Join(tt.args, " "), 2, "", "tandem: "+tt.stderr+"\n")
		}
	})
}

// TestPlanFromHistory plans with the default agreement, which leaves
// lead_to_mql to history, over a ledger of 40 leads created in November
// 2026, 10 of which became MQLs: 25% on 40 samples, measured over the 12
// months before the period planned. A period with no history before it
// still fails as it did.
func TestPlanFromHistory(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		clk := clock.NewFake(epoch)
		db, err := sqldb.Open(ctx, be.DSN, sqldb.Options{Clock: clk})
		if err != nil {
			t.Fatalf("sqldb.Open: %v", err)
		}
		defer db.Close()
		var inputs []tandem.LeadInput
		for i := range 40 {
			inputs = append(inputs, tandem.LeadInput{Fields: map[string]string{"external_id": strconv.Itoa(i), "stage": "lead"}})
		}
		rs, err := db.IntakeLeads(ctx, inputs, sqldb.IntakeOptions{DefaultSource: "web", Actor: "test"})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		clk.Advance(24 * time.Hour)
		for _, r := range rs[:10] {
			if _, err := db.MoveLead(ctx, r.ID, "mql", "qualified", "test"); err != nil {
				t.Fatalf("MoveLead: %v", err)
			}
		}
		run := func(args ...string) result { return tandemCmd(t, clk, be.DSN, append([]string{"plan"}, args...)...) }
		// ... 1,143 MQLs ÷ 0.25 = 4,572 leads, 1,524 a month.
		run("--period", "2027-Q1").want(t, "plan --period 2027-Q1 (history)", 0, ""+
			"Plan 2027-Q1 (2027-01-01 to 2027-03-31, America/New_York), the default agreement, marketing mission fill_pipeline\n"+
			"revenue goal 1200000 (agreement) × 60% from marketing (agreement) = marketing revenue goal 720000\n"+
			"\n"+
			"STAGE        NEEDED  2027-01  2027-02  2027-03  RATE                  VALUE  SOURCE     SAMPLES\n"+
			"revenue      720000  240000   240000   240000   × marketing_share     60%    agreement  -\n"+
			"customer     60      20       20       20       ÷ average_deal_size   12000  agreement  -\n"+
			"opportunity  240     80       80       80       ÷ close_rate          25%    agreement  -\n"+
			"sql          400     134      133      133      ÷ sql_to_opportunity  60%    agreement  -\n"+
			"sal          800     267      267      266      ÷ sal_to_sql          50%    agreement  -\n"+
			"mql          1143    381      381      381      ÷ mql_to_sal          70%    agreement  -\n"+
			"lead         4572    1524     1524     1524     ÷ lead_to_mql         25%    history    40 (2026-01..2026-12)\n"+
			"\n"+
			"marketing's target (pipeline): 240 leads reaching opportunity, worth 2880000, for sales to close\n", planDefault)
		run("--period", "2026-Q1").want(t, "plan --period 2026-Q1 (no history before it)", 1, "", planDefault+
			"tandem: funnel.conversion.lead_to_mql: is history, but there is no history to derive it from: fix it in the agreement (a fixed number such as 0.3) or import history\n"+
			"or plan with a what-if meanwhile: tandem plan --set lead_to_mql=RATE\n")
	})
}
