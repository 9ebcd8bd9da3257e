package http

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestClosedLoopRoutes asks for the plan, the pace, the scorecard in its
// three formats, and the jeopardy check and alerts, with good and bad
// parameters.
func TestClosedLoopRoutes(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)

		// No agreement is in force: the default one plans, and says so.
		var p struct {
			AgreementVersion *int `json:"agreement_version"`
			Goal             struct {
				Revenue float64 `json:"revenue"`
			} `json:"goal"`
			Stages []struct {
				Stage   string `json:"stage"`
				Needed  int64  `json:"needed"`
				Unknown bool   `json:"unknown"`
			} `json:"stages"`
			Warnings []string `json:"warnings"`
		}
		ts.call("GET", "/api/v1/plan?period=2027-Q1&goal=1200000&share=50%25&set=close_rate=0.3", tandem.RoleExecutive, "", 200, &p)
		// 600,000 ÷ 12,000 = 50 customers; ÷ 0.3 = 166.7, so 167 opportunities.
		if p.AgreementVersion != nil || p.Goal.Revenue != 1200000 || p.Stages[0].Needed != 50 || p.Stages[1].Needed != 167 {
			t.Errorf("plan = %+v; want the default agreement's, 50 customers and 167 opportunities", p)
		}
		// lead_to_mql is left to history and there is none: leads are unknown.
		if last := p.Stages[len(p.Stages)-1]; last.Stage != "lead" || !last.Unknown || len(p.Warnings) == 0 {
			t.Errorf("plan's lead stage = %+v, warnings %v; want it unknown, with a warning", last, p.Warnings)
		}
		for _, tc := range []struct{ path, field string }{
			{"/api/v1/plan?goal=lots", "goal"},
			{"/api/v1/plan?goal=-5", "goal.revenue"},
			{"/api/v1/plan?share=150%25", "goal.marketing_share"},
			{"/api/v1/plan?set=close_rate", "set"},
			{"/api/v1/plan?set=close_rate=0", "close_rate"},
			{"/api/v1/plan?period=Q1", "period"},
			{"/api/v1/pace?seed=-1", "seed"},
			{"/api/v1/scorecard?format=pdf", "format"},
			{"/api/v1/scorecard?period=2027-13", "period"},
		} {
			e := checkError(t, "GET "+tc.path, ts.do("GET", tc.path, tandem.RoleExecutive, ""), 422, "invalid")
			if !slices.Contains(fieldNames(e.Error.Fields), tc.field) {
				t.Errorf("GET %s: fields %v; want %q named", tc.path, fieldNames(e.Error.Fields), tc.field)
			}
		}

		var pc struct {
			DaysTotal int `json:"days_total"`
			Stages    []struct {
				Stage string `json:"stage"`
			} `json:"stages"`
		}
		ts.call("GET", "/api/v1/pace?period=2026-11&seed=7", tandem.RoleSalesRep, "", 200, &pc)
		if pc.DaysTotal != 30 || len(pc.Stages) != 6 {
			t.Errorf("pace = %+v; want 30 days and 6 stages", pc)
		}

		signDefault(t, ts.db)
		var sc struct {
			Period string `json:"period"`
			KPI    struct {
				Name string `json:"name"`
			} `json:"kpi"`
		}
		ts.call("GET", "/api/v1/scorecard?period=2026-11", tandem.RoleMarketing, "", 200, &sc)
		if sc.Period != "2026-11" || sc.KPI.Name != "new_customers" {
			t.Errorf("scorecard = %+v; want November's, measuring new_customers", sc)
		}
		r := ts.do("GET", "/api/v1/scorecard?period=2026-11&format=html", tandem.RoleSalesRep, "")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "<svg") {
			t.Errorf("scorecard as HTML = %d %s, %d bytes; want a page with charts", r.status, r.header.Get("Content-Type"), len(r.body))
		}
		r = ts.do("GET", "/api/v1/scorecard?period=2026-11&format=csv", tandem.RoleSalesRep, "")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(string(r.body), "section,") {
			t.Errorf("scorecard as CSV = %d %s: %.60q", r.status, r.header.Get("Content-Type"), r.body)
		}

		checkError(t, "a rep checking for jeopardy", ts.do("POST", "/api/v1/alerts/check", tandem.RoleSalesRep, ""), 403, "forbidden")
		var c struct {
			Period string `json:"period"`
			Found  []struct {
				Cause string `json:"cause"`
			} `json:"found"`
			Raised []struct {
				Cause string `json:"cause"`
			} `json:"raised"`
		}
		// On the 20th, with nothing won and nothing qualified, November is
		// in jeopardy on both counts.
		ts.clk.Set(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
		ts.call("POST", "/api/v1/alerts/check?period=2026-11", tandem.RoleExecutive, "", 200, &c)
		if c.Period != "2026-11" || len(c.Found) != 2 || len(c.Raised) != 2 || c.Raised[0].Cause != "revenue" || c.Raised[1].Cause != "qualified_leads" {
			t.Errorf("check = %+v; want November's revenue and qualified leads alerts raised", c)
		}
		var list struct {
			Alerts []struct {
				Period string `json:"period"`
			} `json:"alerts"`
		}
		ts.call("GET", "/api/v1/alerts?period=2026-11", tandem.RoleSalesRep, "", 200, &list)
		if len(list.Alerts) != len(c.Raised) {
			t.Errorf("alerts = %+v; want the %d raised", list, len(c.Raised))
		}
		ts.call("POST", "/api/v1/alerts/check?period=2026-11", tandem.RoleSalesHead, "", 200, &c)
		if len(c.Raised) != 0 {
			t.Errorf("second check raised %+v; want none", c.Raised)
		}
	})
}
