package report

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/sqldb"
)

// TestCampaignInput pins how the report reads the store's rows: each lead
// by its first touch's campaign (none without touches) and by the
// agreement's sales_sourced rule (origin prospecting, by default), a won
// deal with its lead's origin and touches.
func TestCampaignInput(t *testing.T) {
	a, err := sqldb.DefaultAgreement()
	if err != nil {
		t.Fatalf("sqldb.DefaultAgreement: %v", err)
	}
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	at := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }
	touches := map[int64][]attribution.Touch{
		1: {{Campaign: "spring", Origin: "email", At: at(2)}, {Campaign: "ads", Origin: "paid_search", At: at(5)}},
		3: {{Campaign: "", Origin: "referral", At: at(3)}},
	}
	rows := sqldb.CampaignRows{From: from, To: to, Agreement: a,
		NewLeads: []int64{1, 2}, MQLs: []int64{1}, Opportunities: []int64{2, 3},
		Won:     []attribution.Deal{{ID: 9, LeadID: 3, AmountCents: 500, ClosedAt: at(20)}},
		Leads:   map[int64]tandem.Lead{1: {ID: 1, Origin: "email"}, 2: {ID: 2, Origin: "prospecting"}, 3: {ID: 3, Origin: "referral"}},
		Touches: touches, Spend: map[string]int64{"spring": 1000},
		Campaigns: []attribution.Campaign{{Code: "spring", Name: "Spring", Channel: "email"}}}
	want := attribution.Input{From: from, To: to, Model: attribution.Linear, Campaigns: rows.Campaigns, Spend: rows.Spend,
		NewLeads:           []attribution.Lead{{ID: 1, FirstCampaign: "spring"}, {ID: 2, FirstCampaign: attribution.None, SalesSourced: true}},
		MQLs:               []attribution.Lead{{ID: 1, FirstCampaign: "spring"}},
		Opportunities:      []attribution.Lead{{ID: 2, FirstCampaign: attribution.None, SalesSourced: true}, {ID: 3, FirstCampaign: attribution.None}},
		Won:                []attribution.Deal{{ID: 9, LeadID: 3, AmountCents: 500, ClosedAt: at(20), Origin: "referral", Touches: touches[3]}},
		MarketingShareGoal: a.Goal.MarketingShare}
	if diff := cmp.Diff(want, campaignInput(rows, attribution.Linear)); diff != "" {
		t.Errorf("campaignInput (-want +got):\n%s", diff)
	}
}
