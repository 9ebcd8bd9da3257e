package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/outbox"
	"github.com/tandemhq/tandem/sla"
)

// FireSLA returns the function that fires the SLA engine's timers, for
// [DB.FireDue] and package worker. In a batch FireDue claims, it reads what
// the batch's clocks need and writes what their breaches record set-wise,
// a few statements per batch (firebatch.go). A clock that falls due unmet is
// breached (a ledger event) and escalated by the agreement's steps; an
// escalation step that comes due while the clock is still unmet notifies
// its role (an escalation.sent event in the outbox, see [Tx.publish]); an
// unrouted hand-off is routed again. A timer whose clock was met or whose
// hand-off ended in the meantime does nothing.
func (db *DB) FireSLA() func(ctx context.Context, tx *Tx, t Timer) error {
	return func(ctx context.Context, tx *Tx, t Timer) error {
		var pl timerPayload
		if err := json.Unmarshal(t.Payload, &pl); err != nil {
			return fmt.Errorf("timer %d payload: %w", t.ID, err)
		}
		switch t.Kind {
		case TimerFirstTouch, TimerAccept, TimerStep:
			return tx.breach(ctx, t, pl)
		case TimerEscalate:
			return tx.escalate(ctx, pl)
		case TimerRoute:
			// Routing writes the lead and its hand-off as a use case
			// does, outside the batch's buffer.
			return tx.fireDirect(ctx, t.LeadID, func() error { return tx.retryRoute(ctx, t, pl) })
		}
		return fmt.Errorf("timer %d: unknown kind %q", t.ID, t.Kind)
	}
}

// unmet returns the hand-off and, for a step, its task, if the clock is
// still unmet on an open hand-off.
func (tx *Tx) unmet(ctx context.Context, clock string, pl timerPayload) (handoffRow, tandem.Task, bool, error) {
	h, err := tx.fireHandoff(ctx, pl.Handoff)
	if err != nil || !h.Open() {
		return h, tandem.Task{}, false, err
	}
	switch clock {
	case TimerFirstTouch:
		return h, tandem.Task{}, h.FirstTouchAt.IsZero(), nil
	case TimerAccept:
		return h, tandem.Task{}, h.Decision == "", nil
	case TimerStep:
		t, ok, err := tx.fireTask(ctx, pl.Task)
		if err != nil || !ok {
			return h, tandem.Task{}, false, err
		}
		return h, t, t.State == tandem.TaskOpen, nil
	}
	return h, tandem.Task{}, false, fmt.Errorf("unknown clock %q", clock)
}

// breach records a clock that fell due unmet and starts its escalation.
func (tx *Tx) breach(ctx context.Context, t Timer, pl timerPayload) error {
	l, err := tx.fireLead(ctx, t.LeadID, true) // the lead first, as every use case locks it
	if err != nil {
		return err
	}
	h, task, unmet, err := tx.unmet(ctx, t.Kind, pl)
	if err != nil || !unmet {
		return err
	}
	p, err := tx.policy(ctx, h.AgreementVersion)
	if err != nil {
		return err
	}
	var w fireWrites
	detail := map[string]string{"clock": t.Kind, "due_at": tandem.FormatTime(t.DueAt), "handoff": strconv.FormatInt(h.ID, 10)}
	if t.Kind == TimerStep {
		detail["step"] = strconv.Itoa(task.Step)
		detail["cadence"] = task.Cadence
		detail["channel"] = task.Channel
		w.breachedTask = task.ID
	}
	// A breach happens at the due time, however late the worker noticed.
	ev := tandem.Event{LeadID: l.ID, Type: tandem.EventBreached, OccurredAt: t.DueAt, Actor: "system",
		AgreementVersion: h.AgreementVersion, Detail: detail}
	if err := l.Apply(&ev); err != nil {
		return err
	}
	w.lead, w.events = &l, []tandem.Event{ev}
	w.fired.Breaches++
	for i, step := range p.Agreement.Escalation {
		epl := timerPayload{Handoff: h.ID, Task: pl.Task, Clock: t.Kind, Level: i}
		if step.After.IsZero() {
			e, ok, err := tx.escalationNotice(ctx, p, h, task, &l, epl, t.DueAt)
			if err != nil {
				return err
			}
			if ok {
				w.notices = append(w.notices, e)
				w.fired.Escalations++
			}
			continue
		}
		w.timers = append(w.timers, Timer{Kind: TimerEscalate, LeadID: h.LeadID, DueAt: p.Due(t.DueAt, step.After), Payload: epl.raw()})
	}
	return tx.writeFire(ctx, w)
}

// escalate notifies an escalation step's role if the clock is still unmet.
func (tx *Tx) escalate(ctx context.Context, pl timerPayload) error {
	h, task, unmet, err := tx.unmet(ctx, pl.Clock, pl)
	if err != nil || !unmet {
		return err
	}
	p, err := tx.policy(ctx, h.AgreementVersion)
	if err != nil {
		return err
	}
	due := h.FirstTouchDue
	switch pl.Clock {
	case TimerAccept:
		due = h.AcceptDue
	case TimerStep:
		due = task.DueAt
	}
	e, ok, err := tx.escalationNotice(ctx, p, h, task, nil, pl, due)
	if err != nil || !ok {
		return err
	}
	return tx.writeFire(ctx, fireWrites{notices: []outbox.Event{e}, fired: Fired{Escalations: 1}})
}

// escalationNotice returns the escalation.sent event of escalation step
// pl.Level of a clock due at due, naming the people who hold the step's
// role for this lead, whom the outbox then tells in-app and on each
// channel; false for a level the agreement does not have.
func (tx *Tx) escalationNotice(ctx context.Context, p *sla.Policy, h handoffRow, task tandem.Task, l *tandem.Lead, pl timerPayload, due time.Time) (outbox.Event, bool, error) {
	steps := p.Agreement.Escalation
	if pl.Level < 0 || pl.Level >= len(steps) {
		return outbox.Event{}, false, nil
	}
	role := steps[pl.Level].Notify
	to, err := tx.recipients(ctx, h.OwnerID, role)
	if err != nil {
		return outbox.Event{}, false, err
	}
	if l == nil {
		cur, err := tx.fireLead(ctx, h.LeadID, false)
		if err != nil {
			return outbox.Event{}, false, err
		}
		l = &cur
	}
	d := outbox.Escalation{Handoff: h.ID, Clock: pl.Clock, DueAt: due, HandedOffAt: h.StartedAt, TimeZone: p.Calendar.Location().String(),
		Level: pl.Level + 1, Levels: len(steps), Role: string(role), Lead: leadName(*l), To: []outbox.Recipient{}}
	if pl.Clock == TimerStep {
		d.Step, d.Channel, d.Template = task.Step, task.Channel, task.Template
	}
	if h.OwnerID != 0 {
		if u, err := tx.cachedUser(ctx, h.OwnerID); err == nil {
			d.Owner = u.Email
		}
	}
	for _, u := range to {
		d.To = append(d.To, outbox.Recipient{UserID: u.ID, Email: u.Email})
	}
	e, err := outbox.New(outbox.EscalationSent, l.ID, tx.Now, d)
	return e, err == nil, err
}

// leadName names a lead for people: "First Last, Company", or as much of
// it as the lead has, else its email.
func leadName(l tandem.Lead) string {
	name := strings.TrimSpace(l.FirstName + " " + l.LastName)
	switch {
	case l.Company == "":
	case name == "":
		name = l.Company
	default:
		name += ", " + l.Company
	}
	if name == "" {
		return l.Email
	}
	return name
}

// recipients returns the people who hold an escalation role for a lead
// owned by ownerID: the owner for sales_rep; for a manager role, the
// nearest manager above the owner with that role, or else everyone with
// it; for any other role, everyone with it. Absent people are left out
// unless that would leave nobody.
func (tx *Tx) recipients(ctx context.Context, ownerID int64, role tandem.Role) ([]tandem.User, error) {
	if role == tandem.RoleSalesRep {
		if ownerID == 0 {
			return nil, nil
		}
		u, err := tx.cachedUser(ctx, ownerID)
		if err != nil {
			return nil, err
		}
		return []tandem.User{u}, nil
	}
	if ownerID != 0 && (role == tandem.RoleSalesManager || role == tandem.RoleSalesHead) {
		ms, err := tx.managers(ctx, ownerID)
		if err != nil {
			return nil, err
		}
		if i := slices.IndexFunc(ms, func(m tandem.User) bool { return m.Role == role }); i >= 0 {
			return ms[i : i+1], nil
		}
	}
	all, err := tx.cachedRole(ctx, role)
	if err != nil {
		return nil, err
	}
	var present []tandem.User
	for _, u := range all {
		if !u.Absent {
			present = append(present, u)
		}
	}
	if len(present) > 0 {
		return present, nil
	}
	return all, nil
}

// retryRoute tries again to route a hand-off that found no rep, and
// schedules another try if it still finds none.
func (tx *Tx) retryRoute(ctx context.Context, t Timer, pl timerPayload) error {
	l, err := tx.lead(ctx, t.LeadID, true)
	if err != nil {
		return err
	}
	h, err := tx.handoffByID(ctx, pl.Handoff)
	if err != nil || !h.Open() || h.OwnerID != 0 {
		return err
	}
	p, err := tx.policy(ctx, h.AgreementVersion)
	if err != nil {
		return err
	}
	e := &engine{tx: tx, p: p}
	owner, method, err := e.route(ctx, &l)
	if err != nil {
		return err
	}
	if owner == 0 {
		_, err := tx.AddTimer(ctx, Timer{Kind: TimerRoute, LeadID: h.LeadID, DueAt: tx.Now.Add(retryAfter(h.Hot)), Payload: pl.raw()})
		return err
	}
	ev, err := assign(&l, owner, "routed by "+method, "system", p.Version, tx.Now)
	if err != nil {
		return err
	}
	if err := tx.updateLead(ctx, &l); err != nil {
		return err
	}
	if err := tx.appendEvents(ctx, []tandem.Event{ev}); err != nil {
		return err
	}
	if err := tx.reassignHandoff(ctx, h, owner); err != nil {
		return err
	}
	return e.flush(ctx)
}

// cachedUser reads a user once per transaction: a batch of breaches names
// the same few reps and managers over and over.
func (tx *Tx) cachedUser(ctx context.Context, id int64) (tandem.User, error) {
	if u, ok := tx.userCache[id]; ok {
		return u, nil
	}
	u, err := tx.userByID(ctx, id, false)
	if err != nil {
		return u, err
	}
	if tx.userCache == nil {
		tx.userCache = map[int64]tandem.User{}
	}
	tx.userCache[id] = u
	return u, nil
}

// cachedRole reads the users with a role once per transaction.
func (tx *Tx) cachedRole(ctx context.Context, role tandem.Role) ([]tandem.User, error) {
	if us, ok := tx.roleCache[role]; ok {
		return us, nil
	}
	us, err := tx.users(ctx, `role = $1`, string(role))
	if err != nil {
		return nil, err
	}
	if tx.roleCache == nil {
		tx.roleCache = map[tandem.Role][]tandem.User{}
	}
	tx.roleCache[role] = us
	return us, nil
}
