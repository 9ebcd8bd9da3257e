// Package sla turns the agreement in force into the clocks, cadence steps and
// routing decisions of a hand-off. It is pure: the store calls it inside the
// transaction that records what happened, and writes what it returns.
//
// The rules, in the words of docs/sla.md:
//   - A hand-off starts when a lead enters the agreement's hand-off stage (the
//     first path stage with an entry rule, mql by default) under a signed
//     agreement. Its first-touch clock falls due first_touch_within after the
//     start (hot_lead_first_touch_within for a hot lead) and its accept clock
//     accept_within after, both in business time.
//   - Each cadence step starts at its offset from the cadence's start and is
//     due one response window later: the first-touch window, so the first
//     step of the default cadence (a call at 0m) is due with the first-touch
//     clock, and the day-2 call is due ten business minutes into day 2.
//   - The rep owes one step at a time. A touch completes the first step from
//     the current one on whose channel it matches and whose start has come;
//     the steps it passes over are recorded as skipped. A call that leaves a
//     voicemail also completes a voicemail step right after the call step.
package sla

import (
	"fmt"
	"slices"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/agreement"
	"github.com/tandemhq/tandem/calendar"
)

// Policy is the SLA of one agreement version, ready to compute due times.
// It is immutable and safe for concurrent use.
type Policy struct {
	Version   int
	Agreement *agreement.Agreement
	Calendar  *calendar.Calendar

	// The stages the engine acts on, from the agreement's lifecycle.
	HandoffStage      string // entering it starts a hand-off
	AcceptStage       string // the stage after it: accepting moves the lead here
	RejectStage       string // the first non-final exit (recycled)
	DisqualifyStage   string // the first final exit (disqualified)
	working           map[string]bool
	dayMinutes        int
	first, hot, accpt agreement.Span
}

// New builds the policy of agreement version n. It returns nil and no error
// when the agreement has no hand-off stage (no path stage with an entry rule
// and a stage after it): such an agreement starts no clocks.
func New(a *agreement.Agreement, n int) (*Policy, error) {
	cal, err := a.BusinessHours.Calendar()
	if err != nil {
		return nil, fmt.Errorf("agreement version %d: %w", n, err)
	}
	p := &Policy{Version: n, Agreement: a, Calendar: cal, working: map[string]bool{},
		dayMinutes: a.BusinessHours.DayMinutes(),
		first:      a.Sales.FirstTouchWithin, hot: a.Sales.HotLeadFirstTouchWithin, accpt: a.Sales.AcceptWithin}
	p.HandoffStage, p.AcceptStage = a.HandoffStage()
	if p.HandoffStage == "" {
		return nil, nil
	}
	// Sales works the lead from the hand-off until the last stage of the
	// path (customer), which ends the hand-off.
	path := a.PathStages()
	for i := slices.Index(path, p.HandoffStage); i < len(path)-1; i++ {
		p.working[path[i]] = true
	}
	for _, s := range a.Stages {
		switch {
		case s.Exit && !s.Final && p.RejectStage == "":
			p.RejectStage = s.Name
		case s.Exit && s.Final && p.DisqualifyStage == "":
			p.DisqualifyStage = s.Name
		}
	}
	return p, nil
}

// Working reports whether sales works a lead in the stage: it takes touches
// and its hand-off stays open.
func (p *Policy) Working(stage string) bool { return p.working[stage] }

// Window is the response window of a hand-off: how long the rep has for
// the first touch and for each cadence step once it starts.
func (p *Policy) Window(hot bool) agreement.Span {
	if hot {
		return p.hot
	}
	return p.first
}

// Due returns the time a span of business time after t.
func (p *Policy) Due(t time.Time, s agreement.Span) time.Time { return p.due(t, s) }

func (p *Policy) due(t time.Time, s agreement.Span) time.Time {
	return p.Calendar.Due(t, s.Days, s.Minutes).UTC()
}

// FirstTouchDue is when the first-touch clock of a hand-off started at
// start falls due.
func (p *Policy) FirstTouchDue(start time.Time, hot bool) time.Time {
	return p.due(start, p.Window(hot))
}

// AcceptDue is when the accept-or-reject clock falls due.
func (p *Policy) AcceptDue(start time.Time) time.Time { return p.due(start, p.accpt) }

// Steps returns the steps of a cadence: CadenceMain or CadenceConnected.
func (p *Policy) Steps(cadence string) []agreement.Step {
	switch cadence {
	case tandem.CadenceMain:
		return p.Agreement.Sales.Cadence
	case tandem.CadenceConnected:
		return p.Agreement.Sales.ConnectedCadence
	}
	return nil
}

// Task returns step i (from 0) of the cadence started at from, with its
// start and due times, or false past the cadence's end. The caller fills in
// the ids.
func (p *Policy) Task(cadence string, i int, from time.Time, hot bool) (tandem.Task, bool) {
	steps := p.Steps(cadence)
	if i < 0 || i >= len(steps) {
		return tandem.Task{}, false
	}
	st := steps[i]
	starts := p.due(from, st.Offset)
	return tandem.Task{Cadence: cadence, Step: i + 1, Channel: string(st.Channel), Template: st.Template,
		StartsAt: starts, DueAt: p.due(starts, p.Window(hot)), State: tandem.TaskOpen}, true
}

// TouchResult is what a touch does to the cadence.
type TouchResult struct {
	// Done lists the steps (from 0) the touch completes; Skipped the steps
	// it passes over, in order.
	Done, Skipped []int
	// Next is the step the rep owes after the touch, -1 for none (the
	// cadence ran out, switched or ended).
	Next int
	// Switch starts the connected cadence from the touch.
	Switch bool
	// End ends the cadence: the lead replied or booked a meeting.
	End bool
}

// Touch decides what a touch at time at does to a hand-off whose rep owes
// step cur (from 0) of cadence, which started at from. cur equal to the
// number of steps means the cadence ran out.
func (p *Policy) Touch(cadence string, cur int, from time.Time, hot bool, t tandem.Touch, at time.Time) TouchResult {
	steps := p.Steps(cadence)
	r := TouchResult{Next: cur}
	if cadence == tandem.CadenceEnded {
		r.Next = -1
		return r
	}
	matches := func(i int) bool {
		ch := string(steps[i].Channel)
		if ch == t.Channel {
			return true
		}
		// A call that left a voicemail is also the voicemail step.
		return ch == "voicemail" && t.Channel == "call" && t.Outcome == tandem.OutcomeVoicemail
	}
	for k := cur; k < len(steps); k++ {
		if !matches(k) {
			continue
		}
		if tk, _ := p.Task(cadence, k, from, hot); tk.StartsAt.After(at) {
			break // the step has not started yet: an extra touch
		}
		for s := cur; s < k; s++ {
			r.Skipped = append(r.Skipped, s)
		}
		r.Done = append(r.Done, k)
		r.Next = k + 1
		if t.Channel == "call" && t.Outcome == tandem.OutcomeVoicemail && steps[k].Channel == "call" &&
			k+1 < len(steps) && steps[k+1].Channel == "voicemail" {
			r.Done = append(r.Done, k+1)
			r.Next = k + 2
		}
		break
	}
	switch {
	case t.Ends():
		r.End, r.Next = true, -1
	case t.Connects() && cadence == tandem.CadenceMain && len(p.Steps(tandem.CadenceConnected)) > 0:
		r.Switch, r.Next = true, -1
	case r.Next >= len(steps):
		r.Next = -1
	}
	return r
}
