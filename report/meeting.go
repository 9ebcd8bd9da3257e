package report

import (
	"context"
	"slices"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/meeting"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
)

// Meeting is what the monthly meeting of a period reads and records
// (docs/meeting.md): the period's scorecard and its agenda, the action
// items recorded so far, the previous meeting's items as the scorecard
// carries them, and the lead review by campaign with marketing's
// responses.
type Meeting struct {
	Period    string
	Scorecard scorecard.Scorecard
	// Items are this period's meeting's action items, by due date.
	Items []meeting.Item
	// Review is the period's lead review (the campaigns page's, see
	// [CampaignPage]); More says the store left some leads out.
	Review []ReviewGroup
	More   bool
	// Campaigns are the review's campaigns, "" (no campaign) last; each
	// may have marketing's response.
	Campaigns []string
	Responses map[string]sqldb.CampaignResponse
}

// ReadMeeting reads the meeting of the named period ("" for the current
// month), with its scorecard as [ReadScorecard] reads it. A bad period is
// EINVALID naming period.
func ReadMeeting(ctx context.Context, db *sqldb.DB, now time.Time, period string) (Meeting, error) {
	per, err := scorecardPeriod(ctx, db, now, period)
	if err != nil {
		return Meeting{}, err
	}
	m := Meeting{Period: per.Name}
	if m.Scorecard, err = ReadScorecard(ctx, db, now, per.Name); err != nil {
		return Meeting{}, err
	}
	if m.Items, err = db.ActionItems(ctx, sqldb.ActionItemFilter{Period: per.Name}); err != nil {
		return Meeting{}, err
	}
	if m.Review, m.More, err = leadReview(ctx, db, now, per.From, per.To); err != nil {
		return Meeting{}, err
	}
	m.Campaigns = reviewCampaigns(m.Review)
	if m.Responses, err = db.ReviewResponses(ctx, per.Name); err != nil {
		return Meeting{}, err
	}
	return m, nil
}

// leadReview is the campaigns page's lead-review list of a window (the
// one query, [sqldb.DB.CampaignQuality], and the one grouping).
func leadReview(ctx context.Context, db *sqldb.DB, now, from, to time.Time) ([]ReviewGroup, bool, error) {
	a, _, err := Agreement(ctx, db, now)
	if err != nil {
		return nil, false, err
	}
	q, err := db.CampaignQuality(ctx, from, to)
	if err != nil {
		return nil, false, err
	}
	p := campaignPage(q, a)
	return p.Review, p.More, nil
}

// reviewCampaigns lists the campaigns of the review groups once each,
// "" last.
func reviewCampaigns(gs []ReviewGroup) []string {
	var out []string
	for _, g := range gs {
		if !slices.Contains(out, g.Campaign) {
			out = append(out, g.Campaign)
		}
	}
	slices.SortFunc(out, lastEmpty)
	return out
}

// RecordActionItem records an action item of the named period's meeting,
// as the actor of ctx: n is read by [meeting.New.Check] against the
// period, its scorecard's agenda and the agreement's time zone, and its
// owner by the store. EINVALID names each bad field; nothing is recorded
// then.
func RecordActionItem(ctx context.Context, db *sqldb.DB, now time.Time, period string, n meeting.New) (meeting.Item, error) {
	per, err := scorecardPeriod(ctx, db, now, period)
	if err != nil {
		return meeting.Item{}, err
	}
	a, _, err := Agreement(ctx, db, now)
	if err != nil {
		return meeting.Item{}, err
	}
	var topics []string
	var agendaText string
	if n.Topic != "" {
		sc, err := ReadScorecard(ctx, db, now, per.Name)
		if err != nil {
			return meeting.Item{}, err
		}
		for _, it := range sc.Agenda {
			topics = append(topics, it.Topic)
			if it.Topic == n.Topic {
				agendaText = it.Text
			}
		}
	}
	end, err := n.Check(per, topics, a.BusinessHours.Location)
	if err != nil {
		return meeting.Item{}, err
	}
	due, _ := meeting.ParseDue(n.Due, a.BusinessHours.Location)
	return db.AddActionItem(ctx, meeting.Item{Period: per.Name, What: n.What, Owner: n.Owner,
		DueOn: due.In(a.BusinessHours.Location).Format(time.DateOnly), DueAt: end, Topic: n.Topic, AgendaText: agendaText})
}

// RespondToReview records marketing's response to the lead review of one
// of the named period's campaigns (one the review lists: EINVALID naming
// campaign otherwise), as the actor of ctx.
func RespondToReview(ctx context.Context, db *sqldb.DB, now time.Time, period, campaign, response string) (sqldb.CampaignResponse, error) {
	per, err := scorecardPeriod(ctx, db, now, period)
	if err != nil {
		return sqldb.CampaignResponse{}, err
	}
	review, _, err := leadReview(ctx, db, now, per.From, per.To)
	if err != nil {
		return sqldb.CampaignResponse{}, err
	}
	if !slices.Contains(reviewCampaigns(review), campaign) {
		return sqldb.CampaignResponse{}, tandem.Invalid(tandem.FieldError{Field: "campaign",
			Message: "the lead review of " + per.Name + " lists no leads of campaign " + quote(campaign)})
	}
	return db.RespondToReview(ctx, per.Name, campaign, response)
}

func quote(s string) string {
	if s == "" {
		return "(none)"
	}
	if len(s) > 100 {
		s = s[:100]
	}
	return `"` + s + `"`
}
