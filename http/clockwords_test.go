package http

import (
	"testing"
	"time"
)

// TestClockWords checks the words and the state a page gives each kind of
// clock: one state and one figure each, met late never shown as met.
func TestClockWords(t *testing.T) {
	due := time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return due.Add(time.Duration(m) * time.Minute) }
	var never time.Time
	for _, tc := range []struct {
		met, ended, now   time.Time
		state, left, metT string
	}{
		{never, never, at(-65), "pending", "in 1h 5m", ""},
		{never, never, at(3), "overdue", "overdue by 3m 0s", ""},
		{at(-1), never, at(3), "met", "met on time", "Mon 2 Nov 09:59 EST"},
		{at(4), never, at(30), "late", "met late, 4m 0s after the due time", "Mon 2 Nov 10:04 EST"},
		{never, at(-10), at(30), "stopped", "stopped unmet: the hand-off ended before it was due", ""},
		{never, at(120), at(300), "stopped", "stopped unmet: the hand-off ended 2h 0m after the due time", ""},
	} {
		ny, _ := time.LoadLocation("America/New_York")
		c := newClock("Accept", due, tc.met, tc.ended, tc.now, ny)
		if c.State != tc.state || c.Left != tc.left || c.MetText != tc.metT {
			t.Errorf("newClock(met %v, ended %v, now %v) = %s %q %q; want %s %q %q",
				tc.met, tc.ended, tc.now, c.State, c.Left, c.MetText, tc.state, tc.left, tc.metT)
		}
	}
}
