package plan

import (
	"fmt"
	"slices"
	"time"

	"github.com/tandemhq/tandem/agreement"
)

// Cohort is what the ledger holds about one group of leads over a window
// of time (docs/plan.md, "Rates from history"); the store fills it and
// [Cohort.Figures] and [Cohort.History] turn it into rates.
type Cohort struct {
	// Group is the value the leads were grouped by (their source, origin or
	// segment), "" for all leads or for leads with that field empty.
	Group string `json:"group"`
	// Period names the window, like "2017-06..2018-10" (see [WindowName]).
	Period string `json:"period"`
	// Stages counts, for each path stage in path order, the leads that
	// entered it in the window and how many of those went on.
	Stages []StageCount `json:"stages"`
	// Won are the deals won in the window (by their close date).
	Won []WonDeal `json:"-"`
}

// StageCount counts the leads that entered one path stage in the window:
// Entered, of which ReachedNext went on to the next path stage and
// ReachedLast to the last (customer), at any time up to the count. A lead
// that skips stages (mql straight to customer, through an imported won
// deal) enters and reaches every path stage it skipped, when it skips it.
type StageCount struct {
	Stage       string `json:"stage"`
	Entered     int    `json:"entered"`
	ReachedNext int    `json:"reached_next"`
	ReachedLast int    `json:"reached_last"`
}

// WonDeal is one won deal as the rates need it: its amount in cents, its
// first contact (engaged_at) and its close.
type WonDeal struct {
	AmountCents int64
	EngagedAt   time.Time
	ClosedAt    time.Time
}

// Figure is one number measured from history with the count it rests on.
type Figure struct {
	// Name is the rate's name: a pair (mql_to_sal), close_rate, a
	// conversion to the last stage (mql_to_customer), won_deals,
	// won_revenue, average_deal_size, median_deal_size or
	// sales_cycle_days.
	Name string `json:"name"`
	// Value is the rate (0 to 1), the amount in the currency's major unit,
	// or the number of days; 0 when there are no samples.
	Value float64 `json:"value"`
	// Count is the numerator of a conversion rate (the leads that reached
	// the stage); 0 for other figures.
	Count int `json:"count,omitempty"`
	// Samples is what the figure was measured on: the leads that entered
	// the pair's first stage, or the won deals.
	Samples int `json:"samples"`
	// TooFewSamples marks a figure on fewer than [MinSamples] samples.
	TooFewSamples bool `json:"too_few_samples,omitempty"`
}

// The names of the figures that are not conversion rates.
const (
	WonDeals       = "won_deals"
	WonRevenue     = "won_revenue"
	MedianDealSize = "median_deal_size"
	SalesCycleDays = "sales_cycle_days"
)

// History returns what [NewRates] needs from the cohort: each pair of
// neighbouring path stages and the won deals with their revenue, in the
// currency's major unit.
func (c Cohort) History() *History {
	h := &History{Period: c.Period, Pairs: map[agreement.StagePair]Transitions{}, WonDeals: len(c.Won)}
	for i := 0; i+1 < len(c.Stages); i++ {
		s := c.Stages[i]
		h.Pairs[agreement.StagePair{From: s.Stage, To: c.Stages[i+1].Stage}] = Transitions{Entered: s.Entered, Reached: s.ReachedNext}
	}
	var cents int64
	for _, d := range c.Won {
		cents += d.AmountCents
	}
	h.WonRevenue = float64(cents) / 100
	return h
}

// Figures returns the cohort's rates in a fixed order: the conversion of
// each pair of neighbouring path stages (the last pair named close_rate),
// the conversion of each earlier stage to the last one (mql_to_customer),
// then the won deals, their revenue, average and median size, and the
// sales cycle: the median days from first contact to win.
//
// A deal won before its first contact (one in the Olist data) counts as a
// won deal and in its revenue and size, but is left out of the sales
// cycle: one of its dates is wrong, and neither a negative cycle nor a
// zero one is what happened.
func (c Cohort) Figures() []Figure {
	var fs []Figure
	n := len(c.Stages)
	for i := 0; i+1 < n; i++ {
		s := c.Stages[i]
		name := agreement.StagePair{From: s.Stage, To: c.Stages[i+1].Stage}.String()
		if i+2 == n {
			name = CloseRate
		}
		fs = append(fs, ratio(name, s.ReachedNext, s.Entered))
	}
	for i := 0; i+2 < n; i++ {
		s := c.Stages[i]
		fs = append(fs, ratio(agreement.StagePair{From: s.Stage, To: c.Stages[n-1].Stage}.String(), s.ReachedLast, s.Entered))
	}
	won := len(c.Won)
	amounts := make([]float64, 0, won)
	cycles := make([]float64, 0, won)
	var cents int64
	for _, d := range c.Won {
		cents += d.AmountCents
		amounts = append(amounts, float64(d.AmountCents))
		if !d.ClosedAt.Before(d.EngagedAt) {
			cycles = append(cycles, d.ClosedAt.Sub(d.EngagedAt).Hours()/24)
		}
	}
	fs = append(fs,
		Figure{Name: WonDeals, Value: float64(won), Samples: won},
		Figure{Name: WonRevenue, Value: float64(cents) / 100, Samples: won},
		flagged(Figure{Name: AverageDealSize, Value: divide(float64(cents)/100, won), Samples: won}),
		flagged(Figure{Name: MedianDealSize, Value: Median(amounts) / 100, Samples: won}),
		flagged(Figure{Name: SalesCycleDays, Value: Median(cycles), Samples: len(cycles)}),
	)
	return fs
}

func ratio(name string, count, samples int) Figure {
	return flagged(Figure{Name: name, Value: divide(float64(count), samples), Count: count, Samples: samples})
}

func flagged(f Figure) Figure {
	f.TooFewSamples = f.Samples < MinSamples
	return f
}

func divide(x float64, n int) float64 {
	if n == 0 {
		return 0
	}
	return x / float64(n)
}

// Median returns the middle value of xs (the mean of the two middle ones
// for an even count), or 0 for none. xs is sorted in place.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 1 {
		return xs[m]
	}
	return (xs[m-1] + xs[m]) / 2
}

// WindowName names the window [from, to): "2017-06..2018-10" when both
// ends fall on the first of a month in from's time zone ("2018-03" for one
// month), dates otherwise ("2018-03-02..2018-03-30", the last day
// included).
func WindowName(from, to time.Time) string {
	loc := from.Location()
	to = to.In(loc)
	monthStart := func(t time.Time) bool {
		return t.Day() == 1 && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
	}
	if monthStart(from) && monthStart(to) {
		last := to.AddDate(0, -1, 0)
		if last.Equal(from) {
			return from.Format("2006-01")
		}
		return fmt.Sprintf("%s..%s", from.Format("2006-01"), last.Format("2006-01"))
	}
	return fmt.Sprintf("%s..%s", from.Format("2006-01-02"), to.Add(-time.Nanosecond).Format("2006-01-02"))
}
