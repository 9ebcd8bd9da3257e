package sqldb

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// stageEntry is a row of the stage_entries table: the first time a lead
// entered a stage.
type stageEntry struct {
	leadID int64
	stage  string
	at     time.Time
}

// stageEntriesOf returns the stage entries that events give, the earliest
// for each lead and stage, ordered by lead and stage. A lead enters a stage
// when a creation or stage-change event sets its stage to it, and also
// every path stage between the two when a stage change goes from an earlier
// path stage to a later one. path is the agreement's path stages, in order.
func stageEntriesOf(events []tandem.Event, path []string) []stageEntry {
	type key struct {
		lead  int64
		stage string
	}
	first := map[key]time.Time{}
	enter := func(lead int64, stage string, at time.Time) {
		k := key{lead, stage}
		if t, ok := first[k]; !ok || at.Before(t) {
			first[k] = at
		}
	}
	for _, e := range events {
		if e.Type != tandem.EventCreated && e.Type != tandem.EventStageChanged {
			continue
		}
		for _, c := range e.Changes {
			if c.Field != "stage" {
				continue
			}
			enter(e.LeadID, c.To, e.OccurredAt)
			if e.Type != tandem.EventStageChanged {
				continue
			}
			from, to := slices.Index(path, c.From), slices.Index(path, c.To)
			if from >= 0 {
				for i := from + 1; i < to; i++ {
					enter(e.LeadID, path[i], e.OccurredAt)
				}
			}
		}
	}
	entries := make([]stageEntry, 0, len(first))
	for k, t := range first {
		entries = append(entries, stageEntry{k.lead, k.stage, t})
	}
	// One order for every writer, so that concurrent transactions lock
	// the same rows in the same order.
	slices.SortFunc(entries, func(a, b stageEntry) int {
		return cmp.Or(cmp.Compare(a.leadID, b.leadID), strings.Compare(a.stage, b.stage))
	})
	return entries
}

// needsPath reports whether an event's stage entries depend on the path
// stages: a stage change from one stage to another may skip some.
func needsPath(events []tandem.Event) bool {
	for _, e := range events {
		if e.Type == tandem.EventStageChanged {
			return true
		}
	}
	return false
}

// writeStageEntries records the stage entries that events give, keeping
// the earlier time of a lead's entry into a stage already recorded (an
// import may append events that occurred in the past), and with
// withCounts the change they and the events' changes to the leads' source,
// origin and segment make to stage_counts. The path stages are those of
// the agreement in force. The leads' rows must be written already.
func (tx *Tx) writeStageEntries(ctx context.Context, events []tandem.Event, withCounts bool) error {
	var batches map[int64]*leadBatch
	moves := false
	if withCounts {
		batches = leadBatches(events)
		for _, b := range batches {
			if !b.created && b.moves() {
				moves = true
				break
			}
		}
	}
	var path []string
	if needsPath(events) || len(batches) > 0 {
		a, err := tx.agreementNow(ctx)
		if err != nil {
			return err
		}
		path = a.PathStages()
	}
	entries := stageEntriesOf(events, path)
	if len(entries) == 0 && !moves {
		return nil
	}
	var before countsBefore
	if withCounts {
		var err error
		if before, err = tx.readCountsBefore(ctx, entries, batches); err != nil {
			return fmt.Errorf("read stage counts' leads: %w", err)
		}
	}
	if len(entries) > 0 {
		if err := tx.db.d.upsertStageEntries(ctx, tx, entries); err != nil {
			return fmt.Errorf("write stage entries: %w", err)
		}
	}
	if withCounts {
		if err := tx.writeStageCounts(ctx, countChanges(entries, batches, before, path), path); err != nil {
			return fmt.Errorf("write stage counts: %w", err)
		}
	}
	return nil
}

// stageEntriesUpsert is what follows the rows of the INSERT that writes
// stage entries, on both databases.
const stageEntriesUpsert = ` ON CONFLICT (lead_id, stage) DO UPDATE SET entered_at = excluded.entered_at
	WHERE excluded.entered_at < stage_entries.entered_at`

// backfillBatch is how many leads' events the backfill reads and writes in
// one transaction.
const backfillBatch = 5000

// backfill does the work that migrations leave to the program (the rows
// of the backfills table), once: today, writing the stage entries of a
// database whose events were appended before the stage_entries table
// existed, and then building stage_counts from them
// ([DB.backfillStageCounts]). It reads the events in lead order, a batch
// of leads per transaction. Interrupted, it starts again at the next
// start-up: the entries it wrote are written again to the same values.
func (db *DB) backfill(ctx context.Context) error {
	var due int
	if err := db.write.QueryRowContext(ctx, `SELECT count(*) FROM backfills WHERE name = 'stage_entries'`).Scan(&due); err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	if due == 0 {
		return db.backfillStageCounts(ctx)
	}
	start := time.Now()
	var after int64
	leads := 0
	for {
		var last int64
		var n int
		err := db.transact(ctx, func(tx *Tx) error {
			err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(max(id), 0) FROM
				(SELECT id FROM leads WHERE id > $1 ORDER BY id LIMIT $2) AS batch`, after, backfillBatch).Scan(&n, &last)
			if err != nil || n == 0 {
				return err
			}
			events, err := tx.events(ctx, `lead_id > $1 AND lead_id <= $2 AND type IN ('created', 'stage_changed')`, after, last)
			if err != nil {
				return err
			}
			// stage_counts is rebuilt once at the end.
			return tx.writeStageEntries(ctx, events, false)
		})
		if err != nil {
			return fmt.Errorf("backfill stage entries of the leads after %d: %w", after, err)
		}
		if n == 0 {
			break
		}
		leads += n
		after = last
	}
	// The entries written, stage_counts must be rebuilt from them: one
	// transaction, so that an interruption leaves one backfill or the
	// other due.
	err := db.transact(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM backfills WHERE name = 'stage_entries'`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO backfills (name) VALUES ('stage_counts') ON CONFLICT (name) DO NOTHING`)
		return err
	})
	if err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	if leads > 0 { // a new database has nothing to say
		db.log.Info("backfilled stage entries from the ledger", "leads", leads, "took", time.Since(start).Round(time.Millisecond))
	}
	return db.backfillStageCounts(ctx)
}

// storedStageEntries returns the stage entries recorded for the leads
// with ids in [first, last], by lead.
func (tx *Tx) storedStageEntries(ctx context.Context, first, last int64) (map[int64][]stageEntry, error) {
	rows, err := tx.QueryContext(ctx, `SELECT lead_id, stage, entered_at FROM stage_entries
		WHERE lead_id >= $1 AND lead_id <= $2 ORDER BY lead_id, stage`, first, last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byLead := map[int64][]stageEntry{}
	for rows.Next() {
		var e stageEntry
		if err := rows.Scan(&e.leadID, &e.stage, scanTime{&e.at}); err != nil {
			return nil, err
		}
		byLead[e.leadID] = append(byLead[e.leadID], e)
	}
	return byLead, rows.Err()
}

// diffStageEntries describes how a lead's stored stage entries differ from
// those its events give (both ordered by stage), "" when they do not.
func diffStageEntries(stored, want []stageEntry) string {
	return diffEntries(stored, want, func(e stageEntry) (string, time.Time) { return e.stage, e.at }, strings.Compare,
		func(stage string) string { return stage })
}

// diffEntries describes how stored entries differ from those the events
// give: for each key (in cmp's order) whose time differs or that only one
// side has, "KEY stored T1, the events give T2" ("none" for a side without
// it), joined by "; "; "" when they agree. entry gives an entry's key and
// time, name a key's words.
func diffEntries[E any, K comparable](stored, want []E, entry func(E) (K, time.Time), cmp func(a, b K) int, name func(K) string) string {
	byKey := func(es []E) map[K]time.Time {
		m := make(map[K]time.Time, len(es))
		for _, e := range es {
			k, at := entry(e)
			m[k] = at
		}
		return m
	}
	s, w := byKey(stored), byKey(want)
	keys := make([]K, 0, len(s)+len(w))
	for k := range s {
		keys = append(keys, k)
	}
	for k := range w {
		if _, ok := s[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, cmp)
	show := func(t time.Time, ok bool) string {
		if !ok {
			return "none"
		}
		return tandem.FormatTime(t)
	}
	var parts []string
	for _, k := range keys {
		st, ok1 := s[k]
		wt, ok2 := w[k]
		if ok1 == ok2 && st.Equal(wt) {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s stored %s, the events give %s", name(k), show(st, ok1), show(wt, ok2)))
	}
	return strings.Join(parts, "; ")
}
