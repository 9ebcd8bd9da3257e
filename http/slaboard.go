package http

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqldb"
)

// slaRow is one rep's (or the total's) line of the SLA board.
type slaRow struct {
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

func (r slaRow) Breaches() int { return r.TouchBreaches + r.DecideBreaches + r.StepBreaches }

func newSLARow(r sla.Row) slaRow {
	v := slaRow{Key: r.Key, Handoffs: r.Handoffs, TouchedInTime: r.TouchedInTime, TouchMeasured: r.TouchedInTime + r.TouchedLate + r.Untouched,
		DecidedInTime: r.DecidedInTime, DecideMeasured: r.Decided + r.Undecided,
		TouchBreaches: r.TouchedLate + r.Untouched, DecideBreaches: r.Decided - r.DecidedInTime + r.Undecided,
		Routed: r.Routed, RepDelays: r.RepDelays, RoutingDelay: r.RoutingDelayMedian, RepDelay: r.RepDelayMedian, Medians: true}
	for _, st := range r.Steps {
		v.StepsOnTime += st.OnTime
		v.StepsDue += st.OnTime + st.Late + st.Missed + st.Overdue
		v.StepBreaches += st.Late + st.Missed + st.Overdue
	}
	v.shares()
	return v
}

func (v *slaRow) shares() {
	share := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	v.TouchShare = share(v.TouchedInTime, v.TouchMeasured)
	v.DecideShare = share(v.DecidedInTime, v.DecideMeasured)
	v.StepShare = share(v.StepsOnTime, v.StepsDue)
}

// add sums another row into a total; medians do not add up.
func (v *slaRow) add(o slaRow) {
	v.Handoffs += o.Handoffs
	v.TouchedInTime += o.TouchedInTime
	v.TouchMeasured += o.TouchMeasured
	v.DecidedInTime += o.DecidedInTime
	v.DecideMeasured += o.DecideMeasured
	v.StepsOnTime += o.StepsOnTime
	v.StepsDue += o.StepsDue
	v.TouchBreaches += o.TouchBreaches
	v.DecideBreaches += o.DecideBreaches
	v.StepBreaches += o.StepBreaches
	v.Routed += o.Routed
	v.RepDelays += o.RepDelays
	v.shares()
}

// slaBoard is what the SLA board shows.
type slaBoard struct {
	Picker  picker
	Scope   string // "your team" or "everyone"
	NoSLA   string // why there is no report (no signed agreement)
	Running bool   // the period has not ended
	Rows    []slaRow
	Total   slaRow
	// Soon are the open clocks due within the next business hour;
	// Overdue those already breached and still open.
	Soon, Overdue []sqldb.AtRisk
	Horizon       time.Time
	Now           time.Time
	AsOf          time.Time // when the compliance figures were computed
}

// slaBoard answers /sla: breaches and clocks about to breach, compliance
// per rep, routing delay against rep delay. A sales manager sees the reps
// below them; heads, executives and admins everyone.
func (s *Server) slaBoard(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	per, pk, a, err := s.pickPeriod(ctx, r, thisMonth)
	if err != nil {
		return err
	}
	now := s.DB.Now()
	b := slaBoard{Picker: pk, Scope: "everyone", Now: now, Running: now.Before(per.To)}
	u := viewer(r)
	var team map[string]int64 // email → id, nil for everyone
	if u.Role == tandem.RoleSalesManager {
		b.Scope = "your team"
		if team, err = s.below(ctx, u.Email); err != nil {
			return err
		}
	}
	rep, err := report.ReadSLA(ctx, s.DB, now, sqldb.SLAQuery{Period: per.Name, By: "rep"})
	switch {
	case tandem.ErrorCode(err) == tandem.ECONFLICT:
		b.NoSLA = tandem.ErrorMessage(err)
	case err != nil:
		return err
	default:
		b.AsOf = rep.AsOf
		for _, row := range rep.Sales {
			if _, ok := team[row.Key]; team != nil && !ok {
				continue
			}
			v := newSLARow(row)
			b.Rows = append(b.Rows, v)
			b.Total.add(v)
		}
		if team == nil {
			b.Total = newSLARow(rep.Total)
		}
		b.Total.Key = "Total"
		slices.SortStableFunc(b.Rows, func(x, y slaRow) int { return y.Breaches() - x.Breaches() })
	}
	var owners []int64
	if team != nil {
		owners = []int64{}
		for _, id := range team {
			owners = append(owners, id)
		}
	}
	b.Horizon = now.Add(time.Hour)
	if cal, err := a.BusinessHours.Calendar(); err == nil {
		b.Horizon = cal.Add(now, time.Hour)
	}
	if b.Soon, err = s.DB.AtRisk(ctx, sqldb.AtRiskQuery{From: now, To: b.Horizon, Owners: owners, Limit: 100}); err != nil {
		return err
	}
	from := per.From
	if b.Overdue, err = s.DB.AtRisk(ctx, sqldb.AtRiskQuery{From: from, To: sooner(now, per.To), Owners: owners, Limit: 100}); err != nil {
		return err
	}
	p := newPage(r, "SLA board")
	p.Data = b
	return s.render(w, http.StatusOK, "sla", p)
}

func sooner(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// below returns the users under the manager, at any depth, by email.
func (s *Server) below(ctx context.Context, email string) (map[string]int64, error) {
	out := map[string]int64{}
	queue := []string{email}
	for len(queue) > 0 && len(out) < 10000 {
		us, err := s.DB.Reports(ctx, queue[0])
		queue = queue[1:]
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if _, seen := out[u.Email]; !seen {
				out[u.Email] = u.ID
				queue = append(queue, u.Email)
			}
		}
	}
	return out, nil
}
