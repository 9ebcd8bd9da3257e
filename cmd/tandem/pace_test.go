package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/pace"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestPace takes in leads on two days of November 2026 and paces the
// month: the actuals are the leads that entered each stage, by day, and the
// JSON says so. No agreement is in force, so the month is described, not
// judged (nothing planned, no target, no probability), unless the person
// gives a goal of their own, which is paced with the default's rates.
func TestPace(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		ny, _ := time.LoadLocation("America/New_York")
		clk := clock.NewFake(time.Date(2026, 11, 3, 10, 0, 0, 0, ny))
		db, err := sqldb.Open(ctx, be.DSN, sqldb.Options{Clock: clk})
		if err != nil {
			t.Fatalf("sqldb.Open: %v", err)
		}
		defer db.Close()
		intake := func(from, n int) []sqldb.IntakeResult {
			var in []tandem.LeadInput
			for i := from; i < from+n; i++ {
				in = append(in, tandem.LeadInput{Fields: map[string]string{"external_id": strconv.Itoa(i), "email": "x@example.com"}})
			}
			rs, err := db.IntakeLeads(ctx, in, sqldb.IntakeOptions{DefaultSource: "web", Actor: "test"})
			if err != nil {
				t.Fatalf("IntakeLeads: %v", err)
			}
			return rs
		}
		rs := intake(0, 6) // 3 November: six leads
		clk.Set(time.Date(2026, 11, 5, 15, 0, 0, 0, ny))
		intake(6, 4) // 5 November: four more, and two of the first become MQLs
		for _, r := range rs[:2] {
			if _, err := db.MoveLead(ctx, r.ID, "mql", "qualified", "test"); err != nil {
				t.Fatalf("MoveLead: %v", err)
			}
		}
		r := tandemCmd(t, clk, be.DSN, "pace", "--period", "2026-11", "--set", "lead_to_mql=0.25", "--format", "json")
		if r.code != 0 {
			t.Fatalf("tandem pace: exit %d: %s", r.code, r.stderr)
		}
		var got pace.Pace
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
			t.Fatalf("tandem pace --format json: %v\n%s", err, r.stdout)
		}
		if got.DaysElapsed != 5 || got.DaysTotal != 30 || got.Period.Name != "2026-11" {
			t.Fatalf("pace: day %d of %d of %s; want day 5 of 30 of 2026-11", got.DaysElapsed, got.DaysTotal, got.Period.Name)
		}
		byStage := map[string]pace.Stage{}
		for _, s := range got.Stages {
			byStage[s.Stage] = s
		}
		lead, mql := byStage["lead"], byStage["mql"]
		if lead.Actual != 10 || mql.Actual != 2 || lead.Projected != 60 || mql.Projected != 12 {
			t.Errorf("lead %d (projected %d), mql %d (projected %d); want 10 (60) and 2 (12)", lead.Actual, lead.Projected, mql.Actual, mql.Projected)
		}
		if len(lead.Days) != 5 || lead.Days[2].Day != "2026-11-03" || lead.Days[2].Actual != 6 || lead.Days[4].Actual != 10 {
			t.Errorf("lead days = %+v; want 6 by the 3rd and 10 by the 5th", lead.Days)
		}
		if !got.NoAgreement || lead.Planned != 0 || mql.ExpectedByNow != 0 || lead.Days[4].Plan != 0 || got.Target.Value != 0 ||
			got.Probability != 0 || got.RevenuePlannedCents != 0 {
			t.Errorf("no agreement: no_agreement %v, lead planned %d, mql expected by now %v, plan on day 5 %v, target %v, probability %v, revenue planned %d; want true and zeros",
				got.NoAgreement, lead.Planned, mql.ExpectedByNow, lead.Days[4].Plan, got.Target.Value, got.Probability, got.RevenuePlannedCents)
		}
		if !strings.Contains(r.stderr, "no signed agreement was in force in 2026-11: its figures are described, not judged") {
			t.Errorf("stderr = %q; want it to say the month is described, not judged", r.stderr)
		}
		table := tandemCmd(t, clk, be.DSN, "pace", "--period", "2026-11", "--set", "lead_to_mql=0.25")
		if table.code != 0 || !strings.Contains(table.stdout, "no target: no signed agreement was in force") || strings.Contains(table.stdout, "against the goal") {
			t.Errorf("tandem pace (table): exit %d\n%s%s", table.code, table.stdout, table.stderr)
		}

		// A goal of one's own is paced, with the default's rates.
		r = tandemCmd(t, clk, be.DSN, "pace", "--period", "2026-11", "--goal", "300000", "--set", "lead_to_mql=0.25", "--format", "json")
		got = pace.Pace{}
		if err := json.Unmarshal([]byte(r.stdout), &got); r.code != 0 || err != nil {
			t.Fatalf("tandem pace --goal: exit %d, %v: %s", r.code, err, r.stderr)
		}
		byStage = map[string]pace.Stage{}
		for _, s := range got.Stages {
			byStage[s.Stage] = s
		}
		if lead := byStage["lead"]; got.NoAgreement || lead.Planned <= 0 || lead.Actual != 10 || got.Target.Goal != 300000 || got.Probability < 0 || got.Probability > 1 {
			t.Errorf("with a goal: no_agreement %v, lead planned %d actual %d, target's goal %v, probability %v; want false, > 0, 10, 300000, 0..1",
				got.NoAgreement, lead.Planned, lead.Actual, got.Target.Goal, got.Probability)
		}
		// A bad period is the flag's error.
		if r := tandemCmd(t, clk, be.DSN, "pace", "--period", "Nov"); r.code != exitUsage {
			t.Errorf("tandem pace --period Nov: exit %d; want %d (%s)", r.code, exitUsage, r.stderr)
		}
	})
}
