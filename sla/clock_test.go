package sla_test

import (
	"testing"
	"time"

	"github.com/tandemhq/tandem/sla"
)

func TestStateOf(t *testing.T) {
	due := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return due.Add(time.Duration(m) * time.Minute) }
	var never time.Time
	for _, tc := range []struct {
		name            string
		met, ended, now time.Time
		want            sla.ClockState
		fig             time.Duration
	}{
		{"running, 5m left", never, never, at(-5), sla.ClockPending, 5 * time.Minute},
		{"due this instant, unmet", never, never, at(0), sla.ClockPending, 0},
		{"past due, unmet", never, never, at(7), sla.ClockOverdue, 7 * time.Minute},
		{"met early", at(-3), never, at(30), sla.ClockMet, 0},
		{"met at the due time", at(0), never, at(30), sla.ClockMet, 0},
		{"met 4m late", at(4), never, at(30), sla.ClockLate, 4 * time.Minute},
		{"met late, hand-off ended since", at(4), at(10), at(30), sla.ClockLate, 4 * time.Minute},
		{"ended before due, unmet", never, at(-20), at(30), sla.ClockStopped, 0},
		{"ended 9m past due, unmet", never, at(9), at(30), sla.ClockStopped, 9 * time.Minute},
	} {
		got, fig := sla.StateOf(due, tc.met, tc.ended, tc.now)
		if got != tc.want || fig != tc.fig {
			t.Errorf("%s: StateOf = %s, %v; want %s, %v", tc.name, got, fig, tc.want, tc.fig)
		}
	}
}
