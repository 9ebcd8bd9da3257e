package sla

import "math"

// Weighted is the weighted pipeline of an open stage (docs/deals.md, "The
// board"): the sum of the amounts of its open deals, amountCents, times the
// stage's agreed probability, rounded to the nearest cent. It reports false
// for a stage the agreement gives no probability, whose weight is unknown
// rather than zero.
func (st DealStages) Weighted(stage string, amountCents int64) (int64, bool) {
	p, ok := st.Probability[stage]
	if !ok {
		return 0, false
	}
	return int64(math.Round(float64(amountCents) * p)), true
}
