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
//     never had).
//   - the deals won in the window, by close date (closed_at).
//
// Groups with no lead entering a stage and no deal won in the window are
// left out. A bad grouping or window is an EINVALID error naming "by",
// "from" or "to".
//
// Two queries: one GROUP BY over the ledger's creation and stage-change
// events (a scan of the events table, since the stage is read from each
// event's data), one over the won deals closed in the window (by the
// deals_closed_at index).
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
// stage in the window and went on; see [DB.History].
func (tx *Tx) stageCounts(ctx context.Context, q HistoryQuery, stages []string, cohort func(string) *plan.Cohort) error {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	cte := tx.stageEntryCTE(stages, arg)
	lo, hi := arg(tx.t(q.From)), arg(tx.t(q.To))
	var sums []string
	last := len(stages) - 1
	for i := range stages {
		in := fmt.Sprintf("p.t%d >= %s AND p.t%d < %s", i, lo, i, hi)
		sums = append(sums, fmt.Sprintf("coalesce(sum(CASE WHEN %s THEN 1 ELSE 0 END), 0)", in),
			fmt.Sprintf("coalesce(sum(CASE WHEN %s AND p.top > %d THEN 1 ELSE 0 END), 0)", in, i),
			fmt.Sprintf("coalesce(sum(CASE WHEN %s AND p.top = %d THEN 1 ELSE 0 END), 0)", in, last))
	}
	group, join, groupBy := "''", "", ""
	if c := q.groupColumn(); c != "" {
		group, join, groupBy = c, " JOIN leads l ON l.id = p.lead_id", " GROUP BY "+c
	}
	query := cte + `
	SELECT ` + group + `, ` + strings.Join(sums, ", ") + `
	FROM p` + join + groupBy
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	counts := make([]int64, 3*len(stages))
	dest := make([]any, 1+len(counts))
	var g string
	dest[0] = &g
	for i := range counts {
		dest[i+1] = &counts[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if slices.Max(counts) == 0 {
			continue
		}
		c := cohort(g)
		for i := range stages {
			c.Stages[i].Entered = int(counts[3*i])
			c.Stages[i].ReachedNext = int(counts[3*i+1])
			c.Stages[i].ReachedLast = int(counts[3*i+2])
		}
	}
	return rows.Err()
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

// stageEntryCTE returns the WITH clause that gives, in its table p, each
// lead's furthest path stage (top, an index into stages) and the time it
// first entered each path stage (t0, t1, ...): set to the stage, or moved
// past it from an earlier path stage. arg adds a query argument.
func (tx *Tx) stageEntryCTE(stages []string, arg func(any) string) string {
	// The path index of a stage name, -1 for any other stage.
	index := func(expr string, names []string) string {
		var b strings.Builder
		b.WriteString("CASE " + expr)
		for i, n := range names {
			fmt.Fprintf(&b, " WHEN %s THEN %d", n, i)
		}
		b.WriteString(" ELSE -1 END")
		return b.String()
	}
	names := make([]string, len(stages))
	for i, s := range stages {
		names[i] = arg(s)
	}
	to, from := `json_extract(e.data, '$.to.stage')`, `json_extract(e.data, '$.from.stage')`
	if tx.db.d.name() == "postgres" {
		to, from = `(e.data::json -> 'to' ->> 'stage')`, `(e.data::json -> 'from' ->> 'stage')`
	}
	var entries []string
	for i := range stages {
		// Entered stage i: set to it, or skipped it from an earlier path stage.
		entries = append(entries, fmt.Sprintf("min(CASE WHEN k = %d OR (f >= 0 AND f < %d AND k > %d) THEN occurred_at END) AS t%d", i, i, i, i))
	}
	// m is materialized so that each event's data is read as JSON once,
	// not once for each use of k and f below.
	return `WITH m AS MATERIALIZED (
		SELECT e.lead_id, e.occurred_at, ` + index(to, names) + ` AS k,
			CASE WHEN e.type = 'stage_changed' THEN ` + index(from, names) + ` ELSE -1 END AS f
		FROM events e WHERE e.type IN ('created', 'stage_changed')
	), p AS (
		SELECT lead_id, max(k) AS top, ` + strings.Join(entries, ", ") + `
		FROM m GROUP BY lead_id
	)`
}

// StageEntries returns, for each path stage, the times at which leads first
// entered it within [from, to), for pacing (package pace): a lead that
// skipped a stage entered it when it moved past it.
func (db *DB) StageEntries(ctx context.Context, from, to time.Time, stages []string) (entries map[string][]time.Time, err error) {
	defer wrap(&err, "stage entries")
	entries = map[string][]time.Time{}
	err = db.view(ctx, func(tx *Tx) error {
		var args []any
		arg := func(v any) string {
			args = append(args, v)
			return "$" + strconv.Itoa(len(args))
		}
		cte := tx.stageEntryCTE(stages, arg)
		lo, hi := arg(tx.t(from)), arg(tx.t(to))
		var parts []string
		for i := range stages {
			parts = append(parts, fmt.Sprintf("SELECT %d AS s, t%d AS t FROM p WHERE t%d >= %s AND t%d < %s", i, i, i, lo, i, hi))
		}
		rows, err := tx.QueryContext(ctx, cte+" "+strings.Join(parts, " UNION ALL "), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var i int
			var t time.Time
			if err := rows.Scan(&i, scanTime{&t}); err != nil {
				return err
			}
			entries[stages[i]] = append(entries[stages[i]], t)
		}
		return rows.Err()
	})
	return entries, err
}
