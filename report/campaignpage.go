package report

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/attribution"
	"github.com/tandemhq/tandem/scorecard"
	"github.com/tandemhq/tandem/sqldb"
)

// CampaignPage is what the campaigns page shows for a period: the campaign
// report ([Campaigns]), the quality sales gave each campaign's leads, and
// the lead-review list (docs/campaigns.md, "Quality and lead review").
type CampaignPage struct {
	Report attribution.Report
	// Quality has a line per campaign (by the lead's campaign field, ""
	// for none) with a hand-off started or a review written in the period,
	// by code, "" last.
	Quality []QualityLine
	// Review groups the period's rejected hand-offs and low reviews by
	// campaign and source; More says the store left some out.
	Review []ReviewGroup
	More   bool
}

// QualityLine is the quality sales gave one campaign's leads in a period.
type QualityLine struct {
	Campaign string
	// Handoffs started in the period, and how they were decided so far.
	Handoffs, Accepted, Rejected, Disqualified int
	// Acceptance is Accepted over Decided (accepted, rejected or
	// disqualified), as sales' acceptance in the SLA report; nil when
	// nothing was decided.
	Acceptance *float64
	// Reviews written in the period about the campaign's leads, and their
	// average rating (to the hundredth), 0 without reviews.
	Reviews       int
	AverageRating float64
	// Reasons are the rejections by reason, most given first.
	Reasons []scorecard.Reason
}

// Decided counts the hand-offs decided one way or another.
func (q QualityLine) Decided() int { return q.Accepted + q.Rejected + q.Disqualified }

// ReviewGroup is the leads of one campaign and source that a lead-review
// meeting reads.
type ReviewGroup struct {
	Campaign string         `json:"campaign"`
	Source   string         `json:"source"`
	Leads    []ReviewedLead `json:"leads"`
}

// ReviewedLead is one lead of the review list: its rejection by a rep, if
// rejected, and its low reviews.
type ReviewedLead struct {
	LeadID   int64       `json:"lead_id"`
	Name     string      `json:"name"`
	Rejected *Rejection  `json:"rejected,omitempty"`
	Reviews  []LowReview `json:"reviews,omitempty"`
}

// Rejection is a rep's reason for rejecting a hand-off.
type Rejection struct {
	Rep         string    `json:"rep"`
	Code        string    `json:"code"`
	Description string    `json:"description,omitempty"`
	At          time.Time `json:"at"`
}

// LowReview is a review rated at most [sqldb.LowRating].
type LowReview struct {
	Rep    string    `json:"rep"`
	Rating int       `json:"rating"`
	Tags   []string  `json:"tags,omitempty"`
	Text   string    `json:"text,omitempty"`
	At     time.Time `json:"at"`
}

// keptCampaigns is the kind of a kept campaign report, + its model.
const keptCampaigns = "campaigns:"

// ReadCampaignPage reads the campaigns page of a named period ("" for the
// current month) with ROI under model: see [Campaigns] for the errors. The
// campaign report is read as kept (the worker keeps this month's and last
// month's under u_shaped: see [RefreshKept]), else computed; fresh
// computes it and keeps it, for the page that answers a change of spend.
func ReadCampaignPage(ctx context.Context, db *sqldb.DB, now time.Time, period, model string, fresh bool) (CampaignPage, error) {
	db = reader(db)
	per, perr := scorecardPeriod(ctx, db, now, period)
	m, merr := attribution.ParseModel(model)
	if perr != nil || merr != nil {
		_, err := Campaigns(ctx, db, now, period, model) // names every bad parameter
		return CampaignPage{}, cmp.Or(err, perr, merr)
	}
	compute := func() (attribution.Report, error) { return Campaigns(ctx, db, now, per.Name, string(m)) }
	var rep attribution.Report
	var err error
	if fresh {
		rep, err = refresh(ctx, db, now, keptCampaigns+string(m), per.Name, compute)
	} else {
		rep, err = keptOr(ctx, db, now, keptCampaigns+string(m), per.Name, maxAge(per, now), false, compute)
	}
	if err != nil {
		return CampaignPage{}, err
	}
	a, _, err := Agreement(ctx, db, now)
	if err != nil {
		return CampaignPage{}, err
	}
	q, err := db.CampaignQuality(ctx, rep.From, rep.To)
	if err != nil {
		return CampaignPage{}, err
	}
	p := campaignPage(q, a)
	p.Report = rep
	return p, nil
}

// campaignPage assembles the quality lines and the review list from the
// store's rows, naming reject reasons as the agreement does.
func campaignPage(q sqldb.CampaignQuality, a *agreement.Agreement) CampaignPage {
	describe := func(code string) string {
		for _, rr := range a.RejectReasons {
			if rr.Code == code {
				return rr.Description
			}
		}
		return ""
	}
	lines := map[string]*QualityLine{}
	line := func(c string) *QualityLine {
		if l, ok := lines[c]; ok {
			return l
		}
		l := &QualityLine{Campaign: c}
		lines[c] = l
		return l
	}
	reasons := map[string]map[string]int{}
	for _, h := range q.Handoffs {
		l := line(h.Campaign)
		l.Handoffs += h.N
		switch h.Decision {
		case tandem.DecisionAccepted:
			l.Accepted += h.N
		case tandem.DecisionRejected:
			l.Rejected += h.N
			if reasons[h.Campaign] == nil {
				reasons[h.Campaign] = map[string]int{}
			}
			reasons[h.Campaign][h.Reason] += h.N
		case tandem.DecisionDisqualified:
			l.Disqualified += h.N
		}
	}
	for _, r := range ratings(q.Ratings) {
		l := line(r.Campaign)
		l.Reviews, l.AverageRating = r.Ratings, r.Average
	}
	var p CampaignPage
	for _, l := range lines {
		if d := l.Decided(); d > 0 {
			x := float64(l.Accepted) / float64(d)
			l.Acceptance = &x
		}
		for code, n := range reasons[l.Campaign] {
			l.Reasons = append(l.Reasons, scorecard.Reason{Code: code, Description: describe(code), Count: n,
				Share: float64(n) / float64(l.Rejected)})
		}
		slices.SortFunc(l.Reasons, func(x, y scorecard.Reason) int { return cmp.Or(y.Count-x.Count, cmp.Compare(x.Code, y.Code)) })
		p.Quality = append(p.Quality, *l)
	}
	slices.SortFunc(p.Quality, func(x, y QualityLine) int { return lastEmpty(x.Campaign, y.Campaign) })

	type key struct{ campaign, source string }
	groups := map[key]*ReviewGroup{}
	leads := map[int64]*ReviewedLead{}
	var order []int64
	get := func(r sqldb.ReviewedLead) *ReviewedLead {
		if l, ok := leads[r.LeadID]; ok {
			return l
		}
		k := key{r.Campaign, r.Source}
		if groups[k] == nil {
			groups[k] = &ReviewGroup{Campaign: r.Campaign, Source: r.Source}
		}
		l := &ReviewedLead{LeadID: r.LeadID, Name: leadName(r)}
		leads[r.LeadID] = l
		order = append(order, r.LeadID)
		return l
	}
	for _, r := range q.Rejected {
		get(r).Rejected = &Rejection{Rep: r.Rep, Code: r.Reason, Description: describe(r.Reason), At: r.At}
	}
	for _, r := range q.LowReviews {
		var tags []string
		for t := range strings.SplitSeq(r.Tags, ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
		l := get(r)
		l.Reviews = append(l.Reviews, LowReview{Rep: r.Rep, Rating: r.Rating, Tags: tags, Text: r.Text, At: r.At})
	}
	byLead := map[int64]key{}
	for _, r := range slices.Concat(q.Rejected, q.LowReviews) {
		if _, ok := byLead[r.LeadID]; !ok {
			byLead[r.LeadID] = key{r.Campaign, r.Source}
		}
	}
	for _, id := range order {
		g := groups[byLead[id]]
		g.Leads = append(g.Leads, *leads[id])
	}
	for _, g := range groups {
		p.Review = append(p.Review, *g)
	}
	slices.SortFunc(p.Review, func(x, y ReviewGroup) int {
		return cmp.Or(lastEmpty(x.Campaign, y.Campaign), lastEmpty(x.Source, y.Source))
	})
	p.More = q.More
	return p
}

// lastEmpty orders strings alphabetically with "" (none) last.
func lastEmpty(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	return strings.Compare(a, b)
}

// leadName is how the review list names a lead: its person and its
// company ("" when it has neither: the page shows its number).
func leadName(r sqldb.ReviewedLead) string {
	n := strings.TrimSpace(r.FirstName + " " + r.LastName)
	if r.Company != "" {
		n = strings.TrimSpace(n + ", " + r.Company)
		n = strings.TrimPrefix(n, ", ")
	}
	return n
}
