package sqldb

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tandemhq/tandem"
)

// LowRating is the highest review rating the lead-review list shows: a
// review rated 1 or 2 (of 5) is a low one.
const LowRating = 2

// MaxReviewItems bounds each list of [LeadReviewRows] (rejections, low
// reviews): a review meeting reads tens of leads, and a period with more
// says so rather than loading them all.
const MaxReviewItems = 500

// QualityCount is one group of the period's hand-offs by the campaign of
// their lead ("" for none), their decision ("" while undecided) and reject
// reason.
type QualityCount struct {
	Campaign, Decision, Reason string
	N                          int
}

// ReviewedLead is a lead the review meeting reads: a rejected hand-off
// (Decision and Reason set) or a low review (Rating set), with the lead's
// campaign and source as they are now.
type ReviewedLead struct {
	LeadID                       int64
	FirstName, LastName, Company string
	Campaign, Source             string
	Rep                          string // the hand-off's owner or the reviewer, by email
	At                           time.Time
	Reason                       string // the reject reason's code
	Rating                       int    // 0 for a rejection
	Tags                         string // the review's, comma-separated
	Text                         string // the review's free text
}

// CampaignQuality is what the campaigns page reads about the quality
// sales gave each campaign's leads in [From, To): the hand-offs started in
// the window grouped by decision and reason, the reviews written in it
// summed by campaign, and the rejected hand-offs and low reviews one by
// one for the lead-review list (at most [MaxReviewItems] of each; More
// says some were left out).
type CampaignQuality struct {
	From, To   time.Time
	Handoffs   []QualityCount
	Ratings    []RatingSum
	Rejected   []ReviewedLead
	LowReviews []ReviewedLead
	More       bool
}

// CampaignQuality reads the quality rows of the window [from, to): four
// queries, the two grouped ones over the indexed start and review times,
// the two lists bounded.
func (db *DB) CampaignQuality(ctx context.Context, from, to time.Time) (q CampaignQuality, err error) {
	defer wrap(&err, "campaign quality")
	q = CampaignQuality{From: from, To: to, Handoffs: []QualityCount{}, Ratings: []RatingSum{}, Rejected: []ReviewedLead{}, LowReviews: []ReviewedLead{}}
	err = db.view(ctx, func(tx *Tx) error {
		lo, hi := tx.t(from), tx.t(to)
		rows, err := tx.QueryContext(ctx, `SELECT l.campaign, h.decision, h.reject_reason, count(*)
			FROM handoffs h JOIN leads l ON l.id = h.lead_id
			WHERE h.started_at >= $1 AND h.started_at < $2
			GROUP BY l.campaign, h.decision, h.reject_reason ORDER BY l.campaign, h.decision, h.reject_reason`, lo, hi)
		if err != nil {
			return fmt.Errorf("hand-offs: %w", err)
		}
		for rows.Next() {
			var c QualityCount
			if err := rows.Scan(&c.Campaign, &c.Decision, &c.Reason, &c.N); err != nil {
				rows.Close()
				return fmt.Errorf("hand-offs: %w", err)
			}
			q.Handoffs = append(q.Handoffs, c)
		}
		if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("hand-offs: %w", err)
		}
		rows, err = tx.QueryContext(ctx, `SELECT l.campaign, count(*), sum(r.rating) FROM reviews r JOIN leads l ON l.id = r.lead_id
			WHERE r.created_at >= $1 AND r.created_at < $2 GROUP BY l.campaign ORDER BY l.campaign`, lo, hi)
		if err != nil {
			return fmt.Errorf("reviews: %w", err)
		}
		for rows.Next() {
			var r RatingSum
			if err := rows.Scan(&r.Campaign, &r.Ratings, &r.Sum); err != nil {
				rows.Close()
				return fmt.Errorf("reviews: %w", err)
			}
			q.Ratings = append(q.Ratings, r)
		}
		if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("reviews: %w", err)
		}
		var more bool
		q.Rejected, more, err = tx.reviewedLeads(ctx, `SELECT l.id, l.first_name, l.last_name, l.company, l.campaign, l.source,
				u.email, h.decided_at, h.reject_reason, 0, '', ''
			FROM handoffs h JOIN leads l ON l.id = h.lead_id LEFT JOIN users u ON u.id = h.owner_id
			WHERE h.started_at >= $1 AND h.started_at < $2 AND h.decision = $3
			ORDER BY h.started_at, h.id LIMIT $4`, lo, hi, tandem.DecisionRejected, MaxReviewItems+1)
		if err != nil {
			return fmt.Errorf("rejected hand-offs: %w", err)
		}
		q.More = more
		q.LowReviews, more, err = tx.reviewedLeads(ctx, `SELECT l.id, l.first_name, l.last_name, l.company, l.campaign, l.source,
				u.email, r.created_at, '', r.rating, r.tags, r.text
			FROM reviews r JOIN leads l ON l.id = r.lead_id LEFT JOIN users u ON u.id = r.user_id
			WHERE r.created_at >= $1 AND r.created_at < $2 AND r.rating <= $3
			ORDER BY r.created_at, r.id LIMIT $4`, lo, hi, LowRating, MaxReviewItems+1)
		if err != nil {
			return fmt.Errorf("low reviews: %w", err)
		}
		q.More = q.More || more
		return nil
	})
	return q, err
}

// reviewedLeads runs a query of the lead-review list, whose last argument
// is one more than it keeps, and reports whether that one was there.
func (tx *Tx) reviewedLeads(ctx context.Context, query string, args ...any) ([]ReviewedLead, bool, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	out := []ReviewedLead{}
	for rows.Next() {
		var l ReviewedLead
		var rep sql.NullString
		if err := rows.Scan(&l.LeadID, &l.FirstName, &l.LastName, &l.Company, &l.Campaign, &l.Source,
			&rep, scanTime{&l.At}, &l.Reason, &l.Rating, &l.Tags, &l.Text); err != nil {
			return nil, false, err
		}
		l.Rep = rep.String
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(out) > MaxReviewItems {
		return out[:MaxReviewItems], true, nil
	}
	return out, false, nil
}
