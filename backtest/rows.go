package backtest

import (
	"fmt"
	"strconv"
)

// Row is one line of the side-by-side report, in words, as the command
// line and the agreement page show it.
type Row struct {
	Figure   string `json:"figure"`
	InForce  string `json:"in_force"`
	Proposed string `json:"proposed"`
	// Changed marks a line whose two sides differ.
	Changed bool `json:"changed"`
}

// Rows writes the report as lines of words, both sides on each.
func (r Report) Rows() []Row {
	var rows []Row
	add := func(figure string, f func(s Side) string) {
		a, b := f(r.InForce), f(r.Proposed)
		rows = append(rows, Row{Figure: figure, InForce: a, Proposed: b, Changed: a != b})
	}
	n := func(f func(s Side) int) func(Side) string {
		return func(s Side) string { return strconv.Itoa(f(s)) }
	}
	add("agreement version", func(s Side) string {
		if s.Version == 0 {
			return "the file"
		}
		return strconv.Itoa(s.Version)
	})
	add("MQLs handed over", func(s Side) string { return fmt.Sprintf("%d of %d committed", s.Handoffs, s.Commitment) })
	add("  real hand-offs kept", n(func(s Side) int { return s.Kept }))
	add("  added by the stage rules", n(func(s Side) int { return s.Added }))
	add("  dropped by the stage rules", n(func(s Side) int { return s.Dropped }))
	add("unrouted at hand-off (reps at capacity)", n(func(s Side) int { return s.Unrouted }))
	add("peak open load of a rep", n(func(s Side) int { return s.PeakOpen }))
	reps := r.InForce.Reps
	for i, rep := range reps {
		add("hand-offs to "+rep.Rep+" (peak open)", func(s Side) string {
			if i >= len(s.Reps) {
				return "-"
			}
			return fmt.Sprintf("%d (%d)", s.Reps[i].Handoffs, s.Reps[i].PeakOpen)
		})
	}
	clock := func(c func(s Side) Clock) func(Side) string {
		return func(s Side) string {
			k := c(s)
			return fmt.Sprintf("%d of %d in time (%s)", k.InTime, k.Measured, percent(k.Share))
		}
	}
	add("first-touch compliance", clock(func(s Side) Clock { return s.FirstTouch }))
	add("accept compliance", clock(func(s Side) Clock { return s.Accept }))
	add("breaches that would have fired", n(func(s Side) int { return s.Breaches.Total }))
	add("  first touch", n(func(s Side) int { return s.Breaches.FirstTouch }))
	add("  accept", n(func(s Side) int { return s.Breaches.Accept }))
	add("  cadence steps", n(func(s Side) int { return s.Breaches.Steps }))
	add("escalations that would have gone out", n(func(s Side) int { return s.EscalationsTotal }))
	roles := map[string]bool{}
	for _, sd := range []Side{r.InForce, r.Proposed} {
		for _, e := range sd.Escalations {
			if roles[e.Role] {
				continue
			}
			roles[e.Role] = true
			add("  to "+e.Role, n(func(s Side) int {
				total := 0
				for _, x := range s.Escalations {
					if x.Role == e.Role {
						total += x.Count
					}
				}
				return total
			}))
		}
	}
	add("cadence steps owed", n(func(s Side) int { return s.StepsOwed }))
	add("  done on time", n(func(s Side) int { return s.StepsOnTime }))
	add("plan: leads needed", func(s Side) string { return planned(s.LeadsNeeded) })
	add("plan: hand-offs (MQLs) needed", func(s Side) string { return planned(s.HandoffsNeeded) })
	return rows
}

func planned(n int64) string {
	if n == 0 {
		return "unknown"
	}
	return strconv.FormatInt(n, 10)
}

func percent(x float64) string { return strconv.FormatFloat(x*100, 'f', 1, 64) + "%" }
