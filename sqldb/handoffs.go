package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/sla"
)

// Timer kinds of the SLA engine. Their payload names the hand-off or task.
const (
	TimerFirstTouch = "first_touch" // {"handoff": id}
	TimerAccept     = "accept"      // {"handoff": id}
	TimerStep       = "step"        // {"handoff": id, "task": id}
	TimerRoute      = "route"       // {"handoff": id}: try routing again
	TimerEscalate   = "escalate"    // {"handoff": id, "clock": kind, "task": id, "level": n}
)

// routeRetry is how long an unrouted hand-off waits before routing is tried
// again; a hot lead tries four times as often, so that when a rep comes back
// the hot leads waiting are routed first.
const routeRetry = time.Minute

func retryAfter(hot bool) time.Duration {
	if hot {
		return routeRetry / 4
	}
	return routeRetry
}

// timerPayload is the payload of every SLA timer.
type timerPayload struct {
	Handoff int64  `json:"handoff"`
	Task    int64  `json:"task,omitempty"`
	Clock   string `json:"clock,omitempty"`
	Level   int    `json:"level,omitempty"`
}

func (p timerPayload) raw() json.RawMessage {
	b, _ := json.Marshal(p)
	return b
}

// policyInForce returns the SLA policy of the agreement in force now, with
// the time it came into force; nil when no signed agreement is in force or
// it starts no hand-offs.
func (tx *Tx) policyInForce(ctx context.Context) (*sla.Policy, time.Time, error) {
	n, err := tx.versionInForce(ctx, tx.Now)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return nil, time.Time{}, nil
	} else if err != nil {
		return nil, time.Time{}, fmt.Errorf("agreement in force: %w", err)
	}
	v, err := tx.version(ctx, n)
	if err != nil {
		return nil, time.Time{}, err
	}
	return v.p, v.from, nil
}

// policy returns the SLA policy of agreement version n (the version a
// hand-off runs on, which may no longer be in force).
func (tx *Tx) policy(ctx context.Context, n int) (*sla.Policy, error) {
	v, err := tx.version(ctx, n)
	if err != nil {
		return nil, err
	}
	if v.p == nil {
		return nil, fmt.Errorf("agreement version %d has no hand-off stage", n)
	}
	return v.p, nil
}

// handoffColumns are the columns scanHandoff reads, in its order.
const handoffColumns = `id, lead_id, owner_id, hot, note, agreement_version, started_at, routed_at, first_touch_due,
	first_touch_at, accept_due, decided_at, decision, reject_reason, cadence, cadence_from, step, touches, ended_at, end_reason`

// handoffRow is a hand-off with the step its rep owes.
type handoffRow struct {
	tandem.Handoff
	step int // the step (from 0) of the current cadence the rep owes
}

func scanHandoff(s scanner) (handoffRow, error) {
	var h handoffRow
	var owner sql.NullInt64
	err := s.Scan(&h.ID, &h.LeadID, &owner, &h.Hot, &h.Note, &h.AgreementVersion, scanTime{&h.StartedAt}, scanTime{&h.RoutedAt},
		scanTime{&h.FirstTouchDue}, scanTime{&h.FirstTouchAt}, scanTime{&h.AcceptDue}, scanTime{&h.DecidedAt}, &h.Decision,
		&h.RejectReason, &h.Cadence, scanTime{&h.CadenceFrom}, &h.step, &h.Touches, scanTime{&h.EndedAt}, &h.EndReason)
	h.OwnerID = owner.Int64
	return h, err
}

// openHandoff returns the lead's open hand-off, locked on PostgreSQL, or
// false when it has none.
func (tx *Tx) openHandoff(ctx context.Context, leadID int64) (handoffRow, bool, error) {
	if tx.buffering() {
		if tx.batch.calm[leadID] {
			return handoffRow{}, false, nil
		}
		return handoffRow{}, false, errSlowRow // the batch does not hold hand-offs
	}
	h, err := scanHandoff(tx.QueryRowContext(ctx, `SELECT `+handoffColumns+` FROM handoffs WHERE lead_id = $1 AND ended_at IS NULL`+tx.db.d.forUpdate(), leadID))
	if err == sql.ErrNoRows {
		return h, false, nil
	}
	if err != nil {
		return h, false, fmt.Errorf("open hand-off of lead %d: %w", leadID, err)
	}
	return h, true, nil
}

// handoffByID reads a hand-off. It takes no lock: a use case that changes a
// hand-off locks its lead first (every use case locks the lead, then the
// hand-off, so that two of them cannot deadlock).
func (tx *Tx) handoffByID(ctx context.Context, id int64) (handoffRow, error) {
	h, err := scanHandoff(tx.QueryRowContext(ctx, `SELECT `+handoffColumns+` FROM handoffs WHERE id = $1`, id))
	if err != nil {
		return h, fmt.Errorf("hand-off %d: %w", id, err)
	}
	return h, nil
}

// Handoffs returns the lead's hand-offs, oldest first.
func (db *DB) Handoffs(ctx context.Context, leadID int64) (hs []tandem.Handoff, err error) {
	defer wrap(&err, "hand-offs of lead %d", leadID)
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+handoffColumns+` FROM handoffs WHERE lead_id = $1 ORDER BY id`, leadID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			h, err := scanHandoff(rows)
			if err != nil {
				return err
			}
			hs = append(hs, h.Handoff)
		}
		return rows.Err()
	})
	return hs, err
}

// nullID is an id as a query argument: NULL for 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// transition is what a use case tells the engine about a stage change.
type transition struct {
	hot          bool
	note         string
	rejectReason string // the reason code when the owner rejects
	// decided says that sla.Policy.Decide has checked the move: a
	// rejection's touches are its reason's rule, not CheckRecycle's.
	decided bool
	// created says that the transaction creates the lead: it has no
	// hand-off stored to move (the foreign key sees to that, and one the
	// transaction starts is written at flush), so none is looked for:
	// on PostgreSQL that is a round trip for each lead intake qualifies.
	created bool
}

// engine is the SLA engine within one transaction: it reacts to stage
// changes, routes hand-offs and writes their clocks. Use cases call
// [engine.moved] for every lead whose stage changed, before the lead's row
// is written (routing sets the owner), and [engine.flush] after.
type engine struct {
	tx     *Tx
	p      *sla.Policy
	from   time.Time // when the policy's version came into force
	loaded bool
	pools  map[string]*routingPool
	starts []*start
}

type routingPool struct {
	name  string
	cands []sla.Candidate
	dirty bool
}

// start is a hand-off to write once its lead's row exists.
type start struct {
	lead *tandem.Lead
	h    tandem.Handoff
}

func (tx *Tx) engine(ctx context.Context) (*engine, error) {
	p, from, err := tx.policyInForce(ctx)
	if err != nil {
		return nil, err
	}
	return &engine{tx: tx, p: p, from: from, loaded: true}, nil
}

// moved reacts to a lead's stage change from one stage to another ("" for a
// new lead): a lead entering the hand-off stage under the agreement in force
// is routed (its owner set, an assigned event returned to append after the
// stage change) and a hand-off is queued for flush; a lead leaving the
// stages sales works ends its open hand-off; a lead moving on from the
// hand-off stage has been accepted. The lead is changed in place.
func (e *engine) moved(ctx context.Context, l *tandem.Lead, from, to string, t transition) ([]tandem.Event, error) {
	tx := e.tx
	if from != "" && !t.created {
		h, ok, err := tx.openHandoff(ctx, l.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			p, err := tx.policy(ctx, h.AgreementVersion)
			if err != nil {
				return nil, err
			}
			if err := tx.handoffMoved(ctx, p, h, to, t); err != nil {
				return nil, err
			}
		}
	}
	opened, err := tx.dealMoved(ctx, l, from, to)
	if err != nil {
		return nil, err
	}
	p := e.p
	if p == nil || to != p.HandoffStage || from == to || l.StageChangedAt.Before(e.from) {
		return opened, nil
	}
	if tx.buffering() {
		return nil, errSlowRow // the batch does not hold hand-offs
	}
	// The clocks start when Tandem records the hand-off: a lead imported
	// into mql a week late is owed its first touch from now.
	h := tandem.Handoff{LeadID: l.ID, Hot: t.hot, Note: t.note, AgreementVersion: p.Version, StartedAt: tx.Now,
		FirstTouchDue: p.FirstTouchDue(tx.Now, t.hot), AcceptDue: p.AcceptDue(tx.Now),
		Cadence: tandem.CadenceMain, CadenceFrom: tx.Now}
	events := opened
	owner, method, err := e.route(ctx, l)
	if err != nil {
		return nil, err
	}
	if owner != 0 {
		h.OwnerID, h.RoutedAt = owner, tx.Now
		ev, err := assign(l, owner, "routed by "+method, "system", p.Version, tx.Now)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	e.starts = append(e.starts, &start{lead: l, h: h})
	return events, nil
}

// assign sets the lead's owner and returns the assigned event, applied.
func assign(l *tandem.Lead, owner int64, reason, actor string, version int, now time.Time) (tandem.Event, error) {
	ev := tandem.Event{LeadID: l.ID, Type: tandem.EventAssigned, OccurredAt: now, Actor: actor, Reason: reason,
		AgreementVersion: version, Changes: []tandem.FieldChange{{Field: "owner_id", From: idString(l.OwnerID), To: idString(owner)}}}
	return ev, l.Apply(&ev)
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// flush writes the hand-offs queued by moved, with their clocks and first
// tasks, and the routing balances. The leads' rows must exist.
func (e *engine) flush(ctx context.Context) error {
	tx := e.tx
	if len(e.starts) == 1 {
		s := e.starts[0]
		s.h.LeadID = s.lead.ID
		if err := tx.startHandoff(ctx, e.p, &s.h); err != nil {
			return err
		}
	} else if len(e.starts) > 1 {
		hs := make([]*tandem.Handoff, len(e.starts))
		for i, s := range e.starts {
			s.h.LeadID = s.lead.ID
			hs[i] = &s.h
		}
		if err := tx.startHandoffs(ctx, e.p, hs); err != nil {
			return err
		}
	}
	e.starts = e.starts[:0]
	for _, pool := range e.pools {
		if !pool.dirty {
			continue
		}
		for _, c := range pool.cands {
			if _, err := tx.ExecContext(ctx, `INSERT INTO routing_credits (pool, user_id, credit) VALUES ($1, $2, $3)
				ON CONFLICT (pool, user_id) DO UPDATE SET credit = excluded.credit`, pool.name, c.UserID, c.Credit); err != nil {
				return fmt.Errorf("routing credits: %w", err)
			}
		}
		pool.dirty = false
	}
	return nil
}

// startHandoff writes a hand-off, its first-touch and accept clocks, and the
// first step of its cadence; an unrouted one gets a routing retry instead
// of a task.
func (tx *Tx) startHandoff(ctx context.Context, p *sla.Policy, h *tandem.Handoff) error {
	err := tx.QueryRowContext(ctx, `INSERT INTO handoffs (lead_id, owner_id, hot, note, agreement_version, started_at, routed_at,
		first_touch_due, accept_due, cadence, cadence_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		h.LeadID, nullID(h.OwnerID), h.Hot, h.Note, h.AgreementVersion, tx.t(h.StartedAt), tx.t(h.RoutedAt),
		tx.t(h.FirstTouchDue), tx.t(h.AcceptDue), h.Cadence, tx.t(h.CadenceFrom)).Scan(&h.ID)
	if err != nil {
		return fmt.Errorf("start hand-off of lead %d: %w", h.LeadID, err)
	}
	pl := timerPayload{Handoff: h.ID}.raw()
	for _, t := range []Timer{
		{Kind: TimerFirstTouch, LeadID: h.LeadID, DueAt: h.FirstTouchDue, Payload: pl},
		{Kind: TimerAccept, LeadID: h.LeadID, DueAt: h.AcceptDue, Payload: pl},
	} {
		if _, err := tx.AddTimer(ctx, t); err != nil {
			return err
		}
	}
	if h.OwnerID == 0 {
		_, err := tx.AddTimer(ctx, Timer{Kind: TimerRoute, LeadID: h.LeadID, DueAt: tx.Now.Add(retryAfter(h.Hot)), Payload: pl})
		return err
	}
	_, err = tx.addTask(ctx, p, h, 0)
	return err
}

// startHandoffs is [Tx.startHandoff] for the many hand-offs a batch of
// leads starts: the same rows (hand-offs, their first-touch and accept
// clocks, a routing retry for an unrouted one, else the first cadence
// task and its step clock), with their ids reserved first, so that each
// table is written in one bulk write rather than a statement per row.
func (tx *Tx) startHandoffs(ctx context.Context, p *sla.Policy, hs []*tandem.Handoff) error {
	ids, err := tx.db.d.reserveIDs(ctx, tx, "handoffs", len(hs))
	if err != nil {
		return err
	}
	rows := make([][]any, len(hs))
	var timers []Timer
	var tasks []tandem.Task
	for i, h := range hs {
		h.ID = ids[i]
		rows[i] = []any{h.ID, h.LeadID, nullID(h.OwnerID), h.Hot, h.Note, h.AgreementVersion, tx.t(h.StartedAt), tx.t(h.RoutedAt),
			tx.t(h.FirstTouchDue), tx.t(h.AcceptDue), h.Cadence, tx.t(h.CadenceFrom)}
		pl := timerPayload{Handoff: h.ID}.raw()
		timers = append(timers, Timer{Kind: TimerFirstTouch, LeadID: h.LeadID, DueAt: h.FirstTouchDue, Payload: pl},
			Timer{Kind: TimerAccept, LeadID: h.LeadID, DueAt: h.AcceptDue, Payload: pl})
		if h.OwnerID == 0 {
			timers = append(timers, Timer{Kind: TimerRoute, LeadID: h.LeadID, DueAt: tx.Now.Add(retryAfter(h.Hot)), Payload: pl})
			continue
		}
		if t, ok := p.Task(h.Cadence, 0, h.CadenceFrom, h.Hot); ok {
			t.LeadID, t.HandoffID, t.OwnerID = h.LeadID, h.ID, h.OwnerID
			tasks = append(tasks, t)
		}
	}
	if err := tx.db.d.bulkInsert(ctx, tx, "handoffs", []string{"id", "lead_id", "owner_id", "hot", "note", "agreement_version",
		"started_at", "routed_at", "first_touch_due", "accept_due", "cadence", "cadence_from"}, rows); err != nil {
		return fmt.Errorf("start hand-offs: %w", err)
	}
	if len(tasks) > 0 {
		tids, err := tx.db.d.reserveIDs(ctx, tx, "tasks", len(tasks))
		if err != nil {
			return err
		}
		rows := make([][]any, len(tasks))
		for i := range tasks {
			t := &tasks[i]
			t.ID = tids[i]
			rows[i] = []any{t.ID, t.LeadID, t.HandoffID, nullID(t.OwnerID), t.Cadence, t.Step, t.Channel, t.Template,
				tx.t(t.StartsAt), tx.t(t.DueAt), t.State, tx.t(t.DoneAt)}
			timers = append(timers, Timer{Kind: TimerStep, LeadID: t.LeadID, DueAt: t.DueAt,
				Payload: timerPayload{Handoff: t.HandoffID, Task: t.ID}.raw()})
		}
		if err := tx.db.d.bulkInsert(ctx, tx, "tasks", []string{"id", "lead_id", "handoff_id", "owner_id", "cadence", "step",
			"channel", "template", "starts_at", "due_at", "state", "done_at"}, rows); err != nil {
			return fmt.Errorf("add tasks: %w", err)
		}
	}
	trows := make([][]any, len(timers))
	for i, t := range timers {
		trows[i] = []any{t.Kind, nullID(t.LeadID), tx.t(t.DueAt.UTC().Truncate(time.Microsecond)), "pending", string(t.Payload), tx.t(tx.Now)}
	}
	if err := tx.db.d.bulkInsert(ctx, tx, "timers", []string{"kind", "lead_id", "due_at", "state", "payload", "created_at"}, trows); err != nil {
		return fmt.Errorf("add timers: %w", err)
	}
	return nil
}

// addTask writes step i of the hand-off's current cadence as an open task,
// with its step clock; it does nothing past the cadence's end.
func (tx *Tx) addTask(ctx context.Context, p *sla.Policy, h *tandem.Handoff, i int) (tandem.Task, error) {
	t, ok := p.Task(h.Cadence, i, h.CadenceFrom, h.Hot)
	if !ok {
		return t, nil
	}
	t.LeadID, t.HandoffID, t.OwnerID = h.LeadID, h.ID, h.OwnerID
	if err := tx.insertTask(ctx, &t); err != nil {
		return t, err
	}
	_, err := tx.AddTimer(ctx, Timer{Kind: TimerStep, LeadID: h.LeadID, DueAt: t.DueAt,
		Payload: timerPayload{Handoff: h.ID, Task: t.ID}.raw()})
	return t, err
}

func (tx *Tx) insertTask(ctx context.Context, t *tandem.Task) error {
	err := tx.QueryRowContext(ctx, `INSERT INTO tasks (lead_id, handoff_id, owner_id, cadence, step, channel, template, starts_at, due_at, state, done_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		t.LeadID, t.HandoffID, nullID(t.OwnerID), t.Cadence, t.Step, t.Channel, t.Template, tx.t(t.StartsAt), tx.t(t.DueAt),
		t.State, tx.t(t.DoneAt)).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("add task: %w", err)
	}
	return nil
}

// handoffMoved updates an open hand-off whose lead moved to stage to: out
// of the stages sales works it ends (rejected into the reject stage,
// disqualified into the disqualify stage, won at the end of the path); on
// from the hand-off stage it is accepted.
func (tx *Tx) handoffMoved(ctx context.Context, p *sla.Policy, h handoffRow, to string, t transition) error {
	if p.Working(to) {
		if h.Decision == "" && to != p.HandoffStage {
			if _, err := tx.ExecContext(ctx, `UPDATE handoffs SET decision = $1, decided_at = $2 WHERE id = $3`,
				tandem.DecisionAccepted, tx.t(tx.Now), h.ID); err != nil {
				return fmt.Errorf("accept hand-off %d: %w", h.ID, err)
			}
			if _, err := tx.StopTimers(ctx, h.LeadID, TimerAccept); err != nil {
				return err
			}
		}
		return nil
	}
	// The first decision stands: a lead accepted on time and recycled a
	// week later was still accepted on time.
	decision, decidedAt := h.Decision, h.DecidedAt
	if decision == "" {
		switch to {
		case p.RejectStage:
			decision = tandem.DecisionRejected
		case p.DisqualifyStage:
			decision = tandem.DecisionDisqualified
		}
		if decision != "" {
			decidedAt = tx.Now
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE handoffs SET decision = $1, decided_at = $2, reject_reason = $3, cadence = $4,
		ended_at = $5, end_reason = $6 WHERE id = $7`, decision, tx.t(decidedAt), t.rejectReason, tandem.CadenceEnded,
		tx.t(tx.Now), "moved to "+to, h.ID); err != nil {
		return fmt.Errorf("end hand-off %d: %w", h.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET state = 'missed' WHERE handoff_id = $1 AND state = 'open'`, h.ID); err != nil {
		return fmt.Errorf("end tasks of hand-off %d: %w", h.ID, err)
	}
	_, err := tx.StopTimers(ctx, h.LeadID)
	return err
}

// loadPool loads the reps of a routing pool with their open hand-offs,
// weights and credits; on PostgreSQL the credits are locked, so that
// concurrent hand-offs take turns.
func (e *engine) loadPool(ctx context.Context, name string) (*routingPool, error) {
	if pool, ok := e.pools[name]; ok {
		return pool, nil
	}
	if e.pools == nil {
		e.pools = map[string]*routingPool{}
	}
	tx := e.tx
	cond, args := `role = 'sales_rep'`, []any{}
	if name != "" {
		cond, args = `role = 'sales_rep' AND team = $1`, []any{name}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, weight, absent FROM users WHERE `+cond+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("routing pool %q: %w", name, err)
	}
	pool := &routingPool{name: name}
	idx := map[int64]int{}
	for rows.Next() {
		var c sla.Candidate
		if err := rows.Scan(&c.UserID, &c.Weight, &c.Absent); err != nil {
			rows.Close()
			return nil, err
		}
		if !sla.Weighted(e.p.Agreement.Routing) {
			c.Weight = 1
		}
		idx[c.UserID] = len(pool.cands)
		pool.cands = append(pool.cands, c)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if len(pool.cands) == 0 && name != "" {
		// A team with no reps at all is a gap in the set-up, not a
		// reason to leave the lead waiting: every rep may take it.
		p, err := e.loadPool(ctx, "")
		if err != nil {
			return nil, err
		}
		e.pools[name] = p
		return p, nil
	}
	if len(pool.cands) > 0 {
		if err := tx.scanInto(ctx, `SELECT owner_id, count(*) FROM handoffs WHERE ended_at IS NULL AND owner_id IS NOT NULL GROUP BY owner_id`, nil,
			func(id int64, n int64) {
				if i, ok := idx[id]; ok {
					pool.cands[i].Open = int(n)
				}
			}); err != nil {
			return nil, fmt.Errorf("open hand-offs per rep: %w", err)
		}
		if err := tx.scanInto(ctx, `SELECT user_id, credit FROM routing_credits WHERE pool = $1 ORDER BY user_id`+tx.db.d.forUpdate(), []any{name},
			func(id int64, credit int64) {
				if i, ok := idx[id]; ok {
					pool.cands[i].Credit = credit
				}
			}); err != nil {
			return nil, fmt.Errorf("routing credits: %w", err)
		}
	}
	e.pools[name] = pool
	return pool, nil
}

// scanInto runs a query of two integer columns and calls fn per row.
func (tx *Tx) scanInto(ctx context.Context, q string, args []any, fn func(a, b int64)) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a, b int64
		if err := rows.Scan(&a, &b); err != nil {
			return err
		}
		fn(a, b)
	}
	return rows.Err()
}

// route picks the rep for a lead by the agreement's routing, or 0 when no
// rep is available; method says how, for the ledger.
func (e *engine) route(ctx context.Context, l *tandem.Lead) (owner int64, method string, err error) {
	r := e.p.Agreement.Routing
	var v string
	if r.Method == agreement.ByField {
		if f, ok := tandem.LookupLeadField(r.Field); ok {
			v = f.Get(l)
		}
	}
	name := sla.Pool(r, v)
	pool, err := e.loadPool(ctx, name)
	if err != nil {
		return 0, "", err
	}
	i := sla.Pick(pool.cands, r.Capacity)
	if i < 0 {
		return 0, "", nil
	}
	pool.dirty = true
	// A lead counts against its rep's capacity in every pool the rep is in.
	for _, other := range e.pools {
		if other == pool {
			continue
		}
		for j := range other.cands {
			if other.cands[j].UserID == pool.cands[i].UserID {
				other.cands[j].Open++
			}
		}
	}
	method = string(r.Method)
	if name != "" {
		method += " to team " + name
	}
	return pool.cands[i].UserID, method, nil
}
