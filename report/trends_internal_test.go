package report

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
)

func TestWeeks(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatalf("LoadLocation: %v", err)
	}
	for _, tc := range []struct {
		now   time.Time
		n     int
		names []string
	}{
		// Sunday 23:30 in New York is already Monday in UTC: still the week of the 2nd.
		{time.Date(2026, 11, 8, 23, 30, 0, 0, ny), 2, []string{"2026-10-26", "2026-11-02"}},
		// Monday 00:00 starts a week.
		{time.Date(2026, 11, 9, 0, 0, 0, 0, ny), 1, []string{"2026-11-09"}},
		// Across the end of daylight saving time (1 November 2026) and a year.
		{time.Date(2027, 1, 1, 12, 0, 0, 0, ny), 10, []string{"2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23",
			"2026-11-30", "2026-12-07", "2026-12-14", "2026-12-21", "2026-12-28"}},
	} {
		ws := Weeks(tc.now, ny, tc.n)
		var names []string
		for i, w := range ws {
			names = append(names, w.Name)
			if w.From.In(ny).Hour() != 0 || w.From.In(ny).Weekday() != time.Monday || !w.To.Equal(w.From.In(ny).AddDate(0, 0, 7)) {
				t.Errorf("Weeks(%v)[%d] = %v to %v; want Monday 00:00 to the next", tc.now, i, w.From.In(ny), w.To.In(ny))
			}
		}
		if diff := cmp.Diff(tc.names, names); diff != "" {
			t.Errorf("Weeks(%v, %d) (-want +got):\n%s", tc.now, tc.n, diff)
		}
		if last := ws[len(ws)-1]; tc.now.Before(last.From) || !tc.now.Before(last.To) {
			t.Errorf("Weeks(%v): the last week %v to %v does not hold now", tc.now, last.From, last.To)
		}
	}
}

func TestMonths(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	// 1 March 03:00 UTC is still February in New York.
	got := Months(time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC), ny, 6)
	want := []string{"2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Months(1 March 03:00 UTC in New York, 6) (-want +got):\n%s", diff)
	}
}

// TestCampaignPageAssembly: the quality lines add up the store's groups
// by campaign (acceptance over accepted, rejected and disqualified;
// undecided hand-offs counted but not in the share), average the ratings,
// name the reasons as the agreement does; the review list puts a lead
// rejected and rated low once, under its campaign and source, groups in
// campaign then source order with "" last.
func TestCampaignPageAssembly(t *testing.T) {
	a, err := agreement.Parse("agreement.yaml", agreement.Default())
	if err != nil {
		t.Fatalf("Parse(default): %v", err)
	}
	at := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	q := sqldb.CampaignQuality{
		Handoffs: []sqldb.QualityCount{
			{Campaign: "", Decision: tandem.DecisionRejected, Reason: "duplicate", N: 1},
			{Campaign: "spring", Decision: "", N: 4},
			{Campaign: "spring", Decision: tandem.DecisionAccepted, N: 3},
			{Campaign: "spring", Decision: tandem.DecisionDisqualified, N: 1},
			{Campaign: "spring", Decision: tandem.DecisionRejected, Reason: "not_a_fit", N: 1},
			{Campaign: "spring", Decision: tandem.DecisionRejected, Reason: "wrong_contact", N: 3},
		},
		Ratings: []sqldb.RatingSum{{Campaign: "fall", Ratings: 3, Sum: 7}},
		Rejected: []sqldb.ReviewedLead{
			{LeadID: 7, FirstName: "Ann", Company: "Acme", Campaign: "spring", Source: "web", Rep: "rex@example.com", At: at, Reason: "wrong_contact"},
			{LeadID: 8, Campaign: "", Source: "", Rep: "ria@example.com", At: at, Reason: "duplicate"},
		},
		LowReviews: []sqldb.ReviewedLead{
			{LeadID: 7, FirstName: "Ann", Company: "Acme", Campaign: "spring", Source: "web", Rep: "ria@example.com", At: at, Rating: 2, Tags: "junk, ", Text: "no"},
			{LeadID: 9, LastName: "Bo", Campaign: "spring", Source: "event", Rep: "rex@example.com", At: at, Rating: 1},
		},
	}
	got := campaignPage(q, a)
	threeOfEight := 3.0 / 8 // accepted ÷ (accepted 3 + rejected 4 + disqualified 1)
	wantQuality := []QualityLine{
		{Campaign: "fall", Reviews: 3, AverageRating: 2.33},
		{Campaign: "spring", Handoffs: 12, Accepted: 3, Rejected: 4, Disqualified: 1, Acceptance: &threeOfEight, Reasons: []scorecard.Reason{
			{Code: "wrong_contact", Description: "The person cannot buy or influence the purchase.", Count: 3, Share: 0.75},
			{Code: "not_a_fit", Description: "Outside our customer profile (size, industry, need).", Count: 1, Share: 0.25}}},
		{Campaign: "", Handoffs: 1, Rejected: 1, Acceptance: new(float64), Reasons: []scorecard.Reason{
			{Code: "duplicate", Description: "The lead is already being worked by sales.", Count: 1, Share: 1}}},
	}
	if diff := cmp.Diff(wantQuality, got.Quality); diff != "" {
		t.Errorf("quality lines (-want +got):\n%s", diff)
	}
	wantReview := []ReviewGroup{
		{Campaign: "spring", Source: "event", Leads: []ReviewedLead{{LeadID: 9, Name: "Bo", Reviews: []LowReview{{Rep: "rex@example.com", Rating: 1, At: at}}}}},
		{Campaign: "spring", Source: "web", Leads: []ReviewedLead{{LeadID: 7, Name: "Ann, Acme",
			Rejected: &Rejection{Rep: "rex@example.com", Code: "wrong_contact", Description: "The person cannot buy or influence the purchase.", At: at},
			Reviews:  []LowReview{{Rep: "ria@example.com", Rating: 2, Tags: []string{"junk"}, Text: "no", At: at}}}}},
		{Campaign: "", Source: "", Leads: []ReviewedLead{{LeadID: 8,
			Rejected: &Rejection{Rep: "ria@example.com", Code: "duplicate", Description: "The lead is already being worked by sales.", At: at}}}},
	}
	if diff := cmp.Diff(wantReview, got.Review); diff != "" {
		t.Errorf("review groups (-want +got):\n%s", diff)
	}
}
