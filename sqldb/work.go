package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/access"
	"github.com/tandemhq/tandem/content"
	"github.com/tandemhq/tandem/sla"
)

// checkRecycle refuses to send a lead with an open hand-off back to
// marketing before the agreement's minimum number of touches (see
// [sla.Policy.CheckRecycle]).
func (tx *Tx) checkRecycle(ctx context.Context, cur tandem.Lead, to string) error {
	h, ok, err := tx.openHandoff(ctx, cur.ID)
	if err != nil || !ok {
		return err
	}
	p, err := tx.policy(ctx, h.AgreementVersion)
	if err != nil {
		return err
	}
	return p.CheckRecycle(h.Handoff, to)
}

// TouchResult is what logging a touch did.
type TouchResult struct {
	Lead    tandem.Lead    `json:"lead"`
	Handoff tandem.Handoff `json:"handoff"`
	// Done and Skipped are the cadence steps the touch completed and
	// passed over; Next is the step the rep owes now, nil for none.
	Done    []tandem.Task `json:"done"`
	Skipped []tandem.Task `json:"skipped"`
	Next    *tandem.Task  `json:"next"`
}

// LogTouch records a touch on a lead that sales works: it meets the
// first-touch clock, completes cadence steps, switches to the connected
// cadence on contact and ends the cadence on a reply or a booked meeting.
// EINVALID for a bad touch, ENOTFOUND for no such lead, ECONFLICT for a lead
// that takes no touches, EFORBIDDEN for a caller who may not work the lead.
func (db *DB) LogTouch(ctx context.Context, leadID int64, t tandem.Touch, tok tandem.Token) (res TouchResult, err error) {
	defer wrap(&err, "touch lead %d", leadID)
	err = db.transact(ctx, func(tx *Tx) error {
		res = TouchResult{Done: []tandem.Task{}, Skipped: []tandem.Task{}}
		if err := t.Validate(tx.Now); err != nil {
			return err
		}
		l, err := tx.lead(ctx, leadID, true)
		if err != nil {
			return err
		}
		h, ok, err := tx.openHandoff(ctx, leadID)
		if err != nil {
			return err
		}
		if !ok {
			return tandem.Errorf(tandem.ECONFLICT, "lead %d is in stage %s, which takes no touches: only a lead handed off to sales does", leadID, l.Stage)
		}
		if err := tx.mayWork(ctx, tok, leadID, h.OwnerID); err != nil {
			return err
		}
		at := t.At.UTC().Truncate(1000)
		if t.At.IsZero() {
			at = tx.Now
		}
		if at.Before(h.StartedAt) {
			return tandem.Invalid(tandem.FieldError{Field: "at", Message: fmt.Sprintf("%s is before the hand-off at %s", tandem.FormatTime(at), tandem.FormatTime(h.StartedAt))})
		}
		p, err := tx.policy(ctx, h.AgreementVersion)
		if err != nil {
			return err
		}
		detail := map[string]string{"channel": t.Channel, "outcome": t.Outcome}
		if t.Note != "" {
			detail["note"] = t.Note
		}
		var used content.Item
		if t.Content != "" {
			if used, err = tx.liveContent(ctx, t.Content); err != nil {
				return err
			}
			detail["content"], detail["content_version"] = used.Code, strconv.Itoa(used.Version)
		}
		ev := tandem.Event{LeadID: leadID, Type: tandem.EventTouched, OccurredAt: at, Actor: tok.Actor(),
			AgreementVersion: h.AgreementVersion, Detail: detail}
		if err := l.Apply(&ev); err != nil {
			return err
		}
		if err := tx.updateLead(ctx, &l); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, []tandem.Event{ev}); err != nil {
			return err
		}
		if used.Code != "" {
			if err := tx.recordUse(ctx, used, leadID, tok, t, at); err != nil {
				return err
			}
		}
		h.Touches++
		if h.FirstTouchAt.IsZero() || at.Before(h.FirstTouchAt) { // a touch logged late may have come first
			h.FirstTouchAt = at
			if _, err := tx.StopTimers(ctx, leadID, TimerFirstTouch); err != nil {
				return err
			}
		}
		if err := tx.advanceCadence(ctx, p, &h, t, at, &res); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE handoffs SET touches = $1, first_touch_at = $2, cadence = $3, cadence_from = $4, step = $5 WHERE id = $6`,
			h.Touches, tx.t(h.FirstTouchAt), h.Cadence, tx.t(h.CadenceFrom), h.step, h.ID); err != nil {
			return fmt.Errorf("update hand-off %d: %w", h.ID, err)
		}
		res.Lead, res.Handoff = l, h.Handoff
		return nil
	})
	return res, err
}

// advanceCadence applies a touch to the hand-off's cadence: it closes the
// steps the touch completes or passes over and writes the next one.
func (tx *Tx) advanceCadence(ctx context.Context, p *sla.Policy, h *handoffRow, t tandem.Touch, at time.Time, res *TouchResult) error {
	r := p.Touch(h.Cadence, h.step, h.CadenceFrom, h.Hot, t, at)
	open, hasOpen, err := tx.openTask(ctx, h.ID)
	if err != nil {
		return err
	}
	closeStep := func(k int, state string) error {
		if hasOpen && open.Cadence == h.Cadence && open.Step == k+1 {
			open.State = state
			if state == tandem.TaskDone {
				open.DoneAt = at
			}
			hasOpen = false
			if _, err := tx.StopTimers(ctx, h.LeadID, TimerStep); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE tasks SET state = $1, done_at = $2 WHERE id = $3`, state, tx.t(open.DoneAt), open.ID)
			if state == tandem.TaskDone {
				res.Done = append(res.Done, open)
			} else {
				res.Skipped = append(res.Skipped, open)
			}
			return err
		}
		// A step the rep never had as a task: recorded all the same.
		tk, _ := p.Task(h.Cadence, k, h.CadenceFrom, h.Hot)
		tk.LeadID, tk.HandoffID, tk.OwnerID, tk.State = h.LeadID, h.ID, h.OwnerID, state
		if state == tandem.TaskDone {
			tk.DoneAt = at
		}
		if err := tx.insertTask(ctx, &tk); err != nil {
			return err
		}
		if state == tandem.TaskDone {
			res.Done = append(res.Done, tk)
		} else {
			res.Skipped = append(res.Skipped, tk)
		}
		return nil
	}
	for _, k := range r.Skipped {
		if err := closeStep(k, tandem.TaskSkipped); err != nil {
			return err
		}
	}
	for _, k := range r.Done {
		if err := closeStep(k, tandem.TaskDone); err != nil {
			return err
		}
	}
	switch {
	case r.Switch || r.End:
		if hasOpen { // contact made the step moot: passed over, not missed
			if err := closeStep(open.Step-1, tandem.TaskSkipped); err != nil {
				return err
			}
		}
		if r.End {
			h.Cadence, h.step = tandem.CadenceEnded, 0
			return nil
		}
		h.Cadence, h.CadenceFrom, h.step = tandem.CadenceConnected, at, 0
	case r.Next < 0:
		h.step = len(p.Steps(h.Cadence))
		return nil
	case r.Next == h.step:
		return nil // the touch completed no step
	default:
		h.step = r.Next
	}
	if h.OwnerID == 0 {
		return nil
	}
	next, err := tx.addTask(ctx, p, &h.Handoff, h.step)
	if err != nil {
		return err
	}
	if next.ID != 0 {
		res.Next = &next
	}
	return nil
}

// openTask returns the hand-off's open task, if any.
func (tx *Tx) openTask(ctx context.Context, handoffID int64) (tandem.Task, bool, error) {
	ts, err := tx.tasks(ctx, `handoff_id = $1 AND state = 'open'`, handoffID)
	if err != nil || len(ts) == 0 {
		return tandem.Task{}, false, err
	}
	return ts[0], true, nil
}

const taskColumns = `id, lead_id, handoff_id, owner_id, cadence, step, channel, template, starts_at, due_at, state, done_at, breached`

func scanTask(s scanner) (tandem.Task, error) {
	var t tandem.Task
	var owner sql.NullInt64
	err := s.Scan(&t.ID, &t.LeadID, &t.HandoffID, &owner, &t.Cadence, &t.Step, &t.Channel, &t.Template,
		scanTime{&t.StartsAt}, scanTime{&t.DueAt}, &t.State, scanTime{&t.DoneAt}, &t.Breached)
	t.OwnerID = owner.Int64
	return t, err
}

func (tx *Tx) tasks(ctx context.Context, cond string, args ...any) ([]tandem.Task, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+taskColumns+` FROM tasks WHERE `+cond+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	defer rows.Close()
	var ts []tandem.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, rows.Err()
}

// LeadTasks returns every task of the lead's hand-offs, in the order they
// were written: the cadence record, step by step.
func (db *DB) LeadTasks(ctx context.Context, leadID int64) (ts []tandem.Task, err error) {
	defer wrap(&err, "tasks of lead %d", leadID)
	err = db.view(ctx, func(tx *Tx) error {
		ts, err = tx.tasks(ctx, `lead_id = $1`, leadID)
		return err
	})
	return ts, err
}

// Decision is an owner's decision on a hand-off.
type Decision = tandem.Decision

// Decide records the owner's decision on a lead's open hand-off: accept
// (the lead moves on to the accepted stage), reject with one of the
// agreement's reason codes (back to marketing, once the lead has had the
// agreement's minimum of touches), or disqualify with a reason.
func (db *DB) Decide(ctx context.Context, leadID int64, d Decision, tok tandem.Token) (l tandem.Lead, err error) {
	defer wrap(&err, "%s lead %d", strings.TrimSuffix(d.Decision, "ed"), leadID)
	err = db.transact(ctx, func(tx *Tx) error {
		cur, err := tx.lead(ctx, leadID, true)
		if err != nil {
			return err
		}
		h, ok, err := tx.openHandoff(ctx, leadID)
		if err != nil {
			return err
		}
		if !ok {
			return tandem.Errorf(tandem.ECONFLICT, "lead %d is in stage %s and has no open hand-off to decide on", leadID, cur.Stage)
		}
		if err := tx.mayWork(ctx, tok, leadID, h.OwnerID); err != nil {
			return err
		}
		p, err := tx.policy(ctx, h.AgreementVersion)
		if err != nil {
			return err
		}
		v, err := p.Decide(cur, h.Handoff, d)
		if err != nil {
			return err
		}
		lc, err := tx.lifecycle(ctx)
		if err != nil {
			return err
		}
		ch, err := tandem.Move(cur, v.To, v.Reason, lc, tok.Actor(), tx.Now)
		if err != nil {
			return err
		}
		l, err = tx.applyMove(ctx, cur, ch, transition{rejectReason: v.RejectReason, decided: true})
		return err
	})
	return l, err
}

// checkNote checks free text kept in the ledger, naming its field.
func checkNote(field, s string) error {
	if err := tandem.CheckText(s); err != nil {
		return tandem.Invalid(tandem.FieldError{Field: field, Message: err.Error()})
	}
	return nil
}

// Assign gives a lead to another owner by hand, with a reason. The caller
// must be an admin or a sales manager above both the lead's current owner
// and the new one ([access.CanAssign]); the new owner must work in sales. The lead's open hand-off and its open task move
// with it; an unrouted hand-off is routed.
func (db *DB) Assign(ctx context.Context, leadID int64, ownerEmail, reason string, tok tandem.Token) (l tandem.Lead, err error) {
	defer wrap(&err, "assign lead %d", leadID)
	err = db.transact(ctx, func(tx *Tx) error {
		if strings.TrimSpace(reason) == "" {
			return tandem.Invalid(tandem.FieldError{Field: "reason", Message: "reassigning a lead needs a reason"})
		}
		if err := checkNote("reason", reason); err != nil {
			return err
		}
		cur, err := tx.lead(ctx, leadID, true)
		if err != nil {
			return err
		}
		owner, err := tx.userByEmail(ctx, normalEmail(ownerEmail))
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return tandem.Invalid(tandem.FieldError{Field: "owner", Message: fmt.Sprintf("no user with email %q", ownerEmail)})
		} else if err != nil {
			return err
		}
		if !access.CanOwn(owner.Role) {
			return tandem.Invalid(tandem.FieldError{Field: "owner", Message: fmt.Sprintf("%s is %s: leads go to people in sales", owner.Email, owner.Role)})
		}
		c, err := tx.caller(ctx, tok)
		if err != nil {
			return err
		}
		f, err := tx.leadFacts(ctx, cur)
		if err != nil {
			return err
		}
		if err := access.CanAssign(c, f, owner.ID, owner.Email); err != nil {
			return err
		}
		l = cur
		if cur.OwnerID == owner.ID {
			return nil
		}
		lc, err := tx.lifecycle(ctx)
		if err != nil {
			return err
		}
		ev, err := assign(&l, owner.ID, reason, tok.Actor(), lc.Version(), tx.Now)
		if err != nil {
			return err
		}
		if err := tx.updateLead(ctx, &l); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, []tandem.Event{ev}); err != nil {
			return err
		}
		h, ok, err := tx.openHandoff(ctx, leadID)
		if err != nil || !ok {
			return err
		}
		return tx.reassignHandoff(ctx, h, owner.ID)
	})
	return l, err
}

// reassignHandoff moves an open hand-off and its open task to a new owner;
// a hand-off that had none gets its routing time and first task.
func (tx *Tx) reassignHandoff(ctx context.Context, h handoffRow, owner int64) error {
	wasRouted := h.OwnerID != 0
	h.OwnerID = owner
	if h.RoutedAt.IsZero() {
		h.RoutedAt = tx.Now
	}
	if _, err := tx.ExecContext(ctx, `UPDATE handoffs SET owner_id = $1, routed_at = $2 WHERE id = $3`, owner, tx.t(h.RoutedAt), h.ID); err != nil {
		return fmt.Errorf("reassign hand-off %d: %w", h.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET owner_id = $1 WHERE handoff_id = $2 AND state = 'open'`, owner, h.ID); err != nil {
		return fmt.Errorf("reassign tasks: %w", err)
	}
	if wasRouted || h.Cadence == tandem.CadenceEnded {
		return nil
	}
	if _, err := tx.StopTimers(ctx, h.LeadID, TimerRoute); err != nil {
		return err
	}
	p, err := tx.policy(ctx, h.AgreementVersion)
	if err != nil {
		return err
	}
	_, err = tx.addTask(ctx, p, &h.Handoff, h.step)
	return err
}

// Review records the owner's rating of a lead's quality in the ledger.
func (db *DB) Review(ctx context.Context, leadID int64, r tandem.Review, tok tandem.Token) (out tandem.Review, err error) {
	defer wrap(&err, "review lead %d", leadID)
	err = db.transact(ctx, func(tx *Tx) error {
		if err := r.Validate(); err != nil {
			return err
		}
		l, err := tx.lead(ctx, leadID, true)
		if err != nil {
			return err
		}
		if tok.UserID == 0 {
			return tandem.Errorf(tandem.EFORBIDDEN, "a review is a person's rating: use a token that acts for a user")
		}
		if err := tx.mayWork(ctx, tok, leadID, l.OwnerID); err != nil {
			return err
		}
		lc, err := tx.lifecycle(ctx)
		if err != nil {
			return err
		}
		detail := map[string]string{"rating": strconv.Itoa(r.Rating)}
		if len(r.Tags) > 0 {
			detail["tags"] = strings.Join(r.Tags, ",")
		}
		if r.Text != "" {
			detail["text"] = r.Text
		}
		ev := tandem.Event{LeadID: leadID, Type: tandem.EventReviewed, OccurredAt: tx.Now, Actor: tok.Actor(),
			AgreementVersion: lc.Version(), Detail: detail}
		if err := l.Apply(&ev); err != nil {
			return err
		}
		if err := tx.updateLead(ctx, &l); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, []tandem.Event{ev}); err != nil {
			return err
		}
		out = tandem.Review{LeadID: leadID, UserID: tok.UserID, Rating: r.Rating, Tags: r.Tags, Text: r.Text, Created: tx.Now}
		_, err = tx.ExecContext(ctx, `INSERT INTO reviews (lead_id, user_id, rating, tags, text, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			leadID, tok.UserID, r.Rating, strings.Join(r.Tags, ","), r.Text, tx.t(tx.Now))
		return err
	})
	return out, err
}

// HotLead is marketing's context for a lead it hands over by hand.
type HotLead struct {
	Note     string `json:"note"`
	Link     string `json:"link,omitempty"`
	Snapshot string `json:"snapshot,omitempty"` // a pasted social-media post, say
}

// MaxSnapshotLen bounds a hot lead's pasted snapshot, in characters.
const MaxSnapshotLen = 10000

func (h HotLead) validate() error {
	var errs []tandem.FieldError
	switch {
	case strings.TrimSpace(h.Note) == "":
		errs = append(errs, tandem.FieldError{Field: "note", Message: "tell the rep why the lead is hot"})
	case checkNote("note", h.Note) != nil:
		errs = append(errs, tandem.FieldError{Field: "note", Message: fmt.Sprintf("must be valid text of at most %d characters", tandem.MaxTextLen)})
	}
	if h.Link != "" {
		u, err := url.Parse(h.Link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(h.Link) > tandem.MaxTextLen {
			errs = append(errs, tandem.FieldError{Field: "link", Message: "must be an http or https URL of at most 1000 characters"})
		}
	}
	if !utf8.ValidString(h.Snapshot) || strings.IndexByte(h.Snapshot, 0) >= 0 || utf8.RuneCountInString(h.Snapshot) > MaxSnapshotLen {
		errs = append(errs, tandem.FieldError{Field: "snapshot", Message: fmt.Sprintf("must be valid text of at most %d characters", MaxSnapshotLen)})
	}
	if len(errs) > 0 {
		return tandem.Invalid(errs...)
	}
	return nil
}

// HandOff hands a lead to sales by hand as a hot lead: it moves to the
// hand-off stage (recorded with marketing's context), is routed at once and
// runs on the agreement's shorter hot-lead clock. A lead already handed off
// and not yet touched becomes hot: its first-touch clock is brought forward.
func (db *DB) HandOff(ctx context.Context, leadID int64, hot HotLead, tok tandem.Token) (h tandem.Handoff, err error) {
	defer wrap(&err, "hand off lead %d", leadID)
	err = db.transact(ctx, func(tx *Tx) error {
		if err := hot.validate(); err != nil {
			return err
		}
		cur, err := tx.lead(ctx, leadID, true)
		if err != nil {
			return err
		}
		eng, err := tx.engine(ctx)
		if err != nil {
			return err
		}
		p := eng.p
		if p == nil {
			return tandem.Errorf(tandem.ECONFLICT, "no signed agreement with a hand-off stage is in force: hand-offs start once both heads have signed one")
		}
		detail := map[string]string{"hot": "true", "note": hot.Note}
		if hot.Link != "" {
			detail["link"] = hot.Link
		}
		if hot.Snapshot != "" {
			detail["snapshot"] = hot.Snapshot
		}
		l := cur
		ev := tandem.Event{LeadID: leadID, Type: tandem.EventHandedOff, OccurredAt: tx.Now, Actor: tok.Actor(), AgreementVersion: p.Version, Detail: detail}
		if err := l.Apply(&ev); err != nil {
			return err
		}
		open, ok, err := tx.openHandoff(ctx, leadID)
		if err != nil {
			return err
		}
		if ok {
			if !open.FirstTouchAt.IsZero() || open.Hot {
				return tandem.Errorf(tandem.ECONFLICT, "lead %d was handed off at %s and is being worked already", leadID, tandem.FormatTime(open.StartedAt))
			}
			if err := tx.updateLead(ctx, &l); err != nil {
				return err
			}
			if err := tx.appendEvents(ctx, []tandem.Event{ev}); err != nil {
				return err
			}
			return tx.makeHot(ctx, &open, hot.Note, &h)
		}
		events := []tandem.Event{ev}
		t := transition{hot: true, note: hot.Note}
		if cur.Stage != p.HandoffStage {
			lc, err := tx.lifecycle(ctx)
			if err != nil {
				return err
			}
			ch, err := tandem.Move(l, p.HandoffStage, "hot lead: "+hot.Note, lc, tok.Actor(), tx.Now)
			if err != nil {
				return err
			}
			l = ch.Lead
			events = append(events, ch.Events...)
		} else {
			// In the hand-off stage without a hand-off (it got there before
			// the agreement came into force): the hand-off starts now.
			l.StageChangedAt = tx.Now
		}
		evs, err := eng.moved(ctx, &l, "", p.HandoffStage, t)
		if err != nil {
			return err
		}
		if cur.Stage == p.HandoffStage {
			l.StageChangedAt = cur.StageChangedAt
		}
		if err := tx.updateLead(ctx, &l); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, append(events, evs...)); err != nil {
			return err
		}
		if err := eng.flush(ctx); err != nil {
			return err
		}
		row, _, err := tx.openHandoff(ctx, leadID)
		h = row.Handoff
		return err
	})
	return h, err
}

// makeHot turns an untouched open hand-off into a hot one: the first-touch
// clock falls due by the hot-lead window from now if that is sooner.
func (tx *Tx) makeHot(ctx context.Context, open *handoffRow, note string, out *tandem.Handoff) error {
	p, err := tx.policy(ctx, open.AgreementVersion)
	if err != nil {
		return err
	}
	open.Hot, open.Note = true, note
	if due := p.FirstTouchDue(tx.Now, true); due.Before(open.FirstTouchDue) {
		open.FirstTouchDue = due
		if _, err := tx.StopTimers(ctx, open.LeadID, TimerFirstTouch); err != nil {
			return err
		}
		if _, err := tx.AddTimer(ctx, Timer{Kind: TimerFirstTouch, LeadID: open.LeadID, DueAt: due, Payload: timerPayload{Handoff: open.ID}.raw()}); err != nil {
			return err
		}
		// The open step is owed sooner too, on the hot lead's window.
		if task, ok, err := tx.openTask(ctx, open.ID); err != nil {
			return err
		} else if ok && due.Before(task.DueAt) && !task.StartsAt.After(tx.Now) {
			if _, err := tx.ExecContext(ctx, `UPDATE tasks SET due_at = $1 WHERE id = $2`, tx.t(due), task.ID); err != nil {
				return err
			}
			if _, err := tx.StopTimers(ctx, open.LeadID, TimerStep); err != nil {
				return err
			}
			if _, err := tx.AddTimer(ctx, Timer{Kind: TimerStep, LeadID: open.LeadID, DueAt: due,
				Payload: timerPayload{Handoff: open.ID, Task: task.ID}.raw()}); err != nil {
				return err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE handoffs SET hot = $1, note = $2, first_touch_due = $3 WHERE id = $4`,
		true, note, tx.t(open.FirstTouchDue), open.ID); err != nil {
		return fmt.Errorf("make hand-off %d hot: %w", open.ID, err)
	}
	*out = open.Handoff
	return nil
}

// QueueItem is one task of a rep's queue with what the rep needs to act on
// it.
type QueueItem struct {
	tandem.Task
	Lead QueueLead `json:"lead"`
	Hot  bool      `json:"hot,omitempty"`
	Note string    `json:"note,omitempty"`
}

// QueueLead is the part of a lead a queue shows.
type QueueLead struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Company   string `json:"company,omitempty"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Stage     string `json:"stage"`
	// Title, Country and Segment fill templates and pick the content that
	// fits the lead (package content).
	Title   string `json:"title,omitempty"`
	Country string `json:"country,omitempty"`
	Segment string `json:"segment,omitempty"`
}

// Queue returns the open tasks of the given owners, most urgent first (the
// earliest due time; overdue tasks lead), at most limit (0: 500).
func (db *DB) Queue(ctx context.Context, owners []int64, limit int) (q []QueueItem, err error) {
	defer wrap(&err, "task queue")
	if len(owners) == 0 {
		return nil, nil
	}
	if limit <= 0 {
		limit = 500
	}
	args := []any{}
	marks := make([]string, len(owners))
	for i, id := range owners {
		args = append(args, id)
		marks[i] = fmt.Sprintf("$%d", len(args))
	}
	args = append(args, limit)
	cols := strings.ReplaceAll(`t.`+taskColumns, ", ", ", t.")
	err = db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+cols+`, l.first_name, l.last_name, l.company, l.email, l.phone, l.stage, h.hot, h.note, l.title, l.country, l.segment
			FROM tasks t JOIN leads l ON l.id = t.lead_id JOIN handoffs h ON h.id = t.handoff_id
			WHERE t.state = 'open' AND t.owner_id IN (`+strings.Join(marks, ", ")+`)
			ORDER BY t.due_at, t.id LIMIT $`+strconv.Itoa(len(args)), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var it QueueItem
			t, err := scanTask(scanMore{rows, []any{&it.Lead.FirstName, &it.Lead.LastName, &it.Lead.Company, &it.Lead.Email,
				&it.Lead.Phone, &it.Lead.Stage, &it.Hot, &it.Note, &it.Lead.Title, &it.Lead.Country, &it.Lead.Segment}})
			if err != nil {
				return err
			}
			it.Task, it.Lead.ID = t, t.LeadID
			q = append(q, it)
		}
		return rows.Err()
	})
	return q, err
}

// managers returns the managers above the user, nearest first.
func (tx *Tx) managers(ctx context.Context, userID int64) ([]tandem.User, error) {
	var ms []tandem.User
	u, err := tx.cachedUser(ctx, userID)
	// A chain has no loops (UpdateUser refuses them); 64 bounds a broken one.
	for range 64 {
		if err != nil || u.ManagerID == 0 {
			return ms, err
		}
		if u, err = tx.cachedUser(ctx, u.ManagerID); err == nil {
			ms = append(ms, u)
		}
	}
	return ms, err
}

// isAbove reports whether managerID is a manager above userID.
func (tx *Tx) isAbove(ctx context.Context, managerID, userID int64) (bool, error) {
	ms, err := tx.managers(ctx, userID)
	return slices.ContainsFunc(ms, func(m tandem.User) bool { return m.ID == managerID }), err
}

// IsAbove reports whether the user managerID is a manager above userID, at
// any distance.
func (db *DB) IsAbove(ctx context.Context, managerID, userID int64) (above bool, err error) {
	defer wrap(&err, "is user %d above %d", managerID, userID)
	err = db.view(ctx, func(tx *Tx) error {
		above, err = tx.isAbove(ctx, managerID, userID)
		return err
	})
	return above, err
}
