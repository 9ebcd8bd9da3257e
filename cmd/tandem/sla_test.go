package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem/tandemtest"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/clock"
	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// slaMonday is a Monday under the signed default agreement, in New York:
// at 09:00 lead a (web, enterprise) goes to rex and lead b (event, smb) to
// ria; rex calls a at 09:07 and accepts it at 10:00 and rates it 4; b is
// left alone. The clock is left at 14:00. It returns the ids of a and b.
func slaMonday(t *testing.T, clk *clock.Fake, dsn string) (int64, int64) {
	t.Helper()
	ctx := context.Background()
	ny, _ := time.LoadLocation("America/New_York")
	at := func(hour, min int) { clk.Set(time.Date(2026, 11, 2, hour, min, 0, 0, ny)) }
	db, err := sqldb.Open(ctx, dsn, sqldb.Options{Clock: clk})
	if err != nil {
		t.Fatalf("sqldb.Open: %v", err)
	}
	defer db.Close()
	at(8, 0)
	users := map[string]tandem.User{}
	for _, u := range []tandem.User{
		{Email: "sam@example.com", Role: tandem.RoleSalesHead},
		{Email: "manu@example.com", Role: tandem.RoleSalesManager},
		{Email: "rex@example.com", Role: tandem.RoleSalesRep, Team: "East"},
		{Email: "ria@example.com", Role: tandem.RoleSalesRep, Team: "West"},
		{Email: "mia@example.com", Role: tandem.RoleMarketingHead},
	} {
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		users[u.Email] = u
	}
	tandemtest.Sign(t, db, string(agreement.Default()), "mia@example.com", "sam@example.com")
	at(9, 0)
	rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{
		{Fields: map[string]string{"external_id": "a", "source": "web", "segment": "enterprise", "email": "a@example.com", "score": "80"}},
		{Fields: map[string]string{"external_id": "b", "source": "event", "segment": "smb", "email": "b@example.com", "score": "80"}},
	}, sqldb.IntakeOptions{})
	if err != nil {
		t.Fatalf("IntakeLeads: %v", err)
	}
	rex := users["rex@example.com"]
	tok := tandem.Token{UserID: rex.ID, UserEmail: rex.Email, Role: rex.Role}
	a, b := rs[0].ID, rs[1].ID
	at(9, 7)
	if _, err := db.LogTouch(ctx, a, tandem.Touch{Channel: "call", Outcome: tandem.OutcomeNoAnswer}, tok); err != nil {
		t.Fatalf("LogTouch: %v", err)
	}
	at(10, 0)
	if _, err := db.Decide(ctx, a, sqldb.Decision{Decision: tandem.DecisionAccepted}, tok); err != nil {
		t.Fatalf("Decide: %v", err)
	}
	if _, err := db.Review(ctx, a, tandem.Review{Rating: 4}, tok); err != nil {
		t.Fatalf("Review: %v", err)
	}
	at(14, 0)
	return a, b
}

func TestSlaReport(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, be sqldbtest.Backend) {
		t.Parallel()
		clk := clock.NewFake(epoch)
		a, b := slaMonday(t, clk, be.DSN)
		run := func(args ...string) result { return tandemCmd(t, clk, be.DSN, args...) }

		run("sla", "report", "--period", "2026-11").want(t, "sla report --period 2026-11", 0, ""+
			"SLA report 2026-11 (2026-11-01 to 2026-11-30, America/New_York), agreement version 1, as of 2026-11-02 14:00 EST, so far\n"+
			"\n"+
			"REP              HAND-OFFS  RESPONSE MEDIAN  P90  TOUCHED IN TIME  LATE  UNTOUCHED  DECIDED IN TIME  ACCEPTED  REJECTED  DISQUALIFIED  TOUCHES/LEAD  ROUTING DELAY  REP DELAY\n"+
			"rex@example.com  1          7m               7m   100% (1/1)       0     0          100% (1/1)       1         0         0             1             0s             7m\n"+
			"ria@example.com  1          -                -    0% (0/1)         0     1          0% (0/1)         0         0         0             0             0s             -\n"+
			"TOTAL            2          7m               7m   50% (1/2)        0     1          50% (1/2)        1         0         0             0.5           0s             7m\n"+
			"\n"+
			"MARKETING\n"+
			"qualified leads  2 of 400 (0.5%)\n"+
			"  enterprise     1 of 80\n"+
			"  mid_market     0 of 120\n"+
			"  smb            1 of 200\n"+
			"acceptance rate  100% (1 of 1 decided), floor 70%\n"+
			"average rating   4 (1 review), floor 3.5\n"+
			"no breach\n"+
			"\n"+
			"CADENCE (all hand-offs)\n"+
			"CADENCE  STEP  CHANNEL    TEMPLATE           ON TIME    LATE  SKIPPED  MISSED  OVERDUE  OPEN  NOT OWED  LATE MEDIAN\n"+
			"main     1     call       first-call         50% (1/2)  0     0        0       1        0     0         -\n"+
			"main     2     voicemail  first-voicemail    0% (0/2)   0     0        0       2        0     0         -\n"+
			"main     3     email      first-follow-up    0% (0/2)   0     0        0       2        0     0         -\n"+
			"main     4     call       day-1-call         -          0     0        0       0        2     0         -\n"+
			"main     5     email      day-1-information  -          0     0        0       0        2     0         -\n"+
			"main     6     call       day-2-call         -          0     0        0       0        2     0         -\n"+
			"main     7     email      day-3-follow-up    -          0     0        0       0        2     0         -\n"+
			"main     8     call       day-5-call         -          0     0        0       0        2     0         -\n", "")

		run("sla", "report", "--period", "2026-11", "--by", "team", "--format", "csv").want(t, "sla report --by team --format csv", 0, ""+
			"team,handoffs,responses,response_median_s,response_p90_s,touched_in_time,touched_late,untouched,touch_pending,touched_in_time_share,decided,decided_in_time,undecided,decision_pending,decided_in_time_share,accepted,rejected,disqualified,touches,touches_per_lead,routed,routing_delay_median_s,rep_delays,rep_delay_median_s\n"+
			"East,1,1,420,420,1,0,0,0,1.0000,1,1,0,0,1.0000,1,0,0,1,1.0000,1,0,1,420\n"+
			"West,1,0,0,0,0,0,1,0,0.0000,0,0,1,0,0.0000,0,0,0,0,0.0000,1,0,0,0\n"+
			"TOTAL,2,1,420,420,1,0,1,0,0.5000,1,1,1,0,0.5000,1,0,0,1,0.5000,2,0,1,420\n", "")

		r := run("sla", "report", "--period", "2026-Q4", "--by", "source", "--format", "json")
		var rep sla.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
			t.Fatalf("sla report --format json: exit %d, %v; stdout %q, stderr %q", r.code, err, r.stdout, r.stderr)
		}
		if len(rep.Sales) != 2 || rep.Sales[0].Key != "event" || rep.Sales[1].Key != "web" || rep.Total.Handoffs != 2 ||
			rep.Marketing.Commitment != 1200 || rep.Total.ResponseMedian != 7*time.Minute || rep.Period.Name != "2026-Q4" {
			t.Errorf("sla report --format json = %+v; want event and web rows, 2 hand-offs, 1200 committed, a 7m median response in 2026-Q4", rep)
		}
		for _, field := range []string{`"response_median_ns": 420000000000`, `"touched_in_time_share": 0.5`, `"breaches": []`} {
			if !strings.Contains(r.stdout, field) {
				t.Errorf("sla report --format json: no %s in\n%s", field, r.stdout)
			}
		}

		run("sla", "lead", fmt.Sprint(b)).want(t, "sla lead b", 0, ""+
			"hand-off 2 of lead 2 at Mon 2 Nov 09:00 EST on agreement version 1\n"+
			"first touch: overdue by 4h50m (due Mon 2 Nov 09:10 EST)\n"+
			"accept or reject: overdue by 1h0m (due Mon 2 Nov 13:00 EST)\n"+
			"step 1 call (first-call): overdue by 4h50m (due Mon 2 Nov 09:10 EST)\n"+
			"step 2 voicemail (first-voicemail): overdue by 4h50m (due Mon 2 Nov 09:10 EST)\n"+
			"step 3 email (first-follow-up): overdue by 4h50m (due Mon 2 Nov 09:10 EST)\n"+
			"step 4 call (day-1-call): not yet due (due Tue 3 Nov 09:10 EST)\n"+
			"step 5 email (day-1-information): not yet due (due Tue 3 Nov 09:10 EST)\n"+
			"step 6 call (day-2-call): not yet due (due Wed 4 Nov 09:10 EST)\n"+
			"step 7 email (day-3-follow-up): not yet due (due Thu 5 Nov 09:10 EST)\n"+
			"step 8 call (day-5-call): not yet due (due Mon 9 Nov 09:10 EST)\n", "")
		if r := run("sla", "lead", fmt.Sprint(a)); r.code != 0 || !strings.Contains(r.stdout, "first touch: on time, 7m after the hand-off\n") {
			t.Errorf("sla lead a: exit %d, stdout %q; want the first touch on time", r.code, r.stdout)
		}

		run("sla", "report", "--period", "2026-11", "--format", "xml").want(t, "sla report --format xml", 2,
			"", "tandem: --format \"xml\": want table, json or csv\n")
		run("sla", "report", "--period", "2026-11", "--by", "region").want(t, "sla report --by region", 1,
			"", "tandem: by: \"region\" is not a grouping (want one of rep, team, source)\n")
		run("sla", "report", "--period", "November").want(t, "sla report --period November", 1,
			"", "tandem: period: \"November\" is not a period: write a month (2026-11), a quarter (2026-Q4) or a year (2026)\n")
		run("sla", "lead", "999").want(t, "sla lead 999", 1, "", "tandem: lead 999 not found\n")
		run("sla", "lead", "x").want(t, "sla lead x", 2, "", "tandem: \"x\" is not a lead id\n")
	})
}
