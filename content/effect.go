package content

import (
	"cmp"
	"slices"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/attribution"
)

// The stages whose conversion after a use is measured, by their default
// names (the agreement's path stages after the hand-off).
const (
	StageSQL         = "sql"
	StageOpportunity = "opportunity"
	StageCustomer    = "customer"
)

// Use is one logged touch that used an item, at the version it had.
type Use struct {
	Code    string
	Version int
	LeadID  int64
	UserID  int64
	User    string // who, as pages name them
	At      time.Time
}

// Click is one click of a tracked link by the lead it was made for.
type Click struct {
	Code    string
	Version int
	LeadID  int64
	At      time.Time
}

// SalesTouch is a touch sales logged on a lead (channel and outcome).
type SalesTouch struct {
	LeadID  int64
	At      time.Time
	Outcome string
}

// WonDeal is a won deal of a lead reached.
type WonDeal struct {
	LeadID      int64
	AmountCents int64
	ClosedAt    time.Time
}

// EffectInput is what the figures are computed from. Uses, Clicks and
// Ratings are those of the period; the facts of the leads (Touches,
// Accepted, Entered, Deals, Marketing, Content) are every one known of the
// leads the period's uses and clicks reached, at any time.
type EffectInput struct {
	From, To time.Time
	Model    attribution.Model
	Items    []Item
	// UsesEver counts each item's uses at any time, for "never used".
	UsesEver map[string]int
	Uses     []Use
	Clicks   []Click
	Ratings  []Rating
	Touches  []SalesTouch
	Accepted map[int64]bool
	// Entered is when each lead first entered each stage.
	Entered map[int64]map[string]time.Time
	Deals   []WonDeal
	// Marketing holds each lead's marketing touches (campaigns); Content
	// every use and click of any item on the lead, at any time: together
	// they are the touches a deal's amount is shared over.
	Marketing map[int64][]attribution.Touch
	Content   map[int64][]ContentTouch
}

// ContentTouch is a use or a click of an item on a lead.
type ContentTouch struct {
	Code    string
	Version int
	At      time.Time
}

// Figures are the measures of an item, or of one of its versions, over a
// period (docs/content.md defines each).
type Figures struct {
	Uses        int         `json:"uses"`
	Users       []UserCount `json:"users"`
	Leads       int         `json:"leads"`
	Connected   int         `json:"connected"`
	Replied     int         `json:"replied"`
	Accepted    int         `json:"accepted"`
	SQL         int         `json:"sql"`
	Opportunity int         `json:"opportunity"`
	Customer    int         `json:"customer"`
	// The rates are the counts above over Leads, 0 without leads.
	ConnectRate     float64 `json:"connect_rate"`
	ReplyRate       float64 `json:"reply_rate"`
	AcceptRate      float64 `json:"accept_rate"`
	SQLRate         float64 `json:"sql_rate"`
	OpportunityRate float64 `json:"opportunity_rate"`
	CustomerRate    float64 `json:"customer_rate"`
	RevenueCents    int64   `json:"revenue_cents"`
	Clicks          int     `json:"clicks"`
	Useful          int     `json:"useful"`
	NotUseful       int     `json:"not_useful"`
}

// UserCount is how many times one person used an item.
type UserCount struct {
	UserID int64  `json:"user_id"`
	User   string `json:"user"`
	Uses   int    `json:"uses"`
}

// Line is one item's figures, with each version's.
type Line struct {
	Code     string        `json:"code"`
	Title    string        `json:"title"`
	Kind     string        `json:"kind"`
	Status   string        `json:"status"`
	Campaign string        `json:"campaign,omitempty"`
	Owner    string        `json:"owner,omitempty"`
	Version  int           `json:"version"` // the current version
	Figures                // the item's, all versions together
	Versions []VersionLine `json:"versions"`
	// NeverUsed marks an item nobody has ever used.
	NeverUsed bool `json:"never_used"`
}

// VersionLine is one version's figures.
type VersionLine struct {
	Version int `json:"version"`
	Figures
}

// Effect is the content's effect over a period.
type Effect struct {
	From  time.Time         `json:"from"`
	To    time.Time         `json:"to"`
	Model attribution.Model `json:"model"`
	Lines []Line            `json:"lines"`
	// Unused lists the live items not used in the period, by code.
	Unused []string `json:"unused"`
	// NeverUsed lists the items (of any status but draft) never used.
	NeverUsed []string `json:"never_used"`
}

// key names an item, or one of its versions (Version > 0).
type key struct {
	code    string
	version int
}

// Measure computes the figures of every item and of every version used,
// clicked or rated in the period.
func Measure(in EffectInput) Effect {
	e := Effect{From: in.From, To: in.To, Model: in.Model, Lines: []Line{}, Unused: []string{}, NeverUsed: []string{}}
	figs := map[key]*Figures{}
	get := func(k key) *Figures {
		f := figs[k]
		if f == nil {
			f = &Figures{Users: []UserCount{}}
			figs[k] = f
		}
		return f
	}
	// The first use of each item, and of each version, on each lead.
	first := map[key]map[int64]time.Time{}
	for _, u := range in.Uses {
		for _, k := range []key{{u.Code, 0}, {u.Code, u.Version}} {
			f := get(k)
			f.Uses++
			i := slices.IndexFunc(f.Users, func(c UserCount) bool { return c.UserID == u.UserID })
			if i < 0 {
				f.Users = append(f.Users, UserCount{UserID: u.UserID, User: u.User})
				i = len(f.Users) - 1
			}
			f.Users[i].Uses++
			if first[k] == nil {
				first[k] = map[int64]time.Time{}
			}
			if t, ok := first[k][u.LeadID]; !ok || u.At.Before(t) {
				first[k][u.LeadID] = u.At
			}
		}
	}
	touches := map[int64][]SalesTouch{}
	for _, t := range in.Touches {
		touches[t.LeadID] = append(touches[t.LeadID], t)
	}
	after := func(lead int64, at time.Time, outcomes ...string) bool {
		for _, t := range touches[lead] {
			if !t.At.Before(at) && slices.Contains(outcomes, t.Outcome) {
				return true
			}
		}
		return false
	}
	entered := func(lead int64, stage string, at time.Time) bool {
		t, ok := in.Entered[lead][stage]
		return ok && !t.Before(at)
	}
	for k, leads := range first {
		f := get(k)
		f.Leads = len(leads)
		for lead, at := range leads {
			if after(lead, at, tandem.OutcomeConnected, tandem.OutcomeHeld) {
				f.Connected++
			}
			if after(lead, at, tandem.OutcomeReplied) {
				f.Replied++
			}
			if in.Accepted[lead] {
				f.Accepted++
			}
			if entered(lead, StageSQL, at) {
				f.SQL++
			}
			if entered(lead, StageOpportunity, at) {
				f.Opportunity++
			}
			if entered(lead, StageCustomer, at) {
				f.Customer++
			}
		}
	}
	for _, c := range in.Clicks {
		get(key{c.Code, 0}).Clicks++
		get(key{c.Code, c.Version}).Clicks++
	}
	for _, r := range in.Ratings {
		for _, k := range []key{{r.Code, 0}, {r.Code, r.Version}} {
			if r.Useful {
				get(k).Useful++
			} else {
				get(k).NotUseful++
			}
		}
	}
	for k, cents := range influenced(in) {
		get(k).RevenueCents += cents
		get(key{k.code, 0}).RevenueCents += cents
	}
	for _, f := range figs {
		f.ConnectRate, f.ReplyRate, f.AcceptRate = rate(f.Connected, f.Leads), rate(f.Replied, f.Leads), rate(f.Accepted, f.Leads)
		f.SQLRate, f.OpportunityRate, f.CustomerRate = rate(f.SQL, f.Leads), rate(f.Opportunity, f.Leads), rate(f.Customer, f.Leads)
		slices.SortFunc(f.Users, func(a, b UserCount) int { return cmp.Or(cmp.Compare(b.Uses, a.Uses), cmp.Compare(a.User, b.User)) })
	}
	items := slices.Clone(in.Items)
	slices.SortFunc(items, func(a, b Item) int { return cmp.Compare(a.Code, b.Code) })
	for _, it := range items {
		l := Line{Code: it.Code, Title: it.Title, Kind: it.Kind, Status: it.Status, Campaign: it.Campaign, Owner: it.Owner,
			Version: it.Version, Versions: []VersionLine{}, NeverUsed: in.UsesEver[it.Code] == 0}
		if f := figs[key{it.Code, 0}]; f != nil {
			l.Figures = *f
		} else {
			l.Figures = Figures{Users: []UserCount{}}
		}
		for k, f := range figs {
			if k.code == it.Code && k.version > 0 {
				l.Versions = append(l.Versions, VersionLine{Version: k.version, Figures: *f})
			}
		}
		slices.SortFunc(l.Versions, func(a, b VersionLine) int { return cmp.Compare(a.Version, b.Version) })
		if it.Status == StatusLive && l.Uses == 0 {
			e.Unused = append(e.Unused, it.Code)
		}
		if it.Status != StatusDraft && l.NeverUsed {
			e.NeverUsed = append(e.NeverUsed, it.Code)
		}
		e.Lines = append(e.Lines, l)
	}
	return e
}

// influenced shares each won deal of a lead reached over the lead's
// marketing touches and content touches (uses and clicks) by the model,
// as the campaign report shares it over marketing touches alone, and
// returns what went to the content touches of the period, by item version.
func influenced(in EffectInput) map[key]int64 {
	out := map[key]int64{}
	type touch struct {
		at      time.Time
		content bool
		k       key
	}
	for _, d := range in.Deals {
		var ts []touch
		for _, t := range in.Marketing[d.LeadID] {
			ts = append(ts, touch{at: t.At})
		}
		for _, c := range in.Content[d.LeadID] {
			ts = append(ts, touch{at: c.At, content: true, k: key{c.Code, c.Version}})
		}
		// Marketing touches before content touches at the same instant, as
		// the campaign's touch comes first on a lead's page.
		slices.SortStableFunc(ts, func(a, b touch) int {
			return cmp.Or(a.at.Compare(b.at), cmp.Compare(boolInt(a.content), boolInt(b.content)))
		})
		n := 0
		for n < len(ts) && !ts[n].at.After(d.ClosedAt) {
			n++
		}
		if n == 0 || d.AmountCents <= 0 {
			continue
		}
		for i, part := range attribution.Split(in.Model, d.AmountCents, n) {
			t := ts[i]
			if t.content && !t.at.Before(in.From) && t.at.Before(in.To) {
				out[t.k] += part
			}
		}
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}
