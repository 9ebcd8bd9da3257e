package http

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/dealreport"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestDealReport opens three deals through the API, wins one and loses
// another, reads the deals report by source as every role, and sends it
// bad input.
func TestDealReport(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		var batch batchJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleAdmin, `[
			{"external_id": "r1", "source": "web", "stage": "opportunity", "created_at": "2026-10-01T12:00:00Z"},
			{"external_id": "r2", "source": "web", "stage": "opportunity", "created_at": "2026-10-02T12:00:00Z"},
			{"external_id": "r3", "source": "event", "stage": "opportunity", "created_at": "2026-10-03T12:00:00Z"}]`, 200, &batch)
		var page dealListJSON
		ts.call("GET", "/api/v1/deals?stage=open", tandem.RoleAdmin, "", 200, &page)
		if len(page.Items) != 3 {
			t.Fatalf("GET /api/v1/deals = %+v; want 3 open deals", page)
		}
		var d dealResponseJSON
		ts.call("POST", fmt.Sprintf("/api/v1/deals/%d/won", page.Items[0].ID), tandem.RoleAdmin,
			`{"amount_cents": 250000, "closed_at": "2026-10-21T12:00:00Z"}`, 200, &d)
		ts.call("POST", fmt.Sprintf("/api/v1/deals/%d/lost", page.Items[1].ID), tandem.RoleAdmin,
			`{"reason": "price"}`, 200, &d)

		// The two web deals: opened 1 and 2 October, won after 20 days and
		// lost after 31 (now, 2 November); the event deal still open, in
		// the pipeline's first stage.
		win, twenty, days, cents := 0.5, 20.0, 31.0, int64(250000)
		want := []dealreport.Group{
			{Values: []string{"event"}, Opened: 1, Open: map[string]int{"qualification": 1, "proposal": 0, "negotiation": 0}, OpenTotal: 1, TooFewSamples: true},
			{Values: []string{"web"}, Opened: 2, Open: map[string]int{"qualification": 0, "proposal": 0, "negotiation": 0}, Won: 1, Lost: 1, WinRate: &win, Samples: 2,
				TooFewSamples: true, WonCents: cents, AverageWonCents: &cents, MedianWonCents: &cents,
				MedianDaysWon: &twenty, DaysWonSamples: 1, MedianDaysLost: &days, DaysLostSamples: 1},
		}
		for _, role := range tandem.Roles {
			var rep dealreport.Report
			ts.call("GET", "/api/v1/deals/report?period=2026-Q4&by=source", role, "", 200, &rep)
			if diff := cmp.Diff(want, rep.Groups); diff != "" || rep.Period != "2026-Q4" || rep.Total.Opened != 3 {
				t.Errorf("GET deals report as %s: period %s, total opened %d, groups (-want +got):\n%s", role, rep.Period, rep.Total.Opened, diff)
			}
		}
		var two dealreport.Report
		ts.call("GET", "/api/v1/deals/report?period=2026-Q4&by=source&by=month", tandem.RoleSalesRep, "", 200, &two)
		ts.call("GET", "/api/v1/deals/report?period=2026-Q4&by=source,month", tandem.RoleSalesRep, "", 200, &two)
		var got []string
		for _, g := range two.Groups {
			got = append(got, fmt.Sprintf("%s %s: opened %d, won %d, lost %d", g.Values[0], g.Values[1], g.Opened, g.Won, g.Lost))
		}
		if diff := cmp.Diff([]string{"event 2026-10: opened 1, won 0, lost 0", "web 2026-10: opened 2, won 1, lost 0",
			"web 2026-11: opened 0, won 0, lost 1"}, got); diff != "" {
			t.Errorf("GET deals report by source and month (-want +got):\n%s", diff)
		}

		for _, tt := range []struct {
			path   string
			fields []string
		}{
			{"/api/v1/deals/report?period=October", []string{"period"}},
			{"/api/v1/deals/report?by=rep", []string{"by"}},
			{"/api/v1/deals/report?by=owner&by=team&by=month", []string{"by"}},
			{"/api/v1/deals/report?period=2026-10&period=2026-11", []string{"period"}},
			{"/api/v1/deals/report?colour=red", []string{"colour"}},
		} {
			e := checkError(t, tt.path, ts.do("GET", tt.path, tandem.RoleAdmin, ""), 422, tandem.EINVALID)
			if diff := cmp.Diff(tt.fields, fieldNames(e.Error.Fields)); diff != "" {
				t.Errorf("GET %s: fields (-want +got):\n%s", tt.path, diff)
			}
			if tt.fields[0] == "by" && strings.HasSuffix(tt.path, "by=rep") && !strings.Contains(e.Error.Fields[0].Message, "owner, team, manager") {
				t.Errorf("GET %s: %q; want the dimensions listed", tt.path, e.Error.Fields[0].Message)
			}
		}
	})
}
