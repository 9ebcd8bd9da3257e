package http

import (
	"net/http"
	"slices"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/report"
	"github.com/tandemhq/tandem/sla"
	"github.com/tandemhq/tandem/sqldb"
)

// slaBoard is what the SLA board shows.
type slaBoard struct {
	Picker  picker
	Scope   string // "your team" or "everyone"
	NoSLA   string // why there is no report (no signed agreement)
	Running bool   // the period has not ended
	Rows    []repRow
	Total   repRow
	// Names are the people's names by email, for the clocks' reps.
	Names map[string]string
	// Soon are the open clocks due within the next business hour;
	// Overdue those already breached and still open.
	Soon, Overdue []sqldb.AtRisk
	Horizon       time.Time
	Now           time.Time
	AsOf          time.Time // when the compliance figures were computed
	// Trend is compliance per rep in each of the last weeks.
	Trend slaTrend
}

// slaTrend is the SLA board's compliance per rep over the last
// report.TrendWeeks weeks, oldest first.
type slaTrend struct {
	Weeks []string // each week's Monday, as the columns name it
	Rows  []trendRow
	Total trendRow
	Chart chartData
}

// repRow is one rep's compliance as the board shows it: Name is the rep's
// name (Key, their email, when they have none).
type repRow struct {
	report.Compliance
	Name string
}

// trendRow is one rep's compliance in each week; nil where the rep had no
// hand-off that week.
type trendRow struct {
	Name  string // the rep's name (as repRow's)
	Key   string
	Weeks []*report.Compliance
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
	// People by name, their email in a title; a manager's team from the
	// same read.
	users, err := s.DB.Users(ctx)
	if err != nil {
		return err
	}
	b.Names = map[string]string{}
	for _, u := range users {
		if u.Email != "" {
			b.Names[u.Email] = u.Label()
		}
	}
	name := func(key string) string {
		if n, ok := b.Names[key]; ok {
			return n
		}
		return key
	}
	u := viewer(r)
	var team map[string]int64 // email → id, nil for everyone
	if u.Role == tandem.RoleSalesManager {
		b.Scope = "your team"
		team = map[string]int64{}
		below := access.Below(access.Reports(users), u.ID)
		for _, o := range users {
			if below[o.ID] && o.Email != "" {
				team[o.Email] = o.ID
			}
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
		var keep func(string) bool
		if team != nil {
			keep = func(email string) bool { _, ok := team[email]; return ok }
		}
		rows, total := report.Board(rep, keep)
		for _, r := range rows {
			b.Rows = append(b.Rows, repRow{Compliance: r, Name: name(r.Key)})
		}
		b.Total = repRow{Compliance: total, Name: total.Key}
		weeks, err := report.ReadSLAWeeks(ctx, s.DB, now)
		if err != nil {
			return err
		}
		b.Trend = newSLATrend(weeks, keep, name, a.BusinessHours.Location)
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

// newSLATrend lays the weeks' SLA reports out per rep (those keep keeps;
// everyone when nil), each named by name, with a chart of the share of
// first touches in time.
func newSLATrend(weeks []sla.Report, keep func(string) bool, name func(string) string, loc *time.Location) slaTrend {
	var t slaTrend
	byKey := map[string]*trendRow{}
	var keys []string
	t.Total = trendRow{Key: "All reps", Name: "All reps", Weeks: make([]*report.Compliance, len(weeks))}
	for i, w := range weeks {
		t.Weeks = append(t.Weeks, w.Period.From.In(loc).Format("Jan 2"))
		rows, total := report.Board(w, keep)
		for _, r := range rows {
			row, ok := byKey[r.Key]
			if !ok {
				row = &trendRow{Key: r.Key, Name: name(r.Key), Weeks: make([]*report.Compliance, len(weeks))}
				byKey[r.Key] = row
				keys = append(keys, r.Key)
			}
			row.Weeks[i] = &r
		}
		if total.Handoffs > 0 {
			t.Total.Weeks[i] = &total
		}
	}
	slices.Sort(keys)
	t.Chart = chartData{ID: "sla-weeks", Kind: "line", Title: "First touches in time, per rep and week (share)", Labels: t.Weeks}
	for _, k := range keys {
		t.Rows = append(t.Rows, *byKey[k])
	}
	for _, row := range append(slices.Clone(t.Rows), t.Total) {
		series := chartSeries{Name: row.Name, Dashed: row.Key == t.Total.Key}
		for _, c := range row.Weeks {
			if c == nil || c.TouchMeasured == 0 {
				series.Values = append(series.Values, nil)
				continue
			}
			v := c.TouchShare
			series.Values = append(series.Values, &v)
		}
		t.Chart.Series = append(t.Chart.Series, series)
	}
	return t
}
