// Package dealreport computes the deals report (docs/deals.md, "Deals
// report"): per group of deals, the opportunities opened, those still open
// by stage, won and lost, the win rate with its sample size, won revenue,
// average and median won deal, and the median days from engage to close.
// It is pure arithmetic over values: the store gathers the deals
// (sqldb.DB.DealReportRows), package report assembles, and the API, the
// command line and any page show the same figures.
//
// [WinRate] is the one definition of a win rate in Tandem: won / (won +
// lost), with won + lost as its sample size.
package dealreport

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/plan"
)

// The dimensions a deals report groups by.
const (
	Owner         = "owner"          // the deal's owner, by name (else email)
	Team          = "team"           // the owner's team
	Manager       = "manager"        // the owner's manager, by name (else email)
	Product       = "product"        // the product the deal sells
	ProductSeries = "product_series" // the product's series or family
	Account       = "account"        // the account the deal belongs to
	AccountSector = "account_sector" // the account's sector
	Source        = "source"         // the deal's lead's source
	Origin        = "origin"         // the deal's lead's origin
	Segment       = "segment"        // the deal's lead's segment
	Campaign      = "campaign"       // the deal's lead's campaign
	HandoffStage  = "handoff_stage"  // the stage at which the lead was handed to sales
	Month         = "month"          // the month of the figure's date
	Quarter       = "quarter"        // the quarter of the figure's date
)

// Dims lists every dimension, in the order the documentation gives them.
var Dims = []string{Owner, Team, Manager, Product, ProductSeries, Account, AccountSector, Source, Origin, Segment,
	Campaign, HandoffStage, Month, Quarter}

// MaxDims is how many dimensions one report groups by at most.
const MaxDims = 2

// IsTimeDim reports whether dim groups by a date (month, quarter): its
// value is not a deal's attribute but the month or quarter of the date of
// each figure.
func IsTimeDim(dim string) bool { return dim == Month || dim == Quarter }

// CheckDims checks the dimensions a report is asked to group by: each one
// of [Dims], none twice, at most [MaxDims]. A mistake is an EINVALID error
// naming the field "by" and listing the valid dimensions.
func CheckDims(by []string) error {
	bad := func(format string, args ...any) error {
		return tandem.Invalid(tandem.FieldError{Field: "by", Message: fmt.Sprintf(format, args...)})
	}
	if len(by) > MaxDims {
		return bad("%d dimensions: a report groups by at most %d", len(by), MaxDims)
	}
	for i, d := range by {
		if !slices.Contains(Dims, d) {
			return bad("%q is not a dimension: want one of %s", d, strings.Join(Dims, ", "))
		}
		if slices.Contains(by[:i], d) {
			return bad("%q is given twice", d)
		}
	}
	return nil
}

// Deal is one deal as the report reads it.
type Deal struct {
	// Stage is won, lost, or the open stage the deal is in.
	Stage       string
	AmountCents int64
	// OpenedAt is when the deal was opened (tandem.Deal.CreatedAt),
	// EngagedAt the engage date, ClosedAt the close date (zero while
	// open).
	OpenedAt, EngagedAt, ClosedAt time.Time
	// Values holds the deal's value of each dimension of [Input.By], in
	// its order; "" for none. The value of a time dimension is left ""
	// here: [Build] takes it from the date of each figure.
	Values [MaxDims]string
}

// Input is what [Build] computes from.
type Input struct {
	// Period names the period; From and To bound it (To exclusive).
	Period   string
	From, To time.Time
	// Location is the time zone of calendar days, months and quarters
	// (the agreement's).
	Location *time.Location
	// By are the dimensions, checked by [CheckDims].
	By []string
	// OpenStages are the open deal stages in pipeline order; an open
	// stage a deal has and this list lacks comes after them, by name.
	OpenStages []string
	// Deals are at least every deal opened or closed in [From, To); the
	// others are ignored.
	Deals []Deal
}

// Report is the deals report: one row per group (none without a
// dimension), and the total.
type Report struct {
	Period string    `json:"period"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"` // exclusive
	By     []string  `json:"by"`
	// MinSamples is the fewest closed deals a win rate and the deal
	// sizes and cycles need before they are trusted (plan.MinSamples).
	MinSamples int `json:"min_samples"`
	// OpenStages are the open stages of Open, in order.
	OpenStages []string `json:"open_stages"`
	Groups     []Group  `json:"groups"`
	Total      Group    `json:"total"`
}

// Group is the figures of one group of deals (docs/deals.md).
type Group struct {
	// Values names the group: its value of each dimension of By, in
	// order ("" for none). Empty for the total.
	Values []string `json:"values"`
	// Opened counts the deals opened in the period.
	Opened int `json:"opened"`
	// Open counts, by open stage, the deals opened in the period that
	// are still open; OpenTotal is their sum.
	Open      map[string]int `json:"open"`
	OpenTotal int            `json:"open_total"`
	// Won and Lost count the deals won and lost in the period (by close
	// date).
	Won  int `json:"won"`
	Lost int `json:"lost"`
	// WinRate is Won / (Won + Lost), nil when no deal closed; Samples is
	// Won + Lost, and TooFewSamples says it is under MinSamples.
	WinRate       *float64 `json:"win_rate"`
	Samples       int      `json:"samples"`
	TooFewSamples bool     `json:"too_few_samples"`
	// WonCents is the won deals' revenue; AverageWonCents and
	// MedianWonCents their mean and median amount, rounded to the cent,
	// nil when none was won.
	WonCents        int64  `json:"won_cents"`
	AverageWonCents *int64 `json:"average_won_cents"`
	MedianWonCents  *int64 `json:"median_won_cents"`
	// MedianDaysWon and MedianDaysLost are the median calendar days from
	// engage date to close date of the won and of the lost deals, nil when
	// there are none; a deal that closed on a day before its engage date
	// is left out (see tandem.Deal.ClosedBeforeEngaged), so the counts of
	// the samples are given.
	MedianDaysWon   *float64 `json:"median_days_won"`
	DaysWonSamples  int      `json:"days_won_samples"`
	MedianDaysLost  *float64 `json:"median_days_lost"`
	DaysLostSamples int      `json:"days_lost_samples"`
}

// WinRate is the one definition of a win rate: won / (won + lost), the
// share of the deals closed that were won. samples is won + lost; ok is
// false when no deal closed (the rate is then undefined, not 0).
// tooFew says the rate rests on fewer than plan.MinSamples closed deals, the
// rule every rate Tandem derives from history follows. A close rate of
// another kind (customers over opportunities entered, say) must say what
// it divides by.
func WinRate(won, lost int) (rate float64, samples int, tooFew, ok bool) {
	samples = won + lost
	if samples == 0 {
		return 0, 0, true, false
	}
	return float64(won) / float64(samples), samples, samples < plan.MinSamples, true
}

// acc gathers one group's deals before its figures are computed.
type acc struct {
	values          []string
	opened          int
	open            map[string]int
	won, lost       int
	wonCents        int64
	amounts         []float64
	daysWon, daysLo []float64
}

// Build computes the deals report: see docs/deals.md for each figure.
// A deal counts as opened when OpenedAt falls in the period, as won or lost
// when ClosedAt does. Under a time dimension the opened and open figures
// go to the month or quarter of the opening, the closed ones to that of
// the close.
func Build(in Input) Report {
	b := NewBuilder(in)
	for i := range in.Deals {
		b.Add(&in.Deals[i])
	}
	return b.Report()
}

// Builder computes the report of [Build] from deals given one at a time,
// so that a million deals need not be held at once: NewBuilder with the
// input (its Deals are ignored), Add each deal, then Report.
type Builder struct {
	in         Input
	loc        *time.Location
	groups     map[[MaxDims]string]*acc
	total      *acc
	openStages []string
	// periods names months and quarters by year*100+month (or quarter).
	months, quarters map[int]string
}

// NewBuilder starts the report of in; in.Deals are not read.
func NewBuilder(in Input) *Builder {
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	return &Builder{in: in, loc: loc, groups: map[[MaxDims]string]*acc{}, total: &acc{values: []string{}, open: map[string]int{}},
		openStages: slices.Clone(in.OpenStages), months: map[int]string{}, quarters: map[int]string{}}
}

// group returns the accumulator of the deal's group, the figure being
// dated at; nil without dimensions (the total alone).
func (b *Builder) group(d *Deal, at time.Time) *acc {
	if len(b.in.By) == 0 {
		return nil
	}
	var k [MaxDims]string
	for i, dim := range b.in.By {
		switch dim {
		case Month, Quarter:
			y, m, _ := at.In(b.loc).Date()
			if dim == Month {
				n := y*100 + int(m)
				if k[i] = b.months[n]; k[i] == "" {
					k[i] = fmt.Sprintf("%04d-%02d", y, int(m))
					b.months[n] = k[i]
				}
			} else {
				n := y*100 + (int(m)-1)/3 + 1
				if k[i] = b.quarters[n]; k[i] == "" {
					k[i] = fmt.Sprintf("%04d-Q%d", y, (int(m)-1)/3+1)
					b.quarters[n] = k[i]
				}
			}
		default:
			k[i] = d.Values[i]
		}
	}
	g := b.groups[k]
	if g == nil {
		g = &acc{values: slices.Clone(k[:len(b.in.By)]), open: map[string]int{}}
		b.groups[k] = g
	}
	return g
}

func (b *Builder) in2(t time.Time) bool {
	return !t.IsZero() && !t.Before(b.in.From) && t.Before(b.in.To)
}

// Add counts a deal; a deal neither opened nor closed in the period is
// ignored.
func (b *Builder) Add(d *Deal) {
	closed := d.Stage == tandem.DealWon || d.Stage == tandem.DealLost
	if b.in2(d.OpenedAt) {
		for _, g := range []*acc{b.total, b.group(d, d.OpenedAt)} {
			if g == nil {
				continue
			}
			g.opened++
			if !closed {
				g.open[d.Stage]++
			}
		}
		if !closed && !slices.Contains(b.openStages, d.Stage) {
			b.openStages = append(b.openStages, d.Stage)
			slices.Sort(b.openStages[len(b.in.OpenStages):])
		}
	}
	if !closed || !b.in2(d.ClosedAt) {
		return
	}
	days, hasDays := calendarDays(d.EngagedAt, d.ClosedAt, b.loc)
	for _, g := range []*acc{b.total, b.group(d, d.ClosedAt)} {
		if g == nil {
			continue
		}
		if d.Stage == tandem.DealWon {
			g.won++
			g.wonCents += d.AmountCents
			g.amounts = append(g.amounts, float64(d.AmountCents))
			if hasDays {
				g.daysWon = append(g.daysWon, days)
			}
		} else {
			g.lost++
			if hasDays {
				g.daysLo = append(g.daysLo, days)
			}
		}
	}
}

// Report returns the report of the deals added.
func (b *Builder) Report() Report {
	in := b.in
	r := Report{Period: in.Period, From: in.From, To: in.To, By: slices.Clone(in.By), MinSamples: plan.MinSamples}
	if r.By == nil {
		r.By = []string{}
	}
	r.OpenStages = b.openStages
	if r.OpenStages == nil {
		r.OpenStages = []string{}
	}
	for _, g := range b.groups {
		r.Groups = append(r.Groups, g.figures(b.openStages))
	}
	if r.Groups == nil {
		r.Groups = []Group{}
	}
	slices.SortFunc(r.Groups, func(a, b Group) int {
		for i := range a.Values {
			// The group without a value comes after those with one.
			if c := cmp.Compare(none(a.Values[i]), none(b.Values[i])); c != 0 {
				return c
			}
			if c := strings.Compare(a.Values[i], b.Values[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	r.Total = b.total.figures(b.openStages)
	return r
}

// none sorts the empty value last.
func none(v string) int {
	if v == "" {
		return 1
	}
	return 0
}

func (g *acc) figures(stages []string) Group {
	out := Group{Values: g.values, Opened: g.opened, Open: map[string]int{}, Won: g.won, Lost: g.lost, WonCents: g.wonCents}
	for _, s := range stages {
		out.Open[s] = g.open[s]
		out.OpenTotal += g.open[s]
	}
	rate, n, tooFew, ok := WinRate(g.won, g.lost)
	out.Samples, out.TooFewSamples = n, tooFew
	if ok {
		out.WinRate = &rate
	}
	if g.won > 0 {
		avg := int64(math.Round(float64(g.wonCents) / float64(g.won)))
		med := int64(math.Round(plan.Median(g.amounts)))
		out.AverageWonCents, out.MedianWonCents = &avg, &med
	}
	if len(g.daysWon) > 0 {
		m := plan.Median(g.daysWon)
		out.MedianDaysWon = &m
	}
	if len(g.daysLo) > 0 {
		m := plan.Median(g.daysLo)
		out.MedianDaysLost = &m
	}
	out.DaysWonSamples, out.DaysLostSamples = len(g.daysWon), len(g.daysLo)
	return out
}

// calendarDays returns the calendar days, in loc, from the engage date to
// the close date, or false when either is missing or the deal closed
// before it was engaged.
func calendarDays(engaged, closed time.Time, loc *time.Location) (float64, bool) {
	if engaged.IsZero() || closed.IsZero() {
		return 0, false
	}
	day := func(t time.Time) time.Time {
		y, m, d := t.In(loc).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	n := day(closed).Sub(day(engaged)).Hours() / 24
	if n < 0 {
		return 0, false
	}
	return n, true
}
