package http

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestCampaigns registers a campaign, sets its spend, touches a lead and
// reads the report through the API, and sends each route bad input.
func TestCampaigns(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		var lead leadResultJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleMarketing,
			`{"external_id":"c1","email":"c1@example.com","campaign":"spring","origin":"email","created_at":"2026-03-02"}`, 201, &lead)

		var c tandem.Campaign
		ts.call("POST", "/api/v1/campaigns", tandem.RoleMarketing, `{"code":"spring","name":"Spring","channel":"email"}`, 201, &c)
		ts.call("POST", "/api/v1/campaigns", tandem.RoleMarketingHead, `{"code":"spring","name":"Spring webinars","channel":"email"}`, 200, &c)
		var sp tandem.CampaignSpend
		ts.call("PUT", "/api/v1/campaigns/spring/spend/2026-03", tandem.RoleMarketing, `{"amount_cents":50000}`, 200, &sp)
		ts.call("PUT", "/api/v1/campaigns/spring/spend/2026-03", tandem.RoleMarketing, `{"amount_cents":40000}`, 200, &sp)
		var list struct{ Items []tandem.Campaign }
		ts.call("GET", "/api/v1/campaigns", tandem.RoleSalesRep, "", 200, &list)
		if len(list.Items) != 1 || list.Items[0].Name != "Spring webinars" || len(list.Items[0].Spend) != 1 || list.Items[0].Spend[0].AmountCents != 40000 {
			t.Errorf("GET /api/v1/campaigns = %+v; want spring renamed, with March's spend replaced", list)
		}

		var touch tandem.MarketingTouch
		ts.call("POST", fmt.Sprintf("/api/v1/leads/%d/marketing-touches", lead.ID), tandem.RoleMarketing,
			`{"campaign":"webinar-3","kind":"webinar","occurred_at":"2026-03-05"}`, 201, &touch)
		if touch.ID == 0 || touch.Origin != "email" || touch.Kind != "webinar" {
			t.Errorf("POST marketing-touches = %+v; want an id, the lead's origin, kind webinar", touch)
		}

		var rep struct {
			Period    string
			Model     string
			Campaigns []struct {
				Campaign         string
				SpendCents       int64  `json:"spend_cents"`
				Leads            int    `json:"leads"`
				CostPerLeadCents *int64 `json:"cost_per_lead_cents"`
				CostPerMQLCents  *int64 `json:"cost_per_mql_cents"`
				ROI              *float64
			}
		}
		ts.call("GET", "/api/v1/campaigns/report?period=2026-03&model=linear", tandem.RoleExecutive, "", 200, &rep)
		if rep.Period != "2026-03" || rep.Model != "linear" || len(rep.Campaigns) != 1 {
			t.Fatalf("GET report = %+v; want March, linear, one campaign", rep)
		}
		if l := rep.Campaigns[0]; l.Campaign != "spring" || l.SpendCents != 40000 || l.Leads != 1 || l.CostPerLeadCents == nil ||
			*l.CostPerLeadCents != 40000 || l.CostPerMQLCents != nil || l.ROI == nil || *l.ROI != -1 {
			t.Errorf("GET report: line %+v; want spring: spend 40000, 1 lead at 40000, no MQL cost (null), ROI -1", l)
		}

		for _, tt := range []struct {
			method, path, body string
			status             int
			code               string
			fields             []string
		}{
			{"GET", "/api/v1/campaigns/report?period=2026-03&model=w_shaped", "", 422, tandem.EINVALID, []string{"model"}},
			{"GET", "/api/v1/campaigns/report?period=March", "", 422, tandem.EINVALID, []string{"period"}},
			{"GET", "/api/v1/campaigns/report?colour=red", "", 422, tandem.EINVALID, []string{"colour"}},
			{"PUT", "/api/v1/campaigns/spring/spend/2026-13", `{"amount_cents":1}`, 422, tandem.EINVALID, []string{"month"}},
			{"PUT", "/api/v1/campaigns/spring/spend/2026-03", `{"amount_cents":-1}`, 422, tandem.EINVALID, []string{"amount_cents"}},
			{"PUT", "/api/v1/campaigns/spring/spend/2026-03", `{}`, 422, tandem.EINVALID, []string{"amount_cents"}},
			{"PUT", "/api/v1/campaigns/spring/spend/2026-03", `{"amount":"12"}`, 422, tandem.EINVALID, []string{"amount"}},
			{"PUT", "/api/v1/campaigns/autumn/spend/2026-03", `{"amount_cents":1}`, 404, tandem.ENOTFOUND, nil},
			{"PUT", "/api/v1/campaigns/spring/spend/2026-03", `{"amount_cents":`, 400, tandem.EMALFORMED, nil},
			{"POST", "/api/v1/campaigns", `{"name":"no code"}`, 422, tandem.EINVALID, []string{"code"}},
			{"POST", fmt.Sprintf("/api/v1/leads/%d/marketing-touches", lead.ID), `{"campaign":"x","kind":"fax"}`, 422, tandem.EINVALID, []string{"kind"}},
			{"POST", fmt.Sprintf("/api/v1/leads/%d/marketing-touches", lead.ID), `{"campaign":"x","kind":"form","occurred_at":"soon"}`, 422, tandem.EINVALID, []string{"occurred_at"}},
			{"POST", "/api/v1/leads/99999/marketing-touches", `{"campaign":"x","kind":"form"}`, 404, tandem.ENOTFOUND, nil},
		} {
			what := tt.method + " " + tt.path + " " + tt.body
			e := checkError(t, what, ts.do(tt.method, tt.path, tandem.RoleAdmin, tt.body), tt.status, tt.code)
			if tt.fields != nil {
				if diff := cmp.Diff(tt.fields, fieldNames(e.Error.Fields)); diff != "" {
					t.Errorf("%s: fields (-want +got):\n%s", what, diff)
				}
			}
		}
	})
}
