package sqldb

import (
	"context"
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
// Two queries: one GROUP BY over the stage entries in the window (the
// stage_entries table, which the store keeps as events are appended: a
// range of its (stage, entered_at) index, and for each entry two lookups
// by primary key: its lead's entries into the next and the last path
// stage), one over the won deals closed in the window (by
// the deals_closed_at index). Skipped stages are those of the agreement in
// force when the stage change was appended.
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
// stage in the window and went on; see [DB.History]. It reads the window's
// entries by the (stage, entered_at) index, and looks up by primary key
// whether each lead entered the next path stage and the last one.
func (tx *Tx) stageCounts(ctx context.Context, q HistoryQuery, stages []string, cohort func(string) *plan.Cohort) error {
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
	last := arg(stages[len(stages)-1])
	lo, hi := arg(tx.t(q.From)), arg(tx.t(q.To))
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
	defer rows.Close()
	for rows.Next() {
		var g string
		var i, entered, next, last int
		if err := rows.Scan(&g, &i, &entered, &next, &last); err != nil {
			return err
		}
		c := cohort(g)
		c.Stages[i].Entered, c.Stages[i].ReachedNext, c.Stages[i].ReachedLast = entered, next, last
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
// entered it within [from, to), in order, for pacing (package pace): a lead
// that skipped a stage entered it when it moved past it. One range of the
// stage_entries (stage, entered_at) index for each stage.
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
