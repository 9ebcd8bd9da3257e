package sqldb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sqldb"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

func march(d int) time.Time { return time.Date(2026, 3, d, 12, 0, 0, 0, time.UTC) }

// touchesOf returns a lead's marketing touches without their ids.
func touchesOf(t *testing.T, db *sqldb.DB, id int64) []tandem.MarketingTouch {
	t.Helper()
	ts, err := db.MarketingTouches(context.Background(), id)
	if err != nil {
		t.Fatalf("MarketingTouches: %v", err)
	}
	for i := range ts {
		ts[i].ID = 0
	}
	return ts
}

// TestMarketingTouchesAtIntake: a lead created with a campaign, or given a
// new one, gets a marketing touch in its ledger and in the touches table;
// the same campaign again, or none, gets none.
func TestMarketingTouchesAtIntake(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, clk := open(t, b)
		intake := func(in tandem.LeadInput) sqldb.IntakeResult {
			t.Helper()
			rs, err := db.IntakeLeads(ctx, []tandem.LeadInput{in}, sqldb.IntakeOptions{Actor: "form:web"})
			if err != nil || rs[0].Err != nil {
				t.Fatal(err, rs)
			}
			return rs[0]
		}
		a := intake(input("external_id", "a", "campaign", "spring", "origin", "email", "created_at", "2026-03-02T12:00:00Z"))
		b2 := intake(input("external_id", "b", "origin", "organic_search"))
		want := []tandem.MarketingTouch{{LeadID: a.ID, Campaign: "spring", Origin: "email", Kind: tandem.TouchIntake, OccurredAt: march(2)}}
		if diff := cmp.Diff(want, touchesOf(t, db, a.ID)); diff != "" {
			t.Errorf("touches of a lead created with a campaign (-want +got):\n%s", diff)
		}
		if got := touchesOf(t, db, b2.ID); len(got) != 0 {
			t.Errorf("touches of a lead without a campaign = %v; want none", got)
		}

		// The same campaign again, with another change: no touch.
		if r := intake(input("external_id", "a", "campaign", "spring", "title", "CFO")); r.Status != tandem.StatusUpdated {
			t.Fatalf("update = %s; want updated", r.Status)
		}
		// A new campaign: a touch, dated by the update.
		clk.Set(epoch.Add(time.Hour))
		intake(input("external_id", "a", "campaign", "summer", "origin", "social"))
		// Cleared, then set again: a touch for the value set again.
		intake(input("external_id", "b", "campaign", "summer"))
		want = append(want, tandem.MarketingTouch{LeadID: a.ID, Campaign: "summer", Origin: "social", Kind: tandem.TouchIntake, OccurredAt: epoch.Add(time.Hour)})
		if diff := cmp.Diff(want, touchesOf(t, db, a.ID)); diff != "" {
			t.Errorf("touches after updates (-want +got):\n%s", diff)
		}
		if got := touchesOf(t, db, b2.ID); len(got) != 1 || got[0].Origin != "organic_search" {
			t.Errorf("touches of a lead given a campaign = %v; want one, with the lead's origin", got)
		}

		// By hand: a webinar, without changing the lead.
		before, _ := db.Lead(ctx, a.ID)
		added, err := db.AddMarketingTouch(ctx, tandem.MarketingTouch{LeadID: a.ID, Campaign: "webinar-7", Kind: tandem.TouchWebinar,
			OccurredAt: epoch.Add(30 * time.Minute)}, "user:mia@example.com")
		if err != nil {
			t.Fatalf("AddMarketingTouch: %v", err)
		}
		if added.ID == 0 || added.Origin != "social" {
			t.Errorf("AddMarketingTouch = %+v; want an id and the lead's origin", added)
		}
		after, _ := db.Lead(ctx, a.ID)
		if after.Campaign != before.Campaign || after.Version != before.Version+1 {
			t.Errorf("lead after a touch by hand: campaign %q, version %d; want %q, %d", after.Campaign, after.Version, before.Campaign, before.Version+1)
		}
		got := touchesOf(t, db, a.ID)
		if len(got) != 3 || got[1].Campaign != "webinar-7" {
			t.Errorf("touches = %v; want the webinar second, in time order", got)
		}
		evs := lastEvents(t, db, a.ID, 1)
		wantEv := []eventSummary{{Type: tandem.EventMarketingTouched, OccurredAt: epoch.Add(30 * time.Minute), Actor: "user:mia@example.com",
			Detail: map[string]string{"campaign": "webinar-7", "kind": "webinar", "origin": "social"}}}
		if diff := cmp.Diff(wantEv, summarize(evs), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("the touch's event (-want +got):\n%s", diff)
		}
		verifyLedger(t, db)

		for _, tt := range []struct {
			t     tandem.MarketingTouch
			code  string
			field string
		}{
			{tandem.MarketingTouch{LeadID: a.ID, Campaign: "x", Kind: "carrier_pigeon"}, tandem.EINVALID, "kind"},
			{tandem.MarketingTouch{LeadID: a.ID, Kind: "form"}, tandem.EINVALID, "campaign"},
			{tandem.MarketingTouch{LeadID: a.ID, Campaign: "x", Kind: "form", OccurredAt: epoch.AddDate(0, 0, 3)}, tandem.EINVALID, "occurred_at"},
			{tandem.MarketingTouch{LeadID: 999, Campaign: "x", Kind: "form"}, tandem.ENOTFOUND, ""},
		} {
			_, err := db.AddMarketingTouch(ctx, tt.t, "user:mia@example.com")
			if tandem.ErrorCode(err) != tt.code || tt.field != "" && (len(tandem.ErrorFields(err)) != 1 || tandem.ErrorFields(err)[0].Field != tt.field) {
				t.Errorf("AddMarketingTouch(%+v) = %v; want %s naming %q", tt.t, err, tt.code, tt.field)
			}
		}
	})
}

func TestCampaignSpend(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		if _, created, err := db.SaveCampaign(ctx, tandem.Campaign{Code: "spring", Name: "Spring", Channel: "email"}); err != nil || !created {
			t.Fatalf("SaveCampaign(new) = %t, %v; want created", created, err)
		}
		if c, created, err := db.SaveCampaign(ctx, tandem.Campaign{Code: "spring", Name: "Spring webinar", Channel: "email"}); err != nil || created || !c.CreatedAt.Equal(epoch) {
			t.Fatalf("SaveCampaign(again) = %+v, %t, %v; want updated, created at %v", c, created, err, epoch)
		}
		set := func(month string, cents int64) error {
			_, err := db.SetCampaignSpend(ctx, tandem.CampaignSpend{Campaign: "spring", Month: month, AmountCents: cents}, "user:mia@example.com")
			return err
		}
		for _, s := range []struct {
			month string
			cents int64
		}{{"2026-03", 1200050}, {"2026-03", 90000}, {"2026-02", 5}} {
			if err := set(s.month, s.cents); err != nil {
				t.Fatalf("set: %v", err)
			}
		}
		cs, err := db.Campaigns(ctx)
		if err != nil {
			t.Fatalf("Campaigns: %v", err)
		}
		want := []tandem.Campaign{{Code: "spring", Name: "Spring webinar", Channel: "email", CreatedAt: epoch, Spend: []tandem.CampaignSpend{
			{Campaign: "spring", Month: "2026-02", AmountCents: 5}, {Campaign: "spring", Month: "2026-03", AmountCents: 90000}}}}
		if diff := cmp.Diff(want, cs); diff != "" {
			t.Errorf("Campaigns() after setting March twice (-want +got):\n%s", diff)
		}
		for _, tt := range []struct {
			s     tandem.CampaignSpend
			code  string
			field string
		}{
			{tandem.CampaignSpend{Campaign: "spring", Month: "2026-13", AmountCents: 1}, tandem.EINVALID, "month"},
			{tandem.CampaignSpend{Campaign: "spring", Month: "March", AmountCents: 1}, tandem.EINVALID, "month"},
			{tandem.CampaignSpend{Campaign: "spring", Month: "2026-03", AmountCents: -1}, tandem.EINVALID, "amount"},
			{tandem.CampaignSpend{Campaign: "autumn", Month: "2026-03", AmountCents: 1}, tandem.ENOTFOUND, ""},
		} {
			_, err := db.SetCampaignSpend(ctx, tt.s, "user:mia@example.com")
			if tandem.ErrorCode(err) != tt.code || tt.field != "" && (len(tandem.ErrorFields(err)) != 1 || tandem.ErrorFields(err)[0].Field != tt.field) {
				t.Errorf("SetCampaignSpend(%+v) = %v; want %s naming %q", tt.s, err, tt.code, tt.field)
			}
		}
		if _, _, err := db.SaveCampaign(ctx, tandem.Campaign{Code: "", Name: "x"}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("SaveCampaign(no code) = %v; want invalid", err)
		}
	})
}

// TestCampaignReport builds a small March by hand (docs/campaigns.md has the
// definitions) and checks every count, sum and ratio of its report.
func TestCampaignReport(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		signDefault(t, db, string(agreement.Default())) // its mql rule qualifies leads at intake
		leads := []tandem.LeadInput{
			// l1: a new marketing lead of March, an MQL, won for 1000.00.
			input("external_id", "l1", "email", "l1@example.com", "score", "80", "campaign", "webinar", "origin", "email", "created_at", "2026-03-02T12:00:00Z"),
			// l2: a new lead that does not qualify.
			input("external_id", "l2", "email", "l2@example.com", "score", "30", "campaign", "ads", "origin", "paid_search", "created_at", "2026-03-03T12:00:00Z"),
			// l3: sales found it; an MQL, won for 500.00, no touch.
			input("external_id", "l3", "email", "l3@example.com", "score", "70", "origin", "prospecting", "created_at", "2026-03-04T12:00:00Z"),
			// l4: February's lead, won in March for 200.00.
			input("external_id", "l4", "email", "l4@example.com", "score", "80", "campaign", "webinar", "origin", "social", "created_at", "2026-02-10T12:00:00Z"),
		}
		rs, err := db.IntakeLeads(ctx, leads, sqldb.IntakeOptions{DefaultSource: "crm"})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		id := map[string]int64{}
		for i, r := range rs {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			id[leads[i].Fields["external_id"]] = r.ID
		}
		for _, tt := range []tandem.MarketingTouch{
			{LeadID: id["l1"], Campaign: "ads", Origin: "paid_search", Kind: tandem.TouchAd, OccurredAt: march(5)},
			{LeadID: id["l4"], Campaign: "guide", Kind: tandem.TouchContent, OccurredAt: march(1)},
			{LeadID: id["l4"], Campaign: "late", Kind: tandem.TouchEmail, OccurredAt: march(30)}, // after the close
		} {
			if _, err := db.AddMarketingTouch(ctx, tt, "user:mia@example.com"); err != nil {
				t.Fatalf("AddMarketingTouch: %v", err)
			}
		}
		deal := func(kv ...string) tandem.DealInput {
			in := tandem.DealInput{Fields: map[string]string{"stage": "won"}}
			for i := 0; i < len(kv); i += 2 {
				in.Fields[kv[i]] = kv[i+1]
			}
			return in
		}
		drs, err := db.ImportDeals(ctx, []tandem.DealInput{
			deal("lead_external_id", "l1", "amount", "1000", "created_at", "2026-03-10T12:00:00Z", "closed_at", "2026-03-20T12:00:00Z"),
			deal("lead_external_id", "l3", "amount", "500", "created_at", "2026-03-12T12:00:00Z", "closed_at", "2026-03-25T12:00:00Z"),
			deal("lead_external_id", "l4", "amount", "200", "created_at", "2026-02-20T12:00:00Z", "closed_at", "2026-03-15T12:00:00Z"),
		}, sqldb.DealImportOptions{DefaultSource: "crm"})
		if err != nil {
			t.Fatalf("ImportDeals: %v", err)
		}
		for _, r := range drs {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
		for _, c := range []tandem.Campaign{{Code: "webinar", Name: "Webinars", Channel: "email"}, {Code: "ads", Name: "Search ads", Channel: "paid_search"}} {
			if _, _, err := db.SaveCampaign(ctx, c); err != nil {
				t.Fatalf("SaveCampaign: %v", err)
			}
		}
		for _, s := range []tandem.CampaignSpend{
			{Campaign: "webinar", Month: "2026-03", AmountCents: 30000},
			{Campaign: "webinar", Month: "2026-02", AmountCents: 10000},
			{Campaign: "ads", Month: "2026-03", AmountCents: 20000},
		} {
			if _, err := db.SetCampaignSpend(ctx, s, "user:mia@example.com"); err != nil {
				t.Fatalf("SetCampaignSpend: %v", err)
			}
		}

		r, err := report.Campaigns(ctx, db, db.Now(), "2026-03", "u_shaped")
		if err != nil {
			t.Fatalf("Campaigns: %v", err)
		}
		rev := func(first, last, linear, u int64) map[attribution.Model]int64 {
			return map[attribution.Model]int64{attribution.FirstTouch: first, attribution.LastTouch: last, attribution.Linear: linear, attribution.UShaped: u}
		}
		want := []attribution.Line{
			{Campaign: "webinar", Name: "Webinars", Channel: "email", Registered: true, SpendCents: 30000, Leads: 1, MQLs: 1, Customers: 2,
				RevenueCents: rev(120000, 0, 60000, 60000), CostPerLeadCents: ptr[int64](30000), CostPerMQLCents: ptr[int64](30000),
				CostPerCustomerCents: ptr[int64](15000), ROI: ptr(1.0)},
			{Campaign: "ads", Name: "Search ads", Channel: "paid_search", Registered: true, SpendCents: 20000, Leads: 1,
				RevenueCents: rev(0, 100000, 50000, 50000), CostPerLeadCents: ptr[int64](20000), ROI: ptr(1.5)},
			{Campaign: "guide", RevenueCents: rev(0, 20000, 10000, 10000)},
			{Campaign: attribution.None, Leads: 1, MQLs: 1, Customers: 1, RevenueCents: rev(50000, 50000, 50000, 50000)},
		}
		if diff := cmp.Diff(want, r.Campaigns); diff != "" {
			t.Errorf("Campaigns(2026-03) campaigns (-want +got):\n%s", diff)
		}
		wantTotal := attribution.Line{Campaign: "(total)", SpendCents: 50000, Leads: 3, MQLs: 2, Customers: 3,
			RevenueCents: rev(170000, 170000, 170000, 170000), CostPerLeadCents: ptr[int64](16667), CostPerMQLCents: ptr[int64](25000),
			CostPerCustomerCents: ptr[int64](16667), ROI: ptr(2.4)}
		if diff := cmp.Diff(wantTotal, r.Total); diff != "" {
			t.Errorf("total (-want +got):\n%s", diff)
		}
		wantOrigins := []attribution.OriginLine{
			{Origin: "email", RevenueCents: rev(100000, 0, 50000, 50000)},
			{Origin: "paid_search", RevenueCents: rev(0, 100000, 50000, 50000)}, // ties by name
			{Origin: "prospecting", RevenueCents: rev(50000, 50000, 50000, 50000)},
			{Origin: "social", RevenueCents: rev(20000, 20000, 20000, 20000)},
		}
		if diff := cmp.Diff(wantOrigins, r.Origins); diff != "" {
			t.Errorf("origins (-want +got):\n%s", diff)
		}
		wantSourcing := attribution.Sourcing{Leads: 3, MarketingLeads: 2, LeadShare: ptr(2.0 / 3), Opportunities: 2, MarketingOpportunities: 1,
			OpportunityShare: ptr(0.5), WonCents: 170000, MarketingWonCents: 120000, RevenueShare: ptr(120000.0 / 170000),
			MarketingShareGoal: 0.6, RevenueShareMeetsGoal: ptr(true), SalesSourcedLeads: 1, SalesSourcedOpportunities: 1}
		if diff := cmp.Diff(wantSourcing, r.Sourcing); diff != "" {
			t.Errorf("sourcing (-want +got):\n%s", diff)
		}
		if r.Period != "2026-03" || r.Model != attribution.UShaped {
			t.Errorf("period, model = %q, %q; want 2026-03, u_shaped", r.Period, r.Model)
		}

		// Another model changes ROI only; a bad one is refused by name.
		r, err = report.Campaigns(ctx, db, db.Now(), "2026-03", "last_touch")
		if err != nil || r.Campaigns[0].Campaign != "ads" || *r.Campaigns[0].ROI != 4 {
			t.Errorf("Campaigns(last_touch) = %+v, %v; want ads first with ROI 4", r.Campaigns, err)
		}
		for _, tt := range []struct{ period, model, field string }{{"2026-03", "w_shaped", "model"}, {"March", "", "period"}} {
			_, err := report.Campaigns(ctx, db, db.Now(), tt.period, tt.model)
			if f := tandem.ErrorFields(err); len(f) != 1 || f[0].Field != tt.field {
				t.Errorf("Campaigns(%q, %q) = %v; want an error naming %s", tt.period, tt.model, err, tt.field)
			}
		}
		// An empty period: no lines, and no ratio.
		r, err = report.Campaigns(ctx, db, db.Now(), "2025-03", "")
		if err != nil || len(r.Campaigns) != 0 || r.Total.ROI != nil || r.Sourcing.LeadShare != nil {
			t.Errorf("Campaigns(2025-03) = %+v, %v; want an empty report", r, err)
		}
	})
}

// TestCampaignReportReadsTheRulesFields checks the campaign report's
// sourcing and lines under a sales_sourced rule over fields other than the
// origin (the source and an attribute), which the store reads for the rule
// and no more, against counts this test makes from the leads it writes:
// leads created in March 2026 with and without the rule's fields, with
// marketing touches (the first one naming no campaign for some) or none.
func TestCampaignReportReadsTheRulesFields(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		db, _ := open(t, b)
		body := strings.Replace(string(agreement.Default()), `sales_sourced: origin == "prospecting"`,
			`sales_sourced: source == "crm" and attributes["found_by"] == "rep"`, 1)
		if body == string(agreement.Default()) {
			t.Fatal("the default agreement has no sales_sourced rule to replace")
		}
		signDefault(t, db, body)
		type lead struct {
			source, foundBy, origin string
			touches                 []string // campaigns of its touches, in time order
		}
		var leads []lead
		for i := range 24 {
			l := lead{source: []string{"crm", "web", "crm"}[i%3], foundBy: []string{"rep", "", "bot", "rep"}[i%4],
				origin: []string{"prospecting", "email"}[i%2]}
			switch i % 5 {
			case 1:
				l.touches = []string{"spring"}
			case 2:
				l.touches = []string{"", "spring"}
			case 3:
				l.touches = []string{"ads", "spring", "webinar"}
			}
			leads = append(leads, l)
		}
		var in []tandem.LeadInput
		for i, l := range leads {
			in = append(in, input("external_id", fmt.Sprint("r", i), "email", fmt.Sprintf("r%d@example.com", i), "score", "10",
				"source", l.source, "attributes.found_by", l.foundBy, "origin", l.origin, "created_at", fmt.Sprintf("2026-03-%02dT12:00:00Z", 2+i)))
		}
		rs, err := db.IntakeLeads(ctx, in, sqldb.IntakeOptions{})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		salesSourced, lines := 0, map[string]int{}
		for i, l := range leads {
			if rs[i].Err != nil {
				t.Fatalf("IntakeLeads %d: %v", i, rs[i].Err)
			}
			for k, c := range l.touches {
				tt := tandem.MarketingTouch{LeadID: rs[i].ID, Campaign: c, Kind: tandem.TouchAd, OccurredAt: march(2 + i).Add(time.Duration(k+1) * time.Hour)}
				if c == "" { // as an import of history may hold: no API writes one
					at := tt.OccurredAt.Format("2006-01-02T15:04:05") + map[bool]string{true: "Z", false: ".000000Z"}[b.Name == "postgres"]
					if err := db.ExecForTest(ctx, fmt.Sprintf(`INSERT INTO marketing_touches (lead_id, campaign, origin, kind, occurred_at)
						VALUES (%d, '', '', 'ad', '%s')`, tt.LeadID, at)); err != nil {
						t.Fatalf("insert a touch without campaign: %v", err)
					}
					continue
				}
				if _, err := db.AddMarketingTouch(ctx, tt, "user:mia@example.com"); err != nil {
					t.Fatalf("AddMarketingTouch: %v", err)
				}
			}
			if l.source == "crm" && l.foundBy == "rep" {
				salesSourced++
			}
			first := attribution.None
			if len(l.touches) > 0 && l.touches[0] != "" {
				first = l.touches[0]
			}
			lines[first]++
		}
		r, err := report.Campaigns(ctx, db, db.Now(), "2026-03", "u_shaped")
		if err != nil {
			t.Fatalf("Campaigns: %v", err)
		}
		if r.Sourcing.Leads != len(leads) || r.Sourcing.SalesSourcedLeads != salesSourced || r.Sourcing.MarketingLeads != len(leads)-salesSourced {
			t.Errorf("Campaigns(2026-03) sourcing = %d leads, %d sales-sourced, %d marketing; want %d, %d, %d", r.Sourcing.Leads,
				r.Sourcing.SalesSourcedLeads, r.Sourcing.MarketingLeads, len(leads), salesSourced, len(leads)-salesSourced)
		}
		got := map[string]int{}
		for _, l := range r.Campaigns {
			got[l.Campaign] = l.Leads
		}
		if diff := cmp.Diff(lines, got); diff != "" {
			t.Errorf("Campaigns(2026-03) leads by first campaign (-want +got):\n%s", diff)
		}
	})
}
