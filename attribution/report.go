package attribution

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// Input is what the campaign report is built from: facts about one period
// that package report assembles from the store's rows
// (report.CampaignsBetween).
type Input struct {
	Period   string
	From, To time.Time
	// Model is the model ROI is computed with; revenue is shown under all.
	Model Model
	// Campaigns are the registered campaigns.
	Campaigns []Campaign
	// Spend is each campaign's spend in the period's months, by code.
	Spend map[string]int64
	// NewLeads are the leads created in the period.
	NewLeads []Lead
	// MQLs are the leads that entered the hand-off stage in the period.
	MQLs []Lead
	// Opportunities are the leads of the deals opened in the period, one
	// per deal.
	Opportunities []Lead
	// Won are the deals won in the period.
	Won []Deal
	// MarketingShareGoal is the agreement's goal.marketing_share.
	MarketingShareGoal float64
}

// Campaign is a registered campaign's name and channel.
type Campaign struct {
	Code, Name, Channel string
}

// Lead is a lead as the report counts it: by its first touch's campaign
// ([None] for a lead without touches) and by who found it.
type Lead struct {
	ID            int64
	FirstCampaign string
	SalesSourced  bool
}

// Report is the campaign report for a period.
type Report struct {
	Period string    `json:"period"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Model  Model     `json:"model"`
	// Campaigns has one line per campaign with spend or a result in the
	// period, by revenue under Model (largest first), then code; the
	// [None] line, if any, last.
	Campaigns []Line `json:"campaigns"`
	// Total adds up every line; its ratios are the period's.
	Total Line `json:"total"`
	// Origins is won revenue by origin (source) under each model.
	Origins  []OriginLine `json:"origins"`
	Sourcing Sourcing     `json:"sourcing"`
}

// Line is one campaign's results. Ratios whose denominator is 0 are nil.
type Line struct {
	Campaign   string `json:"campaign"`
	Name       string `json:"name,omitempty"`
	Channel    string `json:"channel,omitempty"`
	Registered bool   `json:"registered"`
	SpendCents int64  `json:"spend_cents"`
	Leads      int    `json:"leads"`
	MQLs       int    `json:"mqls"`
	Customers  int    `json:"customers"`
	// RevenueCents is the attributed won revenue under each model.
	RevenueCents map[Model]int64 `json:"revenue_cents"`
	// CostPerLeadCents and the others are spend divided by the count,
	// rounded to the nearest cent; nil when the count is 0, or when the
	// campaign has no spend in the period (an unregistered campaign).
	CostPerLeadCents     *int64 `json:"cost_per_lead_cents"`
	CostPerMQLCents      *int64 `json:"cost_per_mql_cents"`
	CostPerCustomerCents *int64 `json:"cost_per_customer_cents"`
	// ROI is (revenue under the report's model − spend) / spend.
	ROI *float64 `json:"roi"`
}

// OriginLine is the won revenue of one origin under each model.
type OriginLine struct {
	Origin       string          `json:"origin"`
	RevenueCents map[Model]int64 `json:"revenue_cents"`
}

// Sourcing is how much of the period's funnel marketing sourced, against
// the agreement's goal. Shares are nil when there is nothing to share.
type Sourcing struct {
	Leads                     int      `json:"leads"`
	MarketingLeads            int      `json:"marketing_leads"`
	LeadShare                 *float64 `json:"lead_share"`
	Opportunities             int      `json:"opportunities"`
	MarketingOpportunities    int      `json:"marketing_opportunities"`
	OpportunityShare          *float64 `json:"opportunity_share"`
	WonCents                  int64    `json:"won_cents"`
	MarketingWonCents         int64    `json:"marketing_won_cents"`
	RevenueShare              *float64 `json:"revenue_share"`
	MarketingShareGoal        float64  `json:"marketing_share_goal"`
	RevenueShareMeetsGoal     *bool    `json:"revenue_share_meets_goal"`
	SalesSourcedLeads         int      `json:"sales_sourced_leads"`
	SalesSourcedOpportunities int      `json:"sales_sourced_opportunities"`
}

// Build computes the report from its input.
func Build(in Input) Report {
	r := Report{Period: in.Period, From: in.From, To: in.To, Model: in.Model}
	lines := map[string]*Line{}
	line := func(code string) *Line {
		if code == "" {
			code = None
		}
		if l, ok := lines[code]; ok {
			return l
		}
		l := &Line{Campaign: code, RevenueCents: zeroRevenue()}
		lines[code] = l
		return l
	}
	registered := map[string]Campaign{}
	for _, c := range in.Campaigns {
		registered[c.Code] = c
	}
	for code, cents := range in.Spend {
		if cents != 0 {
			line(code).SpendCents += cents
		}
	}
	for _, l := range in.NewLeads {
		line(l.FirstCampaign).Leads++
	}
	for _, l := range in.MQLs {
		line(l.FirstCampaign).MQLs++
	}
	origins := map[string]map[Model]int64{}
	for _, d := range in.Won {
		counted := d.Counted()
		line(FirstCampaign(counted)).Customers++
		for _, m := range Models {
			c := Attribute(m, d)
			for code, cents := range c.Campaigns {
				line(code).RevenueCents[m] += cents
			}
			for o, cents := range c.Origins {
				if origins[o] == nil {
					origins[o] = zeroRevenue()
				}
				origins[o][m] += cents
			}
		}
	}
	r.Total = Line{Campaign: "(total)", RevenueCents: zeroRevenue()}
	for _, l := range lines {
		if c, ok := registered[l.Campaign]; ok {
			l.Name, l.Channel, l.Registered = c.Name, c.Channel, true
		}
		l.ratios(in.Model)
		r.Campaigns = append(r.Campaigns, *l)
		r.Total.SpendCents += l.SpendCents
		r.Total.Leads += l.Leads
		r.Total.MQLs += l.MQLs
		r.Total.Customers += l.Customers
		for m, c := range l.RevenueCents {
			r.Total.RevenueCents[m] += c
		}
	}
	r.Total.ratios(in.Model)
	slices.SortFunc(r.Campaigns, func(a, b Line) int {
		if (a.Campaign == None) != (b.Campaign == None) {
			if a.Campaign == None {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(b.RevenueCents[in.Model], a.RevenueCents[in.Model]); c != 0 {
			return c
		}
		return cmp.Compare(a.Campaign, b.Campaign)
	})
	if r.Campaigns == nil {
		r.Campaigns = []Line{}
	}
	r.Origins = []OriginLine{}
	for _, o := range slices.Sorted(maps.Keys(origins)) {
		r.Origins = append(r.Origins, OriginLine{Origin: o, RevenueCents: origins[o]})
	}
	slices.SortStableFunc(r.Origins, func(a, b OriginLine) int {
		return cmp.Compare(b.RevenueCents[in.Model], a.RevenueCents[in.Model])
	})

	s := &r.Sourcing
	s.MarketingShareGoal = in.MarketingShareGoal
	for _, l := range in.NewLeads {
		s.Leads++
		if l.SalesSourced {
			s.SalesSourcedLeads++
		} else {
			s.MarketingLeads++
		}
	}
	for _, l := range in.Opportunities {
		s.Opportunities++
		if l.SalesSourced {
			s.SalesSourcedOpportunities++
		} else {
			s.MarketingOpportunities++
		}
	}
	for _, d := range in.Won {
		s.WonCents += d.AmountCents
		if !d.SalesSourced {
			s.MarketingWonCents += d.AmountCents
		}
	}
	s.LeadShare = ratio(float64(s.MarketingLeads), float64(s.Leads))
	s.OpportunityShare = ratio(float64(s.MarketingOpportunities), float64(s.Opportunities))
	s.RevenueShare = ratio(float64(s.MarketingWonCents), float64(s.WonCents))
	if s.RevenueShare != nil {
		meets := *s.RevenueShare >= in.MarketingShareGoal
		s.RevenueShareMeetsGoal = &meets
	}
	return r
}

func zeroRevenue() map[Model]int64 {
	m := make(map[Model]int64, len(Models))
	for _, x := range Models {
		m[x] = 0
	}
	return m
}

func (l *Line) ratios(m Model) {
	if l.SpendCents <= 0 {
		return // no spend recorded: no cost to share, and no return on it
	}
	l.CostPerLeadCents = perUnit(l.SpendCents, l.Leads)
	l.CostPerMQLCents = perUnit(l.SpendCents, l.MQLs)
	l.CostPerCustomerCents = perUnit(l.SpendCents, l.Customers)
	roi := float64(l.RevenueCents[m]-l.SpendCents) / float64(l.SpendCents)
	l.ROI = &roi
}

// perUnit divides cents by n, rounding half up; nil when n is 0.
func perUnit(cents int64, n int) *int64 {
	if n <= 0 {
		return nil
	}
	v := (cents + int64(n)/2) / int64(n)
	return &v
}

func ratio(a, b float64) *float64 {
	if b == 0 {
		return nil
	}
	v := a / b
	return &v
}
