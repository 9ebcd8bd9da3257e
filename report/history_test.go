package report_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestScorecardDescribesHistory builds, by hand, a company that worked
// before it signed its first agreement (on November 20, 2026):
//
//	October 10: O1..O4 come in at lead and move to opportunity.
//	November 10: O1, O2 and O3 are won (12,000 each); N1..N4 come in and
//	move to opportunity, and stay open.
//
// October had no agreement in force: its figures are shown, nothing is
// judged, the agenda is empty. November's opportunities have not closed
// yet (the cohort's conversion is 0 of 4), yet three leads went on from
// opportunity to customer in November: its conversion is 3 ÷ 4 = 75%,
// never 0. December is running: its KPI and revenue are not on the agenda.
func TestScorecardDescribesHistory(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 10, 10, 16, 0, 0, 0, time.UTC))
		db, err := sqldb.Open(ctx, sqldbtest.Fresh(t, be), sqldb.Options{Clock: clk})
		if err != nil {
			t.Fatalf("Open = %v", err)
		}
		t.Cleanup(func() { db.Close() })
		ids := map[string]int64{}
		opportunity := func(name string) {
			t.Helper()
			rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{{Fields: map[string]string{"external_id": name, "email": name + "@example.com", "stage": "lead"}}},
				sqldb.IntakeOptions{DefaultSource: "web", Actor: "test"})
			if err != nil || rs[0].Err != nil {
				t.Fatalf("IntakeLeads(%s) = %v, %+v", name, err, rs)
			}
			ids[name] = rs[0].ID
			if _, err := db.MoveLead(ctx, rs[0].ID, "opportunity", "qualified", "test"); err != nil {
				t.Fatalf("MoveLead(%s, opportunity) = %v", name, err)
			}
		}
		win := func(name string) {
			t.Helper()
			page, err := db.Deals(ctx, tandem.DealFilter{LeadID: ids[name]})
			if err != nil || len(page.Deals) != 1 {
				t.Fatalf("Deals(%s) = %+v, %v; want one", name, page, err)
			}
			if _, err := db.WinDeal(ctx, page.Deals[0].ID, 1_200_000, clk.Now(), "test"); err != nil {
				t.Fatalf("WinDeal(%s) = %v", name, err)
			}
		}
		for i := 1; i <= 4; i++ {
			opportunity(fmt.Sprintf("O%d", i))
		}
		clk.Set(time.Date(2026, 11, 10, 16, 0, 0, 0, time.UTC))
		for i := 1; i <= 3; i++ {
			win(fmt.Sprintf("O%d", i))
		}
		for i := 1; i <= 4; i++ {
			opportunity(fmt.Sprintf("N%d", i))
		}
		clk.Set(time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC))
		signed := clk.Now()
		v, _, err := db.ProposeAgreement(ctx, "agreement.yaml", string(agreement.Default()), "admin@example.com")
		if err != nil {
			t.Fatalf("ProposeAgreement = %v", err)
		}
		for _, u := range []tandem.User{{Email: "manu@example.com", Role: tandem.RoleSalesManager}, {Email: "rex@example.com", Role: tandem.RoleSalesRep},
			{Email: "mia@example.com", Role: tandem.RoleMarketingHead}, {Email: "sam@example.com", Role: tandem.RoleSalesHead}} {
			if err := db.CreateUser(ctx, &u); err != nil {
				t.Fatalf("CreateUser(%s) = %v", u.Email, err)
			}
			if !strings.HasSuffix(string(u.Role), "_head") {
				continue
			}
			if _, err := db.SignAgreement(ctx, v.Version, u.Email); err != nil {
				t.Fatalf("SignAgreement(%s) = %v", u.Email, err)
			}
		}
		clk.Set(time.Date(2026, 12, 5, 15, 0, 0, 0, time.UTC))
		now := clk.Now()

		oct, err := report.ReadScorecard(ctx, db, now, "2026-10")
		if err != nil {
			t.Fatalf("ReadScorecard(2026-10) = %v", err)
		}
		if oct.Status != scorecard.StatusNoAgreement || len(oct.Agenda) != 0 || oct.AgreementVersion != nil {
			t.Errorf("October: status %q, agenda %+v, version %v; want no_agreement, no agenda, no version", oct.Status, oct.Agenda, oct.AgreementVersion)
		}
		for _, c := range oct.Commitments {
			if c.Judged || c.Met {
				t.Errorf("October's commitment %s judged %v, met %v; want neither", c.Name, c.Judged, c.Met)
			}
		}
		if oct.KPI.Target != 0 || oct.Revenue.Goal != 0 || oct.Funnel[4].Entered != 4 || oct.Funnel[0].Entered != 4 {
			t.Errorf("October: KPI target %v, goal %v, entered lead %d, opportunity %d; want no target, 4 and 4",
				oct.KPI.Target, oct.Revenue.Goal, oct.Funnel[0].Entered, oct.Funnel[4].Entered)
		}
		wantNote := "the first agreement came into force on " + signed.In(newYork).Format(time.DateOnly)
		if !strings.Contains(strings.Join(oct.Notes, "\n"), wantNote) {
			t.Errorf("October's notes = %q; want one saying %q", oct.Notes, wantNote)
		}

		// Its pace agrees: October is described (four leads entered),
		// nothing planned and no target; November, with the agreement in
		// force at its end, is paced against it.
		octPace, err := report.Pace(ctx, db, now, report.Request{Period: "2026-10", Known: true}, 1)
		if err != nil {
			t.Fatalf("Pace(2026-10) = %v", err)
		}
		if p := octPace.Pace; !p.NoAgreement || p.Target.Value != 0 || p.Probability != 0 || p.RevenuePlannedCents != 0 ||
			len(p.Stages) == 0 || p.Stages[0].Actual != 4 || p.Stages[0].Planned != 0 {
			t.Errorf("October's pace: no_agreement %v, target %v, probability %v, revenue planned %d, stages %+v; want described: true, zeros, 4 leads entered",
				p.NoAgreement, p.Target.Value, p.Probability, p.RevenuePlannedCents, p.Stages)
		}
		novPace, err := report.Pace(ctx, db, now, report.Request{Period: "2026-11", Known: true}, 1)
		if err != nil {
			t.Fatalf("Pace(2026-11) = %v", err)
		}
		if p := novPace.Pace; p.NoAgreement || p.Target.Value <= 0 {
			t.Errorf("November's pace: no_agreement %v, target %v; want judged against the agreement in force at its end", p.NoAgreement, p.Target.Value)
		}

		nov, err := report.ReadScorecard(ctx, db, now, "2026-11")
		if err != nil {
			t.Fatalf("ReadScorecard(2026-11) = %v", err)
		}
		opp := nov.Funnel[4]
		if opp.Stage != "opportunity" || opp.Entered != 4 || opp.ReachedNext != 0 || opp.MovedOn != 3 || opp.Conversion != 0.75 {
			t.Errorf("November's opportunity = %+v; want 4 entered, none of them on yet, 3 went on in November: conversion 0.75", opp)
		}
		if nov.Status != scorecard.StatusComplete || nov.KPI.Actual != 3 || nov.AgreementVersion == nil {
			t.Errorf("November: status %q, KPI %v, version %v; want complete, 3 customers, version 1", nov.Status, nov.KPI.Actual, nov.AgreementVersion)
		}

		dec, err := report.ReadScorecard(ctx, db, now, "2026-12")
		if err != nil {
			t.Fatalf("ReadScorecard(2026-12) = %v", err)
		}
		if dec.Status != scorecard.StatusRunning || dec.DaysElapsed != 5 || dec.DaysTotal != 31 {
			t.Errorf("December: status %q, day %d of %d; want running, day 5 of 31", dec.Status, dec.DaysElapsed, dec.DaysTotal)
		}
		for _, it := range dec.Agenda {
			if it.Topic == "kpi" || it.Topic == "revenue" || strings.HasPrefix(it.Topic, "stage:") || it.Topic == "qualified_leads" {
				t.Errorf("December's agenda holds %q (%s); a running month's volumes are judged when it ends", it.Topic, it.Text)
			}
		}

		// The pace of November measures against the scorecard's target.
		pc, err := report.Pace(ctx, db, now, report.Request{Period: "2026-11", Known: true}, 1)
		if err != nil {
			t.Fatalf("Pace(2026-11) = %v", err)
		}
		if diff := cmp.Diff(nov.Target, pc.Pace.Target); diff != "" {
			t.Errorf("November's target: scorecard -, pace +\n%s", diff)
		}
		// The default agreement's goal is 1,200,000 a quarter: 400,000 for
		// November, ÷ 12,000 a deal = 33.33, so 34 new customers.
		if nov.Target.Value != 34 || nov.KPI.Target != 34 || nov.Revenue.Goal != 400_000 || pc.Pace.RevenuePlannedCents != 40_000_000 {
			t.Errorf("November's target %v, KPI target %v, goal %v, pace's revenue goal %d cents; want 34, 34, 400,000 and 40,000,000",
				nov.Target.Value, nov.KPI.Target, nov.Revenue.Goal, pc.Pace.RevenuePlannedCents)
		}
	})
}
