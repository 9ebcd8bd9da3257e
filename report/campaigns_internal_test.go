package report

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/sqldb"
)

// TestCampaignInput pins how the report reads the store's rows: each
// group of leads as that many leads, by its first touch's campaign (none
// without one) and by the agreement's sales_sourced rule (origin
// prospecting, by default), a won deal with its lead's origin and touches.
func TestCampaignInput(t *testing.T) {
	a, err := sqldb.DefaultAgreement()
	if err != nil {
		t.Fatalf("sqldb.DefaultAgreement: %v", err)
	}
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	at := func(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }
	touches := map[int64][]attribution.Touch{
		3: {{Campaign: "", Origin: "referral", At: at(3)}},
	}
	email, prospecting := tandem.Lead{Origin: "email"}, tandem.Lead{Origin: "prospecting"}
	rows := sqldb.CampaignRows{From: from, To: to, Agreement: a,
		NewLeads:      []sqldb.LeadGroup{{First: "spring", Lead: email, Count: 2}, {Lead: prospecting, Count: 1}},
		MQLs:          []sqldb.LeadGroup{{First: "spring", Lead: email, Count: 1}},
		Opportunities: []sqldb.LeadGroup{{Lead: prospecting, Count: 1}, {Lead: tandem.Lead{Origin: "referral"}, Count: 1}},
		Won:           []attribution.Deal{{ID: 9, LeadID: 3, AmountCents: 500, ClosedAt: at(20)}},
		Leads:         map[int64]tandem.Lead{3: {ID: 3, Origin: "referral"}},
		Touches:       touches, Spend: map[string]int64{"spring": 1000},
		Campaigns: []attribution.Campaign{{Code: "spring", Name: "Spring", Channel: "email"}}}
	spring := attribution.Lead{FirstCampaign: "spring"}
	want := attribution.Input{From: from, To: to, Model: attribution.Linear, Campaigns: rows.Campaigns, Spend: rows.Spend,
		NewLeads:           []attribution.Lead{spring, spring, {FirstCampaign: attribution.None, SalesSourced: true}},
		MQLs:               []attribution.Lead{spring},
		Opportunities:      []attribution.Lead{{FirstCampaign: attribution.None, SalesSourced: true}, {FirstCampaign: attribution.None}},
		Won:                []attribution.Deal{{ID: 9, LeadID: 3, AmountCents: 500, ClosedAt: at(20), Origin: "referral", Touches: touches[3]}},
		MarketingShareGoal: a.Goal.MarketingShare}
	if diff := cmp.Diff(want, campaignInput(rows, attribution.Linear)); diff != "" {
		t.Errorf("campaignInput (-want +got):\n%s", diff)
	}
}
