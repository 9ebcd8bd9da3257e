package http

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

type (
	dealResponseJSON struct {
		tandem.Deal
		ClosedBeforeEngaged bool `json:"closed_before_engaged"`
	}
	dealListJSON struct {
		Items      []dealResponseJSON `json:"items"`
		Total      int                `json:"total"`
		NextCursor string             `json:"next_cursor"`
	}
)

// TestDeals opens deals by taking leads in at opportunity, lists them,
// wins one and loses another through the API.
func TestDeals(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		var batch batchJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleAdmin, `[
			{"external_id": "d1", "company": "Acme", "stage": "opportunity", "created_at": "2026-10-01"},
			{"external_id": "d2", "company": "Bolt", "stage": "opportunity", "created_at": "2026-10-02"},
			{"external_id": "d3", "company": "Coil", "stage": "opportunity", "created_at": "2026-10-03"}]`, 200, &batch)
		if batch.Created != 3 {
			t.Fatalf("POST /api/v1/leads = %+v; want 3 created", batch)
		}

		// Two per page, every deal once, opened at opportunity.
		var ids []int64
		leadOf := map[int64]int64{}
		path := "/api/v1/deals?stage=open&limit=2"
		for path != "" {
			var page dealListJSON
			ts.call("GET", path, tandem.RoleExecutive, "", 200, &page)
			if page.Total != 3 {
				t.Errorf("GET %s: total %d; want 3", path, page.Total)
			}
			for _, d := range page.Items {
				ids = append(ids, d.ID)
				leadOf[d.ID] = d.LeadID
				if d.Stage != tandem.DealOpen || d.ClosedBeforeEngaged {
					t.Errorf("GET %s: deal %+v; want open", path, d)
				}
			}
			path = ""
			if page.NextCursor != "" {
				path = "/api/v1/deals?stage=open&limit=2&cursor=" + page.NextCursor
			}
		}
		if len(ids) != 3 {
			t.Fatalf("paged deals = %v; want 3", ids)
		}
		var one dealResponseJSON
		ts.call("GET", fmt.Sprintf("/api/v1/deals/%d", ids[0]), tandem.RoleMarketing, "", 200, &one)
		if one.ID != ids[0] || one.LeadID != batch.Results[0].ID || !one.EngagedAt.Equal(time.Date(2026, 10, 1, 4, 0, 0, 0, time.UTC)) { // the day in New York
			t.Errorf("GET /api/v1/deals/%d = %+v; want lead %d's deal, engaged 2026-10-01", ids[0], one, batch.Results[0].ID)
		}
		checkError(t, "GET a missing deal", ts.do("GET", "/api/v1/deals/999999", tandem.RoleAdmin, ""), 404, tandem.ENOTFOUND)
		checkError(t, "GET a deal that is not a number", ts.do("GET", "/api/v1/deals/abc", tandem.RoleAdmin, ""), 404, tandem.ENOTFOUND)

		// Bad list parameters are named.
		e := checkError(t, "GET /api/v1/deals with bad parameters",
			ts.do("GET", "/api/v1/deals?stage=closed&lead_id=x&closed_from=soon&colour=red", tandem.RoleAdmin, ""), 422, tandem.EINVALID)
		if diff := cmp.Diff([]string{"closed_from", "colour", "lead_id"}, fieldNames(e.Error.Fields)); diff != "" {
			t.Errorf("fields of the bad list (-want +got):\n%s", diff)
		}
		e = checkError(t, "GET /api/v1/deals?stage=closed", ts.do("GET", "/api/v1/deals?stage=closed", tandem.RoleAdmin, ""), 422, tandem.EINVALID)
		if diff := cmp.Diff([]string{"stage"}, fieldNames(e.Error.Fields)); diff != "" {
			t.Errorf("fields of stage=closed (-want +got):\n%s", diff)
		}

		// Winning.
		won := fmt.Sprintf("/api/v1/deals/%d/won", ids[0])
		for _, tt := range []struct {
			name, body string
			role       tandem.Role
			status     int
			code       string
			fields     []string
		}{
			{"no amount", `{}`, tandem.RoleSalesRep, 422, tandem.EINVALID, []string{"amount_cents"}},
			{"negative amount", `{"amount_cents": -1}`, tandem.RoleSalesRep, 422, tandem.EINVALID, []string{"amount_cents"}},
			{"a date in the future", `{"amount_cents": 1, "closed_at": "2027-01-01"}`, tandem.RoleSalesRep, 422, tandem.EINVALID, []string{"closed_at"}},
			{"a date that is not one", `{"amount_cents": 1, "closed_at": "Friday"}`, tandem.RoleSalesRep, 422, tandem.EINVALID, []string{"closed_at"}},
			{"an unknown key", `{"amount_cents": 1, "currency": "EUR"}`, tandem.RoleSalesRep, 422, tandem.EINVALID, []string{"currency"}},
			{"an amount as text", `{"amount_cents": "12.50"}`, tandem.RoleSalesRep, 400, tandem.EMALFORMED, nil},
			{"marketing", `{"amount_cents": 1}`, tandem.RoleMarketing, 403, tandem.EFORBIDDEN, nil},
			{"an executive", `{"amount_cents": 1}`, tandem.RoleExecutive, 403, tandem.EFORBIDDEN, nil},
		} {
			e := checkError(t, "POST won: "+tt.name, ts.do("POST", won, tt.role, tt.body), tt.status, tt.code)
			if diff := cmp.Diff(tt.fields, fieldNames(e.Error.Fields)); tt.fields != nil && diff != "" {
				t.Errorf("POST won: %s: fields (-want +got):\n%s", tt.name, diff)
			}
		}
		var got dealResponseJSON
		ts.call("POST", won, tandem.RoleSalesRep, `{"amount_cents": 1250000, "closed_at": "2026-11-01"}`, 200, &got)
		if got.Stage != tandem.DealWon || got.AmountCents != 1250000 || !got.ClosedAt.Equal(time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC)) { // the day in New York
			t.Errorf("POST %s = %+v; want won for 1250000 on 2026-11-01", won, got)
		}
		var lead tandem.Lead
		ts.call("GET", fmt.Sprintf("/api/v1/leads/%d", leadOf[ids[0]]), tandem.RoleAdmin, "", 200, &lead)
		if lead.Stage != "customer" {
			t.Errorf("the won deal's lead is %s; want customer", lead.Stage)
		}
		var events eventListJSON
		ts.call("GET", fmt.Sprintf("/api/v1/leads/%d/events", leadOf[ids[0]]), tandem.RoleAdmin, "", 200, &events)
		var types []string
		for _, e := range events.Items {
			types = append(types, e.Type)
		}
		if diff := cmp.Diff([]string{"created", "deal_opened", "deal_won", "stage_changed"}, types); diff != "" {
			t.Errorf("the won lead's ledger (-want +got):\n%s", diff)
		}
		checkError(t, "POST won twice", ts.do("POST", won, tandem.RoleSalesHead, `{"amount_cents": 1}`), 409, tandem.ECONFLICT)

		// Losing.
		lost := fmt.Sprintf("/api/v1/deals/%d/lost", ids[1])
		e = checkError(t, "POST lost with a sentence", ts.do("POST", lost, tandem.RoleSalesManager, `{"reason": "Too expensive"}`), 422, tandem.EINVALID)
		if diff := cmp.Diff([]string{"reason"}, fieldNames(e.Error.Fields)); diff != "" {
			t.Errorf("POST lost with a sentence: fields (-want +got):\n%s", diff)
		}
		checkError(t, "POST lost with no reason", ts.do("POST", lost, tandem.RoleSalesManager, `{}`), 422, tandem.EINVALID)
		ts.call("POST", lost, tandem.RoleSalesManager, `{"reason": "price"}`, 200, &got)
		if got.Stage != tandem.DealLost || got.LostReason != "price" {
			t.Errorf("POST %s = %+v; want lost for price", lost, got)
		}
		ts.call("GET", fmt.Sprintf("/api/v1/leads/%d", leadOf[ids[1]]), tandem.RoleAdmin, "", 200, &lead)
		if lead.Stage != "recycled" {
			t.Errorf("the lost deal's lead is %s; want recycled", lead.Stage)
		}

		// By close date.
		var page dealListJSON
		ts.call("GET", "/api/v1/deals?stage=won&closed_from=2026-11-01&closed_to=2026-12-01", tandem.RoleExecutive, "", 200, &page)
		if page.Total != 1 || page.Items[0].ID != ids[0] {
			t.Errorf("won in November = %+v; want deal %d", page, ids[0])
		}
		ts.call("GET", fmt.Sprintf("/api/v1/deals?lead_id=%d", leadOf[ids[2]]), tandem.RoleSalesRep, "", 200, &page)
		if page.Total != 1 || page.Items[0].ID != ids[2] || page.NextCursor != "" {
			t.Errorf("deals of lead %d = %+v; want deal %d", leadOf[ids[2]], page, ids[2])
		}
	})
}

// TestDealOfHandedOffLead closes the deal of a lead sales works: a token
// that acts for no user may not, an admin may.
func TestDealOfHandedOffLead(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		signDefault(t, ts.db)
		var created leadResultJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleAdmin, `{"external_id": "h1", "email": "h1@example.com", "score": 70}`, 201, &created)
		for _, stage := range []string{"sal", "sql", "opportunity"} {
			ts.call("POST", fmt.Sprintf("/api/v1/leads/%d/stage", created.ID), tandem.RoleAdmin,
				fmt.Sprintf(`{"stage": %q, "reason": "qualified"}`, stage), 200, nil)
		}
		var page dealListJSON
		// Listed by an admin: a rep's token that acts for no user reads no
		// deal under the read rule (docs/api.md).
		ts.call("GET", fmt.Sprintf("/api/v1/deals?lead_id=%d", created.ID), tandem.RoleAdmin, "", 200, &page)
		if page.Total != 1 || page.Items[0].OwnerID == 0 {
			t.Fatalf("deals of the handed-off lead = %+v; want one, owned by the rep it was routed to", page)
		}
		won := fmt.Sprintf("/api/v1/deals/%d/won", page.Items[0].ID)
		checkError(t, "POST won with a rep's token that acts for no user", ts.do("POST", won, tandem.RoleSalesRep, `{"amount_cents": 100}`), 403, tandem.EFORBIDDEN)
		var got dealResponseJSON
		ts.call("POST", won, tandem.RoleAdmin, `{"amount_cents": 100}`, 200, &got)
		if got.Stage != tandem.DealWon || got.AmountCents != 100 {
			t.Errorf("POST %s = %+v; want won for 100", won, got)
		}
	})
}

// TestDealStages moves a deal through the pipeline's open stages through
// the API, lists deals by stage, and reads its time in stage.
func TestDealStages(t *testing.T) {
	t.Parallel()
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ts := newTestServer(t, b)
		var batch batchJSON
		ts.call("POST", "/api/v1/leads", tandem.RoleAdmin, `[
			{"external_id": "s1", "company": "Acme", "stage": "opportunity", "created_at": "2026-10-01"},
			{"external_id": "s2", "company": "Bolt", "stage": "opportunity", "created_at": "2026-10-02"}]`, 200, &batch)
		var page dealListJSON
		ts.call("GET", "/api/v1/deals?stage=qualification", tandem.RoleExecutive, "", 200, &page)
		if page.Total != 2 {
			t.Fatalf("GET /api/v1/deals?stage=qualification: total %d; want 2 (a deal opens in the first stage)", page.Total)
		}
		d1, d2 := page.Items[0], page.Items[1]
		if d1.PipelineStage != "qualification" || d1.StageChangedAt.IsZero() || !d1.StageChangedAt.Equal(d1.CreatedAt) {
			t.Errorf("deal %d = %+v; want in qualification since it opened", d1.ID, d1)
		}

		stage := fmt.Sprintf("/api/v1/deals/%d/stage", d1.ID)
		for _, tt := range []struct {
			name, body string
			role       tandem.Role
			status     int
			code       string
		}{
			{"no stage", `{}`, tandem.RoleSalesRep, 422, tandem.EINVALID},
			{"an unknown stage", `{"stage": "closing"}`, tandem.RoleSalesRep, 422, tandem.EINVALID},
			{"won, which has its own call", `{"stage": "won"}`, tandem.RoleSalesRep, 422, tandem.EINVALID},
			{"open, which is no one stage", `{"stage": "open"}`, tandem.RoleSalesRep, 422, tandem.EINVALID},
			{"an unknown key", `{"stage": "proposal", "why": "x"}`, tandem.RoleSalesRep, 422, tandem.EINVALID},
			{"marketing", `{"stage": "proposal"}`, tandem.RoleMarketing, 403, tandem.EFORBIDDEN},
		} {
			e := checkError(t, "POST stage: "+tt.name, ts.do("POST", stage, tt.role, tt.body), tt.status, tt.code)
			if tt.status == 422 && tt.name != "an unknown key" {
				if diff := cmp.Diff([]string{"stage"}, fieldNames(e.Error.Fields)); diff != "" {
					t.Errorf("POST stage: %s: fields (-want +got):\n%s", tt.name, diff)
				}
			}
		}
		checkError(t, "POST stage of a missing deal", ts.do("POST", "/api/v1/deals/999999/stage", tandem.RoleSalesRep, `{"stage": "proposal"}`), 404, tandem.ENOTFOUND)

		var got dealResponseJSON
		ts.call("POST", stage, tandem.RoleSalesRep, `{"stage": "proposal"}`, 200, &got)
		if got.Stage != tandem.DealOpen || got.PipelineStage != "proposal" {
			t.Errorf("POST %s proposal = %+v; want open, in proposal", stage, got)
		}
		moved := got.StageChangedAt
		ts.call("POST", stage, tandem.RoleSalesRep, `{"stage": "proposal"}`, 200, &got)
		if !got.StageChangedAt.Equal(moved) {
			t.Errorf("POST %s proposal again moved the deal at %v; want it left in proposal since %v", stage, got.StageChangedAt, moved)
		}

		// The list by stage, and open as any open stage.
		for q, want := range map[string][]int64{"proposal": {d1.ID}, "qualification": {d2.ID}, "negotiation": nil, "open": {d1.ID, d2.ID}} {
			ts.call("GET", "/api/v1/deals?stage="+q, tandem.RoleExecutive, "", 200, &page)
			var ids []int64
			for _, d := range page.Items {
				ids = append(ids, d.ID)
			}
			if !cmp.Equal(ids, want) || page.Total != len(want) {
				t.Errorf("GET /api/v1/deals?stage=%s = %v (total %d); want %v", q, ids, page.Total, want)
			}
		}

		// The entries of the deal, then its close.
		var one struct {
			dealResponseJSON
			StageEntries []tandem.DealStageEntry `json:"stage_entries"`
		}
		ts.call("POST", fmt.Sprintf("/api/v1/deals/%d/won", d1.ID), tandem.RoleSalesRep, `{"amount_cents": 500}`, 200, &got)
		ts.call("GET", fmt.Sprintf("/api/v1/deals/%d", d1.ID), tandem.RoleMarketing, "", 200, &one)
		var stages []string
		for _, e := range one.StageEntries {
			stages = append(stages, e.Stage)
		}
		if diff := cmp.Diff([]string{"qualification", "proposal", "won"}, stages); diff != "" {
			t.Errorf("stage entries of deal %d (-want +got):\n%s", d1.ID, diff)
		}
		if len(one.StageEntries) == 3 && (!one.StageEntries[0].EnteredAt.Equal(d1.StageChangedAt) || !one.StageEntries[1].EnteredAt.Equal(moved)) {
			t.Errorf("stage entries of deal %d = %+v; want qualification at %v, proposal at %v", d1.ID, one.StageEntries, d1.StageChangedAt, moved)
		}
		if one.PipelineStage != "proposal" || one.Stage != tandem.DealWon {
			t.Errorf("won deal = %+v; want won, last in proposal", one.dealResponseJSON)
		}
		checkError(t, "POST stage of a won deal", ts.do("POST", stage, tandem.RoleSalesRep, `{"stage": "negotiation"}`), 409, tandem.ECONFLICT)

		var events eventListJSON
		ts.call("GET", fmt.Sprintf("/api/v1/leads/%d/events", d1.LeadID), tandem.RoleAdmin, "", 200, &events)
		var types []string
		for _, e := range events.Items {
			types = append(types, e.Type)
		}
		if diff := cmp.Diff([]string{"created", "deal_opened", "deal_stage_changed", "deal_won", "stage_changed"}, types); diff != "" {
			t.Errorf("the moved deal's ledger (-want +got):\n%s", diff)
		}
	})
}
