package backtest

import (
	"slices"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/sla"
)

// replay sets the hand-off's clocks under the policy and runs its real
// touches through the policy's cadence as the engine does (sqldb's
// advanceCadence): it fills in the first touch, the cadence reached and
// the count of touches, and appends the tasks the engine would have
// written, with what became of each. The hand-off's start, decision and
// end are the real ones.
//
// A task the rep had open carries Breached when its clock would have fired
// by now (see fired); its DoneAt is when a touch closed it, done or
// skipped. A step a touch passed over without the rep ever having it open
// had no clock, as in the engine.
func replay(p *sla.Policy, h *tandem.Handoff, touches []tandem.Touch, tasks []tandem.Task, now time.Time) []tandem.Task {
	h.AgreementVersion = p.Version
	h.FirstTouchDue = p.FirstTouchDue(h.StartedAt, h.Hot)
	h.AcceptDue = p.AcceptDue(h.StartedAt)
	h.FirstTouchAt, h.Touches = time.Time{}, 0
	h.Cadence, h.CadenceFrom = tandem.CadenceMain, h.StartedAt
	cur := 0
	open := -1 // index in tasks of the open task, -1 for none
	write := func(k int) int {
		t, ok := p.Task(h.Cadence, k, h.CadenceFrom, h.Hot)
		if !ok {
			return -1
		}
		t.LeadID, t.HandoffID = h.LeadID, h.ID
		tasks = append(tasks, t)
		return len(tasks) - 1
	}
	close := func(k int, state string, at time.Time) {
		i := open
		if i < 0 || tasks[i].Cadence != h.Cadence || tasks[i].Step != k+1 {
			i = write(k)
			if i < 0 {
				return
			}
		} else {
			open = -1
			tasks[i].Breached = fired(tasks[i].DueAt, at, h.EndedAt, now)
		}
		tasks[i].State, tasks[i].DoneAt = state, at
	}
	open = write(0)
	for _, t := range touches {
		at := t.At
		if at.Before(h.StartedAt) || !h.EndedAt.IsZero() && at.After(h.EndedAt) {
			continue
		}
		h.Touches++
		if h.FirstTouchAt.IsZero() || at.Before(h.FirstTouchAt) {
			h.FirstTouchAt = at
		}
		if h.Cadence == tandem.CadenceEnded {
			continue
		}
		r := p.Touch(h.Cadence, cur, h.CadenceFrom, h.Hot, t, at)
		for _, k := range r.Skipped {
			close(k, tandem.TaskSkipped, at)
		}
		for _, k := range r.Done {
			close(k, tandem.TaskDone, at)
		}
		switch {
		case r.Switch || r.End:
			if open >= 0 {
				close(tasks[open].Step-1, tandem.TaskSkipped, at)
			}
			if r.End {
				h.Cadence, cur = tandem.CadenceEnded, 0
				continue
			}
			h.Cadence, h.CadenceFrom, cur = tandem.CadenceConnected, at, 0
		case r.Next < 0:
			cur = len(p.Steps(h.Cadence))
			continue
		case r.Next == cur:
			continue
		default:
			cur = r.Next
		}
		open = write(cur)
	}
	if open >= 0 {
		tasks[open].Breached = fired(tasks[open].DueAt, time.Time{}, h.EndedAt, now)
	}
	if !h.EndedAt.IsZero() {
		if open >= 0 {
			tasks[open].State = tandem.TaskMissed
		}
		h.Cadence = tandem.CadenceEnded
	}
	return tasks
}

// load is a rep's routing figures.
type load struct {
	open, peak, handoffs int
}

// route re-runs routing over the replayed hand-offs in time order: each
// starts in the pool its routing names, goes to a rep by sla.Pick under the
// version's capacity, and holds the rep's capacity until its real end (an
// added lead nobody worked holds it to the end of the ledger). A hand-off
// no rep can take waits, hot ones first, and is routed when a rep's load
// falls, as the engine's routing retries do. The hand-offs carried into the
// period hold their real reps' capacity until they ended. Reps are taken
// as present: the ledger does not keep who was away when.
func route(p *sla.Policy, l Ledger, hs []*replayed) map[int64]*load {
	r := p.Agreement.Routing
	loads := map[int64]*load{}
	teams := map[string][]int64{}
	for _, rep := range l.Reps {
		loads[rep.ID] = &load{}
		teams[rep.Team] = append(teams[rep.Team], rep.ID)
	}
	weight := map[int64]int{}
	for _, rep := range l.Reps {
		weight[rep.ID] = 1
		if sla.Weighted(r) {
			weight[rep.ID] = max(rep.Weight, 1)
		}
	}
	// Each pool keeps its own credits, as the store keeps them per pool.
	pools := map[string][]sla.Candidate{}
	pool := func(name string) []sla.Candidate {
		if c, ok := pools[name]; ok {
			return c
		}
		ids := teams[name]
		if name == "" || len(ids) == 0 {
			ids = nil
			for _, rep := range l.Reps {
				ids = append(ids, rep.ID)
			}
		}
		var cs []sla.Candidate
		for _, id := range ids {
			cs = append(cs, sla.Candidate{UserID: id, Weight: weight[id]})
		}
		pools[name] = cs
		return cs
	}
	type event struct {
		at    time.Time
		end   bool
		owner int64     // for an end
		h     *replayed // for a start
	}
	var evs []event
	for _, c := range l.Carried {
		if ld := loads[c.OwnerID]; ld != nil {
			ld.open++
			ld.peak = max(ld.peak, ld.open)
			if !c.EndedAt.IsZero() {
				evs = append(evs, event{at: c.EndedAt, end: true, owner: c.OwnerID})
			}
		}
	}
	for _, h := range hs {
		evs = append(evs, event{at: h.h.StartedAt, h: h})
	}
	// Ends come before starts at the same instant: a rep freed at 10:00
	// takes the lead handed off at 10:00.
	slices.SortStableFunc(evs, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		switch {
		case a.end && !b.end:
			return -1
		case !a.end && b.end:
			return 1
		}
		return 0
	})
	var hot, cold queue
	assign := func(h *replayed, at time.Time) bool {
		var v string
		if r.Method == "by_field" {
			if f, ok := tandem.LookupLeadField(r.Field); ok {
				v = f.Get(h.lead)
			}
		}
		name := sla.Pool(r, v)
		cs := pool(name)
		for i := range cs {
			cs[i].Open = loads[cs[i].UserID].open
		}
		i := sla.Pick(cs, r.Capacity)
		if i < 0 {
			return false
		}
		ld := loads[cs[i].UserID]
		ld.open++
		ld.handoffs++
		ld.peak = max(ld.peak, ld.open)
		h.h.OwnerID, h.h.RoutedAt = cs[i].UserID, at
		return true
	}
	// ends holds the real ends of the routed hand-offs, in time order,
	// merged with evs as the loop goes.
	var ends []event
	next := func() (event, bool) {
		switch {
		case len(evs) == 0 && len(ends) == 0:
			return event{}, false
		case len(ends) > 0 && (len(evs) == 0 || !ends[0].at.After(evs[0].at)):
			e := ends[0]
			ends = ends[1:]
			return e, true
		}
		e := evs[0]
		evs = evs[1:]
		return e, true
	}
	addEnd := func(h *replayed) {
		if h.open || h.h.EndedAt.IsZero() {
			return
		}
		e := event{at: h.h.EndedAt, end: true, owner: h.h.OwnerID}
		i, _ := slices.BinarySearchFunc(ends, e.at, func(x event, t time.Time) int {
			if x.at.After(t) {
				return 1
			}
			return -1 // after every equal end: first in, first out
		})
		ends = slices.Insert(ends, i, e)
	}
	for {
		e, ok := next()
		if !ok {
			break
		}
		if !e.end {
			switch {
			case len(l.Reps) > 0 && assign(e.h, e.at):
				addEnd(e.h)
			case e.h.h.Hot:
				hot.add(e.h)
			default:
				cold.add(e.h)
			}
			continue
		}
		if ld := loads[e.owner]; ld != nil && ld.open > 0 {
			ld.open--
		}
		// A rep came free, of one lead: the first waiting hand-off that
		// may go to the rep does, hot ones first, then the oldest.
		for _, q := range []*queue{&hot, &cold} {
			if q.route(e.at, assign, addEnd) {
				break
			}
		}
	}
	return loads
}

// queue is the hand-offs waiting for a rep, oldest first; routed and ended
// ones are left as nil and skipped from the head, so that routing one is
// cheap however many wait.
type queue struct {
	hs   []*replayed
	head int
}

func (q *queue) add(h *replayed) { q.hs = append(q.hs, h) }

// route gives the first waiting hand-off that a rep may take at at to that
// rep, dropping those that ended before at, and reports whether one went.
func (q *queue) route(at time.Time, assign func(*replayed, time.Time) bool, routed func(*replayed)) bool {
	for i := q.head; i < len(q.hs); i++ {
		h := q.hs[i]
		if h == nil {
			continue
		}
		if !h.h.EndedAt.IsZero() && !h.h.EndedAt.After(at) {
			q.hs[i] = nil // it ended before a rep came free: never routed
			continue
		}
		if assign(h, at) {
			q.hs[i] = nil
			routed(h)
			q.trim()
			return true
		}
	}
	q.trim()
	return false
}

func (q *queue) trim() {
	for q.head < len(q.hs) && q.hs[q.head] == nil {
		q.head++
	}
}

// fired reports whether a clock due at due, met at met (zero: never), on a
// hand-off that ended at ended (zero: still open), breached by now: it
// fell due unmet while the hand-off ran. A clock met at its due time, or
// whose hand-off ended by it, is not breached (the engine stops its timer).
func fired(due, met, ended, now time.Time) bool {
	return !due.After(now) && (met.IsZero() || met.After(due)) && (ended.IsZero() || ended.After(due))
}

// breaches counts the breaches and escalations the engine would have
// fired: each breached clock, and each escalation step that fell due while
// its clock was still unmet and its hand-off open.
func breaches(p *sla.Policy, now time.Time, hs []tandem.Handoff, tasks []tandem.Task, s *Side) {
	esc := p.Agreement.Escalation
	counts := make([]int, len(esc))
	escalate := func(due, met, ended time.Time) {
		for i, st := range esc {
			at := due // a step after 0m is told at the breach, as the engine does
			if !st.After.IsZero() {
				at = p.Due(due, st.After)
			}
			if fired(at, met, ended, now) {
				counts[i]++
			}
		}
	}
	ends := make(map[int64]time.Time, len(hs))
	for _, h := range hs {
		ends[h.ID] = h.EndedAt
		if fired(h.FirstTouchDue, h.FirstTouchAt, h.EndedAt, now) {
			s.Breaches.FirstTouch++
			escalate(h.FirstTouchDue, h.FirstTouchAt, h.EndedAt)
		}
		if fired(h.AcceptDue, h.DecidedAt, h.EndedAt, now) {
			s.Breaches.Accept++
			escalate(h.AcceptDue, h.DecidedAt, h.EndedAt)
		}
	}
	for _, t := range tasks {
		// A step's clock stops when a touch closes it (done or skipped).
		if t.Breached {
			s.Breaches.Steps++
			escalate(t.DueAt, t.DoneAt, ends[t.HandoffID])
		}
	}
	s.Breaches.Total = s.Breaches.FirstTouch + s.Breaches.Accept + s.Breaches.Steps
	for i, st := range esc {
		s.Escalations = append(s.Escalations, RoleCount{Role: string(st.Notify), Count: counts[i]})
		s.EscalationsTotal += counts[i]
	}
}
