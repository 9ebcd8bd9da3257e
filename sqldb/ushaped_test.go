package sqldb_test

import (
	"context"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestCampaignReportFourTouches pins the models apart through the store: a
// deal of 1,000.00 behind four touches (the lead's own campaign, then three
// marketing touches) gives U-shaped 40/10/10/40, linear 25 each, first touch
// all to the first and last touch all to the last. Two touches cannot tell
// U-shaped from linear; four can.
func TestCampaignReportFourTouches(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{input("external_id", "x", "email", "x@example.com", "score", "80",
			"campaign", "first", "origin", "email", "created_at", "2026-03-02T12:00:00Z")}, sqldb.IntakeOptions{DefaultSource: "crm"})
		if err != nil || rs[0].Err != nil {
			t.Fatalf("IntakeLeads = %v, %v", statuses(rs), err)
		}
		for i, c := range []string{"second", "third", "last"} {
			tt := tandem.MarketingTouch{LeadID: rs[0].ID, Campaign: c, Kind: tandem.TouchEmail, OccurredAt: march(4 + i)}
			if _, err := db.AddMarketingTouch(ctx, tt, "user:mia@example.com"); err != nil {
				t.Fatalf("AddMarketingTouch(%s) = %v", c, err)
			}
		}
		drs, err := db.ImportDeals(ctx, []tandem.DealInput{{Fields: map[string]string{"stage": "won", "lead_external_id": "x",
			"amount": "1000", "created_at": "2026-03-08T12:00:00Z", "closed_at": "2026-03-20T12:00:00Z"}}},
			sqldb.DealImportOptions{DefaultSource: "crm"})
		if err != nil || drs[0].Err != nil {
			t.Fatalf("ImportDeals = %+v, %v", drs, err)
		}
		r, err := report.Campaigns(ctx, db, db.Now(), "2026-03", "u_shaped")
		if err != nil {
			t.Fatalf("Campaigns(2026-03) = %v", err)
		}
		got := map[string]map[attribution.Model]int64{}
		for _, l := range r.Campaigns {
			got[l.Campaign] = l.RevenueCents
		}
		want := map[string]map[attribution.Model]int64{ // cents of 100000
			"first":  {attribution.FirstTouch: 100000, attribution.LastTouch: 0, attribution.Linear: 25000, attribution.UShaped: 40000},
			"second": {attribution.FirstTouch: 0, attribution.LastTouch: 0, attribution.Linear: 25000, attribution.UShaped: 10000},
			"third":  {attribution.FirstTouch: 0, attribution.LastTouch: 0, attribution.Linear: 25000, attribution.UShaped: 10000},
			"last":   {attribution.FirstTouch: 0, attribution.LastTouch: 100000, attribution.Linear: 25000, attribution.UShaped: 40000},
		}
		for c, w := range want {
			for _, m := range attribution.Models {
				if got[c][m] != w[m] {
					t.Errorf("campaign %s revenue by %s = %d cents; want %d", c, m, got[c][m], w[m])
				}
			}
		}
	})
}
