package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/outbox"
)

// A breach storm (every clock of a busy morning falling due at once) fires
// thousands of timers a second only if a batch costs a few statements, not
// a few per timer. So, while [DB.FireDue] fires a batch, the SLA's timers
// read through a fireBuffer, which loads the leads (locked), hand-offs and
// tasks of the whole batch in one query each, and their writes (the lead,
// its ledger event, escalation timers and notices, a task breached) are kept
// in it and written at the end of the batch, set-wise. The rules stay where
// they are (breach, escalate); only where they read and write changes.
//
// A timer that fails while its writes are buffered has written nothing, so
// FireDue needs no savepoint for it: it only records the failure. A write of
// the batch that fails fails the transaction, and FireDue fires the batch
// again one timer at a time under savepoints, so that the failure is pinned
// on its timer.

// fireBuffer is what the batch of timers being fired read and will write.
type fireBuffer struct {
	batch  []Timer
	loaded bool // the batch's rows were read
	off    bool // writes go straight to the database
	// What the batch's timers read, as they changed it.
	leads    map[int64]tandem.Lead
	locked   map[int64]bool
	handoffs map[int64]handoffRow
	tasks    map[int64]tandem.Task
	// The active webhook subscriptions, once read (webhookTargets).
	hooks     []WebhookSubscription
	hooksRead bool
	// What they will write.
	changed   []int64 // the leads changed, in the order first changed
	isChanged map[int64]bool
	orig      map[int64]tandem.Lead // each changed lead as it was before
	events    []tandem.Event
	timers    []Timer
	breached  []int64 // tasks breached
	notices   []outbox.Event
	// journal holds what each buffered write replaced, so that a fire
	// that fails after writing leaves nothing (see mark and undo).
	journal []fireUndo
}

// fireUndo is what one buffered write of a lead or a task replaced.
type fireUndo struct {
	lead    int64 // the lead changed, or 0
	prev    tandem.Lead
	changed bool  // whether the lead was changed before
	task    int64 // the task breached, or 0
	tprev   tandem.Task
	thad    bool
}

// fireMark is where the buffer's writes stood before a fire.
type fireMark struct{ changed, events, timers, breached, notices, journal int }

func (b *fireBuffer) mark() fireMark {
	return fireMark{len(b.changed), len(b.events), len(b.timers), len(b.breached), len(b.notices), len(b.journal)}
}

// undo drops the writes buffered since m. A fire that flushed the buffer
// (see fireDirect) undid its own writes with a savepoint.
func (b *fireBuffer) undo(m fireMark) {
	if m.journal > len(b.journal) || m.changed > len(b.changed) {
		return
	}
	for i := len(b.journal) - 1; i >= m.journal; i-- {
		u := b.journal[i]
		if u.lead != 0 {
			b.leads[u.lead] = u.prev
			if !u.changed {
				delete(b.isChanged, u.lead)
			}
		}
		if u.task != 0 {
			if u.thad {
				b.tasks[u.task] = u.tprev
			} else {
				delete(b.tasks, u.task)
			}
		}
	}
	b.journal = b.journal[:m.journal]
	b.changed, b.events, b.timers = b.changed[:m.changed], b.events[:m.events], b.timers[:m.timers]
	b.breached, b.notices = b.breached[:m.breached], b.notices[:m.notices]
}

// fireWrites is what firing one timer writes.
type fireWrites struct {
	lead         *tandem.Lead // the lead as changed, or nil
	events       []tandem.Event
	breachedTask int64
	timers       []Timer
	notices      []outbox.Event
	fired        Fired
}

// setFireBatch is the most timers fired in one transaction set-wise: a
// bigger batch writes fewer, larger statements and commits less often, but
// holds its leads' locks (on SQLite the write lock) longer: about a second
// on a quiet machine. From 500 to 1,000, a storm of 10,000 hand-offs took 6%
// less CPU on SQLite and 23% less time on PostgreSQL with two workers
// (BenchmarkBreachStorm). Each statement stays under SQLite's and
// PostgreSQL's parameter limits (see flushFire).
const setFireBatch = 1000

// buffered reports whether fired timers' writes go to the batch's buffer.
func (tx *Tx) buffered() bool { return tx.fireBuf != nil && !tx.fireBuf.off }

// bufferedSoFar reports whether the batch's timers so far wrote only to
// its buffer: then the next one needs no savepoint. The first timer of a
// batch always gets one, since FireDue cannot tell whether its fire
// function buffers until it has run one.
func (tx *Tx) bufferedSoFar() bool { return tx.buffered() && tx.fireBuf.loaded }

// loadFire reads the rows the batch's SLA timers need, the first time one
// of them is fired: their leads locked, in id order (as firing one at a
// time locks them), their hand-offs and their tasks.
func (tx *Tx) loadFire(ctx context.Context) error {
	b := tx.fireBuf
	if b == nil || b.loaded || b.off {
		return nil
	}
	b.loaded = true
	var leads, handoffs, tasks []int64
	for _, t := range b.batch {
		var pl timerPayload
		if json.Unmarshal(t.Payload, &pl) != nil {
			continue // its own firing reports it
		}
		switch t.Kind {
		case TimerFirstTouch, TimerAccept, TimerStep, TimerEscalate:
		default:
			continue
		}
		if t.LeadID != 0 {
			leads = append(leads, t.LeadID)
		}
		if pl.Handoff != 0 {
			handoffs = append(handoffs, pl.Handoff)
		}
		if pl.Task != 0 {
			tasks = append(tasks, pl.Task)
		}
	}
	leads, handoffs, tasks = uniqueIDs(leads), uniqueIDs(handoffs), uniqueIDs(tasks)
	b.leads, b.locked = map[int64]tandem.Lead{}, map[int64]bool{}
	b.handoffs, b.tasks = map[int64]handoffRow{}, map[int64]tandem.Task{}
	if len(leads) > 0 {
		cond, arg := tx.idsIn("id", 1, leads)
		rows, err := tx.QueryContext(ctx, `SELECT `+leadColumns+` FROM leads WHERE `+cond+` ORDER BY id`+tx.db.d.forUpdate(), arg)
		if err != nil {
			return fmt.Errorf("the batch's leads: %w", err)
		}
		for rows.Next() {
			l, err := scanLead(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("the batch's leads: %w", err)
			}
			b.leads[l.ID], b.locked[l.ID] = l, true
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("the batch's leads: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("the batch's leads: %w", err)
		}
	}
	if len(handoffs) > 0 {
		cond, arg := tx.idsIn("id", 1, handoffs)
		if err := tx.scanRows(ctx, `SELECT `+handoffColumns+` FROM handoffs WHERE `+cond, []any{arg}, func(r *sql.Rows) error {
			h, err := scanHandoff(r)
			b.handoffs[h.ID] = h
			return err
		}); err != nil {
			return fmt.Errorf("the batch's hand-offs: %w", err)
		}
	}
	if len(tasks) > 0 {
		cond, arg := tx.idsIn("id", 1, tasks)
		if err := tx.scanRows(ctx, `SELECT `+taskColumns+` FROM tasks WHERE `+cond, []any{arg}, func(r *sql.Rows) error {
			t, err := scanTask(r)
			b.tasks[t.ID] = t
			return err
		}); err != nil {
			return fmt.Errorf("the batch's tasks: %w", err)
		}
	}
	return nil
}

// uniqueIDs sorts ids and drops repeats.
func uniqueIDs(ids []int64) []int64 {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// idsIn returns a condition that col is one of ids, with the one
// parameter it takes, numbered n: an array on PostgreSQL, a JSON array on
// SQLite, so that the statement's text is the same for any number of ids.
func (tx *Tx) idsIn(col string, n int, ids []int64) (string, any) {
	if tx.db.d.name() == "postgres" {
		return fmt.Sprintf("%s = ANY($%d::bigint[])", col, n), ids
	}
	js, _ := json.Marshal(ids) // a slice of integers always encodes
	return fmt.Sprintf("%s IN (SELECT value FROM json_each($%d))", col, n), string(js)
}

// fireLead returns the lead, locked if lock says so: from the batch's
// buffer when its writes are buffered.
func (tx *Tx) fireLead(ctx context.Context, id int64, lock bool) (tandem.Lead, error) {
	if !tx.buffered() {
		return tx.lead(ctx, id, lock)
	}
	if err := tx.loadFire(ctx); err != nil {
		return tandem.Lead{}, err
	}
	b := tx.fireBuf
	if l, ok := b.leads[id]; ok && (b.locked[id] || !lock) {
		return l.Clone(), nil
	}
	l, err := tx.lead(ctx, id, lock)
	if err != nil {
		return l, err
	}
	b.leads[id], b.locked[id] = l, lock
	return l.Clone(), nil
}

// fireHandoff returns a hand-off, from the batch's buffer when its writes
// are buffered.
func (tx *Tx) fireHandoff(ctx context.Context, id int64) (handoffRow, error) {
	if !tx.buffered() {
		return tx.handoffByID(ctx, id)
	}
	if err := tx.loadFire(ctx); err != nil {
		return handoffRow{}, err
	}
	if h, ok := tx.fireBuf.handoffs[id]; ok {
		return h, nil
	}
	h, err := tx.handoffByID(ctx, id)
	if err == nil {
		tx.fireBuf.handoffs[id] = h
	}
	return h, err
}

// fireTask returns a task and whether it exists, from the batch's buffer
// when its writes are buffered.
func (tx *Tx) fireTask(ctx context.Context, id int64) (tandem.Task, bool, error) {
	if tx.buffered() {
		if err := tx.loadFire(ctx); err != nil {
			return tandem.Task{}, false, err
		}
		if t, ok := tx.fireBuf.tasks[id]; ok {
			return t, true, nil
		}
	}
	ts, err := tx.tasks(ctx, `id = $1`, id)
	if err != nil || len(ts) == 0 {
		return tandem.Task{}, false, err
	}
	if tx.buffered() {
		tx.fireBuf.tasks[id] = ts[0]
	}
	return ts[0], true, nil
}

// writeFire writes what firing one timer wrote: into the batch's buffer
// when its writes are buffered, else at once.
func (tx *Tx) writeFire(ctx context.Context, w fireWrites) error {
	tx.fired.Breaches += w.fired.Breaches
	tx.fired.Escalations += w.fired.Escalations
	if b := tx.fireBuf; tx.buffered() {
		if w.lead != nil {
			b.journal = append(b.journal, fireUndo{lead: w.lead.ID, prev: b.leads[w.lead.ID], changed: b.isChanged[w.lead.ID]})
			if !b.isChanged[w.lead.ID] {
				if b.isChanged == nil {
					b.isChanged, b.orig = map[int64]bool{}, map[int64]tandem.Lead{}
				}
				b.isChanged[w.lead.ID] = true
				b.changed = append(b.changed, w.lead.ID)
				b.orig[w.lead.ID] = b.leads[w.lead.ID]
			}
			b.leads[w.lead.ID] = *w.lead
		}
		if w.breachedTask != 0 {
			b.breached = append(b.breached, w.breachedTask)
			t, ok := b.tasks[w.breachedTask]
			b.journal = append(b.journal, fireUndo{task: w.breachedTask, tprev: t, thad: ok})
			if ok {
				t.Breached = true
				b.tasks[w.breachedTask] = t
			}
		}
		b.events = append(b.events, w.events...)
		b.timers = append(b.timers, w.timers...)
		b.notices = append(b.notices, w.notices...)
		return nil
	}
	if w.breachedTask != 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET breached = $1 WHERE id = $2`, true, w.breachedTask); err != nil {
			return err
		}
	}
	if w.lead != nil {
		if err := tx.updateLead(ctx, w.lead); err != nil {
			return err
		}
	}
	if err := tx.appendEvents(ctx, w.events); err != nil {
		return err
	}
	if err := tx.publish(ctx, w.notices); err != nil {
		return err
	}
	return tx.addTimers(ctx, w.timers)
}

// flushChunk bounds the events one call of appendEvents or publish
// writes, and so the statements they build.
const flushChunk = 250

// flushFire writes what the batch's timers buffered, set-wise, in the
// order firing them one at a time writes it: tasks breached, leads, ledger
// events (with their stage entries and outbox events), escalation notices
// and escalation timers.
func (tx *Tx) flushFire(ctx context.Context) error {
	b := tx.fireBuf
	if b == nil || b.off {
		return nil
	}
	if len(b.breached) > 0 {
		cond, arg := tx.idsIn("id", 2, uniqueIDs(b.breached))
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET breached = $1 WHERE `+cond, true, arg); err != nil {
			return fmt.Errorf("tasks breached: %w", err)
		}
	}
	if len(b.changed) > 0 {
		// A breach's event changes no field: only the lead's version and
		// update time move, which two columns say.
		var ws []batchLeadWrite
		var touched []leadTouch
		for _, id := range b.changed {
			l, was := b.leads[id], b.orig[id]
			if onlyTouched(&was, &l) {
				touched = append(touched, leadTouch{id: id, version: l.Version, updatedAt: l.UpdatedAt})
			} else {
				ws = append(ws, batchLeadWrite{lead: l})
			}
		}
		if len(touched) > 0 {
			if err := tx.db.d.touchLeads(ctx, tx, touched); err != nil {
				return err
			}
		}
		if len(ws) > 0 {
			if err := tx.db.d.updateLeads(ctx, tx, ws); err != nil {
				return err
			}
		}
	}
	for evs := range slices.Chunk(b.events, flushChunk) {
		if err := tx.appendEvents(ctx, evs); err != nil {
			return err
		}
	}
	for ns := range slices.Chunk(b.notices, flushChunk) {
		if err := tx.publish(ctx, ns); err != nil {
			return err
		}
	}
	for ts := range slices.Chunk(b.timers, flushChunk) {
		if err := tx.addTimers(ctx, ts); err != nil {
			return err
		}
	}
	b.changed, b.isChanged, b.orig, b.events, b.timers, b.breached, b.notices = nil, nil, nil, nil, nil, nil, nil
	return nil
}

// leadTouch is a lead's new version and update time, all that changed.
type leadTouch struct {
	id        int64
	version   int
	updatedAt time.Time
}

// onlyTouched reports whether lead l's row differs from was's in its
// version and update time at most: whether writing those two columns
// writes l.
func onlyTouched(was, l *tandem.Lead) bool {
	a, b := leadRow(was), leadRow(l)
	for i := range a {
		if i != leadUpdatedAtColumn && i != leadVersionColumn && !sameValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

// The places of the update time and version in leadRow.
var leadUpdatedAtColumn, leadVersionColumn = slices.Index(leadInsertColumns, "updated_at"), slices.Index(leadInsertColumns, "version")

// fireDirect fires a timer whose writes cannot be buffered (one that
// routes a hand-off as a use case does): what the batch buffered so far is
// written first, the timer's writes are undone by a savepoint if it fails,
// and what the buffer read of its lead is read again after it.
func (tx *Tx) fireDirect(ctx context.Context, leadID int64, fire func() error) error {
	b := tx.fireBuf
	if !tx.buffered() {
		return fire()
	}
	if err := tx.flushFire(ctx); err != nil {
		return flushError{err}
	}
	b.off = true
	defer func() {
		b.off = false
		delete(b.leads, leadID)
		delete(b.locked, leadID)
		for id, h := range b.handoffs {
			if h.LeadID == leadID {
				delete(b.handoffs, id)
			}
		}
		for id, t := range b.tasks {
			if t.LeadID == leadID {
				delete(b.tasks, id)
			}
		}
	}()
	if _, err := tx.ExecContext(ctx, `SAVEPOINT fire_direct`); err != nil {
		return err
	}
	ferr := fire()
	if ferr == nil {
		_, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT fire_direct`)
		return err
	}
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT fire_direct`); err != nil {
		return fmt.Errorf("%w (after fire failed: %v)", err, ferr)
	}
	return ferr
}

// flushError is a failure to write what a batch buffered: it fails the
// batch, which FireDue then fires again one timer at a time.
type flushError struct{ err error }

func (e flushError) Error() string { return "write the batch of timers fired: " + e.err.Error() }
func (e flushError) Unwrap() error { return e.err }
