// Package clock provides the wall clock and a fake clock for tests. Every part
// of Tandem reads the time through a tandem.Clock, so tests can move it.
package clock

import (
	"sync"
	"time"
)

// Real reads the wall clock, in UTC.
type Real struct{}

// Now returns the current time in UTC.
func (Real) Now() time.Time { return time.Now().UTC() }

// Fake is a clock that moves only when told to. It is safe for concurrent use.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a fake clock stopped at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t.UTC()} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Set moves the clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.now = t.UTC()
	f.mu.Unlock()
}

// Advance moves the clock forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// Offset is a clock that starts at a given instant and then runs at the
// wall clock's pace, for a real process (a test or a demo) that must live on
// a day other than today: tandem reads it from TANDEM_CLOCK_START. It is
// safe for concurrent use.
type Offset struct {
	start time.Time
	made  time.Time // carries the monotonic reading, so wall-clock jumps do not move the clock
}

// NewOffset returns a clock that reads start now and moves on from there
// in real time.
func NewOffset(start time.Time) *Offset { return &Offset{start: start.UTC(), made: time.Now()} }

// Now returns start plus the real time elapsed since the clock was made, in
// UTC.
func (o *Offset) Now() time.Time { return o.start.Add(time.Since(o.made)) }
