package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/plan"
)

// HistoryGroupings lists what [HistoryQuery.By] may name: the leads'
// source, origin or segment (their current value).
var HistoryGroupings = []string{"source", "origin", "segment"}

// HistoryQuery selects the history [DB.History] measures.
type HistoryQuery struct {
	// From (inclusive) and To (exclusive) bound the window: the leads that
	// entered each path stage in it, and the deals won in it.
	From, To time.Time
	// By groups the leads by one of [HistoryGroupings]; "" for one group
	// of all leads.
	By string
	// Stages are the path stages to measure, in order; nil for those of
	// the agreement in force now, or of the default agreement.
	Stages []string
}

// History measures the funnel from the ledger and the deals: for each group
// of leads (one for all when q.By is ""), in order of the group's name, a
// [plan.Cohort] with
//
//   - for each path stage, the leads whose first entry into it falls in
//     the window, and how many of them reached the next path stage and
//     the last one, at any time up to now (not only by the window's end:
//     a recent window's rates are low until its leads have had time to
//     convert). A lead enters a stage when an event sets its stage to it
//     (its creation, or a stage change), and also when a stage change
//     skips it, going from an earlier path stage to a later one: an Olist
//     lead that goes from mql to customer through an imported won deal
//     enters, and reaches, sal, sql and opportunity at that moment. A
//     lead created beyond a stage never entered it. Side stages
//     (recycled, disqualified) are not path stages: a lead that comes
//     back from them to the path enters the stage it comes back to (if it
//     never had), and only that one: reaching the next stage means
//     entering it, so a lead that goes from lead to recycled and back to
//     sal did not reach mql.
//   - the deals won in the window, by close date (closed_at).
//
// Groups with no lead entering a stage and no deal won in the window are
// left out. A bad grouping or window is an EINVALID error naming "by",
// "from" or "to".
//
// The stage counts of the window's whole hours are one range of the
// stage_counts primary key per stage, summed (and grouped); the part of an
// hour at either end comes from stage_entries, as does the whole window
// when the stages' next and last are not those stage_counts follows (see
// [Tx.stageCounts]). The won deals are one query by the deals_closed_at
// index. Skipped stages are those of the agreement in force when the stage
// change was appended.
func (db *DB) History(ctx context.Context, q HistoryQuery) (cohorts []plan.Cohort, err error) {
	defer wrap(&err, "history %s..%s by %q", tandem.FormatTime(q.From), tandem.FormatTime(q.To), q.By)
	if err := q.validate(); err != nil {
		return nil, err
	}
	err = db.view(ctx, func(tx *Tx) error {
		stages := q.Stages
		if stages == nil {
			if stages, err = tx.pathStages(ctx); err != nil {
				return err
			}
		}
		byGroup := map[string]*plan.Cohort{}
		cohort := func(g string) *plan.Cohort {
			c := byGroup[g]
			if c == nil {
				c = &plan.Cohort{Group: g, Period: plan.WindowName(q.From, q.To), Stages: make([]plan.StageCount, len(stages))}
				for i, s := range stages {
					c.Stages[i].Stage = s
				}
				byGroup[g] = c
			}
			return c
		}
		if err := tx.stageCounts(ctx, q, stages, cohort); err != nil {
			return fmt.Errorf("stage counts: %w", err)
		}
		if err := tx.wonDeals(ctx, q, cohort); err != nil {
			return fmt.Errorf("won deals: %w", err)
		}
		for _, g := range slices.Sorted(maps.Keys(byGroup)) {
			cohorts = append(cohorts, *byGroup[g])
		}
		return nil
	})
	return cohorts, err
}

func (q *HistoryQuery) validate() error {
	var fs []tandem.FieldError
	if q.By != "" && !slices.Contains(HistoryGroupings, q.By) {
		fs = append(fs, tandem.FieldError{Field: "by", Message: fmt.Sprintf("%q is not a grouping: want one of %s", q.By, strings.Join(HistoryGroupings, ", "))})
	}
	if q.From.IsZero() || q.To.IsZero() {
		fs = append(fs, tandem.FieldError{Field: "from", Message: "a window needs both ends"})
	} else if !q.From.Before(q.To) {
		fs = append(fs, tandem.FieldError{Field: "to", Message: "must come after from"})
	}
	if len(fs) > 0 {
		return tandem.Invalid(fs...)
	}
	return nil
}

// groupColumn is the leads column q.By names (validated), or "".
func (q *HistoryQuery) groupColumn() string {
	if q.By == "" {
		return ""
	}
	return "l." + q.By
}

// stageCounts adds to each group's cohort the leads that entered each path
// stage in the window and went on; see [DB.History]. The window's whole
// hours come from stage_counts, the part of an hour at either end from
// stage_entries. When the stages' next and last are not those that
// stage_counts follows (the stages of another agreement than the one in
// force at the last write), the whole window comes from stage_entries.
func (tx *Tx) stageCounts(ctx context.Context, q HistoryQuery, stages []string, cohort func(string) *plan.Cohort) error {
	path, err := tx.countsPath(ctx)
	if err != nil {
		return err
	}
	lo, hi := wholeHours(q.From, q.To)
	if !followsPath(stages, path) || !lo.Before(hi) {
		return tx.exactStageCounts(ctx, q, q.From, q.To, stages, cohort)
	}
	if q.From.Before(lo) {
		if err := tx.exactStageCounts(ctx, q, q.From, lo, stages, cohort); err != nil {
			return err
		}
	}
	if err := tx.hourlyStageCounts(ctx, q, lo, hi, stages, cohort); err != nil {
		return err
	}
	if hi.Before(q.To) {
		return tx.exactStageCounts(ctx, q, hi, q.To, stages, cohort)
	}
	return nil
}

// wholeHours returns the first and the last hour boundary (UTC) in
// [from, to]; lo is not before hi when no whole hour lies between.
func wholeHours(from, to time.Time) (lo, hi time.Time) {
	lo = from.Truncate(time.Hour)
	if lo.Before(from) {
		lo = lo.Add(time.Hour)
	}
	return lo, to.Truncate(time.Hour)
}

// followsPath reports whether stage_counts' reached counts, made for the
// path stages path, are those of stages: each stage's next path stage is
// the following one of stages, and the last is the same.
func followsPath(stages, path []string) bool {
	if len(stages) == 0 || len(path) == 0 || stages[len(stages)-1] != path[len(path)-1] {
		return false
	}
	for i := range len(stages) - 1 {
		j := slices.Index(path, stages[i])
		if j < 0 || j+1 >= len(path) || path[j+1] != stages[i+1] {
			return false
		}
	}
	return true
}

// hourlyStageCounts adds to each group's cohort the stage counts of the
// hours in [lo, hi): one range of the stage_counts primary key per stage.
func (tx *Tx) hourlyStageCounts(ctx context.Context, q HistoryQuery, lo, hi time.Time, stages []string, cohort func(string) *plan.Cohort) error {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	in, index := stageArgs(stages, arg)
	group, groupBy := "''", ""
	if q.By != "" {
		group, groupBy = "c."+q.By, ", c."+q.By
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+group+`, `+index("c.stage")+`, CAST(sum(c.entered) AS BIGINT),
		CAST(sum(c.reached_next) AS BIGINT), CAST(sum(c.reached_last) AS BIGINT)
	FROM stage_counts c
	WHERE c.stage IN (`+in+`) AND c.bucket >= `+arg(tx.t(lo))+` AND c.bucket < `+arg(tx.t(hi))+`
	GROUP BY c.stage`+groupBy+`
	HAVING sum(c.entered) > 0`, args...)
	if err != nil {
		return err
	}
	return addStageCounts(rows, cohort)
}

// exactStageCounts adds to each group's cohort the leads that entered each
// path stage in [from, to) and went on, read from stage_entries: a range
// of its (stage, entered_at) index, and for each entry two lookups by
// primary key (its lead's entries into the next and the last stage).
func (tx *Tx) exactStageCounts(ctx context.Context, q HistoryQuery, from, to time.Time, stages []string, cohort func(string) *plan.Cohort) error {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	in, index := stageArgs(stages, arg)
	// The next path stage's name for each, NULL for the last.
	var next strings.Builder
	next.WriteString("CASE e.stage")
	for i := range len(stages) - 1 {
		fmt.Fprintf(&next, " WHEN %s THEN %s", arg(stages[i]), arg(stages[i+1]))
	}
	next.WriteString(" END")
	if len(stages) < 2 {
		next.Reset()
		next.WriteString("NULL")
	}
	last := arg(stages[len(stages)-1])
	lo, hi := arg(tx.t(from)), arg(tx.t(to))
	group, join, groupBy := "''", "", ""
	if c := q.groupColumn(); c != "" {
		group, join, groupBy = c, " JOIN leads l ON l.id = e.lead_id", ", "+c
	}
	query := `SELECT ` + group + `, ` + index("e.stage") + `, count(*),
		coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM stage_entries n WHERE n.lead_id = e.lead_id AND n.stage = ` + next.String() + `) THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM stage_entries n WHERE n.lead_id = e.lead_id AND n.stage = ` + last + `) THEN 1 ELSE 0 END), 0)
	FROM stage_entries e` + join + `
	WHERE e.stage IN (` + in + `) AND e.entered_at >= ` + lo + ` AND e.entered_at < ` + hi + `
	GROUP BY e.stage` + groupBy
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	return addStageCounts(rows, cohort)
}

// addStageCounts adds rows of (group, path index, entered, reached next,
// reached last) to each group's cohort, and closes rows.
func addStageCounts(rows *sql.Rows, cohort func(string) *plan.Cohort) error {
	defer rows.Close()
	for rows.Next() {
		var g string
		var i, entered, next, last int
		if err := rows.Scan(&g, &i, &entered, &next, &last); err != nil {
			return err
		}
		s := &cohort(g).Stages[i]
		s.Entered, s.ReachedNext, s.ReachedLast = s.Entered+entered, s.ReachedNext+next, s.ReachedLast+last
	}
	return rows.Err()
}

// stageArgs adds the stages to a query's arguments, and returns the list of
// them for an IN and a function giving the path index of a stage column
// (-1 for any other stage).
func stageArgs(stages []string, arg func(any) string) (in string, index func(col string) string) {
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = arg(s)
	}
	return strings.Join(names, ", "), func(col string) string {
		var b strings.Builder
		b.WriteString("CASE " + col)
		for i, n := range names {
			fmt.Fprintf(&b, " WHEN %s THEN %d", n, i)
		}
		b.WriteString(" ELSE -1 END")
		return b.String()
	}
}

// wonDeals adds to each group's cohort the deals won in the window.
func (tx *Tx) wonDeals(ctx context.Context, q HistoryQuery, cohort func(string) *plan.Cohort) error {
	group, join := "''", ""
	if c := q.groupColumn(); c != "" {
		group, join = c, " JOIN leads l ON l.id = d.lead_id"
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+group+`, d.amount_cents, d.engaged_at, d.closed_at FROM deals d`+join+`
		WHERE d.stage = 'won' AND d.closed_at >= $1 AND d.closed_at < $2 ORDER BY d.id`, tx.t(q.From), tx.t(q.To))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var g string
		var d plan.WonDeal
		if err := rows.Scan(&g, &d.AmountCents, scanTime{&d.EngagedAt}, scanTime{&d.ClosedAt}); err != nil {
			return err
		}
		c := cohort(g)
		c.Won = append(c.Won, d)
	}
	return rows.Err()
}

// pathStages returns the path stages of the agreement in force now, or of
// the default agreement while none is.
func (tx *Tx) pathStages(ctx context.Context) ([]string, error) {
	a, err := tx.agreementNow(ctx)
	if err != nil {
		return nil, err
	}
	return a.PathStages(), nil
}

// StageEntries returns, for each path stage, the times at which leads first
// entered it within [from, to), in order: a lead that skipped a stage
// entered it when it moved past it. One range of the stage_entries (stage,
// entered_at) index for each stage, so its cost grows with the entries;
// pacing counts them by day with [DB.StageEntriesByDay] instead.
func (db *DB) StageEntries(ctx context.Context, from, to time.Time, stages []string) (entries map[string][]time.Time, err error) {
	defer wrap(&err, "stage entries")
	entries = map[string][]time.Time{}
	err = db.view(ctx, func(tx *Tx) error {
		for _, s := range stages {
			rows, err := tx.QueryContext(ctx, `SELECT entered_at FROM stage_entries
				WHERE stage = $1 AND entered_at >= $2 AND entered_at < $3 ORDER BY entered_at`, s, tx.t(from), tx.t(to))
			if err != nil {
				return err
			}
			var ts []time.Time
			for rows.Next() {
				var t time.Time
				if err := rows.Scan(scanTime{&t}); err != nil {
					rows.Close()
					return err
				}
				ts = append(ts, t)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := rows.Err(); err != nil {
				return err
			}
			if len(ts) > 0 {
				entries[s] = ts
			}
		}
		return nil
	})
	return entries, err
}

// StageEntriesByDay counts, for each of stages, the leads that first
// entered it within [from, to), by calendar day in loc, for pacing
// (package pace): element d counts day d of the period whose day 0 is
// from's, up to the day of the last instant before to. A lead that
// skipped a stage entered it when it moved past it. Stages nobody entered
// in the window are left out.
//
// The whole hours of the window that lie within one day come from
// stage_counts (one range of its primary key for all stages); the part of
// an hour at either end of the window, and hours that a midnight of loc
// cuts (in a zone whose offset is not whole hours), from stage_entries.
func (db *DB) StageEntriesByDay(ctx context.Context, from, to time.Time, loc *time.Location, stages []string) (byDay map[string][]int64, err error) {
	defer wrap(&err, "stage entries by day %s..%s", tandem.FormatTime(from), tandem.FormatTime(to))
	byDay = map[string][]int64{}
	if !from.Before(to) || len(stages) == 0 {
		return byDay, nil
	}
	n := calendarDays(from, to.Add(-time.Nanosecond), loc) + 1
	add := func(stage string, day int, k int64) {
		if k == 0 || day < 0 || day >= n {
			return
		}
		days := byDay[stage]
		if days == nil {
			days = make([]int64, n)
			byDay[stage] = days
		}
		days[day] += k
	}
	err = db.view(ctx, func(tx *Tx) error {
		var exact [][2]time.Time // ranges to count from stage_entries
		lo, hi := wholeHours(from, to)
		if !lo.Before(hi) {
			exact = append(exact, [2]time.Time{from, to})
		} else {
			if from.Before(lo) {
				exact = append(exact, [2]time.Time{from, lo})
			}
			if hi.Before(to) {
				exact = append(exact, [2]time.Time{hi, to})
			}
			var args []any
			arg := func(v any) string {
				args = append(args, v)
				return "$" + strconv.Itoa(len(args))
			}
			in, _ := stageArgs(stages, arg)
			rows, err := tx.QueryContext(ctx, `SELECT stage, bucket, CAST(sum(entered) AS BIGINT) FROM stage_counts
				WHERE stage IN (`+in+`) AND bucket >= `+arg(tx.t(lo))+` AND bucket < `+arg(tx.t(hi))+`
				GROUP BY stage, bucket`, args...)
			if err != nil {
				return err
			}
			cut := map[time.Time]bool{}
			for rows.Next() {
				var stage string
				var at time.Time
				var k int64
				if err := rows.Scan(&stage, scanTime{&at}, &k); err != nil {
					rows.Close()
					return err
				}
				d := calendarDays(from, at, loc)
				if d != calendarDays(from, at.Add(time.Hour-time.Nanosecond), loc) {
					if !cut[at] {
						cut[at] = true
						exact = append(exact, [2]time.Time{at, at.Add(time.Hour)})
					}
					continue
				}
				add(stage, d, k)
			}
			if err := closeRows(rows); err != nil {
				return err
			}
		}
		for _, r := range exact {
			var args []any
			arg := func(v any) string {
				args = append(args, v)
				return "$" + strconv.Itoa(len(args))
			}
			in, _ := stageArgs(stages, arg)
			rows, err := tx.QueryContext(ctx, `SELECT stage, entered_at FROM stage_entries
				WHERE stage IN (`+in+`) AND entered_at >= `+arg(tx.t(r[0]))+` AND entered_at < `+arg(tx.t(r[1])), args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var stage string
				var at time.Time
				if err := rows.Scan(&stage, scanTime{&at}); err != nil {
					rows.Close()
					return err
				}
				add(stage, calendarDays(from, at, loc), 1)
			}
			if err := closeRows(rows); err != nil {
				return err
			}
		}
		return nil
	})
	return byDay, err
}

// calendarDays counts the calendar days from a to b in loc: the index of
// b's day in a period that starts at a (as pace.Days does).
func calendarDays(a, b time.Time, loc *time.Location) int {
	a, b = a.In(loc), b.In(loc)
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}
