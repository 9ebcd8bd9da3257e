package sqldb

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// The stage_counts table holds the stage entries counted by hour (in UTC),
// stage and the lead's current source, origin and segment, with how many of
// those leads have entered the next path stage and the last one. It always
// equals what stageCountsQuery gives from stage_entries and leads, with the
// path stages recorded in stage_counts_path: the store adds the difference
// each batch of events makes (Tx.writeStageCounts) in the transaction that
// writes the entries, and rebuilds the whole table when it writes under
// another path. History and pacing sum its rows for the whole hours of a
// window, and count the hours at either end from stage_entries.

// groupFields are the lead fields stage_counts groups by, in column order.
var groupFields = [3]string{"source", "origin", "segment"}

// group is a lead's source, origin and segment.
type group [3]string

// countKey is the primary key of a stage_counts row: hour is the Unix time
// of the hour's start.
type countKey struct {
	stage string
	hour  int64
	group group
}

// counts are a stage_counts row's counts, or a change to them.
type counts struct {
	entered, next, last int64
}

func (c counts) zero() bool { return c == counts{} }

func (c counts) String() string {
	return fmt.Sprintf("entered %d, reached next %d, reached last %d", c.entered, c.next, c.last)
}

// stageCount is a row of stage_counts, or a change to add to one.
type stageCount struct {
	countKey
	counts
}

func (k countKey) bucket() time.Time { return time.Unix(k.hour, 0).UTC() }

func (k countKey) compare(o countKey) int {
	return cmp.Or(strings.Compare(k.stage, o.stage), cmp.Compare(k.hour, o.hour),
		strings.Compare(k.group[0], o.group[0]), strings.Compare(k.group[1], o.group[1]), strings.Compare(k.group[2], o.group[2]))
}

// addCounts adds sign times what a lead's stage entries (all of them, any
// order) count in stage_counts when the lead is in group g: each entry
// counts as entered in its hour, as reached next if it is into a path stage
// and the lead entered the following one, and as reached last if it is into
// a path stage and the lead entered the last one.
func addCounts(d map[countKey]counts, entries []stageEntry, g group, path []string, sign int64) {
	has := func(stage string) bool {
		return slices.ContainsFunc(entries, func(e stageEntry) bool { return e.stage == stage })
	}
	reachedLast := len(path) > 0 && has(path[len(path)-1])
	for _, e := range entries {
		k := countKey{e.stage, e.at.Truncate(time.Hour).Unix(), g}
		c := d[k]
		c.entered += sign
		if i := slices.Index(path, e.stage); i >= 0 {
			if i+1 < len(path) && has(path[i+1]) {
				c.next += sign
			}
			if reachedLast {
				c.last += sign
			}
		}
		d[k] = c
	}
}

// leadBatch is what one batch of events does to a lead's group.
type leadBatch struct {
	created bool    // the batch creates the lead
	changed [3]bool // the batch sets the group field
	from    group   // each changed field's value before the batch
	to      group   // and after it
}

// moves reports whether the batch moves the lead to another group.
func (b *leadBatch) moves() bool { return b.from != b.to }

// before and after give the lead's group before and after the batch, from
// its current row's fields (stored) for those the batch does not change.
func (b *leadBatch) before(stored group) group { return b.pick(b.from, stored) }
func (b *leadBatch) after(stored group) group  { return b.pick(b.to, stored) }

func (b *leadBatch) pick(changed, stored group) group {
	g := stored
	for i := range g {
		if b.changed[i] {
			g[i] = changed[i]
		}
	}
	return g
}

// leadBatches returns, for each lead that a batch of events creates or
// whose group it changes, what it does.
func leadBatches(events []tandem.Event) map[int64]*leadBatch {
	m := map[int64]*leadBatch{}
	for _, e := range events {
		b := m[e.LeadID]
		if e.Type == tandem.EventCreated {
			if b == nil {
				b = &leadBatch{}
				m[e.LeadID] = b
			}
			b.created = true
		}
		for _, c := range e.Changes {
			i := slices.Index(groupFields[:], c.Field)
			if i < 0 {
				continue
			}
			if b == nil {
				b = &leadBatch{}
				m[e.LeadID] = b
			}
			if !b.changed[i] {
				b.changed[i], b.from[i] = true, c.From
			}
			b.to[i] = c.To
		}
	}
	return m
}

// countsBefore is what stage_counts' change for a batch starts from, for
// the leads stored before it: their stage entries and their group.
type countsBefore struct {
	entries map[int64][]stageEntry
	groups  map[int64]group
}

// readCountsBefore reads the stage entries and group of the leads a batch
// touches that it does not create (a created lead has no entries yet), if
// the batch gives them entries or moves them to another group. It locks
// their rows on PostgreSQL, so that a concurrent batch for the same lead
// waits and then reads what this one wrote. It must run before the batch's
// entries are written.
func (tx *Tx) readCountsBefore(ctx context.Context, entries []stageEntry, batches map[int64]*leadBatch) (countsBefore, error) {
	var ids []int64
	for _, e := range entries {
		if b := batches[e.leadID]; (b == nil || !b.created) && (len(ids) == 0 || ids[len(ids)-1] != e.leadID) {
			ids = append(ids, e.leadID)
		}
	}
	for id, b := range batches {
		if !b.created && b.moves() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	before := countsBefore{entries: map[int64][]stageEntry{}, groups: make(map[int64]group, len(ids))}
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		// Ids are numbers, written into the text: a list of parameters
		// costs SQLite more, and the statements are not worth caching.
		in := make([]string, len(chunk))
		for i, id := range chunk {
			in[i] = strconv.FormatInt(id, 10)
		}
		list := "(" + strings.Join(in, ", ") + ")"
		rows, err := tx.Tx.QueryContext(ctx, `SELECT id, source, origin, segment FROM leads WHERE id IN `+list+` ORDER BY id`+tx.db.d.forUpdate())
		if err != nil {
			return before, err
		}
		for rows.Next() {
			var id int64
			var g group
			if err := rows.Scan(&id, &g[0], &g[1], &g[2]); err != nil {
				rows.Close()
				return before, err
			}
			before.groups[id] = g
		}
		if err := closeRows(rows); err != nil {
			return before, err
		}
		rows, err = tx.Tx.QueryContext(ctx, `SELECT lead_id, stage, entered_at FROM stage_entries WHERE lead_id IN `+list)
		if err != nil {
			return before, err
		}
		for rows.Next() {
			var e stageEntry
			if err := rows.Scan(&e.leadID, &e.stage, scanTime{&e.at}); err != nil {
				rows.Close()
				return before, err
			}
			before.entries[e.leadID] = append(before.entries[e.leadID], e)
		}
		if err := closeRows(rows); err != nil {
			return before, err
		}
	}
	return before, nil
}

// closeRows closes rows read to the end and reports any error.
func closeRows(rows interface {
	Close() error
	Err() error
}) error {
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}

// countChanges returns the changes to stage_counts that a batch makes:
// for each lead it touches, what the lead counts after the batch (its
// entries merged with the batch's, in its new group) less what it counted
// before. A new entry, an entry that reaches the next or last stage of
// earlier ones, an entry moved earlier by an import, a lead moved to
// another group: all are that difference. entries are the batch's, by
// lead; the result is in key order (one lock order for every writer) and
// leaves out keys that do not change.
func countChanges(entries []stageEntry, batches map[int64]*leadBatch, before countsBefore, path []string) []stageCount {
	d := map[countKey]counts{}
	done := map[int64]bool{}
	add := func(id int64, batch []stageEntry) {
		done[id] = true
		b := batches[id]
		if b == nil {
			b = &leadBatch{}
		}
		if b.created {
			addCounts(d, batch, b.after(group{}), path, 1)
			return
		}
		stored, ok := before.groups[id]
		if !ok {
			return // not a lead: writing its entries fails
		}
		old := before.entries[id]
		merged := slices.Clone(old)
		for _, e := range batch {
			i := slices.IndexFunc(merged, func(m stageEntry) bool { return m.stage == e.stage })
			switch {
			case i < 0:
				merged = append(merged, e)
			case e.at.Before(merged[i].at):
				merged[i].at = e.at
			}
		}
		addCounts(d, old, b.before(stored), path, -1)
		addCounts(d, merged, b.after(stored), path, 1)
	}
	for i := 0; i < len(entries); {
		j := i + 1
		for j < len(entries) && entries[j].leadID == entries[i].leadID {
			j++
		}
		add(entries[i].leadID, entries[i:j])
		i = j
	}
	for id, b := range batches {
		if !done[id] && !b.created && b.moves() {
			add(id, nil)
		}
	}
	out := make([]stageCount, 0, len(d))
	for k, c := range d {
		if !c.zero() {
			out = append(out, stageCount{k, c})
		}
	}
	slices.SortFunc(out, func(a, b stageCount) int { return a.countKey.compare(b.countKey) })
	return out
}

// stageCountsAdd is what follows the rows of the INSERT that adds to
// stage_counts, on both databases.
const stageCountsAdd = ` ON CONFLICT (stage, bucket, source, origin, segment) DO UPDATE SET
	entered = stage_counts.entered + excluded.entered,
	reached_next = stage_counts.reached_next + excluded.reached_next,
	reached_last = stage_counts.reached_last + excluded.reached_last`

// writeStageCounts adds changes to stage_counts, made under the path
// stages path, and then checks that stage_counts follows that path:
// if not (a new agreement's path, or a database whose counts were never
// built), it rebuilds the table. The check comes after the changes, so
// that on PostgreSQL a writer that waited for another's rebuild sees it.
func (tx *Tx) writeStageCounts(ctx context.Context, changes []stageCount, path []string) error {
	if len(changes) > 0 {
		if err := tx.db.d.addStageCounts(ctx, tx, changes); err != nil {
			return err
		}
	}
	recorded, err := tx.countsPath(ctx)
	if err != nil {
		return err
	}
	if slices.Equal(recorded, path) {
		return nil
	}
	return tx.rebuildStageCounts(ctx, path)
}

// countsPath returns the path stages that stage_counts follows.
func (tx *Tx) countsPath(ctx context.Context) ([]string, error) {
	var s string
	if err := tx.QueryRowContext(ctx, `SELECT stages FROM stage_counts_path WHERE id = 1`).Scan(&s); err != nil {
		return nil, fmt.Errorf("stage counts path: %w", err)
	}
	return strings.Fields(s), nil
}

// rebuildStageCounts writes stage_counts anew from stage_entries and the
// leads, for the path stages path, and records the path. On PostgreSQL it
// first locks the table against other writers' changes, which wait and
// then add to the rebuilt counts.
func (tx *Tx) rebuildStageCounts(ctx context.Context, path []string) error {
	if lock := tx.db.d.lockStageCounts(); lock != "" {
		if _, err := tx.ExecContext(ctx, lock); err != nil {
			return fmt.Errorf("rebuild stage counts: %w", err)
		}
	}
	q, args := tx.stageCountsQuery(path)
	if _, err := tx.ExecContext(ctx, `DELETE FROM stage_counts`); err != nil {
		return fmt.Errorf("rebuild stage counts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO stage_counts (stage, bucket, source, origin, segment, entered, reached_next, reached_last) `+q, args...); err != nil {
		return fmt.Errorf("rebuild stage counts: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE stage_counts_path SET stages = $1 WHERE id = 1`, strings.Join(path, " ")); err != nil {
		return fmt.Errorf("rebuild stage counts: %w", err)
	}
	return nil
}

// stageCountsQuery returns the query that gives the rows stage_counts
// must hold for the path stages path, from stage_entries and the leads'
// current fields, in the table's column order, and its arguments. The
// next and last path stages' entries are found by primary key.
func (tx *Tx) stageCountsQuery(path []string) (string, []any) {
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	next, last := "NULL", "NULL"
	if len(path) > 1 {
		var b strings.Builder
		b.WriteString("CASE e.stage")
		for i := range len(path) - 1 {
			fmt.Fprintf(&b, " WHEN %s THEN %s", arg(path[i]), arg(path[i+1]))
		}
		b.WriteString(" END")
		next = b.String()
	}
	if len(path) > 0 {
		in, _ := stageArgs(path, arg)
		last = "CASE WHEN e.stage IN (" + in + ") THEN " + arg(path[len(path)-1]) + " END"
	}
	hour := tx.db.d.hourOf("e.entered_at")
	return `SELECT e.stage, ` + hour + `, l.source, l.origin, l.segment, count(*),
		count(n.lead_id), count(z.lead_id)
	FROM stage_entries e JOIN leads l ON l.id = e.lead_id
	LEFT JOIN stage_entries n ON n.lead_id = e.lead_id AND n.stage = ` + next + `
	LEFT JOIN stage_entries z ON z.lead_id = e.lead_id AND z.stage = ` + last + `
	GROUP BY e.stage, ` + hour + `, l.source, l.origin, l.segment`, args
}

// backfillStageCounts builds stage_counts from stage_entries, in one
// transaction, for a database whose entries were written before the table
// existed (or by the stage entries' backfill), if that is due.
func (db *DB) backfillStageCounts(ctx context.Context) error {
	var due int
	if err := db.write.QueryRowContext(ctx, `SELECT count(*) FROM backfills WHERE name = 'stage_counts'`).Scan(&due); err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	if due == 0 {
		return nil
	}
	start := time.Now()
	var rows int
	err := db.transact(ctx, func(tx *Tx) error {
		path, err := tx.pathStages(ctx)
		if err != nil {
			return err
		}
		if err := tx.rebuildStageCounts(ctx, path); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM stage_counts`).Scan(&rows); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM backfills WHERE name = 'stage_counts'`)
		return err
	})
	if err != nil {
		return fmt.Errorf("backfill stage counts: %w", err)
	}
	if rows > 0 { // a new database has nothing to say
		db.log.Info("backfilled stage counts from the stage entries", "rows", rows, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// VerifyStageCounts compares stage_counts with what stage_entries and the
// leads' current source, origin and segment give for the path stages the
// counts follow, calling bad with each row that differs (a row of zeros
// is no row). It returns how many differ.
func (db *DB) VerifyStageCounts(ctx context.Context, bad func(diff string)) (differ int, err error) {
	defer wrap(&err, "verify stage counts")
	stored, want := map[countKey]counts{}, map[countKey]counts{}
	read := func(tx *Tx, into map[countKey]counts, q string, args ...any) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k countKey
			var at time.Time
			var c counts
			if err := rows.Scan(&k.stage, scanTime{&at}, &k.group[0], &k.group[1], &k.group[2], &c.entered, &c.next, &c.last); err != nil {
				return err
			}
			k.hour = at.Unix()
			if !c.zero() {
				into[k] = c
			}
		}
		return rows.Err()
	}
	err = db.view(ctx, func(tx *Tx) error {
		path, err := tx.countsPath(ctx)
		if err != nil {
			return err
		}
		if err := read(tx, stored, `SELECT stage, bucket, source, origin, segment, entered, reached_next, reached_last FROM stage_counts`); err != nil {
			return err
		}
		q, args := tx.stageCountsQuery(path)
		return read(tx, want, q, args...)
	})
	if err != nil {
		return 0, err
	}
	keys := make([]countKey, 0, len(stored)+len(want))
	for k := range stored {
		keys = append(keys, k)
	}
	for k := range want {
		if _, ok := stored[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, countKey.compare)
	for _, k := range keys {
		if s, w := stored[k], want[k]; s != w {
			differ++
			bad(fmt.Sprintf("stage counts of %s in the hour from %s, source %q, origin %q, segment %q: stored %v; the stage entries give %v",
				k.stage, tandem.FormatTime(k.bucket()), k.group[0], k.group[1], k.group[2], s, w))
		}
	}
	return differ, nil
}
