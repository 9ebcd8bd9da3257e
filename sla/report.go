package sla

// The report: how both sides kept the agreement over a period. Sales is
// measured per hand-off started in the period (its clocks and cadence
// steps), marketing by the hand-offs it produced (volume and acceptance)
// and the reviews sales wrote in the period (rating). Everything here is
// computed from plain values, so that the numbers can be checked by hand.

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/calendar"
)

// Groupings lists what the sales rows of a report can be grouped by: the
// rep's email, the rep's team, or the lead's source.
var Groupings = []string{"rep", "team", "source"}

// Report measures both sides of the agreement over a period. Durations are
// in nanoseconds in JSON; shares are between 0 and 1, and 0 when there is
// nothing to measure (the count beside each says so).
type Report struct {
	Period calendar.Period `json:"period"`
	// AsOf is when the report was computed. A period that has not ended
	// (Complete false) is measured so far: clocks not yet due are pending,
	// and marketing's volume is not yet judged.
	AsOf     time.Time `json:"as_of"`
	Complete bool      `json:"complete"`
	// By is what the sales rows are grouped by: rep, team or source.
	By string `json:"by"`
	// AgreementVersion is the version whose commitments the report holds
	// marketing to: the one in force at the end of the period (now, while
	// it runs). Each hand-off's own clocks are those of the version it ran
	// on.
	AgreementVersion int       `json:"agreement_version"`
	Sales            []Row     `json:"sales"`
	Total            Row       `json:"total"`
	Marketing        Marketing `json:"marketing"`
}

// Row is sales' side for one key (a rep, a team or a source) or the total:
// every hand-off started in the period.
type Row struct {
	Key      string `json:"key"`
	Handoffs int    `json:"handoffs"`

	// Response time: the business time from the hand-off to its first
	// touch, over the Responses hand-offs that were touched.
	Responses      int           `json:"responses"`
	ResponseMedian time.Duration `json:"response_median_ns"`
	ResponseP90    time.Duration `json:"response_p90_ns"`

	// The first-touch clock: touched by its due time (on it counts), touched
	// after it, not touched though it fell due or the hand-off ended, and
	// not touched yet with time left (pending, left out of the share).
	TouchedInTime      int     `json:"touched_in_time"`
	TouchedLate        int     `json:"touched_late"`
	Untouched          int     `json:"untouched"`
	TouchPending       int     `json:"touch_pending"`
	TouchedInTimeShare float64 `json:"touched_in_time_share"`

	// The accept-or-reject clock, counted the same way. Decided counts
	// every decision; Accepted, Rejected and Disqualified split it.
	Decided            int     `json:"decided"`
	DecidedInTime      int     `json:"decided_in_time"`
	Undecided          int     `json:"undecided"`
	DecisionPending    int     `json:"decision_pending"`
	DecidedInTimeShare float64 `json:"decided_in_time_share"`
	Accepted           int     `json:"accepted"`
	Rejected           int     `json:"rejected"`
	Disqualified       int     `json:"disqualified"`

	// Touches logged on the hand-offs, and per hand-off.
	Touches        int     `json:"touches"`
	TouchesPerLead float64 `json:"touches_per_lead"`

	// Routing delay is the wall time from the hand-off to its routing
	// (Routed hand-offs); rep delay the business time from routing to the
	// first touch (RepDelays hand-offs, routed and touched). Together they
	// say whether a slow response is the router's or the rep's.
	Routed             int           `json:"routed"`
	RoutingDelayMedian time.Duration `json:"routing_delay_median_ns"`
	RepDelays          int           `json:"rep_delays"`
	RepDelayMedian     time.Duration `json:"rep_delay_median_ns"`

	// Steps says what became of each cadence step, step by step.
	Steps []StepStat `json:"steps"`
}

// StepStat counts what became of one cadence step over the hand-offs that
// entered its cadence (see [StepOutcome] for the states).
type StepStat struct {
	Cadence  string `json:"cadence"`
	Step     int    `json:"step"`
	Channel  string `json:"channel"`
	Template string `json:"template"`
	OnTime   int    `json:"on_time"`
	Late     int    `json:"late"`
	Skipped  int    `json:"skipped"`
	Missed   int    `json:"missed"`
	Overdue  int    `json:"overdue"`
	Open     int    `json:"open"`
	NotOwed  int    `json:"not_owed"`
	// OnTimeShare is OnTime over the steps that fell due: on time, late,
	// missed and overdue. Skipped steps are left out: a later touch made
	// them moot.
	OnTimeShare float64 `json:"on_time_share"`
	// LateMedian is the median business time by which late steps were
	// done after their due time.
	LateMedian time.Duration `json:"late_median_ns"`
}

// The arithmetic of a row's clocks, in one place for every reader of the
// report (the command line, the scorecard, the SLA board). A clock is
// measured once it is settled: met in time, met late, or unmet once due or
// once its hand-off ended; a pending clock is left out.

// TouchMeasured counts the first-touch clocks measured: touched in time,
// touched late, or untouched.
func (r Row) TouchMeasured() int { return r.TouchedInTime + r.TouchedLate + r.Untouched }

// TouchBreaches counts the first-touch clocks breached: touched late or
// untouched.
func (r Row) TouchBreaches() int { return r.TouchedLate + r.Untouched }

// DecideMeasured counts the accept-or-reject clocks measured: every
// decision, in time or late, and the hand-offs left undecided.
func (r Row) DecideMeasured() int { return r.Decided + r.Undecided }

// DecideBreaches counts the accept-or-reject clocks breached: decided late
// or undecided.
func (r Row) DecideBreaches() int { return r.Decided - r.DecidedInTime + r.Undecided }

// StepTotals sums the row's cadence steps, every cadence and step
// together, into one StepStat with its on-time share (LateMedian is left
// 0: medians do not add up).
func (r Row) StepTotals() StepStat {
	var t StepStat
	for _, s := range r.Steps {
		t.OnTime += s.OnTime
		t.Late += s.Late
		t.Skipped += s.Skipped
		t.Missed += s.Missed
		t.Overdue += s.Overdue
		t.Open += s.Open
		t.NotOwed += s.NotOwed
	}
	t.OnTimeShare = share(t.OnTime, t.Due())
	return t
}

// VolumeShare is the share of the commitment that marketing handed over:
// qualified leads over the commitment, 0 for no commitment.
func (m Marketing) VolumeShare() float64 { return share(m.QualifiedLeads, m.Commitment) }

// Due counts the steps that fell due: on time, late, missed or overdue.
// Skipped steps are left out: a later touch made them moot.
func (s StepStat) Due() int { return s.OnTime + s.Late + s.Missed + s.Overdue }

// Breaches counts the steps that fell due and were not done on time: late,
// missed or overdue.
func (s StepStat) Breaches() int { return s.Late + s.Missed + s.Overdue }

// Marketing is marketing's side: the volume it committed to and the
// quality floor.
type Marketing struct {
	// QualifiedLeads counts the hand-offs started in the period; the
	// commitment is the agreement's monthly one times the period's months.
	QualifiedLeads int          `json:"qualified_leads"`
	Commitment     int          `json:"commitment"`
	BySegment      []SegmentRow `json:"by_segment"`
	// AcceptanceRate is Accepted over Decided (accepted, rejected or
	// disqualified) for the hand-offs started in the period.
	Decided           int     `json:"decided"`
	Accepted          int     `json:"accepted"`
	AcceptanceRate    float64 `json:"acceptance_rate"`
	MinAcceptanceRate float64 `json:"min_acceptance_rate"`
	// AverageRating is the mean of the Ratings reviews written in the
	// period.
	Ratings          int     `json:"ratings"`
	AverageRating    float64 `json:"average_rating"`
	MinAverageRating float64 `json:"min_average_rating"`
	// Breaches says in words where marketing fell short. Volume is judged
	// once the period is complete; the quality floor whenever there is
	// something to measure.
	Breaches []string `json:"breaches"`
}

// SegmentRow is the volume of one lead segment, when the agreement splits
// the commitment by segment. A segment the agreement does not name has a
// commitment of 0; leads with no segment are under "(none)".
type SegmentRow struct {
	Segment    string `json:"segment"`
	Count      int    `json:"count"`
	Commitment int    `json:"commitment"`
	Met        bool   `json:"met"`
}

// Input is what a report is computed from.
type Input struct {
	Period calendar.Period
	Now    time.Time
	By     string
	// Policy is the policy of the version in force (see
	// [Report.AgreementVersion]); Policies holds the policy of each
	// version the hand-offs ran on; a version missing from it is read
	// with Policy.
	Policy   *Policy
	Policies map[int]*Policy
	// Handoffs are the hand-offs started in the period, Tasks theirs (in
	// any order), Reviews those written in the period.
	Handoffs []tandem.Handoff
	Tasks    []tandem.Task
	Reviews  []tandem.Review
	// HandoffTasks, when not nil, holds the tasks of each hand-off,
	// HandoffTasks[i] those of Handoffs[i], and Tasks is not read: a
	// reader that reads them grouped saves the report grouping them.
	HandoffTasks [][]tandem.Task
	// Key gives a hand-off's sales row; Segment its lead's segment.
	Key     func(tandem.Handoff) string
	Segment func(tandem.Handoff) string
}

// NewReport computes the report of a period.
func NewReport(in Input) Report {
	r := Report{Period: in.Period, AsOf: in.Now, Complete: !in.Now.Before(in.Period.To), By: in.By,
		AgreementVersion: in.Policy.Version, Sales: []Row{}}
	tasksOf := in.HandoffTasks
	if tasksOf == nil {
		tasksOf = groupTasks(in.Handoffs, in.Tasks)
	}
	rows := map[string]*rowBuilder{}
	total := &rowBuilder{}
	segments := map[string]int{}
	var buf []StepOutcome
	var scratch []*tandem.Task
	for i, h := range in.Handoffs {
		p := in.Policies[h.AgreementVersion]
		if p == nil {
			p = in.Policy
		}
		key := in.Key(h)
		b := rows[key]
		if b == nil {
			b = &rowBuilder{}
			rows[key] = b
		}
		buf = p.appendOutcomes(buf[:0], &scratch, h, tasksOf[i], in.Now)
		m := measure(p, h, buf, in.Now)
		b.add(m)
		total.add(m)
		segments[in.Segment(h)]++
	}
	for key, b := range rows {
		r.Sales = append(r.Sales, b.row(key))
	}
	slices.SortFunc(r.Sales, func(a, b Row) int { return strings.Compare(a.Key, b.Key) })
	r.Total = total.row("TOTAL")
	r.Marketing = marketing(in.Policy, in.Period, r.Complete, r.Total, segments, in.Reviews)
	return r
}

// groupTasks returns the tasks of each hand-off, in one array: a report
// may hold hundreds of thousands.
func groupTasks(hs []tandem.Handoff, ts []tandem.Task) [][]tandem.Task {
	idx := make(map[int64]int, len(hs))
	for i, h := range hs {
		idx[h.ID] = i
	}
	ends := make([]int, len(hs)+1)
	for _, t := range ts {
		if i, ok := idx[t.HandoffID]; ok {
			ends[i+1]++
		}
	}
	for i := range hs {
		ends[i+1] += ends[i]
	}
	grouped := make([]tandem.Task, ends[len(hs)])
	pos := slices.Clone(ends)
	for _, t := range ts {
		if i, ok := idx[t.HandoffID]; ok {
			grouped[pos[i]] = t
			pos[i]++
		}
	}
	out := make([][]tandem.Task, len(hs))
	for i := range hs {
		out[i] = grouped[ends[i]:ends[i+1]]
	}
	return out
}

// measured is one hand-off, measured.
type measured struct {
	h        tandem.Handoff
	touch    string // in time, late, untouched, pending
	decision string // in time, late, undecided, pending
	response time.Duration
	routing  time.Duration
	rep      time.Duration
	steps    []StepOutcome
}

const (
	clockInTime  = "in time"
	clockLate    = "late"
	clockMissed  = "missed"
	clockPending = "pending"
)

func measure(p *Policy, h tandem.Handoff, steps []StepOutcome, now time.Time) measured {
	m := measured{h: h, steps: steps}
	m.touch = clockState(h.FirstTouchAt, h.FirstTouchDue, h, now)
	m.decision = clockState(h.DecidedAt, h.AcceptDue, h, now)
	if !h.FirstTouchAt.IsZero() {
		m.response = p.Calendar.Between(h.StartedAt, h.FirstTouchAt)
	}
	if !h.RoutedAt.IsZero() {
		m.routing = h.RoutedAt.Sub(h.StartedAt)
		if !h.FirstTouchAt.IsZero() {
			m.rep = p.Calendar.Between(h.RoutedAt, h.FirstTouchAt)
		}
	}
	return m
}

// clockState says how a clock due at due was met by a hand-off: at met (the
// zero time for not yet), by its due time, late, missed (it fell due or the
// hand-off ended unmet) or pending.
func clockState(met, due time.Time, h tandem.Handoff, now time.Time) string {
	switch {
	case !met.IsZero() && !met.After(due):
		return clockInTime
	case !met.IsZero():
		return clockLate
	case !h.Open() || !now.Before(due):
		return clockMissed
	}
	return clockPending
}

// rowBuilder gathers the hand-offs of one row.
type rowBuilder struct {
	r                        Row
	responses, routing, reps []time.Duration
	steps                    map[stepKey]*stepBuilder
}

type stepKey struct {
	cadence           string
	step              int
	channel, template string
}

type stepBuilder struct {
	s    StepStat
	late []time.Duration
}

func (b *rowBuilder) add(m measured) {
	r := &b.r
	r.Handoffs++
	switch m.touch {
	case clockInTime:
		r.TouchedInTime++
	case clockLate:
		r.TouchedLate++
	case clockMissed:
		r.Untouched++
	default:
		r.TouchPending++
	}
	if !m.h.FirstTouchAt.IsZero() {
		b.responses = append(b.responses, m.response)
	}
	switch m.decision {
	case clockInTime:
		r.DecidedInTime++
	case clockMissed:
		r.Undecided++
	case clockPending:
		r.DecisionPending++
	}
	switch m.h.Decision {
	case tandem.DecisionAccepted:
		r.Accepted++
	case tandem.DecisionRejected:
		r.Rejected++
	case tandem.DecisionDisqualified:
		r.Disqualified++
	}
	r.Touches += m.h.Touches
	if !m.h.RoutedAt.IsZero() {
		b.routing = append(b.routing, m.routing)
		if !m.h.FirstTouchAt.IsZero() {
			b.reps = append(b.reps, m.rep)
		}
	}
	if b.steps == nil {
		b.steps = map[stepKey]*stepBuilder{}
	}
	for _, o := range m.steps {
		k := stepKey{o.Cadence, o.Step, o.Channel, o.Template}
		s := b.steps[k]
		if s == nil {
			s = &stepBuilder{s: StepStat{Cadence: o.Cadence, Step: o.Step, Channel: o.Channel, Template: o.Template}}
			b.steps[k] = s
		}
		switch o.State {
		case StepOnTime:
			s.s.OnTime++
		case StepLate:
			s.s.Late++
			s.late = append(s.late, o.By)
		case StepSkipped:
			s.s.Skipped++
		case StepMissed:
			s.s.Missed++
		case StepOverdue:
			s.s.Overdue++
		case StepOpen:
			s.s.Open++
		case StepNotOwed:
			s.s.NotOwed++
		}
	}
}

func (b *rowBuilder) row(key string) Row {
	r := b.r
	r.Key = key
	r.Responses = len(b.responses)
	r.ResponseMedian = Percentile(b.responses, 50)
	r.ResponseP90 = Percentile(b.responses, 90)
	r.TouchedInTimeShare = share(r.TouchedInTime, r.TouchMeasured())
	r.Decided = r.Accepted + r.Rejected + r.Disqualified
	r.DecidedInTimeShare = share(r.DecidedInTime, r.DecideMeasured())
	r.TouchesPerLead = share(r.Touches, r.Handoffs)
	r.Routed, r.RoutingDelayMedian = len(b.routing), Percentile(b.routing, 50)
	r.RepDelays, r.RepDelayMedian = len(b.reps), Percentile(b.reps, 50)
	r.Steps = make([]StepStat, 0, len(b.steps))
	for _, s := range b.steps {
		st := s.s
		st.OnTimeShare = share(st.OnTime, st.Due())
		st.LateMedian = Percentile(s.late, 50)
		r.Steps = append(r.Steps, st)
	}
	slices.SortFunc(r.Steps, func(a, b StepStat) int {
		return cmp.Or(cmp.Compare(cadenceOrder(a.Cadence), cadenceOrder(b.Cadence)), cmp.Compare(a.Step, b.Step),
			strings.Compare(a.Channel, b.Channel), strings.Compare(a.Template, b.Template))
	})
	return r
}

func cadenceOrder(c string) int {
	if c == tandem.CadenceMain {
		return 0
	}
	return 1
}

// share returns n/of, or 0 when of is 0.
func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// Percentile returns the q-th percentile (0 < q <= 100) of ds by the
// nearest-rank method: the smallest value with at least q% of the values at
// or below it. So the median of an even count is the lower middle value.
// It returns 0 for no values, and sorts ds in place.
func Percentile(ds []time.Duration, q int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := (q*len(ds) + 99) / 100 // ceil(q/100 × n)
	return ds[max(rank, 1)-1]
}

// marketing measures marketing's side against the policy's commitments.
func marketing(p *Policy, per calendar.Period, complete bool, total Row, segments map[string]int, reviews []tandem.Review) Marketing {
	c := p.Agreement.Marketing
	mk := Marketing{QualifiedLeads: total.Handoffs, Commitment: c.QualifiedLeadsPerMonth * per.Months,
		BySegment: []SegmentRow{}, Decided: total.Decided, Accepted: total.Accepted,
		AcceptanceRate: share(total.Accepted, total.Decided), MinAcceptanceRate: c.MinAcceptanceRate,
		Ratings: len(reviews), MinAverageRating: c.MinAverageRating, Breaches: []string{}}
	if len(reviews) > 0 {
		sum := 0
		for _, r := range reviews {
			sum += r.Rating
		}
		mk.AverageRating = float64(sum) / float64(len(reviews))
	}
	if complete && mk.QualifiedLeads < mk.Commitment {
		mk.Breaches = append(mk.Breaches, fmt.Sprintf("qualified leads %d of %d (%s)", mk.QualifiedLeads, mk.Commitment,
			percent(mk.VolumeShare())))
	}
	if len(c.QualifiedLeadsBySegment) > 0 {
		for seg := range c.QualifiedLeadsBySegment {
			segments[seg] += 0 // every committed segment gets a row
		}
		for seg, count := range segments {
			name := seg
			if name == "" {
				name = "(none)"
			}
			row := SegmentRow{Segment: name, Count: count, Commitment: c.QualifiedLeadsBySegment[seg] * per.Months}
			row.Met = row.Count >= row.Commitment
			mk.BySegment = append(mk.BySegment, row)
		}
		slices.SortFunc(mk.BySegment, func(a, b SegmentRow) int { return strings.Compare(a.Segment, b.Segment) })
		for _, row := range mk.BySegment {
			if complete && !row.Met {
				mk.Breaches = append(mk.Breaches, fmt.Sprintf("qualified leads in segment %s %d of %d (%s)", row.Segment, row.Count,
					row.Commitment, percent(share(row.Count, row.Commitment))))
			}
		}
	}
	if mk.Decided > 0 && mk.AcceptanceRate < c.MinAcceptanceRate {
		mk.Breaches = append(mk.Breaches, fmt.Sprintf("acceptance rate %s (%d of %d accepted) is below the floor of %s",
			percent(mk.AcceptanceRate), mk.Accepted, mk.Decided, percent(c.MinAcceptanceRate)))
	}
	if mk.Ratings > 0 && mk.AverageRating < c.MinAverageRating {
		mk.Breaches = append(mk.Breaches, fmt.Sprintf("average rating %s (%s) is below the floor of %s",
			decimal(mk.AverageRating), Count(mk.Ratings, "review"), decimal(c.MinAverageRating)))
	}
	return mk
}

// Count writes n things: "1 review", "2 reviews".
func Count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// percent writes a share as a percentage with at most one decimal.
func percent(x float64) string { return decimal(x*100) + "%" }

// decimal writes x rounded to one decimal, without a trailing zero.
func decimal(x float64) string {
	return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64)
}

// What became of a cadence step of a hand-off.
const (
	StepOnTime  = "on time"  // done by its due time
	StepLate    = "late"     // done after it
	StepSkipped = "skipped"  // passed over by a touch on a later step, or made moot by contact
	StepMissed  = "missed"   // the hand-off ended with the step due and not done
	StepOverdue = "overdue"  // past due and not done, the hand-off still open
	StepOpen    = "open"     // not yet due
	StepNotOwed = "not owed" // never reached: contact was made, the lead replied, or the hand-off ended before it fell due
)

// StepOutcome is what became of one cadence step of one hand-off.
type StepOutcome struct {
	Cadence  string `json:"cadence"`
	Step     int    `json:"step"` // from 1
	Channel  string `json:"channel"`
	Template string `json:"template"`
	State    string `json:"state"`
	// Why says why a step is not owed.
	Why      string    `json:"why,omitempty"`
	StartsAt time.Time `json:"starts_at"`
	DueAt    time.Time `json:"due_at"`
	DoneAt   time.Time `json:"done_at,omitzero"`
	// By is the business time a late step was done after its due time.
	By time.Duration `json:"by_ns,omitempty"`
	// Task reports whether the engine wrote the step as a task; a step it
	// never reached has its times computed from the cadence.
	Task bool `json:"task"`
}

// Reasons a step is not owed.
const (
	whyContact = "contact made"
	whyEnded   = "the lead replied or booked a meeting"
	whyHandoff = "the hand-off ended before it fell due"
)

// StepOutcomes says what became of every step of the cadences a hand-off
// entered (the main one, and the connected one once contact was made), as
// of now. tasks are the hand-off's tasks; others are ignored.
//
// The engine writes one task at a time, so a step it never reached has no
// task. Such a step is not owed when contact moved the lead to the connected
// cadence, when a reply or a booked meeting ended the cadence, or when the
// hand-off ended before the step fell due; otherwise it is missed (the
// hand-off ended after it fell due), overdue (past due, still open) or open
// (not yet due), like a task.
func (p *Policy) StepOutcomes(h tandem.Handoff, tasks []tandem.Task, now time.Time) []StepOutcome {
	return p.appendOutcomes(nil, new([]*tandem.Task), h, tasks, now)
}

// appendOutcomes appends the outcomes of [Policy.StepOutcomes] to dst;
// scratch is reused from call to call.
func (p *Policy) appendOutcomes(dst []StepOutcome, scratch *[]*tandem.Task, h tandem.Handoff, tasks []tandem.Task, now time.Time) []StepOutcome {
	connected := h.Cadence == tandem.CadenceConnected
	for i := 0; i < len(tasks) && !connected; i++ {
		connected = tasks[i].HandoffID == h.ID && tasks[i].Cadence == tandem.CadenceConnected
	}
	dst = p.cadenceOutcomes(dst, scratch, h, tandem.CadenceMain, h.StartedAt, tasks, connected, now)
	if connected {
		dst = p.cadenceOutcomes(dst, scratch, h, tandem.CadenceConnected, h.CadenceFrom, tasks, false, now)
	}
	return dst
}

// cadenceOutcomes appends what became of the steps of one cadence started
// at from; left reports that contact moved the hand-off on to the connected
// cadence.
func (p *Policy) cadenceOutcomes(dst []StepOutcome, scratch *[]*tandem.Task, h tandem.Handoff, cadence string, from time.Time,
	tasks []tandem.Task, left bool, now time.Time) []StepOutcome {
	steps := p.Steps(cadence)
	byStep := slices.Grow((*scratch)[:0], len(steps))[:len(steps)]
	clear(byStep)
	*scratch = byStep
	last := -1 // the highest step written, from 0
	for i := range tasks {
		k := tasks[i].Step - 1
		if tasks[i].HandoffID != h.ID || tasks[i].Cadence != cadence || k < 0 || k >= len(steps) {
			continue
		}
		byStep[k] = &tasks[i]
		last = max(last, k)
	}
	// After a done or skipped task the engine writes the next step at once,
	// unless contact or the lead's reply ended the cadence. (A hand-off
	// that ended with a step open has that step missed.)
	endedByLead := !left && h.Cadence == tandem.CadenceEnded && last >= 0 && last+1 < len(steps) &&
		(byStep[last].State == tandem.TaskDone || byStep[last].State == tandem.TaskSkipped)
	cal := p.Calendar
	for i, st := range steps {
		o := StepOutcome{Cadence: cadence, Step: i + 1, Channel: string(st.Channel), Template: st.Template}
		if t := byStep[i]; t != nil {
			// The engine writes a task from the policy of its hand-off's
			// version, so a reader may leave channel, template and start out.
			o.Channel, o.Template, o.StartsAt = cmp.Or(t.Channel, o.Channel), cmp.Or(t.Template, o.Template), t.StartsAt
			o.DueAt, o.DoneAt, o.Task = t.DueAt, t.DoneAt, true
			switch t.State {
			case tandem.TaskDone:
				o.State = StepOnTime
				if t.DoneAt.After(t.DueAt) {
					o.State, o.By = StepLate, cal.Between(t.DueAt, t.DoneAt)
				}
			case tandem.TaskSkipped:
				o.State = StepSkipped
			case tandem.TaskMissed:
				o.State = StepMissed
			default:
				o.State = StepOpen
				if !h.Open() {
					o.State = StepMissed // the engine marks it so when the hand-off ends
				} else if now.After(t.DueAt) {
					o.State = StepOverdue
				}
			}
			dst = append(dst, o)
			continue
		}
		if left || endedByLead {
			o.State, o.Why = StepNotOwed, whyEnded
			if left {
				o.Why = whyContact
			}
			dst = append(dst, o)
			continue
		}
		t, _ := p.Task(cadence, i, from, h.Hot)
		o.StartsAt, o.DueAt = t.StartsAt, t.DueAt
		switch {
		case !h.Open() && o.DueAt.Before(h.EndedAt):
			o.State = StepMissed
		case !h.Open():
			o.State, o.Why = StepNotOwed, whyHandoff
		case now.After(o.DueAt):
			o.State = StepOverdue
		default:
			o.State = StepOpen
		}
		dst = append(dst, o)
	}
	return dst
}

// LeadCadence describes a hand-off for the people who work it, one line per
// clock and per cadence step, as of now: "first touch: on time, 7m after
// the hand-off", "step 6 call (day-2-call): late by 3h0m", "step 8 call
// (day-5-call): missed". Business time throughout.
func LeadCadence(p *Policy, h tandem.Handoff, tasks []tandem.Task, now time.Time) []string {
	loc := p.Calendar.Location()
	when := func(t time.Time) string { return t.In(loc).Format("Mon 2 Jan 15:04 MST") }
	cal := p.Calendar
	since := func(from, t time.Time, what string) string {
		return Duration(cal.Between(from, t)) + " after " + what
	}
	clock := func(name string, met, due time.Time, what string) string {
		switch clockState(met, due, h, now) {
		case clockInTime:
			return fmt.Sprintf("%s: %son time, %s", name, what, since(h.StartedAt, met, "the hand-off"))
		case clockLate:
			return fmt.Sprintf("%s: %s%s, %s", name, what, lateBy(cal.Between(due, met)), since(h.StartedAt, met, "the hand-off"))
		case clockMissed:
			if h.Open() {
				return fmt.Sprintf("%s: overdue by %s (due %s)", name, Duration(cal.Between(due, now)), when(due))
			}
			return fmt.Sprintf("%s: missed (due %s; the hand-off ended %s)", name, when(due), when(h.EndedAt))
		}
		return fmt.Sprintf("%s: not yet due (due %s)", name, when(due))
	}
	lines := []string{
		fmt.Sprintf("hand-off %d of lead %d at %s on agreement version %d", h.ID, h.LeadID, when(h.StartedAt), h.AgreementVersion),
		clock("first touch", h.FirstTouchAt, h.FirstTouchDue, ""),
	}
	decided := ""
	if h.Decision != "" {
		decided = h.Decision + " "
	}
	lines = append(lines, clock("accept or reject", h.DecidedAt, h.AcceptDue, decided))
	for _, o := range p.StepOutcomes(h, tasks, now) {
		label := fmt.Sprintf("step %d %s (%s)", o.Step, o.Channel, o.Template)
		start, what := h.StartedAt, "the hand-off"
		if o.Cadence == tandem.CadenceConnected {
			label = "connected " + label
			start, what = h.CadenceFrom, "contact"
		}
		var state string
		switch o.State {
		case StepOnTime:
			state = "on time, " + since(start, o.DoneAt, what)
		case StepLate:
			state = lateBy(o.By) + ", " + since(start, o.DoneAt, what)
		case StepOverdue:
			state = fmt.Sprintf("overdue by %s (due %s)", Duration(cal.Between(o.DueAt, now)), when(o.DueAt))
		case StepOpen:
			state = "not yet due (due " + when(o.DueAt) + ")"
			if o.Task && !now.Before(o.StartsAt) {
				state = "to do now (due " + when(o.DueAt) + ")"
			}
		case StepNotOwed:
			state = "not owed: " + o.Why
		default:
			state = o.State
		}
		lines = append(lines, label+": "+state)
	}
	return lines
}

// lateBy says how late something was by business time; a delay entirely
// outside business hours is late all the same.
func lateBy(d time.Duration) string {
	if d <= 0 {
		return "late (outside business hours)"
	}
	return "late by " + Duration(d)
}

// Duration writes a length of business time to the minute: 45s, 7m, 3h0m.
func Duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}
