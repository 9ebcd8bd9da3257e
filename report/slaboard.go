package report

import (
	"slices"
	"time"

	"github.com/tandemhq/tandem/sla"
)

// Compliance is how one rep (or a total) kept the SLA's clocks, as the SLA
// board shows it: each clock kept, measured and the share kept, and its
// breaches. The counts come from the report's row (see [sla.Row]).
type Compliance struct {
	Key      string
	Handoffs int
	// Each clock: kept, measured (kept + breached), the share kept.
	TouchedInTime, TouchMeasured  int
	TouchShare                    float64
	DecidedInTime, DecideMeasured int
	DecideShare                   float64
	StepsOnTime, StepsDue         int
	StepShare                     float64
	// Breaches of each clock: first touch late or missing, decision late
	// or missing, cadence steps late, missed or overdue.
	TouchBreaches, DecideBreaches, StepBreaches int
	Routed, RepDelays                           int
	RoutingDelay, RepDelay                      time.Duration
	Medians                                     bool // false for a sum of rows, whose medians are unknown
}

// Breaches counts every clock breached.
func (c Compliance) Breaches() int { return c.TouchBreaches + c.DecideBreaches + c.StepBreaches }

// NewCompliance reads a row of the SLA report.
func NewCompliance(r sla.Row) Compliance {
	steps := r.StepTotals()
	c := Compliance{Key: r.Key, Handoffs: r.Handoffs, TouchedInTime: r.TouchedInTime, TouchMeasured: r.TouchMeasured(),
		DecidedInTime: r.DecidedInTime, DecideMeasured: r.DecideMeasured(),
		StepsOnTime: steps.OnTime, StepsDue: steps.Due(),
		TouchBreaches: r.TouchBreaches(), DecideBreaches: r.DecideBreaches(), StepBreaches: steps.Breaches(),
		Routed: r.Routed, RepDelays: r.RepDelays, RoutingDelay: r.RoutingDelayMedian, RepDelay: r.RepDelayMedian, Medians: true}
	c.shares()
	return c
}

func (c *Compliance) shares() {
	c.TouchShare = ratio(c.TouchedInTime, c.TouchMeasured)
	c.DecideShare = ratio(c.DecidedInTime, c.DecideMeasured)
	c.StepShare = ratio(c.StepsOnTime, c.StepsDue)
}

// Add sums another row into a total; medians do not add up, so a sum has
// none.
func (c *Compliance) Add(o Compliance) {
	c.Handoffs += o.Handoffs
	c.TouchedInTime += o.TouchedInTime
	c.TouchMeasured += o.TouchMeasured
	c.DecidedInTime += o.DecidedInTime
	c.DecideMeasured += o.DecideMeasured
	c.StepsOnTime += o.StepsOnTime
	c.StepsDue += o.StepsDue
	c.TouchBreaches += o.TouchBreaches
	c.DecideBreaches += o.DecideBreaches
	c.StepBreaches += o.StepBreaches
	c.Routed += o.Routed
	c.RepDelays += o.RepDelays
	c.Medians = false
	c.shares()
}

// Board returns the SLA board's rows of a report grouped by rep: the sales
// rows whose key keep accepts (every row for a nil keep), most breaches
// first, and their total, keyed "Total". Every row's total is the report's
// own, with its medians; a part of the rows is their sum, without.
func Board(r sla.Report, keep func(key string) bool) (rows []Compliance, total Compliance) {
	for _, row := range r.Sales {
		if keep != nil && !keep(row.Key) {
			continue
		}
		c := NewCompliance(row)
		rows = append(rows, c)
		total.Add(c)
	}
	if keep == nil {
		total = NewCompliance(r.Total)
	}
	total.Key = "Total"
	slices.SortStableFunc(rows, func(x, y Compliance) int { return y.Breaches() - x.Breaches() })
	return rows, total
}

// ratio returns n/of, or 0 when of is 0.
func ratio(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}
