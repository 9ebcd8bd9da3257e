package sla

import "time"

// ClockState is where one clock of a hand-off stands, as people read it.
// A page shows each state in words, with a colour that only repeats them.
type ClockState string

// The states of a clock.
const (
	ClockPending ClockState = "pending" // running: not met, not yet due
	ClockMet     ClockState = "met"     // met on time (at or before its due time)
	ClockLate    ClockState = "late"    // met, after its due time
	ClockOverdue ClockState = "overdue" // breached and still open: past due, unmet, the hand-off running
	ClockStopped ClockState = "stopped" // the hand-off ended before the clock was met
)

// StateOf returns the state, at now, of a clock due at due and met at met
// (zero while unmet) on a hand-off that ended at ended (zero while it
// runs), with the one figure that goes with the state: the time left for a
// pending clock, how late a late one was met, how far past due an overdue
// one is, and how far past due a stopped one was when its hand-off ended
// (zero when it stopped before its due time). A met clock is zero.
func StateOf(due, met, ended, now time.Time) (ClockState, time.Duration) {
	switch {
	case !met.IsZero() && met.After(due):
		return ClockLate, met.Sub(due)
	case !met.IsZero():
		return ClockMet, 0
	case !ended.IsZero():
		return ClockStopped, max(0, ended.Sub(due))
	case now.After(due):
		return ClockOverdue, now.Sub(due)
	}
	return ClockPending, due.Sub(now)
}
