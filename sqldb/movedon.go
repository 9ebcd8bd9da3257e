package sqldb

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// MovedOn counts, for each path stage but the last, the leads that went on
// from it to the next path stage within the window: whose first entry into
// the next stage falls in [q.From, q.To) and that have an entry into the
// stage itself (at any time). It is the numerator of a period's conversion
// (the scorecard's): a lead created beyond a stage, or that came to the
// next stage from a side stage without ever entering this one, did not go
// on from it. Stage i's count is element i of its group's slice (grouped
// by q.By as [DB.History] groups; "" for all leads); a group with no lead
// going on is left out.
//
// One range of the stage_entries (stage, entered_at) index per next stage,
// and for each entry one lookup by primary key, so the cost grows with the
// entries in the window.
func (db *DB) MovedOn(ctx context.Context, q HistoryQuery) (byGroup map[string][]int, err error) {
	defer wrap(&err, "moved on %s..%s by %q", tandem.FormatTime(q.From), tandem.FormatTime(q.To), q.By)
	if err := q.validate(); err != nil {
		return nil, err
	}
	byGroup = map[string][]int{}
	err = db.view(ctx, func(tx *Tx) error {
		stages := q.Stages
		if stages == nil {
			if stages, err = tx.pathStages(ctx); err != nil {
				return err
			}
		}
		if len(stages) < 2 {
			return nil
		}
		var args []any
		arg := func(v any) string {
			args = append(args, v)
			return "$" + strconv.Itoa(len(args))
		}
		// The next stages, and for an entry into one, the stage before it
		// and that stage's path index.
		var in []string
		var prev, index strings.Builder
		prev.WriteString("CASE e.stage")
		index.WriteString("CASE e.stage")
		for i := range len(stages) - 1 {
			next := arg(stages[i+1])
			in = append(in, next)
			fmt.Fprintf(&prev, " WHEN %s THEN %s", next, arg(stages[i]))
			fmt.Fprintf(&index, " WHEN %s THEN %d", next, i)
		}
		prev.WriteString(" END")
		index.WriteString(" ELSE -1 END")
		lo, hi := arg(tx.t(q.From)), arg(tx.t(q.To))
		group, join, groupBy := "''", "", ""
		if c := q.groupColumn(); c != "" {
			group, join, groupBy = c, " JOIN leads l ON l.id = e.lead_id", ", "+c
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+group+`, `+index.String()+`, count(*)
	FROM stage_entries e`+join+`
	WHERE e.stage IN (`+strings.Join(in, ", ")+`) AND e.entered_at >= `+lo+` AND e.entered_at < `+hi+`
		AND EXISTS (SELECT 1 FROM stage_entries p WHERE p.lead_id = e.lead_id AND p.stage = `+prev.String()+`)
	GROUP BY e.stage`+groupBy, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var g string
			var i, n int
			if err := rows.Scan(&g, &i, &n); err != nil {
				return err
			}
			if i < 0 || i >= len(stages)-1 {
				continue
			}
			counts := byGroup[g]
			if counts == nil {
				counts = make([]int, len(stages)-1)
				byGroup[g] = counts
			}
			counts[i] += n
		}
		return rows.Err()
	})
	return byGroup, err
}
