// Package backtest replays a past period of the ledger under an agreement
// version, so that both heads see, before they sign a proposal, what it
// would have asked of each team and how it would have judged them, side by
// side with the version that was in force (docs/agreement.md, "Backtest").
//
// What people did keeps its real times: the touches, the decisions and the
// ends of the hand-offs. What changes is what the agreement asks and judges:
// which leads its stage rules hand over, the business hours its clocks count
// in, the clocks themselves, the cadence, routing and capacity, the
// escalation steps, the commitments and the plan. The package is pure: it
// works on values the store read once ([Ledger]), and the same input gives
// the same output.
package backtest

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
	"github.com/tandemhq/tandem/plan"
	"github.com/tandemhq/tandem/sla"
)

// Ledger is what a backtest replays: a period of the ledger as plain
// values, read once by the store.
type Ledger struct {
	Period calendar.Period
	// Now is when the ledger was read: a clock not yet due by then is
	// pending, not breached.
	Now time.Time
	// Reps are the sales reps who may be routed leads, in id order.
	Reps []Rep
	// Handoffs are the real hand-offs started in the period, with their
	// lead, how the lead entered the hand-off stage, and its touches.
	Handoffs []Handoff
	// Candidates are the leads created in the period that were never
	// handed off: a version whose stage rules they meet would have handed
	// them over when they arrived.
	Candidates []tandem.Lead
	// Carried are the hand-offs started before the period and still open
	// at its start: they hold their rep's capacity until they ended.
	Carried []Carried
}

// Rep is a sales rep as routing sees it.
type Rep struct {
	ID     int64  `json:"id"`
	Email  string `json:"email"`
	Team   string `json:"team,omitempty"`
	Weight int    `json:"weight"`
}

// Handoff is one real hand-off of the period with what the backtest keeps
// of it.
type Handoff struct {
	tandem.Handoff
	// Lead is the lead as the ledger holds it now: its fields are what
	// the stage rules are evaluated on.
	Lead tandem.Lead
	// ByRule says that a stage rule moved the lead into the hand-off stage;
	// a lead moved by a person (or handed over hot) was handed over by a
	// decision no rule replaces, and stays handed over under every version.
	ByRule bool
	// Touches are the touches logged on the hand-off, in time order.
	Touches []tandem.Touch
}

// Carried is a hand-off open when the period started: its rep, and when it
// ended (zero: still open).
type Carried struct {
	OwnerID int64
	EndedAt time.Time
}

// Version is one side of the comparison: an agreement, its stored version
// number (0 for a file not stored), and its plan for the period, worked
// out by the caller (the plan reads the funnel's history).
type Version struct {
	Number    int
	Agreement *agreement.Agreement
	Plan      *plan.Plan
}

// Report is the backtest of one period: the version in force and the
// proposal, side by side.
type Report struct {
	Period   calendar.Period `json:"period"`
	AsOf     time.Time       `json:"as_of"`
	InForce  Side            `json:"in_force"`
	Proposed Side            `json:"proposed"`
}

// Side is what one version would have asked and judged over the period.
type Side struct {
	Version int    `json:"version"`
	Name    string `json:"name"`

	// Handoffs counts the leads the version hands over in the period
	// (MQLs under the default lifecycle): Kept real hand-offs and Added
	// leads that only its rules hand over. Dropped real hand-offs its
	// rules would not have made.
	Handoffs   int `json:"handoffs"`
	Kept       int `json:"kept"`
	Added      int `json:"added"`
	Dropped    int `json:"dropped"`
	Commitment int `json:"commitment"`

	// Reps lists the hand-offs routed to each rep and the rep's peak open
	// load (open hand-offs at once, those carried into the period
	// included); PeakOpen is the highest of them; Unrouted the hand-offs
	// no rep could take when they started (every rep at capacity), routed
	// later or never.
	Reps     []RepLoad `json:"reps"`
	PeakOpen int       `json:"peak_open"`
	Unrouted int       `json:"unrouted"`

	// FirstTouch and Accept count the clocks as the SLA report does
	// (docs/sla.md): met in time, late, missed, pending.
	FirstTouch Clock `json:"first_touch"`
	Accept     Clock `json:"accept"`

	// Breaches counts the breaches the engine would have fired: a clock
	// that fell due, unmet, while its hand-off was open, by Now.
	Breaches Breaches `json:"breaches"`
	// Escalations counts the escalation notices that would have gone out,
	// per role in the order of the agreement's steps.
	Escalations      []RoleCount `json:"escalations"`
	EscalationsTotal int         `json:"escalations_total"`

	// Steps are the cadence steps that would have been owed: they fell due
	// (on time, late, missed or overdue); StepsOnTime were done by their
	// due time.
	StepsOwed   int `json:"steps_owed"`
	StepsOnTime int `json:"steps_on_time"`

	// LeadsNeeded and HandoffsNeeded are the plan's counts for the period
	// (the first path stage, and the hand-off stage); 0 when the plan could
	// not say (Unknown).
	LeadsNeeded    int64 `json:"leads_needed"`
	HandoffsNeeded int64 `json:"handoffs_needed"`

	// SLA is the whole SLA report of the replayed hand-offs.
	SLA sla.Report `json:"-"`
}

// RepLoad is one rep's share of a side.
type RepLoad struct {
	Rep      string `json:"rep"`
	Handoffs int    `json:"handoffs"`
	PeakOpen int    `json:"peak_open"`
}

// Clock counts one kind of clock over the hand-offs.
type Clock struct {
	Measured int     `json:"measured"`
	InTime   int     `json:"in_time"`
	Late     int     `json:"late"`
	Missed   int     `json:"missed"`
	Pending  int     `json:"pending"`
	Share    float64 `json:"in_time_share"`
}

// Breaches counts fired breaches by clock.
type Breaches struct {
	FirstTouch int `json:"first_touch"`
	Accept     int `json:"accept"`
	Steps      int `json:"steps"`
	Total      int `json:"total"`
}

// RoleCount is a count for one role.
type RoleCount struct {
	Role  string `json:"role"`
	Count int    `json:"count"`
}

// Run replays the ledger under both versions. It fails only when a version
// cannot run clocks (its calendar does not load) or hands nothing to sales.
func Run(l Ledger, inForce, proposed Version) (Report, error) {
	r := Report{Period: l.Period, AsOf: l.Now}
	// The two sides share nothing they change (the ledger is only read),
	// so they are replayed at once; each is the same whatever the other.
	var errIn error
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.InForce, errIn = side(l, inForce)
	}()
	var errProp error
	r.Proposed, errProp = side(l, proposed)
	<-done
	if errIn != nil {
		return r, fmt.Errorf("the version in force: %w", errIn)
	}
	if errProp != nil {
		return r, fmt.Errorf("the proposal: %w", errProp)
	}
	return r, nil
}

// replayed is one hand-off under a version, while it is built.
type replayed struct {
	h       tandem.Handoff
	lead    *tandem.Lead
	touches []tandem.Touch
	open    bool // never ends within the ledger (an added lead nobody worked)
}

func side(l Ledger, v Version) (Side, error) {
	p, err := sla.New(v.Agreement, v.Number)
	if err != nil {
		return Side{}, err
	}
	if p == nil {
		return Side{}, fmt.Errorf("it has no hand-off stage: it hands no lead to sales")
	}
	s := Side{Version: v.Number, Name: v.Agreement.Name, Reps: []RepLoad{}, Escalations: []RoleCount{}}
	lc := v.Agreement.Lifecycle(v.Number)
	var hs []*replayed
	for i := range l.Handoffs {
		rh := &l.Handoffs[i]
		if rh.ByRule && !handsOver(lc, p, rh.Lead) {
			s.Dropped++
			continue
		}
		s.Kept++
		h := rh.Handoff
		h.OwnerID, h.RoutedAt = 0, time.Time{}
		hs = append(hs, &replayed{h: h, lead: &rh.Lead, touches: rh.Touches})
	}
	for i := range l.Candidates {
		c := &l.Candidates[i]
		if c.CreatedAt.Before(l.Period.From) || !c.CreatedAt.Before(l.Period.To) || !handsOver(lc, p, *c) {
			continue
		}
		s.Added++
		hs = append(hs, &replayed{h: tandem.Handoff{LeadID: c.ID, StartedAt: c.CreatedAt}, lead: c, open: true})
	}
	// One order for everything after: when the hand-offs started, then
	// the lead, so that the same ledger always routes the same way.
	slices.SortStableFunc(hs, func(a, b *replayed) int {
		return cmp.Or(a.h.StartedAt.Compare(b.h.StartedAt), cmp.Compare(a.h.LeadID, b.h.LeadID))
	})
	s.Handoffs = len(hs)
	tasks := make([]tandem.Task, 0, 4*len(hs))
	for i, x := range hs {
		x.h.ID = int64(i + 1)
		tasks = replay(p, &x.h, x.touches, tasks, l.Now)
	}
	loads := route(p, l, hs)
	emails := map[int64]string{}
	for _, rep := range l.Reps {
		emails[rep.ID] = rep.Email
	}
	for _, rep := range l.Reps {
		ld := loads[rep.ID]
		s.Reps = append(s.Reps, RepLoad{Rep: rep.Email, Handoffs: ld.handoffs, PeakOpen: ld.peak})
		s.PeakOpen = max(s.PeakOpen, ld.peak)
	}
	handoffs := make([]tandem.Handoff, len(hs))
	segments := map[int64]string{}
	for i, x := range hs {
		handoffs[i] = x.h
		segments[x.h.ID] = x.lead.Segment
		if x.h.OwnerID == 0 || x.h.RoutedAt.After(x.h.StartedAt) {
			s.Unrouted++
		}
	}
	s.SLA = sla.NewReport(sla.Input{Period: l.Period, Now: l.Now, By: "rep", Policy: p, Policies: map[int]*sla.Policy{v.Number: p},
		Handoffs: handoffs, Tasks: tasks,
		Key: func(h tandem.Handoff) string {
			if h.OwnerID == 0 {
				return "(unrouted)"
			}
			return emails[h.OwnerID]
		},
		Segment: func(h tandem.Handoff) string { return segments[h.ID] }})
	t := s.SLA.Total
	s.Commitment = s.SLA.Marketing.Commitment
	s.FirstTouch = Clock{Measured: t.TouchMeasured(), InTime: t.TouchedInTime, Late: t.TouchedLate, Missed: t.Untouched,
		Pending: t.TouchPending, Share: t.TouchedInTimeShare}
	s.Accept = Clock{Measured: t.DecideMeasured(), InTime: t.DecidedInTime, Late: t.Decided - t.DecidedInTime,
		Missed: t.Undecided, Pending: t.DecisionPending, Share: t.DecidedInTimeShare}
	steps := t.StepTotals()
	s.StepsOwed, s.StepsOnTime = steps.Due(), steps.OnTime
	breaches(p, l.Now, handoffs, tasks, &s)
	if v.Plan != nil {
		hand, _ := v.Agreement.HandoffStage()
		first := ""
		if path := v.Agreement.PathStages(); len(path) > 0 {
			first = path[0]
		}
		for _, st := range v.Plan.Stages {
			if st.Unknown {
				continue
			}
			switch st.Stage {
			case first:
				s.LeadsNeeded = st.Needed
			case hand:
				s.HandoffsNeeded = st.Needed
			}
		}
	}
	return s, nil
}

// handsOver reports whether the version's stage rules take the lead from
// the first stage of the path to its hand-off stage, one rule at a time as
// intake does. A rule that fails, or runs over its budget, does not hold.
func handsOver(lc tandem.Lifecycle, p *sla.Policy, l tandem.Lead) bool {
	l.Stage = lc.Initial()
	for range 64 { // a path is never this long; the bound keeps a loop finite
		if l.Stage == p.HandoffStage {
			return true
		}
		to, _, ok, err := lc.Advance(&l)
		if err != nil || !ok {
			return false
		}
		l.Stage = to
	}
	return false
}
