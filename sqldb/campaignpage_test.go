package sqldb

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sqldb/sqldbtest"
)

// TestCampaignQuality plays a Monday of hand-offs from two campaigns and
// checks the rows the campaigns page reads: the hand-offs started in the
// window grouped by campaign, decision and reason; the reviews summed by
// campaign; the rejected hand-offs and low reviews one by one, with the
// rep, the reason and the review. A window that starts after the day
// reads nothing.
func TestCampaignQuality(t *testing.T) {
	sqldbtest.Each(t, func(t *testing.T, b sqldbtest.Backend) {
		t.Parallel()
		ctx := context.Background()
		w := newReportWorld(t, b, 2)
		w.at(9, 0)
		var in []tandem.LeadInput
		for _, l := range [][4]string{{"a", "spring", "web", "Ann"}, {"b", "spring", "web", "Ben"}, {"c", "", "event", "Cy"}, {"d", "spring", "event", "Di"}} {
			in = append(in, tandem.LeadInput{Fields: map[string]string{"external_id": l[0], "campaign": l[1], "source": l[2],
				"first_name": l[3], "company": "Acme", "email": l[0] + "@example.com", "score": "70"}})
		}
		rs, err := w.db.IntakeLeads(ctx, in, IntakeOptions{})
		if err != nil {
			t.Fatalf("IntakeLeads: %v", err)
		}
		var ls []tandem.Lead
		for _, r := range rs {
			l, err := w.db.Lead(ctx, r.ID)
			if err != nil || l.Stage != "mql" {
				t.Fatalf("Lead(%d) = %v, %v; want an mql", r.ID, l, err)
			}
			ls = append(ls, l)
		}
		a, bb, c, d := ls[0], ls[1], ls[2], ls[3]
		owner := func(l tandem.Lead) tandem.User {
			if l.OwnerID == w.rex.ID {
				return w.rex
			}
			return w.ria
		}
		w.at(9, 5)
		w.decide(t, a, owner(a), Decision{Decision: tandem.DecisionAccepted})
		w.at(9, 6)
		w.decide(t, bb, owner(bb), Decision{Decision: tandem.DecisionRejected, Reason: "wrong_contact"})
		w.at(9, 7)
		w.decide(t, c, owner(c), Decision{Decision: tandem.DecisionRejected, Reason: "not_a_fit"})
		w.at(11, 0)
		if _, err := w.db.Review(ctx, a.ID, tandem.Review{Rating: 4}, reportToken(owner(a))); err != nil {
			t.Fatalf("Review(a): %v", err)
		}
		w.at(11, 1)
		if _, err := w.db.Review(ctx, d.ID, tandem.Review{Rating: 1, Tags: []string{"student"}, Text: "not a buyer"}, reportToken(owner(d))); err != nil {
			t.Fatalf("Review(d): %v", err)
		}

		from, to := reportAt(time.November, 2, 0, 0), reportAt(time.November, 3, 0, 0)
		got, err := w.db.CampaignQuality(ctx, from, to)
		if err != nil {
			t.Fatalf("CampaignQuality: %v", err)
		}
		want := CampaignQuality{From: from, To: to,
			Handoffs: []QualityCount{
				{Campaign: "", Decision: tandem.DecisionRejected, Reason: "not_a_fit", N: 1},
				{Campaign: "spring", Decision: "", Reason: "", N: 1},
				{Campaign: "spring", Decision: tandem.DecisionAccepted, Reason: "", N: 1},
				{Campaign: "spring", Decision: tandem.DecisionRejected, Reason: "wrong_contact", N: 1},
			},
			Ratings: []RatingSum{{Campaign: "spring", Ratings: 2, Sum: 5}},
			Rejected: []ReviewedLead{
				{LeadID: bb.ID, FirstName: "Ben", Company: "Acme", Campaign: "spring", Source: "web", Rep: owner(bb).Email,
					At: reportAt(time.November, 2, 9, 6), Reason: "wrong_contact"},
				{LeadID: c.ID, FirstName: "Cy", Company: "Acme", Source: "event", Rep: owner(c).Email,
					At: reportAt(time.November, 2, 9, 7), Reason: "not_a_fit"},
			},
			LowReviews: []ReviewedLead{
				{LeadID: d.ID, FirstName: "Di", Company: "Acme", Campaign: "spring", Source: "event", Rep: owner(d).Email,
					At: reportAt(time.November, 2, 11, 1), Rating: 1, Tags: "student", Text: "not a buyer"},
			},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("CampaignQuality(2 Nov) (-want +got):\n%s", diff)
		}

		later, err := w.db.CampaignQuality(ctx, to, to.Add(24*time.Hour))
		if err != nil {
			t.Fatalf("CampaignQuality(3 Nov): %v", err)
		}
		if len(later.Handoffs)+len(later.Ratings)+len(later.Rejected)+len(later.LowReviews) != 0 || later.More {
			t.Errorf("CampaignQuality(3 Nov) = %+v; want nothing", later)
		}
	})
}
